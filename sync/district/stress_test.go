package district

import (
	"crypto/sha256"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
	"zoufang/sync"
)

// stateDigest summarises what the import decided in a district directory:
// every device's contiguous seq and head, every bundle row's state, every
// record's heads and the number of versions. Times and messages are left
// out: two runs that decided the same have the same digest.
func stateDigest(t testing.TB, dir string) (string, string) {
	t.Helper()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, seq, hex(head), revoked <> '' FROM district_devices ORDER BY id`,
		`SELECT device_id, seq, hex(hash), state FROM district_bundles ORDER BY 1, 2, 3`,
		`SELECT record_id, version_id FROM heads ORDER BY 1, 2`,
		`SELECT count(*) FROM versions`,
		`SELECT count(*) FROM backlog`,
	} {
		rows, err := d.db.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	sum := sha256.Sum256([]byte(b.String()))
	return fmt.Sprintf("%x", sum[:8]), b.String()
}

// stressBundle is one bundle of the stress test with where it goes.
type stressBundle struct {
	device string
	seq    uint64
	data   []byte
}

// stressFixture: a district with three laptops (closed, to be copied) and
// their bundles: honest chains, two bundles with the same seq and other
// content (A's 2, C's 1), and later bundles chained on one of the twins.
func stressFixture(t testing.TB) (string, []stressBundle) {
	t.Helper()
	dir := t.TempDir()
	d, err := Init(dir, "市南区总工会", "", Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a, b, c := enrol(t, d, "张伟"), enrol(t, d, "李娜"), enrol(t, d, "王强")
	visits := func(l *laptop, n int) []survey.Version {
		vs := make([]survey.Version, n)
		for i := range vs {
			vs[i] = l.visit(uuid.NewString(), i, survey.SampleVisitAnswers("2026-11-20", 1))
		}
		return vs
	}
	var out []stressBundle
	add := func(l *laptop, data []byte) {
		out = append(out, stressBundle{l.id, l.seq, data})
	}
	add(a, a.bundle(t, d, visits(a, 150)...))
	seq1, prev1 := a.seq, a.prev
	add(a, a.bundle(t, d, visits(a, 150)...))
	seq2, prev2 := a.seq, a.prev
	a.seq, a.prev = seq1, prev1
	add(a, a.bundle(t, d, visits(a, 120)...)) // A's seq 2 again, other content
	a.seq, a.prev = seq2, prev2
	add(a, a.bundle(t, d, visits(a, 150)...))
	add(a, a.bundle(t, d, visits(a, 100)...))
	for i := 0; i < 3; i++ {
		add(b, b.bundle(t, d, visits(b, 150)...))
	}
	add(c, c.bundle(t, d, visits(c, 150)...))
	c.seq, c.prev = 0, sync.Hash{}
	add(c, c.bundle(t, d, visits(c, 130)...))
	add(c, c.bundle(t, d, visits(c, 100)...)) // chained on the twin
	return dir, out
}

// serialDigest imports the bundles one at a time in one process into a
// copy of tmpl: for each seq the bundle the concurrent run applied goes
// first (any serial order must pick one of two twins), the rest in stream
// order.
func serialDigest(t testing.TB, tmpl string, bundles []stressBundle, applied map[string]bool) (string, string) {
	t.Helper()
	order := append([]stressBundle(nil), bundles...)
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].device != order[j].device {
			return order[i].device < order[j].device
		}
		if order[i].seq != order[j].seq {
			return order[i].seq < order[j].seq
		}
		return applied[sync.BundleHash(order[i].data).String()] && !applied[sync.BundleHash(order[j].data).String()]
	})
	dir := copyDir(t, tmpl)
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range order {
		if res := d.Import(ctx, b.data); res.Decision == Retry || res.Decision == Refused {
			t.Fatalf("serial import of %s/%d: %s %s", b.device[:8], b.seq, res.Decision, res.Message)
		}
	}
	d.Close()
	return stateDigest(t, dir)
}

// Finding 1 of issue 10, and the stress test: `zoufang-server import`
// processes (USB) and HTTP uploads to `zoufang-server serve`, all on one
// data directory, deliver the same and conflicting bundles several times
// in random orders and timings. The result must be what a serial import
// gives: one bundle applied per seq (never both twins), no seq moved
// backwards, nothing next in line left waiting. Before the fix, the checks
// ran outside the write transaction under a per-process mutex: two twins
// were both applied and duplicate imports moved the seq backwards.
func TestImportProcessesAndUploadsMatchSerialImport(t *testing.T) {
	tmpl, bundles := stressFixture(t)
	for round := 0; round < 3; round++ {
		seed := time.Now().UnixNano()
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			dir := copyDir(t, tmpl)
			srv := startServe(t, dir)

			// Every bundle two or three times, shuffled, split between
			// HTTP uploads and import processes of 1–4 files each.
			var deliveries []stressBundle
			for _, b := range bundles {
				for k := 0; k < 2+rng.Intn(2); k++ {
					deliveries = append(deliveries, b)
				}
			}
			rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
			var wg gosync.WaitGroup
			var mu gosync.Mutex
			var failures []string
			usb := t.TempDir()
			for i := 0; i < len(deliveries); {
				delay := time.Duration(rng.Intn(400)) * time.Millisecond
				if rng.Intn(5) < 2 {
					b := deliveries[i]
					i++
					wg.Add(1)
					go func() {
						defer wg.Done()
						time.Sleep(delay)
						if code, body := srv.put(t, b.device, b.seq, b.data); code == 0 || code >= 500 {
							mu.Lock()
							failures = append(failures, fmt.Sprintf("upload %s/%d: %d %s", b.device[:8], b.seq, code, body))
							mu.Unlock()
						}
					}()
					continue
				}
				n := min(1+rng.Intn(4), len(deliveries)-i)
				var chunk [][]byte
				for _, b := range deliveries[i : i+n] {
					chunk = append(chunk, b.data)
				}
				i += n
				sub := fmt.Sprintf("%s/p%d", usb, i)
				files := writeBundles(t, mkdir(t, sub), chunk)
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(delay)
					out, err := runServer(t, append([]string{"import", "--data", dir}, files...)...)
					if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("import: %v\n%s", err, firstLines(out, 5)))
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			srv.stop()
			for _, f := range failures {
				t.Error(f)
			}

			got, gotText := stateDigest(t, dir)
			applied := map[string]bool{}
			for _, line := range strings.Split(gotText, "\n") {
				if f := strings.Fields(line); len(f) == 4 && f[3] == stateApplied {
					applied[strings.ToLower(f[2])] = true
				}
			}
			want, wantText := serialDigest(t, tmpl, bundles, applied)
			if got != want {
				t.Errorf("seed %d: concurrent result differs from a serial import\n-- concurrent:\n%s\n-- serial:\n%s\nserve log:\n%s",
					seed, firstLines(gotText, 25), firstLines(wantText, 25), firstLines(srv.stderr.String(), 20))
			}
		})
	}
}

func mkdir(t testing.TB, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
