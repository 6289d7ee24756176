package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"zoufang/storage"
	"zoufang/survey"
)

// viewport returns the window rectangle of the visit form's scroll area.
func viewport(fv *formView) (top, bottom float32) {
	d := fyne.CurrentApp().Driver()
	p := d.AbsolutePositionForObject(fv.scroll)
	return p.Y, p.Y + fv.scroll.Size().Height
}

// TestTabShowsTheFocusedField presses Tab through long sections at each
// screen size: the focused input must be inside the visible part of the
// form every time. Before, Tab moved into fields off-screen and left them
// there.
func TestTabShowsTheFocusedField(t *testing.T) {
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			u := sizedUI(t, sz.size, sz.large)
			s, _ := openNewVisit(t, u, "顺丰")
			c := u.win.Canvas()
			d := fyne.CurrentApp().Driver()
			for _, sec := range []string{"basic", "labour", "risk"} {
				s.fv.showSection(s.fv.sectionByName(sec))
				settle(u)
				s.fv.focusPath(s.fv.order[0])
				settle(u)
				for i := range 40 {
					c.FocusNext() // the focused input scrolls itself into view (no layout needed)
					f := c.Focused()
					o, ok := f.(fyne.CanvasObject)
					if !ok || f == nil {
						t.Fatalf("%s: nothing focused after %d Tabs", sec, i+1)
					}
					if !inForm(s.fv, o) {
						break // left the form (the section list is next)
					}
					top, bottom := viewport(s.fv)
					p := d.AbsolutePositionForObject(o)
					if p.Y < top-1 || p.Y+o.Size().Height > bottom+1 {
						t.Fatalf("%s, Tab %d: focused %T at y %.0f..%.0f, visible part of the form %.0f..%.0f",
							sec, i+1, f, p.Y, p.Y+o.Size().Height, top, bottom)
					}
				}
			}
		})
	}
}

// inForm reports whether o is inside the form's scroll content.
func inForm(fv *formView, o fyne.CanvasObject) bool {
	found := false
	var walk func(x fyne.CanvasObject)
	walk = func(x fyne.CanvasObject) {
		if found {
			return
		}
		if x == o {
			found = true
			return
		}
		switch w := x.(type) {
		case *fyne.Container:
			for _, ch := range w.Objects {
				walk(ch)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(w).Objects() {
				walk(ch)
			}
		}
	}
	walk(fv.body)
	return found
}

// TestTabPutsTheCursorAfterTheText: typing after Tab adds to what is there
// ("人事经理" + "TEST"); before, the cursor sat at the start and the visit
// record read "TEST人事经理", and "6" + "7" became "76".
func TestTabPutsTheCursorAfterTheText(t *testing.T) {
	u := newTestUI(t)
	s, ent := openNewVisit(t, u, "顺丰")
	f := filler{t: t, fv: s.fv}
	f.text("received_by_name", "王经理")
	f.text("received_by_title", "人事经理")
	f.text("workers_interviewed", "6")
	// Reopen: the inputs now start with stored text, as on the next day.
	waitIdle()
	v, err := u.db.Visit(context.Background(), s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	s = openVisit(u, ent, v)
	c := u.win.Canvas()
	c.Focus(s.fv.widgets["received_by_name"].(*entry))
	c.FocusNext()
	typeFocused(c, "TEST")
	c.FocusNext()
	typeFocused(c, "7")
	if got := s.fv.answers["received_by_title"]; got != "人事经理TEST" {
		t.Errorf("received_by_title %q, want 人事经理TEST", got)
	}
	if got := s.fv.answers["workers_interviewed"]; got != "67" {
		t.Errorf("workers_interviewed %q, want 67", got)
	}
}

// TestDialogKeys: Enter confirms a dialog and Esc cancels it, from an
// input or with nothing focused; an empty reason is refused inside the
// dialog, which stays open.
func TestDialogKeys(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	finalizeWithOneDemand(t, s)

	d := s.askEdit()
	reason := d.focus.(*entry)
	if u.win.Canvas().Focused() != reason {
		t.Fatalf("focus %T, want the reason entry", u.win.Canvas().Focused())
	}
	reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // empty
	if !d.open || s.editReason != "" || d.errLabel.Text != "请填写修改原因" || !d.errLabel.Visible() {
		t.Fatalf("empty reason: open %v, editing %q, dialog says %q", d.open, s.editReason, d.errLabel.Text)
	}
	reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if d.open || s.editReason != "" {
		t.Fatalf("Esc: dialog open %v, editing %q", d.open, s.editReason)
	}

	d = s.askEdit()
	test.Type(d.focus.(*entry), "企业补报在岗人数")
	d.focus.(*entry).TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if d.open || s.editReason != "企业补报在岗人数" {
		t.Fatalf("Enter: dialog open %v, editing %q", d.open, s.editReason)
	}

	// Nothing focused: the window passes Enter and Esc to the dialog.
	d = u.confirm("测试", "确定吗？", "确定", func() {})
	u.win.Canvas().Unfocus()
	u.onTypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if d.open {
		t.Error("Esc with nothing focused left the dialog open")
	}
	yes := false
	d = u.confirm("测试", "确定吗？", "确定", func() { yes = true })
	u.onTypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if d.open || !yes {
		t.Errorf("Enter with nothing focused: open %v, confirmed %v", d.open, yes)
	}
}

// TestQuestionnaireExitDialog: the PIN dialog is wide enough to type in,
// Enter tries the PIN, a wrong one is said inside the dialog.
func TestQuestionnaireExitDialog(t *testing.T) {
	u := sizedUI(t, fyne.NewSize(1024, 600), false)
	s, _ := openNewVisit(t, u, "顺丰")
	q := startWorkerQuestionnaire(u, s.v)
	waitIdle()
	q.askExit()
	settle(u)
	if w := q.pinEntry.Size().Width; w < 200 {
		t.Errorf("PIN entry %.0f px wide", w)
	}
	test.Type(q.pinEntry, "0000")
	q.pinEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !q.pinDialog.open || !strings.Contains(q.pinDialog.errLabel.Text, "密码不正确") || !u.nav.isFull {
		t.Fatalf("wrong PIN: dialog open %v, says %q, still full screen %v", q.pinDialog.open, q.pinDialog.errLabel.Text, u.nav.isFull)
	}
	test.Type(q.pinEntry, testPIN)
	q.pinEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if q.pinDialog.open || u.nav.isFull {
		t.Fatalf("right PIN: dialog open %v, full screen %v", q.pinDialog.open, u.nav.isFull)
	}
}

// TestBannersFollowTheAnswers: the count after a failed finalize goes down
// as questions are answered (it stayed at "还有 21 处" before).
func TestBannersFollowTheAnswers(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	test.Tap(s.finalizeBtn)
	waitIdle()
	before := s.message.Text
	f := filler{t: t, fv: s.fv}
	f.text("team_members", "张伟")
	if s.message.Text == before || !strings.Contains(s.message.Text, "还有") {
		t.Errorf("message %q after answering one question, was %q", s.message.Text, before)
	}
	fillValidVisit(f)
	if !strings.Contains(s.message.Text, "已全部填写") {
		t.Errorf("message %q with everything answered", s.message.Text)
	}
}

// TestStatusNoteKeepsTheName: a message in the top bar does not replace
// the investigator, and goes with the next page.
func TestStatusNoteKeepsTheName(t *testing.T) {
	u := newTestUI(t)
	u.nav.say("已自动保存，无需手动保存")
	if u.nav.who.Text != testName+" · 市南区" || !u.nav.note.Visible() {
		t.Fatalf("top bar: who %q, note shown %v", u.nav.who.Text, u.nav.note.Visible())
	}
	showSettings(u)
	if u.nav.note.Visible() || u.nav.who.Text != testName+" · 市南区" {
		t.Errorf("after a page change: who %q, note shown %v", u.nav.who.Text, u.nav.note.Visible())
	}
}

// TestDateInputAcceptsCommonForms: 2026-4-5, 2026.4.5, 2026/4/5 and
// 2026年4月5日 are stored as 2026-04-05 and shown so after leaving the
// field; the calendar picks a day.
func TestDateInputAcceptsCommonForms(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	f := filler{t: t, fv: s.fv}
	e := f.widget("visit_date").(*entry)
	if e.PlaceHolder != survey.DayHint {
		t.Errorf("hint %q", e.PlaceHolder)
	}
	for _, in := range []string{"2026-4-5", "2026.4.5", "2026/4/5", "2026年4月5日"} {
		f.text("visit_date", in)
		if got := s.fv.answers["visit_date"]; got != "2026-04-05" {
			t.Errorf("typed %q, stored %v", in, got)
		}
		if msg := f.errorText("visit_date"); msg != "" {
			t.Errorf("typed %q, error %q", in, msg)
		}
	}
	u.win.Canvas().Focus(e)
	u.win.Canvas().Unfocus()
	if e.Text != "2026-04-05" {
		t.Errorf("field shows %q after leaving it", e.Text)
	}
	f.text("visit_date", "2026-2-30")
	if msg := f.errorText("visit_date"); msg == "" {
		t.Error("no error for 2026-2-30")
	}
	test.Tap(s.fv.dateBtns["visit_date"])
	picker := s.fv.picker
	if picker == nil || picker.heading.Text != "2026年4月" {
		t.Fatalf("calendar heading %v", picker)
	}
	test.Tap(picker.days["2026-04-20"])
	if got := s.fv.answers["visit_date"]; got != "2026-04-20" {
		t.Errorf("picked 2026-04-20, stored %v", got)
	}
	if len(u.dialogs) != 0 {
		t.Error("calendar still open after a pick")
	}
}

// TestAnonymousQuestionnaireRefusesAPhoneNumber shows the domain rule on
// the screen.
func TestAnonymousQuestionnaireRefusesAPhoneNumber(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	q := startWorkerQuestionnaire(u, s.v)
	waitIdle()
	f := filler{t: t, fv: q.fv}
	f.choose("awareness", "know")
	f.choose("participated", "yes")
	for _, k := range []string{"sat_wages", "sat_protection", "sat_democracy", "sat_bargaining", "sat_services", "sat_overall"} {
		f.choose(k, "4")
	}
	f.text("comment", "有问题打我电话 138 1234 5678")
	test.Tap(q.submitBtn)
	waitIdle()
	if q.collected != 0 || !strings.Contains(f.errorText("comment"), "匿名") {
		t.Fatalf("collected %d, comment error %q", q.collected, f.errorText("comment"))
	}
	f.text("comment", "希望食堂改善伙食")
	test.Tap(q.submitBtn)
	waitIdle()
	if q.collected != 1 {
		t.Errorf("collected %d after removing the number (%q)", q.collected, q.message.Text)
	}
	rs, _ := u.db.Responses(context.Background(), storage.ResponseFilter{VisitID: s.v.ID})
	for _, r := range rs {
		if c, _ := r.Answers["comment"].(string); strings.Contains(c, "138") {
			t.Errorf("stored comment %q", c)
		}
	}
	q.tryExit(testPIN)
}

// typeFocused types s into whatever has the focus, as the keyboard does.
func typeFocused(c fyne.Canvas, s string) {
	for _, r := range s {
		c.Focused().TypedRune(r)
	}
}
