package district

import (
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// mergeFixture is a district directory with two enrolled laptops (closed,
// to be copied) and their bundles. The district holds an enterprise
// assigned to laptop B and laptop A's first bundle with two visits of it,
// so both laptops may edit those visits whatever order the rest arrives
// in: concurrent edits of one field (hard) and of different fields with a
// deletion (hard), an early bundle (A's third before its second), and an
// edit of a visit made earlier in the same device's stream.
func mergeFixture(t testing.TB) (string, [][]byte) {
	t.Helper()
	dir := t.TempDir()
	d, err := Init(dir, "市南区总工会", "", Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	a, b := enrol(t, d, "张伟"), enrol(t, d, "李娜")
	e, err := d.db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Assign(ctx, b.id, []string{e.USCC}); err != nil {
		t.Fatal(err)
	}
	a.ent, b.ent = e.ID, e.ID
	r1, r2, r3 := uuid.NewString(), uuid.NewString(), uuid.NewString()
	a1 := a.visit(r1, 0, survey.Answers{"x": "1"})
	a2 := a.visit(r2, 0, survey.Answers{"y": "1"})
	mustImport(t, d, a.bundle(t, d, a1, a2), Applied)
	b1 := b.visit(r3, 0, survey.Answers{"z": "1"})
	a2e := a.visit(r2, 4, survey.Answers{"y": "2"}, a2.VersionID)
	bundles := [][]byte{
		b.bundle(t, d, b1, b.visit(r1, 3, survey.Answers{"x": "B"}, a1.VersionID)),
		a.bundle(t, d, a.visit(r1, 4, survey.Answers{"x": "A"}, a1.VersionID), a2e),
	}
	del := a.visit(r2, 6, nil, a2e.VersionID)
	del.Deleted, del.Payload = true, []byte("null")
	bundles = append(bundles,
		a.bundle(t, d, del),
		b.bundle(t, d, b.visit(r2, 5, survey.Answers{"y": "1", "w": "B"}, a2.VersionID), b.visit(r3, 7, survey.Answers{"z": "3"}, b1.VersionID)))
	d.Close()
	return dir, bundles
}

type mergeState struct {
	Heads     map[string][]string
	Conflicts map[string]bool // record → hard
}

func mergeSnapshot(t testing.TB, d *District) mergeState {
	t.Helper()
	s := mergeState{Heads: map[string][]string{}, Conflicts: map[string]bool{}}
	rows, err := d.db.Query(ctx, `SELECT record_id, version_id FROM heads`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r, v string
		rows.Scan(&r, &v)
		s.Heads[r] = append(s.Heads[r], v)
	}
	rows.Close()
	for _, h := range s.Heads {
		sort.Strings(h)
	}
	cs, err := d.Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		s.Conflicts[c.RecordID] = c.Hard
	}
	return s
}

func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		if e.IsDir() {
			continue // keys/: Open writes the current key's copy again
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600)
	}
	return dst
}

// Any order of the same bundles, with repeats, gives the same heads and
// conflicts at the district.
func FuzzMerge(f *testing.F) {
	f.Add(int64(1), uint8(0))
	f.Add(int64(2), uint8(3))
	f.Add(int64(99), uint8(7))
	tmpl, bundles := mergeFixture(f)
	ref, err := Open(copyDir(f, tmpl), Options{Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range bundles {
		if res := ref.Import(ctx, b); res.Decision != Applied {
			f.Fatalf("fixture bundle %d: %s %s", res.Seq, res.Decision, res.Message)
		}
	}
	want := mergeSnapshot(f, ref)
	ref.Close()
	if len(want.Conflicts) != 2 || len(want.Heads) != 4 {
		f.Fatalf("fixture: %+v, want 2 conflicts over 4 records (3 visits, the enterprise)", want)
	}
	f.Fuzz(func(t *testing.T, seed int64, repeats uint8) {
		rng := rand.New(rand.NewSource(seed))
		order := append([][]byte(nil), bundles...)
		for i := 0; i < int(repeats%5); i++ {
			order = append(order, bundles[rng.Intn(len(bundles))])
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		d, err := Open(copyDir(t, tmpl), Options{Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, b := range order {
			if res := d.Import(ctx, b); res.Decision == Refused || res.Decision == Quarantined {
				t.Fatalf("bundle refused: %s", res.Message)
			}
		}
		if got := mergeSnapshot(t, d); !reflect.DeepEqual(got, want) {
			t.Errorf("seed %d: %+v\nwant %+v", seed, got, want)
		}
	})
}
