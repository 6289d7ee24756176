package storage

import (
	"errors"
	"testing"
	"time"

	"zoufang/survey"
)

const districtDevice = "d15d1c70-0000-4000-8000-000000000001"

func openDistrict(t testing.TB) *DB {
	t.Helper()
	c := &clock{t: time.Date(2026, 4, 16, 9, 0, 0, 0, time.UTC)}
	db, err := OpenDir(t.TempDir(), Options{Now: c.now, DeviceID: districtDevice, Author: "市南区总工会"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// relay copies every version of the records from src to dst, as a bundle
// would, and returns what PutVersions did.
func relay(t testing.TB, src, dst *DB, records ...string) PutResult {
	t.Helper()
	var vs []survey.Version
	for _, id := range records {
		h, err := src.History(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, h...)
	}
	var res PutResult
	if err := dst.Update(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.PutVersions(vs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return res
}

func reviewState(t testing.TB, db *DB, visitID string) survey.ReviewState {
	t.Helper()
	info, ok, err := db.ReviewOf(ctx, visitID)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return info.State
}

func TestReviewStatesFollowTheVisit(t *testing.T) {
	lap, dis := openTest(t), openDistrict(t)
	f := visitForm(t)
	e := addEnterprise(t, lap, "青岛海信电器股份有限公司", uscc("91370200163562681"))
	v, err := lap.CreateVisit(ctx, e.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers("2026-04-15", 1)
	if v, _, err = lap.FinalizeVisit(ctx, v, f); err != nil {
		t.Fatal(err)
	}
	relay(t, lap, dis, e.ID, v.ID)
	tip, _ := dis.Tip(ctx, v.ID)
	review := func(in ReviewInput) (survey.Review, error) {
		var r survey.Review
		err := dis.Update(ctx, func(tx *Tx) error {
			var err error
			r, err = tx.SaveReview(in)
			return err
		})
		return r, err
	}

	if rows, n, err := dis.ListReviews(ctx, ReviewListQuery{}); err != nil || n != 1 || rows[0].VisitID != v.ID || rows[0].State != survey.ReviewPending || rows[0].Enterprise != e.Name {
		t.Fatalf("waiting list before any review: %+v %d %v", rows, n, err)
	}

	// Returned with a comment on one answer.
	ret := ReviewInput{VisitID: v.ID, VisitVersion: tip.VersionID, Decision: survey.ReviewReturned, Comment: "请补充谈话人数",
		Fields: []survey.FieldComment{{Path: "workers_talked", Comment: "只谈了一人？"}, {Path: "notes", Comment: "  "}}, Reviewer: "王科长"}
	r, err := review(ret)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Fields) != 1 || r.VisitVersion != tip.VersionID || r.EnterpriseID != e.ID {
		t.Errorf("review = %+v (blank field comments are dropped)", r)
	}
	if got := reviewState(t, dis, v.ID); got != survey.ReviewStateReturn {
		t.Errorf("district state %q, want returned", got)
	}
	// A second reviewer working from the same page is refused.
	if _, err := review(ret); !errors.Is(err, ErrStale) {
		t.Errorf("second review from a stale page: %v", err)
	}

	// The laptop gets it and shows 退回修改 with the comment.
	relay(t, dis, lap, survey.ReviewID(v.ID))
	info, ok, err := lap.ReviewOf(ctx, v.ID)
	if err != nil || !ok || info.State != survey.ReviewStateReturn || info.Review.FieldComment("workers_talked") != "只谈了一人？" {
		t.Fatalf("laptop review = %+v %v %v", info, ok, err)
	}
	states, _ := lap.ReviewStates(ctx)
	if states[v.ID] != survey.ReviewStateReturn {
		t.Errorf("ReviewStates = %v", states)
	}

	// The team edits the answer: 已修改待复审 on both sides.
	v.Answers["workers_talked"] = "6"
	v.EditReason = "按审核意见修改"
	if v, err = lap.SaveVisit(ctx, v); err != nil {
		t.Fatal(err)
	}
	if got := reviewState(t, lap, v.ID); got != survey.ReviewResubmitted {
		t.Errorf("laptop state after the edit %q, want resubmitted", got)
	}
	relay(t, lap, dis, v.ID)
	if got := reviewState(t, dis, v.ID); got != survey.ReviewResubmitted {
		t.Errorf("district state after the edit %q, want resubmitted", got)
	}
	if list, _ := dis.ReviewedVisits(ctx, survey.ReviewResubmitted); len(list) != 1 || list[0].Review.VisitID != v.ID {
		t.Errorf("ReviewedVisits(resubmitted) = %+v", list)
	}

	// Approving the old version is refused; the new one is approved.
	info, _, _ = dis.ReviewOf(ctx, v.ID)
	if _, err := review(ReviewInput{VisitID: v.ID, VisitVersion: tip.VersionID, BaseReview: info.VersionID, Decision: survey.ReviewApproved, Reviewer: "王科长"}); !errors.Is(err, ErrStale) {
		t.Errorf("approving a version that is no longer current: %v", err)
	}
	tip2, _ := dis.Tip(ctx, v.ID)
	if _, err := review(ReviewInput{VisitID: v.ID, VisitVersion: tip2.VersionID, BaseReview: info.VersionID, Decision: survey.ReviewApproved, Reviewer: "王科长"}); err != nil {
		t.Fatal(err)
	}
	hist, _ := dis.History(ctx, survey.ReviewID(v.ID))
	if len(hist) != 2 || len(hist[1].Parents) != 1 || hist[1].Parents[0] != hist[0].VersionID || hist[1].DeviceID != districtDevice {
		t.Errorf("review history = %+v", hist)
	}
	if counts, _ := dis.ReviewCounts(ctx); counts[survey.ReviewStateOK] != 1 || len(counts) != 1 {
		t.Errorf("counts after the approval: %v", counts)
	}
	if _, n, _ := dis.ListReviews(ctx, ReviewListQuery{}); n != 0 {
		t.Errorf("%d still waiting after the approval", n)
	}
	if rows, n, _ := dis.ListReviews(ctx, ReviewListQuery{State: survey.ReviewStateOK}); n != 1 || rows[0].Reviewer != "王科长" || rows[0].ReviewedAt.IsZero() {
		t.Errorf("approved list: %+v", rows)
	}
	relay(t, dis, lap, survey.ReviewID(v.ID))
	if got := reviewState(t, lap, v.ID); got != survey.ReviewStateOK {
		t.Errorf("laptop state %q, want approved", got)
	}
	// Recording the enterprise's signature changes no answer: still 已通过.
	if _, err := lap.SignOffVisit(ctx, v.ID, survey.SignOff{SignerName: "刘总", Date: "2026-04-17"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if got := reviewState(t, lap, v.ID); got != survey.ReviewStateOK {
		t.Errorf("after sign-off %q, want approved", got)
	}
}

func TestReviewRefusals(t *testing.T) {
	dis := openDistrict(t)
	f := visitForm(t)
	e := addEnterprise(t, dis, "青岛啤酒股份有限公司", uscc("91370200163562682"))
	v, err := dis.CreateVisit(ctx, e.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	tip, _ := dis.Tip(ctx, v.ID)
	try := func(in ReviewInput) error {
		return dis.Update(ctx, func(tx *Tx) error { _, err := tx.SaveReview(in); return err })
	}
	if err := try(ReviewInput{VisitID: v.ID, VisitVersion: tip.VersionID, Decision: survey.ReviewApproved, Reviewer: "王"}); !errors.Is(err, ErrVisitNotReviewable) {
		t.Errorf("review of a draft: %v", err)
	}
	v.Answers = survey.SampleVisitAnswers("2026-04-15", 1)
	if v, _, err = dis.FinalizeVisit(ctx, v, f); err != nil {
		t.Fatal(err)
	}
	tip, _ = dis.Tip(ctx, v.ID)
	for name, in := range map[string]ReviewInput{
		"returned without a comment":    {VisitID: v.ID, VisitVersion: tip.VersionID, Decision: survey.ReviewReturned, Reviewer: "王"},
		"bad field path":                {VisitID: v.ID, VisitVersion: tip.VersionID, Decision: survey.ReviewReturned, Fields: []survey.FieldComment{{Path: "../x", Comment: "x"}}, Reviewer: "王"},
		"no reviewer":                   {VisitID: v.ID, VisitVersion: tip.VersionID, Decision: survey.ReviewApproved},
		"base review that is not there": {VisitID: v.ID, VisitVersion: tip.VersionID, BaseReview: vid(9), Decision: survey.ReviewApproved, Reviewer: "王"},
	} {
		if err := try(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := try(ReviewInput{VisitID: vid(7), VisitVersion: vid(8), Decision: survey.ReviewApproved, Reviewer: "王"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown visit: %v", err)
	}
	if _, ok, _ := dis.ReviewOf(ctx, v.ID); ok {
		t.Error("a refused review was stored")
	}
}
