package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"zoufang/storage"
	"zoufang/survey"
)

// visitOnTop returns the visit screen shown by the navigator.
func visitOnTop(t *testing.T, u *ui) *visitScreen {
	t.Helper()
	if len(u.nav.stack) == 0 {
		t.Fatal("no page shown")
	}
	p, ok := u.nav.stack[len(u.nav.stack)-1].content.(*screenPage[*visitScreen])
	if !ok {
		t.Fatalf("page %q is not a visit screen", u.nav.current())
	}
	return p.screen
}

// filler drives the named widgets of a form view the way a user would:
// it opens the field's section in the section list, then types or picks.
type filler struct {
	t  *testing.T
	fv *formView
}

// goTo opens the section of path in the section list.
func (f filler) goTo(path string) {
	if i := f.fv.sectionIndex(path); i != f.fv.cur && !f.fv.single {
		f.fv.sectionList.Select(i)
	}
}

func (f filler) widget(path string) any {
	f.t.Helper()
	f.goTo(path)
	w, ok := f.fv.widgets[path]
	if !ok {
		f.t.Fatalf("no widget for %s in section %q", path, f.fv.sections[f.fv.cur].title)
	}
	return w
}

// text types s into the entry at path, replacing what was there.
func (f filler) text(path, s string) {
	f.t.Helper()
	e, ok := f.widget(path).(*entry)
	if !ok {
		f.t.Fatalf("%s is %T, want an entry", path, f.fv.widgets[path])
	}
	e.SetText("")
	test.Type(e, s)
}

// choose picks the choices with these values (one for select_one).
func (f filler) choose(path string, values ...string) {
	f.t.Helper()
	fd := f.fv.form.Lookup(path[strings.LastIndexByte(path, '.')+1:])
	var labels []string
	for _, v := range values {
		labels = append(labels, fd.ChoiceLabel(v))
	}
	switch w := f.widget(path).(type) {
	case *choiceGroup:
		w.SetSelected(labels...)
	case *focusSelect:
		w.SetSelected(labels[0])
	default:
		f.t.Fatalf("%s is %T, want a choice widget", path, w)
	}
}

// errorText is the inline error shown under path ("" when hidden).
func (f filler) errorText(path string) string {
	f.t.Helper()
	f.widget(path)
	l := f.fv.errLabels[path]
	if l == nil || !l.Visible() {
		return ""
	}
	return l.Text
}

// fillValidVisit answers every required question of the visit form
// (except the demands) with a consistent set of answers.
func fillValidVisit(f filler) {
	f.text("visit_date", "2026-04-15")
	f.text("team_members", "张伟、李娜")
	f.choose("partner_departments", "renshe")
	f.text("received_by_name", "王经理")
	f.text("received_by_title", "人力资源部经理")
	f.text("workers_interviewed", "6")
	f.choose("resumption_state", "full")
	f.text("workers_total", "120")
	f.text("workers_on_duty", "100")
	for path, v := range map[string]string{"wages_paid": "full", "shutdown_pay": "na", "layoff_plan": "none",
		"emergency_overtime": "no", "social_insurance": "normal", "has_union": "yes", "congress": "regular",
		"congress_procedure": "yes", "openness": "no", "wage_bargaining": "held", "joins_april_offer": "yes",
		"mental_health_clause": "no", "ppe_adequate": "yes", "counselling_need": "none",
		"mental_station_candidate": "no", "risk_level": "low", "risk_immediate_report": "no",
		"legal_aid_needed": "no", "followup_needed": "no"} {
		f.choose(path, v)
	}
	f.choose("contracts", "comprehensive", "wage")
	f.text("hardship_workers", "0")
}

func TestVisitWorkflow(t *testing.T) {
	u := newTestUI(t)
	ctx := context.Background()

	// Search the roster and start a visit.
	r := showRoster(u)
	waitIdle()
	test.Type(r.search, "顺丰")
	waitIdle()
	if len(r.results) != 1 {
		t.Fatalf("results %q, want the one 顺丰 enterprise", resultNames(r))
	}
	ent := r.results[0]
	r.list.Select(0)
	waitIdle()
	test.Tap(r.detail.startBtn)
	waitIdle()
	s := visitOnTop(t, u)
	if got := u.nav.current(); got != "走访记录："+ent.Name {
		t.Errorf("page title %q, want 走访记录：%s", got, ent.Name)
	}
	if got, want := s.status.Text, "【草稿】"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	f := filler{t: t, fv: s.fv}

	// A constraint error shows under the field once it is touched.
	f.text("workers_total", "50")
	f.text("workers_on_duty", "80")
	if got := f.errorText("workers_on_duty"); got == "" {
		t.Errorf("no error under workers_on_duty for 80 on duty of 50")
	}
	if got := f.errorText("team_members"); got != "" {
		t.Errorf("untouched team_members shows %q", got)
	}
	// Relevance: the capacity question appears only for 部分复工.
	f.choose("resumption_state", "partial")
	if !s.fv.rows["capacity_percent"].Visible() {
		t.Errorf("capacity_percent hidden for partial resumption")
	}
	f.choose("resumption_state", "full")
	if s.fv.rows["capacity_percent"].Visible() {
		t.Errorf("capacity_percent shown for full resumption")
	}

	// Finalizing with problems jumps to the first one and keeps the draft.
	test.Tap(s.finalizeBtn)
	waitIdle()
	if got := s.fv.sections[s.fv.cur].name; got != "basic" {
		t.Errorf("after a failed finalize the form shows %q, want basic (first problem)", got)
	}
	if !strings.Contains(s.message.Text, "处需要填写或修改") {
		t.Errorf("message %q lacks the problem count", s.message.Text)
	}
	if got := f.errorText("team_members"); got != "此项为必填项" {
		t.Errorf("team_members error %q after failed finalize, want 此项为必填项", got)
	}

	fillValidVisit(f)
	if got := f.errorText("workers_on_duty"); got != "" {
		t.Errorf("workers_on_duty still shows %q after fixing", got)
	}

	// Two demands; the second stays off the ledger... then is put back.
	f.goTo("demands")
	test.Tap(s.fv.addBtns["demands"])
	test.Tap(s.fv.addBtns["demands"])
	test.Tap(s.fv.addBtns["demands"])
	s.fv.removeItemAt("demands", 2)
	for i, d := range []struct{ cat, desc, n string }{
		{"wages", "三月份工资推迟发放十天", "40"},
		{"safety_epidemic", "车间口罩和消毒液供应不足", "25"},
	} {
		p := "demands[" + string(rune('0'+i)) + "]."
		f.choose(p+"demand_category", d.cat)
		f.text(p+"demand_description", d.desc)
		f.text(p+"demand_workers_affected", d.n)
	}
	if got := len(s.fv.answers["demands"].([]survey.Answers)); got != 2 {
		t.Fatalf("%d demands, want 2", got)
	}
	if got := s.fv.calcs["demand_count"].Text; got != "2" {
		t.Errorf("demand_count shows %q, want 2", got)
	}
	if len(s.fv.problems) != 0 {
		t.Fatalf("problems left before finalize: %v", s.fv.problems)
	}
	waitIdle()
	if s.saved == 0 || !strings.HasPrefix(s.saveState.Text, "已保存 ") {
		t.Errorf("autosave: %d saves, indicator %q", s.saved, s.saveState.Text)
	}
	draft, err := u.db.Visit(ctx, s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := draft.Answers["workers_on_duty"]; got != "100" {
		t.Errorf("autosaved workers_on_duty = %v, want 100", got)
	}

	test.Tap(s.finalizeBtn)
	waitIdle()
	if s.v.Status != survey.VisitFinalized {
		t.Fatalf("status %q after finalize (message %q)", s.v.Status, s.message.Text)
	}
	if !s.fv.readOnly || s.finalizeBtn.Visible() || !s.editBtn.Visible() || !s.signBtn.Visible() {
		t.Errorf("after finalize: readOnly %v, finalize shown %v, edit shown %v", s.fv.readOnly, s.finalizeBtn.Visible(), s.editBtn.Visible())
	}
	if !strings.Contains(s.ledger.Text, "（2 项）") {
		t.Errorf("ledger list %q, want 2 items", s.ledger.Text)
	}

	// Reopen: a fresh screen shows the saved answers, read-only.
	v, err := u.db.Visit(ctx, s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	openVisit(u, ent, v)
	waitIdle()
	s2 := visitOnTop(t, u)
	f2 := filler{t: t, fv: s2.fv}
	if got := f2.widget("workers_on_duty").(*entry).Text; got != "100" {
		t.Errorf("reopened workers_on_duty %q, want 100", got)
	}
	if got := f2.widget("demands[1].demand_description").(*entry).Text; got != "车间口罩和消毒液供应不足" {
		t.Errorf("reopened second demand %q", got)
	}
	if !f2.widget("team_members").(*entry).Disabled() {
		t.Errorf("finalized visit is editable without a reason")
	}

	// Two questionnaire responses, then leave only with the PIN.
	test.Tap(s2.questBtn)
	waitIdle()
	q, ok := u.win.Content().(*screenPage[*questionnaire])
	if !ok {
		t.Fatalf("window shows %T, want the questionnaire", u.win.Content())
	}
	qs := q.screen
	if !u.nav.isFull {
		t.Errorf("questionnaire mode is not full screen")
	}
	qf := filler{t: t, fv: qs.fv}
	test.Tap(qs.submitBtn) // empty: refused
	waitIdle()
	if qs.collected != 0 || !strings.Contains(qs.message.Text, "需要作答") {
		t.Errorf("empty submit: collected %d, message %q", qs.collected, qs.message.Text)
	}
	for i, sat := range []string{"5", "3"} {
		qf.choose("awareness", "know")
		qf.choose("participated", "yes")
		for _, k := range []string{"sat_wages", "sat_protection", "sat_democracy", "sat_bargaining", "sat_services", "sat_overall"} {
			qf.choose(k, sat)
		}
		test.Tap(qs.submitBtn)
		waitIdle()
		if qs.collected != i+1 {
			t.Fatalf("after response %d: collected %d (message %q)", i+1, qs.collected, qs.message.Text)
		}
		if got := qf.widget("awareness").(*choiceGroup).Selected; len(got) != 0 {
			t.Errorf("form not cleared for the next worker: awareness %q", got)
		}
	}
	if !strings.Contains(qs.count.Text, "2 份") {
		t.Errorf("count %q", qs.count.Text)
	}
	test.Tap(qs.exitBtn)
	test.Type(qs.pinEntry, "0000")
	if qs.tryExit(qs.pinEntry.Text) || !u.nav.isFull {
		t.Fatalf("left questionnaire mode with a wrong PIN")
	}
	if !qs.tryExit(testPIN) || u.nav.isFull {
		t.Fatalf("still in questionnaire mode after the right PIN")
	}
	waitIdle()
	if !strings.Contains(s2.responses.Text, "职工问卷 2 份") {
		t.Errorf("visit screen counts %q", s2.responses.Text)
	}

	// Storage afterwards.
	v, err = u.db.Visit(ctx, s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != survey.VisitFinalized {
		t.Errorf("stored status %q, want finalized", v.Status)
	}
	items, err := u.db.LedgerItems(ctx, storage.LedgerFilter{VisitID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Errorf("%d ledger items, want 2", len(items))
	}
	rs, err := u.db.Responses(ctx, storage.ResponseFilter{VisitID: v.ID, Kind: survey.RespondentWorker})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d responses, want 2", len(rs))
	}
	for _, r := range rs {
		if r.EnterpriseID != ent.ID || r.Date != "2026-04-15" {
			t.Errorf("response %+v: want enterprise %s, date 2026-04-15", r, ent.ID)
		}
	}
}
