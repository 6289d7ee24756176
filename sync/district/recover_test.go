package district

import (
	"bytes"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// drainFixture: a district whose one laptop's bundles 2–n wait in the
// backlog for bundle 1, which is written to a file for the USB import.
func drainFixture(t testing.TB, n, visits int) (dir, deviceID, first string) {
	t.Helper()
	dir = t.TempDir()
	d, err := Init(dir, "市南区总工会", "", Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := enrol(t, d, "张伟")
	var bundles [][]byte
	for i := 0; i < n; i++ {
		vs := make([]survey.Version, visits)
		for j := range vs {
			vs[j] = l.visit(uuid.NewString(), j, survey.SampleVisitAnswers("2026-11-20", 2))
		}
		bundles = append(bundles, l.bundle(t, d, vs...))
	}
	for _, b := range bundles[1:] {
		mustImport(t, d, b, Backlogged)
	}
	first = writeBundles(t, t.TempDir(), bundles[:1])[0]
	return dir, l.id, first
}

// deviceState reads a device's contiguous seq, backlog and quarantine
// counts from a closed district directory, and checks the database file.
func deviceState(t testing.TB, dir, id string) (seq uint64, backlog, quarantined int) {
	t.Helper()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var ok string
	if err := d.db.QueryRow(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
	d.db.QueryRow(ctx, `SELECT seq FROM district_devices WHERE id = ?`, id).Scan(&seq)
	d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles WHERE device_id = ? AND state = 'backlog'`, id).Scan(&backlog)
	d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles WHERE device_id = ? AND state = 'quarantined'`, id).Scan(&quarantined)
	return
}

// Finding 2 of issue 10: `zoufang-server import` of bundle 1 applies it and
// then drains bundles 2–12 from the backlog; SIGKILL at many points of that
// run, then the next start (`import` of the same file again, or `serve`)
// must leave every bundle applied with no person involved. Before the fix
// nothing drained the backlog again: not a restart, not a re-import.
func TestKilledDrainIsRepairedOnNextStart(t *testing.T) {
	const n = 12
	tmpl, id, first := drainFixture(t, n, 150)
	bin := zoufangServer(t)

	// How long an uncut run takes, to spread the kills over it.
	dir := copyDir(t, tmpl)
	start := time.Now()
	if out, err := runServer(t, "import", "--data", dir, first); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	full := time.Since(start)
	if seq, backlog, q := deviceState(t, dir, id); seq != n || backlog != 0 || q != 0 {
		t.Fatalf("uncut run: seq %d backlog %d quarantined %d", seq, backlog, q)
	}
	t.Logf("uncut import with drain: %v", full)

	// Eight points spread over the run, then (on a machine so loaded that
	// none landed while the backlog drained) up to eight more in its
	// second half.
	const points = 8
	cutMidDrain := 0
	for i := 1; i <= 2*points && (i <= points || cutMidDrain == 0); i++ {
		delay := full * time.Duration(i) / (points + 1)
		if i > points {
			delay = full/2 + full*time.Duration(i-points)/(2*points+2)
		}
		t.Run(fmt.Sprintf("kill_at_%dms", delay.Milliseconds()), func(t *testing.T) {
			dir := copyDir(t, tmpl)
			cmd := exec.Command(bin, "import", "--data", dir, first)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay)
			cmd.Process.Kill() // SIGKILL: no deferred cleanup runs
			cmd.Wait()
			seq, backlog, _ := deviceState(t, dir, id)
			if seq > 0 && backlog > 0 {
				cutMidDrain++
			}
			// The next start repairs it: serve on its own when bundle 1
			// was applied before the kill; the person importing the USB
			// stick again otherwise.
			if i%2 == 1 && seq > 0 {
				srv := startServe(t, dir)
				srv.stop()
			} else if out, err := runServer(t, "import", "--data", dir, first); err != nil {
				t.Fatalf("import again: %v\n%s", err, out)
			}
			if seq2, backlog2, q := deviceState(t, dir, id); seq2 != n || backlog2 != 0 || q != 0 {
				t.Errorf("killed at seq %d with %d waiting; after restart: seq %d, backlog %d, quarantined %d, want %d, 0, 0",
					seq, backlog, seq2, backlog2, q, n)
			}
		})
	}
	if cutMidDrain == 0 {
		t.Errorf("no kill landed while the backlog was draining; the test did not test the repair")
	}
}

// The district answers a bundle with a receipt once its transaction
// commits, and the laptop then drops the bundle's bytes: a commit the
// district could lose to a power cut (WAL with synchronous=NORMAL) would be
// a bundle lost for good. The writing connection, as Init and Open leave
// it, must be synchronous=FULL (2).
func TestDistrictCommitsSurvivePowerCuts(t *testing.T) {
	d := newDistrict(t)
	reopened, err := Open(d.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	for name, dd := range map[string]*District{"Init": d, "Open": reopened} {
		mode, err := dd.DB().Synchronous(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if mode != 2 {
			t.Errorf("district database after %s: synchronous=%d, want 2 (FULL)", name, mode)
		}
	}
}
