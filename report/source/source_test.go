package source

import (
	"context"
	"errors"
	"testing"
	"time"

	"zoufang/assets"
	"zoufang/storage"
	"zoufang/survey"
)

func TestVisitRecords(t *testing.T) {
	ctx := context.Background()
	db, err := storage.OpenDir(t.TempDir(), storage.Options{DeviceID: "dev-test", Author: "测试"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := storage.FillDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	forms, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := db.Visits(ctx, storage.VisitFilter{})
	if err != nil || len(vs) == 0 {
		t.Fatalf("visits: %d %v", len(vs), err)
	}
	var calls int
	today := time.Date(2020, 4, 20, 0, 0, 0, 0, time.UTC)
	recs, err := VisitRecords(ctx, db, forms, "活动", vs, today, func(done, total int) {
		calls++
		if done != calls || total != len(vs) {
			t.Errorf("progress(%d, %d), want (%d, %d)", done, total, calls, len(vs))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		tip, _ := db.Tip(ctx, vs[i].ID)
		rs, _ := db.Responses(ctx, storage.ResponseFilter{VisitID: vs[i].ID})
		if r.VersionID != tip.VersionID || r.Responses != len(rs) || r.Enterprise.ID != vs[i].EnterpriseID || r.Form == nil {
			t.Errorf("record %d = version %q responses %d enterprise %q; want %q %d %q", i, r.VersionID, r.Responses, r.Enterprise.ID, tip.VersionID, len(rs), vs[i].EnterpriseID)
		}
	}
	bad := vs[0]
	bad.FormVersion = 99
	_, err = VisitRecords(ctx, db, forms, "", []survey.Visit{bad}, today, nil)
	var se *storage.Error
	if !errors.As(err, &se) {
		t.Errorf("unknown form version: err = %v, want a storage.Error with a Chinese message", err)
	}
	ents, err := Enterprises(ctx, db, []string{vs[0].EnterpriseID, "", "missing", vs[0].EnterpriseID})
	if err != nil || len(ents) != 1 {
		t.Errorf("Enterprises = %d, %v; want 1", len(ents), err)
	}
}
