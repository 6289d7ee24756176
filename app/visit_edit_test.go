package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"zoufang/storage"
	"zoufang/survey"
)

// openNewVisit creates a draft for the enterprise matching text and opens
// its screen.
func openNewVisit(t *testing.T, u *ui, text string) (*visitScreen, survey.Enterprise) {
	t.Helper()
	ctx := context.Background()
	ents, err := u.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Text: text, Limit: 2})
	if err != nil || len(ents) != 1 {
		t.Fatalf("find %s: %v %v", text, ents, err)
	}
	startVisit(u, ents[0])
	waitIdle()
	return visitOnTop(t, u), ents[0]
}

// finalizeWithOneDemand fills the visit validly with one demand and
// finalizes it.
func finalizeWithOneDemand(t *testing.T, s *visitScreen) {
	t.Helper()
	f := filler{t: t, fv: s.fv}
	fillValidVisit(f)
	f.goTo("demands")
	test.Tap(s.fv.addBtns["demands"])
	f.choose("demands[0].demand_category", "hours_overtime")
	f.text("demands[0].demand_description", "节后连续加班未安排调休")
	f.text("demands[0].demand_workers_affected", "30")
	test.Tap(s.finalizeBtn)
	waitIdle()
	if s.v.Status != survey.VisitFinalized {
		t.Fatalf("not finalized: %q, %v", s.message.Text, s.fv.problems)
	}
}

func TestVisitEditAfterFinalizeNeedsReason(t *testing.T) {
	u := newTestUI(t)
	ctx := context.Background()
	s, _ := openNewVisit(t, u, "顺丰")
	finalizeWithOneDemand(t, s)
	before, err := u.db.History(ctx, s.v.ID)
	if err != nil {
		t.Fatal(err)
	}

	s.beginEdit("   ")
	if s.editReason != "" || !s.fv.readOnly {
		t.Fatalf("edit started without a reason")
	}
	s.beginEdit("企业补充了在岗人数")
	if s.fv.readOnly || !s.doneEditBtn.Visible() {
		t.Fatalf("form still read-only after giving a reason")
	}
	f := filler{t: t, fv: s.fv}
	f.text("workers_on_duty", "110")
	waitIdle()
	test.Tap(s.doneEditBtn)
	waitIdle()
	if s.editReason != "" || !s.fv.readOnly {
		t.Errorf("still editing after 完成修改: %q", s.message.Text)
	}
	v, err := u.db.Visit(ctx, s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != survey.VisitFinalized || v.Answers["workers_on_duty"] != "110" {
		t.Errorf("stored %q with workers_on_duty %v, want finalized with 110", v.Status, v.Answers["workers_on_duty"])
	}
	after, err := u.db.History(ctx, s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) <= len(before) {
		t.Errorf("history %d versions after the edit, %d before: want new versions", len(after), len(before))
	}
	items, err := u.db.LedgerItems(ctx, storage.LedgerFilter{VisitID: s.v.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Errorf("%d ledger items after re-finalizing, want still 1", len(items))
	}
}

func TestVisitSignOff(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	if s.signBtn.Visible() {
		t.Errorf("sign-off offered on a draft")
	}
	finalizeWithOneDemand(t, s)
	tests := []struct {
		name    string
		so      survey.SignOff
		wantErr bool
	}{
		{name: "no signer", so: survey.SignOff{Date: "2026-04-15"}, wantErr: true},
		{name: "bad date", so: survey.SignOff{SignerName: "王经理", Date: "4月15日"}, wantErr: true},
		{name: "ok", so: survey.SignOff{SignerName: "王经理", SignerTitle: "人力资源部经理", Date: "2026-04-15"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.signOff(tc.so, []byte("\x89PNG fake scan"), "image/png")
			waitIdle()
			failed := strings.HasPrefix(s.message.Text, "签字确认失败")
			if failed != tc.wantErr {
				t.Fatalf("message %q, want error %v", s.message.Text, tc.wantErr)
			}
		})
	}
	v, err := u.db.Visit(context.Background(), s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != survey.VisitSigned || v.SignOff == nil || v.SignOff.SignerName != "王经理" || v.SignOff.PhotoID == "" {
		t.Fatalf("stored %q, sign-off %+v", v.Status, v.SignOff)
	}
	if s.status.Text != "【已签字确认】" || s.signBtn.Visible() {
		t.Errorf("status %q, sign button shown %v", s.status.Text, s.signBtn.Visible())
	}

	// 打印 writes the visit record as a PDF into the data directory.
	test.Tap(s.printBtn)
	waitIdle()
	pdfs, err := filepath.Glob(filepath.Join(u.printDir(), "*.pdf"))
	if err != nil || len(pdfs) != 1 {
		t.Fatalf("PDFs after 打印: %v %v", pdfs, err)
	}
	if b, err := os.ReadFile(pdfs[0]); err != nil || !strings.HasPrefix(string(b), "%PDF") {
		t.Errorf("%s is not a PDF (%v)", pdfs[0], err)
	}
}

func TestVisitResumesSection(t *testing.T) {
	u := newTestUI(t)
	s, ent := openNewVisit(t, u, "顺丰")
	f := filler{t: t, fv: s.fv}
	f.text("hardship_workers", "3") // opens 七、困难职工帮扶
	waitIdle()

	v, err := u.db.Visit(context.Background(), s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	openVisit(u, ent, v)
	waitIdle()
	s2 := visitOnTop(t, u)
	if got := s2.fv.sections[s2.fv.cur].name; got != "hardship" {
		t.Errorf("resumed on section %q, want hardship", got)
	}
	if got := s2.fv.widgets["hardship_workers"].(*entry).Text; got != "3" {
		t.Errorf("resumed hardship_workers %q, want 3", got)
	}
	// The follow-up questions of a positive count are shown.
	if !s2.fv.rows["hardship_to_archive"].Visible() {
		t.Errorf("hardship_to_archive hidden although 3 workers are in hardship")
	}
}

func TestVisitCtrlSConfirmsSaving(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	f := filler{t: t, fv: s.fv}
	f.text("team_members", "张伟")
	waitIdle()
	e := s.fv.widgets["team_members"].(*entry)
	u.win.Canvas().Focus(e)
	e.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
	if got := u.nav.note.Text; got != "已自动保存，无需手动保存" {
		t.Errorf("status after Ctrl+S %q", got)
	}
	if !strings.HasPrefix(s.saveState.Text, "已保存 ") {
		t.Errorf("indicator %q", s.saveState.Text)
	}
	if e.Text != "张伟" {
		t.Errorf("Ctrl+S changed the text to %q", e.Text)
	}
}

func TestEnterpriseQuestionnaire(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	test.Tap(s.entQuestBtn)
	waitIdle()
	if got := u.nav.current(); got != "经营者问卷" {
		t.Fatalf("page %q, want 经营者问卷", got)
	}
	p, ok := u.nav.stack[len(u.nav.stack)-1].content.(*screenPage[*questionnaire])
	if !ok {
		t.Fatal("not a questionnaire page")
	}
	q := p.screen
	f := filler{t: t, fv: q.fv}
	f.choose("rec_bargaining", "5")
	f.choose("rec_service", "4")
	test.Tap(q.submitBtn)
	waitIdle()
	if got := u.nav.current(); !strings.HasPrefix(got, "走访记录") {
		t.Errorf("after submit the page is %q, want the visit", got)
	}
	rs, err := u.db.Responses(context.Background(), storage.ResponseFilter{VisitID: s.v.ID, Kind: survey.RespondentManager})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Answers["rec_bargaining"] != "5" {
		t.Fatalf("responses %+v", rs)
	}
	if !strings.Contains(s.responses.Text, "经营者问卷 1 份") {
		t.Errorf("visit counts %q", s.responses.Text)
	}
}

func TestVisitAutosaveFailureShown(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	waitIdle()
	u.db.Close() // the disk went away
	f := filler{t: t, fv: s.fv}
	f.text("team_members", "张伟")
	waitIdle()
	if got := s.saveState.Text; !strings.HasPrefix(got, "保存失败：") {
		t.Errorf("indicator %q, want 保存失败：…", got)
	}
}

func TestQuestionnaireModeLargeTextAndPIN(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	normal := u.app.Settings().Theme().Size(theme.SizeNameText)
	q := startWorkerQuestionnaire(u, s.v)
	if q == nil {
		t.Fatal("questionnaire mode did not start")
	}
	waitIdle()
	if got := u.app.Settings().Theme().Size(theme.SizeNameText); got <= normal {
		t.Errorf("text size %v in questionnaire mode, want larger than %v", got, normal)
	}
	if u.win.Content() != q.content {
		t.Errorf("window shows more than the questionnaire")
	}
	tests := []struct {
		pin      string
		wantLeft bool
	}{
		{"", false}, {"1234", false}, {testPIN + "0", false}, {testPIN, true},
	}
	for _, tc := range tests {
		if got := q.tryExit(tc.pin); got != tc.wantLeft {
			t.Errorf("tryExit(%q) = %v, want %v", tc.pin, got, tc.wantLeft)
		}
		if !tc.wantLeft && (!u.nav.isFull || !strings.Contains(q.message.Text, "密码不正确")) {
			t.Errorf("after wrong PIN %q: full %v, message %q", tc.pin, u.nav.isFull, q.message.Text)
		}
	}
	if got := u.app.Settings().Theme().Size(theme.SizeNameText); got != normal {
		t.Errorf("text size %v after leaving, want %v", got, normal)
	}
	if got := u.nav.current(); !strings.HasPrefix(got, "走访记录") {
		t.Errorf("after leaving the page is %q, want the visit", got)
	}
}

func TestVisitClosingWindowSavesLastKeystrokes(t *testing.T) {
	u := newTestUI(t)
	s, _ := openNewVisit(t, u, "顺丰")
	f := filler{t: t, fv: s.fv}
	f.text("team_members", "张伟、李娜")
	s.flush() // what closing the window runs, before the autosave pause is over
	v, err := u.db.Visit(context.Background(), s.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Answers["team_members"]; got != "张伟、李娜" {
		t.Errorf("stored team_members %v right after closing, want 张伟、李娜", got)
	}
	waitIdle()
}
