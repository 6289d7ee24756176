package storage

import (
	"testing"

	"zoufang/survey"
)

// A district 研判 and a team's follow-up made the same day on one ledger
// item: the laptop shows both before any merge exists, the district writes
// the merge, and both end with one head carrying both.
func TestLedgerAssessmentAndFollowUpMerge(t *testing.T) {
	lap, dis := openTest(t), openDistrict(t)
	e := addEnterprise(t, lap, "青岛港集团有限公司", uscc("91370200163562683"))
	it, err := lap.SaveLedgerItem(ctx, survey.LedgerItem{EnterpriseID: e.ID, Description: "欠薪两个月", Deadline: "2026-05-20"})
	if err != nil {
		t.Fatal(err)
	}
	relay(t, lap, dis, e.ID, it.ID)

	// District: 研判.
	_, base, _, _ := dis.LedgerItemVersion(ctx, it.ID)
	if err := dis.Update(ctx, func(tx *Tx) error {
		_, err := tx.EditLedgerItem(it.ID, base, func(x *survey.LedgerItem) error {
			x.Assessment, x.Department, x.Route, x.Deadline = "属实", "区人社局", survey.RouteLegalAid, "2026-05-31"
			x.AssessedBy, x.AssessedAt = "王科长", tx.Now()
			x.Log = append(x.Log, survey.FollowUp{At: tx.Now(), By: "王科长", Status: survey.LedgerRectifying, Note: "区总工会研判：属实"})
			x.Status = survey.LedgerRectifying
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Laptop, the same day, before it hears of it: a follow-up.
	if _, err := lap.AddFollowUp(ctx, it.ID, survey.FollowUp{Status: survey.LedgerNegotiating, Note: "企业同意协商"}); err != nil {
		t.Fatal(err)
	}

	// The 研判 reaches the laptop first (a USB down bundle): two heads,
	// shown merged, not as a conflict.
	relay(t, dis, lap, it.ID)
	if hs, _ := lap.Heads(ctx, it.ID); len(hs) != 2 {
		t.Fatalf("laptop heads = %d, want 2", len(hs))
	}
	got, _, conflict, err := lap.LedgerItemVersion(ctx, it.ID)
	if err != nil || conflict || got.Assessment != "属实" || got.Route != survey.RouteLegalAid || len(got.Log) != 2 || got.Deadline != "2026-05-31" {
		t.Fatalf("laptop shows %+v conflict=%v err=%v", got, conflict, err)
	}
	// A further follow-up on the laptop names both heads.
	if _, err := lap.AddFollowUp(ctx, it.ID, survey.FollowUp{Status: survey.LedgerNegotiating, Note: "约定下周三协商"}); err != nil {
		t.Fatal(err)
	}
	hs, _ := lap.Heads(ctx, it.ID)
	if len(hs) != 1 || len(hs[0].Parents) != 2 {
		t.Fatalf("after the edit: heads %+v", hs)
	}

	// The district gets the laptop's versions: one head, and the merge
	// it writes keeps everything.
	var merged []string
	relayThen := func() {
		h, _ := lap.History(ctx, it.ID)
		if err := dis.Update(ctx, func(tx *Tx) error {
			if _, err := tx.PutVersions(h); err != nil {
				return err
			}
			var err error
			merged, err = tx.MergeLedgerHeads()
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	relayThen()
	if len(merged) != 0 {
		t.Errorf("the laptop's edit already merged; the district merged again: %v", merged)
	}
	d, _, conflict, _ := dis.LedgerItemVersion(ctx, it.ID)
	if conflict || d.Assessment != "属实" || len(d.Log) != 3 || d.Status != survey.LedgerNegotiating {
		t.Errorf("district item %+v conflict=%v", d, conflict)
	}
}

func TestDistrictMergesConcurrentLedgerVersions(t *testing.T) {
	lap, dis := openTest(t), openDistrict(t)
	e := addEnterprise(t, lap, "青岛港集团有限公司", uscc("91370200163562683"))
	it, err := lap.SaveLedgerItem(ctx, survey.LedgerItem{EnterpriseID: e.ID, Description: "欠薪两个月", Deadline: "2026-05-20"})
	if err != nil {
		t.Fatal(err)
	}
	relay(t, lap, dis, e.ID, it.ID)
	_, base, _, _ := dis.LedgerItemVersion(ctx, it.ID)
	edit := func(db *DB, f func(*survey.LedgerItem)) {
		t.Helper()
		if err := db.Update(ctx, func(tx *Tx) error {
			_, v, _, err := db.LedgerItemVersion(ctx, it.ID)
			if err != nil {
				return err
			}
			_, err = tx.EditLedgerItem(it.ID, v, func(x *survey.LedgerItem) error { f(x); return nil })
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	_ = base
	edit(dis, func(x *survey.LedgerItem) { x.Department = "区人社局" })
	if _, err := lap.AddFollowUp(ctx, it.ID, survey.FollowUp{Status: survey.LedgerNegotiating, Note: "约谈"}); err != nil {
		t.Fatal(err)
	}
	h, _ := lap.History(ctx, it.ID)
	var merged []string
	if err := dis.Update(ctx, func(tx *Tx) error {
		if _, err := tx.PutVersions(h); err != nil {
			return err
		}
		merged, err = tx.MergeLedgerHeads()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(merged) != 1 || merged[0] != it.ID {
		t.Fatalf("merged %v", merged)
	}
	hs, _ := dis.Heads(ctx, it.ID)
	if len(hs) != 1 || len(hs[0].Parents) != 2 || hs[0].DeviceID != districtDevice {
		t.Fatalf("district heads %+v", hs)
	}
	// The merge goes down: the laptop ends with the same single head.
	relay(t, dis, lap, it.ID)
	lh, _ := lap.Heads(ctx, it.ID)
	if len(lh) != 1 || lh[0].VersionID != hs[0].VersionID {
		t.Errorf("laptop heads %+v", lh)
	}
	got, _ := lap.LedgerItem(ctx, it.ID)
	if got.Department != "区人社局" || len(got.Log) != 1 || got.Status != survey.LedgerNegotiating {
		t.Errorf("laptop item %+v", got)
	}

	// The same field changed on both sides stays a conflict.
	edit(dis, func(x *survey.LedgerItem) { x.Deadline = "2026-06-01" })
	if _, err := lap.SaveLedgerItem(ctx, func() survey.LedgerItem { x, _ := lap.LedgerItem(ctx, it.ID); x.Deadline = "2026-05-25"; return x }()); err != nil {
		t.Fatal(err)
	}
	h, _ = lap.History(ctx, it.ID)
	if err := dis.Update(ctx, func(tx *Tx) error {
		if _, err := tx.PutVersions(h); err != nil {
			return err
		}
		merged, err = tx.MergeLedgerHeads()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(merged) != 0 {
		t.Errorf("a hard conflict was merged: %v", merged)
	}
	if _, _, conflict, _ := dis.LedgerItemVersion(ctx, it.ID); !conflict {
		t.Error("same field changed on both sides is not flagged")
	}
	cs, _ := dis.Conflicts(ctx)
	if len(cs) != 1 || cs[0].RecordID != it.ID {
		t.Errorf("conflicts %+v", cs)
	}
}
