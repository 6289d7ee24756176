package audit

import (
	"context"
	"testing"
	"time"

	"zoufang/storage"
)

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.OpenDir(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRecordAndFilter(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	// An entry of the district's log from before the audit table existed
	// is carried over.
	err := db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.Exec(`INSERT INTO district_log (at, who, action, detail) VALUES ('2026-04-01T08:00:00Z', '区总工会', 'enroll', '登记设备 A')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db); err != nil { // again: nothing copied twice
		t.Fatal(err)
	}
	day := time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)
	err = db.Update(ctx, func(tx *storage.Tx) error {
		for i, e := range []Entry{
			{At: day, Actor: "王主任", Action: "resolve", Target: "rec-1", Detail: "冲突已解决", Reason: "与企业核实"},
			{At: day.Add(time.Hour), Actor: "李审核", Action: "revoke", Target: "dev-1", Detail: "停用设备 dev-1", Reason: "笔记本丢失"},
			{At: day.Add(48 * time.Hour), Actor: System, Action: "quarantine", Target: "dev-1", Detail: "同步包已隔离"},
		} {
			if err := Record(tx, e); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    Filter
		want []string // actions, newest first
	}{
		{"all", Filter{}, []string{"quarantine", "revoke", "resolve", "enroll"}},
		{"target", Filter{Target: "dev-1"}, []string{"quarantine", "revoke"}},
		{"actor", Filter{Actor: "王主任"}, []string{"resolve"}},
		{"text in reason", Filter{Text: "丢失"}, []string{"revoke"}},
		{"since", Filter{Since: day.Add(time.Minute)}, []string{"quarantine", "revoke"}},
		{"until", Filter{Until: day}, []string{"enroll"}},
		{"page", Filter{Limit: 2, Offset: 1}, []string{"revoke", "resolve"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, total, err := List(ctx, db, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range got {
				actions = append(actions, e.Action)
			}
			if len(actions) != len(c.want) {
				t.Fatalf("got %v, want %v", actions, c.want)
			}
			for i := range actions {
				if actions[i] != c.want[i] {
					t.Fatalf("got %v, want %v", actions, c.want)
				}
			}
			if c.f.Limit == 0 && total != len(c.want) {
				t.Errorf("total = %d, want %d", total, len(c.want))
			}
		})
	}
}

func TestRecordRefusesAnonymousEntries(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx *storage.Tx) error { return Record(tx, Entry{Action: "revoke"}) })
	if err == nil {
		t.Fatal("an entry without an actor was written")
	}
	if got, _, _ := List(ctx, db, Filter{}); len(got) != 0 {
		t.Errorf("entries after refusal: %+v", got)
	}
}
