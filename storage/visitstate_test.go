package storage

import (
	"errors"
	"testing"

	"zoufang/survey"
)

// TestFinishedVisitNeverInvalid tries every write path on a finished visit
// with answers that fail validation: none may store them. Before the life
// cycle moved into survey.CheckVisitChange, SaveVisit with an edit reason
// stored a finalized visit with a required answer cleared.
func TestFinishedVisitNeverInvalid(t *testing.T) {
	db := openTest(t)
	f := visitForm(t)
	e := addEnterprise(t, db, "青岛红星纺织有限公司", uscc("91370200MA3C12345"))
	v, err := db.CreateVisit(ctx, e.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers("2026-04-14", 1)
	v, ps, err := db.FinalizeVisit(ctx, v, f)
	if err != nil || len(ps) > 0 {
		t.Fatalf("finalize: %v %v", ps, err)
	}
	stored := func() survey.Visit {
		t.Helper()
		got, err := db.Visit(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	bad := v
	bad.Answers = survey.SampleVisitAnswers("2026-04-14", 1)
	delete(bad.Answers, "team_members")
	bad.EditReason = "企业补充"

	if _, err := db.SaveVisit(ctx, bad); !errors.Is(err, survey.ErrVisitChange) {
		t.Errorf("SaveVisit of an invalid edit: %v, want refused", err)
	}
	if _, _, err := db.FinalizeVisit(ctx, bad, f); err == nil {
		t.Errorf("FinalizeVisit of an invalid edit: accepted")
	}
	back := v
	back.Status, back.EditReason = survey.VisitDraft, "重新填写"
	if got, err := db.SaveVisit(ctx, back); err != nil || got.Status != survey.VisitFinalized {
		t.Errorf("SaveVisit asking for a draft: %q %v, want the status kept", got.Status, err)
	}
	if got := stored(); got.Status != survey.VisitFinalized || got.Answers["team_members"] == nil || len(survey.Validate(f, got.Answers, db.now())) > 0 {
		t.Fatalf("stored visit after refused writes: %q, team_members %v", got.Status, got.Answers["team_members"])
	}

	// Signed, then edited: back to 已完成 without the signature.
	if v, err = db.SignOffVisit(ctx, v.ID, survey.SignOff{SignerName: "王强", Date: "2026-04-15"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	edit := v
	edit.Answers = survey.SampleVisitAnswers("2026-04-14", 1)
	edit.Answers["workers_on_duty"] = "90"
	edit.EditReason = "企业补报在岗人数"
	got, err := db.SaveVisit(ctx, edit)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != survey.VisitFinalized || got.SignOff != nil {
		t.Errorf("signed visit after an edit: %q, sign-off %+v; want 已完成 without it", got.Status, got.SignOff)
	}
	// Signing needs a finished visit.
	d, err := db.CreateVisit(ctx, e.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SignOffVisit(ctx, d.ID, survey.SignOff{SignerName: "王强", Date: "2026-04-15"}, nil, ""); err == nil {
		t.Error("a draft was signed off")
	}
}

// TestCreateVisitTakesRosterFigures: 职工总数 and 是否建立工会 start from
// the roster.
func TestCreateVisitTakesRosterFigures(t *testing.T) {
	db := openTest(t)
	e, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛顺丰速运有限公司", USCC: uscc("91370200MA3C56781"), Workers: 320, HasUnion: true})
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.CreateVisit(ctx, e.ID, visitForm(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Answers["workers_total"] != "320" || v.Answers["has_union"] != "yes" {
		t.Errorf("new visit answers %v", v.Answers)
	}
}
