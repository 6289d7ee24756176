package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"

	"zoufang/survey"
)

// ver makes a visit version of record rec with the given parents.
func ver(rec, id string, minute int, answers survey.Answers, parents ...string) survey.Version {
	p, _ := json.Marshal(survey.Visit{ID: rec, EnterpriseID: "e1", Status: survey.VisitDraft, Answers: answers})
	return survey.Version{
		RecordID: rec, VersionID: id, Parents: parents, Kind: survey.KindVisit,
		FormID: "visit", FormVersion: 1, Author: "李娜", DeviceID: testDevice,
		Created: time.Date(2026, 4, 15, 10, minute, 0, 0, time.UTC), Payload: p,
	}
}

const (
	rec1 = "11111111-1111-4111-8111-111111111111"
	rec2 = "22222222-2222-4222-8222-222222222222"
)

func vid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// history is a small DAG: rec1 has a root, an edit, and two concurrent
// edits of that edit (a conflict); rec2 has a root and an edit.
func history() []survey.Version {
	return []survey.Version{
		ver(rec1, vid(1), 0, survey.Answers{"a": "1"}),
		ver(rec1, vid(2), 1, survey.Answers{"a": "2"}, vid(1)),
		ver(rec1, vid(3), 2, survey.Answers{"a": "3"}, vid(2)),
		ver(rec1, vid(4), 3, survey.Answers{"a": "2", "b": "x"}, vid(2)),
		ver(rec2, vid(5), 0, survey.Answers{"c": "1"}),
		ver(rec2, vid(6), 5, survey.Answers{"c": "2"}, vid(5)),
	}
}

type state struct {
	Heads     map[string][]string
	Tips      map[string]string
	Conflicts []string
	Backlog   int
}

func snapshot(t *testing.T, db *DB) state {
	t.Helper()
	s := state{Heads: map[string][]string{}, Tips: map[string]string{}}
	for _, rec := range []string{rec1, rec2} {
		hs, err := db.Heads(ctx, rec)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			s.Heads[rec] = append(s.Heads[rec], h.VersionID)
		}
		sort.Strings(s.Heads[rec])
		var tip string
		db.read.QueryRow(`SELECT version_id FROM visits WHERE id = ?`, rec).Scan(&tip)
		s.Tips[rec] = tip
	}
	cs, err := db.Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		s.Conflicts = append(s.Conflicts, c.RecordID)
	}
	db.read.QueryRow(`SELECT count(*) FROM backlog`).Scan(&s.Backlog)
	return s
}

func put(t *testing.T, db *DB, vs ...survey.Version) PutResult {
	t.Helper()
	var res PutResult
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.PutVersions(vs)
		return err
	})
	if err != nil {
		t.Fatalf("PutVersions: %v", err)
	}
	return res
}

func TestPutVersionsMergesByParents(t *testing.T) {
	db := openTest(t)
	res := put(t, db, history()...)
	if res.Applied != 6 {
		t.Errorf("applied %d, want 6", res.Applied)
	}
	got := snapshot(t, db)
	want := state{
		Heads:     map[string][]string{rec1: {vid(3), vid(4)}, rec2: {vid(6)}},
		Tips:      map[string]string{rec1: vid(4), rec2: vid(6)}, // latest Created wins provisionally
		Conflicts: []string{rec1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("state = %+v\nwant    %+v", got, want)
	}
	// The same versions again change nothing.
	if res := put(t, db, history()...); res.Duplicate != 6 || res.Applied != 0 {
		t.Errorf("second put = %+v, want 6 duplicates", res)
	}
	if again := snapshot(t, db); !reflect.DeepEqual(again, want) {
		t.Errorf("after duplicates: %+v", again)
	}
	// A resolution names both heads.
	put(t, db, ver(rec1, vid(7), 9, survey.Answers{"a": "3", "b": "x"}, vid(3), vid(4)))
	if cs, _ := db.Conflicts(ctx); len(cs) != 0 {
		t.Errorf("conflicts after resolution: %+v", cs)
	}
}

func TestPutVersionsBacklogsEditBeforeParent(t *testing.T) {
	db := openTest(t)
	h := history()
	res := put(t, db, h[2], h[1]) // edits of rec1 before its root
	if res.Backlogged != 2 || res.Applied != 0 {
		t.Errorf("put = %+v, want 2 backlogged", res)
	}
	if _, err := db.Visit(ctx, rec1); !errors.Is(err, ErrNotFound) {
		t.Errorf("visit visible before its root arrived: %v", err)
	}
	res = put(t, db, h[0])
	if res.Applied != 3 {
		t.Errorf("put root = %+v, want 3 applied (root and both released)", res)
	}
	if s := snapshot(t, db); s.Backlog != 0 || s.Tips[rec1] != vid(3) {
		t.Errorf("after root: %+v", s)
	}
}

func TestPutVersionsRefusesSameIDDifferentContent(t *testing.T) {
	db := openTest(t)
	h := history()
	put(t, db, h[0])
	before := snapshot(t, db)
	forged := h[0]
	forged.Payload = json.RawMessage(`{"id":"` + rec1 + `","status":"signed"}`)
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.PutVersions([]survey.Version{h[4], forged}) // a good one first: must not stay
		return err
	})
	if !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("PutVersions(forged) = %v, want ErrVersionMismatch", err)
	}
	if after := snapshot(t, db); !reflect.DeepEqual(after, before) {
		t.Errorf("refused put changed the database: %+v -> %+v", before, after)
	}
	// Re-encoded JSON with the same meaning is the same version.
	same := h[0]
	same.Payload = json.RawMessage("{\n  " + string(h[0].Payload[1:]))
	if res := put(t, db, same); res.Duplicate != 1 {
		t.Errorf("re-encoded payload: %+v, want duplicate", res)
	}
}

func TestPutVersionsEditVersusDelete(t *testing.T) {
	db := openTest(t)
	h := history()
	del := ver(rec2, vid(8), 7, nil, vid(5))
	del.Deleted, del.Payload = true, json.RawMessage("null")
	put(t, db, h[4], h[5], del)
	s := snapshot(t, db)
	if len(s.Heads[rec2]) != 2 || len(s.Conflicts) != 1 {
		t.Errorf("edit vs delete: %+v, want a conflict with two heads", s)
	}
	if _, err := db.Visit(ctx, rec2); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted winner still projected: %v", err)
	}
}

// Any order of the same versions gives the same heads, tips and conflicts.
func FuzzPutVersionsOrder(f *testing.F) {
	f.Add(int64(1), 3)
	f.Add(int64(42), 1)
	f.Add(int64(7), 6)
	f.Fuzz(func(t *testing.T, seed int64, batches int) {
		h := history()
		ref := openTest(t)
		put(t, ref, h...)
		want := snapshot(t, ref)

		rng := rand.New(rand.NewSource(seed))
		rng.Shuffle(len(h), func(i, j int) { h[i], h[j] = h[j], h[i] })
		if batches < 1 || batches > len(h) {
			batches = 1 + int(uint(batches)%uint(len(h)))
		}
		// Replay some versions twice, as USB and HTTP may both deliver.
		h = append(h, h[:rng.Intn(len(h))]...)
		db := openTest(t)
		size := (len(h) + batches - 1) / batches
		for i := 0; i < len(h); i += size {
			put(t, db, h[i:min(i+size, len(h))]...)
		}
		if got := snapshot(t, db); !reflect.DeepEqual(got, want) {
			t.Errorf("order %v: %+v, want %+v", h, got, want)
		}
	})
}

// A received visit is projected from its payload's own fields, whether the
// payload arrives compact (as bundles carry it) or with whitespace, and it
// is stored compact either way.
func TestReceivedVisitProjection(t *testing.T) {
	for name, spaced := range map[string]bool{"compact": false, "spaced": true} {
		t.Run(name, func(t *testing.T) {
			db := openTest(t)
			v := ver(rec1, vid(1), 0, survey.Answers{"visit_date": "2026-04-15", "interviewed": "6", "notes": "a b"})
			var p map[string]any
			json.Unmarshal(v.Payload, &p)
			p["investigator"], p["status"] = "李娜", "finalized"
			p["updated_at"] = "2026-04-15T10:00:00Z"
			if spaced {
				v.Payload, _ = json.MarshalIndent(p, "", "  ")
			} else {
				v.Payload, _ = json.Marshal(p)
			}
			put(t, db, v)
			var ent, status, updated, day, who string
			var body []byte
			err := db.read.QueryRow(`SELECT enterprise_id, status, updated, visit_date, investigator, body FROM visits WHERE id = ?`, rec1).
				Scan(&ent, &status, &updated, &day, &who, &body)
			if err != nil {
				t.Fatal(err)
			}
			if ent != "e1" || status != "finalized" || updated != "2026-04-15T10:00:00Z" || day != "2026-04-15" || who != "李娜" {
				t.Errorf("projected %q %q %q %q %q", ent, status, updated, day, who)
			}
			want, _ := json.Marshal(p)
			if string(body) != string(want) {
				t.Errorf("stored body\n%s\nwant compact\n%s", body, want)
			}
		})
	}
}
