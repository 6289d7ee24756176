package app

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"

	"zoufang/survey"
)

// storedValid fails the test when the stored visit is finished but its
// answers do not pass validation.
func storedValid(t *testing.T, u *ui, s *visitScreen, when string) survey.Visit {
	t.Helper()
	v, err := u.db.Visit(context.Background(), s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != survey.VisitDraft {
		if ps := survey.Validate(s.form, v.Answers, u.now()); len(ps) > 0 {
			t.Fatalf("%s: stored visit is %s with %d problems (%v)", when, v.Status.Label(), len(ps), ps[0])
		}
	}
	return v
}

// TestFinishedVisitNeverLeftInvalid walks the path: 修改 → a
// reason → clear a required field → 返回 (instead of 完成修改), then the
// other ways out: closing the window, and 完成修改 itself. Before, the
// visit stayed 【已完成】 with "5/6" and printed with "（未填写）".
func TestFinishedVisitNeverLeftInvalid(t *testing.T) {
	u := newTestUI(t)
	s, ent := openNewVisit(t, u, "顺丰")
	finalizeWithOneDemand(t, s)
	if err := s.beginEdit("企业更正接待人"); err != nil {
		t.Fatal(err)
	}
	f := filler{t: t, fv: s.fv}
	f.text("received_by_name", "")
	waitIdle() // the autosave pause
	storedValid(t, u, s, "after clearing a required field")

	// 返回: the page asks instead of leaving.
	u.nav.back()
	if got := u.nav.current(); got != "走访记录："+ent.Name {
		t.Fatalf("返回 left the visit during an unfinished edit; now on %q", got)
	}
	ask := u.dialogs[len(u.dialogs)-1]
	// 查看问题 (the edit cannot be saved as it is) keeps the page.
	ask.trySubmit()
	waitIdle()
	if u.nav.current() != "走访记录："+ent.Name || s.editReason == "" {
		t.Fatalf("查看问题 left the page or the edit")
	}
	storedValid(t, u, s, "after 查看问题")

	// Closing the window keeps the edit aside, not in the visit.
	s.flush()
	storedValid(t, u, s, "after closing the window")
	v, _ := u.db.Visit(context.Background(), s.v.ID)
	s2 := openVisit(u, ent, v)
	waitIdle()
	if s2.editReason != "企业更正接待人" || s2.fv.answers["received_by_name"] != nil {
		t.Fatalf("reopened: editing %q, received_by_name %v; want the unfinished edit back", s2.editReason, s2.fv.answers["received_by_name"])
	}

	// 完成修改 with the field still empty: refused, nothing stored.
	test.Tap(s2.doneEditBtn)
	waitIdle()
	storedValid(t, u, s2, "after 完成修改 with a problem")
	if s2.editReason == "" {
		t.Fatal("完成修改 with a problem ended the edit")
	}

	// 返回 → 放弃修改: the visit is as before the edit.
	pages := len(u.nav.stack)
	u.nav.back()
	ask = u.dialogs[len(u.dialogs)-1]
	test.Tap(ask.extra["放弃修改"])
	waitIdle()
	if len(u.nav.stack) != pages-1 {
		t.Error("放弃修改 on 返回 stayed on the visit")
	}
	got := storedValid(t, u, s2, "after 放弃修改")
	if got.Answers["received_by_name"] != "王经理" || got.Status != survey.VisitFinalized {
		t.Errorf("after 放弃修改: %s, received_by_name %v", got.Status.Label(), got.Answers["received_by_name"])
	}
	if raw, _ := u.db.Setting(context.Background(), editKey(s2.v.ID)); raw != "" {
		t.Errorf("the discarded edit is still kept: %s", raw)
	}
}

// TestEditReachesTheVisitOnlyWhenValid: a valid edit is stored by 完成修改
// with its reason, and a signed visit goes back to 已完成.
func TestEditReachesTheVisitOnlyWhenValid(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	finalizeWithOneDemand(t, s)
	s.signOff(survey.SignOff{SignerName: "王经理", Date: "2026-04-15"}, nil, "")
	waitIdle()
	if s.v.Status != survey.VisitSigned {
		t.Fatalf("not signed: %q", s.message.Text)
	}
	if err := s.beginEdit("企业补报在岗人数"); err != nil {
		t.Fatal(err)
	}
	f := filler{t: t, fv: s.fv}
	f.text("workers_on_duty", "105")
	waitIdle()
	if v := storedValid(t, u, s, "during the edit"); v.Answers["workers_on_duty"] == "105" {
		t.Fatal("the edit reached the visit before 完成修改")
	}
	test.Tap(s.doneEditBtn)
	waitIdle()
	v := storedValid(t, u, s, "after 完成修改")
	if v.Answers["workers_on_duty"] != "105" || v.EditReason != "企业补报在岗人数" || v.Status != survey.VisitFinalized || v.SignOff != nil {
		t.Errorf("stored %s, workers_on_duty %v, reason %q, sign-off %v", v.Status.Label(), v.Answers["workers_on_duty"], v.EditReason, v.SignOff)
	}
}
