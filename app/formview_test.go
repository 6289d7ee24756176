package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"zoufang/survey"
)

// newTestFormView renders the campaign's visit form in a test window.
func newTestFormView(t *testing.T, single bool) *formView {
	t.Helper()
	u := newTestUI(t)
	f, ok := u.forms.Latest(u.campaign.Forms.Visit.ID)
	if !ok {
		t.Fatal("no visit form")
	}
	fv := newFormView(f, nil, testNow, u, single)
	u.win.SetContent(fv.content)
	return fv
}

func TestFormViewSections(t *testing.T) {
	fv := newTestFormView(t, false)
	var names []string
	for _, s := range fv.sections {
		names = append(names, s.name)
	}
	want := []string{"basic", "operation", "labour", "democracy", "bargaining", "demands", "hardship", "safety", "risk", "measures", "signoff"}
	if len(names) != len(want) {
		t.Fatalf("sections %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("section %d = %q, want %q", i, names[i], want[i])
		}
	}
	// demand_count, a loose top-level calculate after the repeat, joins
	// the demands page.
	if got := fv.sections[fv.sectionIndex("demand_count")].name; got != "demands" {
		t.Errorf("demand_count is on page %q, want demands", got)
	}
	// Completion: visit_mode has a default, so 1 of the 6 required basic
	// questions is answered at the start.
	if got, want := fv.sectionSummary(0), "一、基本信息　1/6"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestFormViewInputs(t *testing.T) {
	tests := []struct {
		path string
		want string // widget type
	}{
		{"visit_date", "entry"},
		{"team_members", "entry"},
		{"partner_departments", "options, multiple"},
		{"visit_mode", "options, single"},
		{"resumption_state", "options, single"}, // 5 choices
		{"difficulties", "options, multiple"},
		{"difficulties_note", "entry"},
		{"on_duty_percent", "label"},
		{"risk_level", "options, single"},
	}
	fv := newTestFormView(t, true) // every section on one page
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			w, ok := fv.widgets[tc.path]
			if !ok {
				t.Fatalf("no widget for %s", tc.path)
			}
			if got := typeName(w); got != tc.want {
				t.Errorf("%s is %s, want %s", tc.path, got, tc.want)
			}
		})
	}
	// A repeat item's select with 9 choices is a drop-down.
	fv.addItem(fv.form.Lookup("demands"), "demands", fv.answers)
	if got := typeName(fv.widgets["demands[0].demand_category"]); got != "drop-down" {
		t.Errorf("demand_category is %s, want a drop-down", got)
	}
	if got := fv.answers["demands"].([]survey.Answers)[0]["demand_to_ledger"]; got != "yes" {
		t.Errorf("new demand demand_to_ledger = %v, want the default yes", got)
	}
}

func typeName(o fyne.CanvasObject) string {
	switch w := o.(type) {
	case *entry:
		return "entry"
	case *choiceGroup:
		if w.multi {
			return "options, multiple"
		}
		return "options, single"
	case *focusSelect:
		return "drop-down"
	case *widget.Label:
		return "label"
	}
	return "other"
}

func TestFormViewRelevanceAndErrors(t *testing.T) {
	tests := []struct {
		name     string
		fill     func(f filler)
		path     string
		shown    bool
		errWant  string // "" = no error; "*" = any error
		readPath string // field whose error is read (default path)
	}{
		{name: "capacity hidden by default", fill: func(f filler) {}, path: "capacity_percent", shown: false},
		{name: "capacity shown for partial", fill: func(f filler) { f.choose("resumption_state", "partial") }, path: "capacity_percent", shown: true},
		{name: "capacity over 100", fill: func(f filler) {
			f.choose("resumption_state", "partial")
			f.text("capacity_percent", "120")
		}, path: "capacity_percent", shown: true, errWant: "*"},
		{name: "on duty over total", fill: func(f filler) {
			f.text("workers_total", "10")
			f.text("workers_on_duty", "11")
		}, path: "workers_on_duty", shown: true, errWant: "*"},
		{name: "on duty within total", fill: func(f filler) {
			f.text("workers_total", "10")
			f.text("workers_on_duty", "9")
		}, path: "workers_on_duty", shown: true},
		{name: "not a number", fill: func(f filler) { f.text("workers_total", "十个") }, path: "workers_total", shown: true, errWant: "*"},
		{name: "required after clearing", fill: func(f filler) {
			f.text("team_members", "张伟")
			f.text("team_members", "")
		}, path: "team_members", shown: true, errWant: "此项为必填项"},
		{name: "other department needs a name", fill: func(f filler) { f.choose("partner_departments", "other") }, path: "partner_other", shown: true},
		{name: "major risk must be reported", fill: func(f filler) {
			f.choose("risk_level", "major")
			f.choose("risk_immediate_report", "no")
		}, path: "risk_immediate_report", shown: true, errWant: "*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fv := newTestFormView(t, false)
			f := filler{t: t, fv: fv}
			tc.fill(f)
			f.goTo(tc.path)
			if got := fv.rows[tc.path].Visible(); got != tc.shown {
				t.Fatalf("%s shown = %v, want %v", tc.path, got, tc.shown)
			}
			got := f.errorText(tc.path)
			switch {
			case tc.errWant == "*" && got == "":
				t.Errorf("no error under %s", tc.path)
			case tc.errWant != "*" && got != tc.errWant:
				t.Errorf("error under %s = %q, want %q", tc.path, got, tc.errWant)
			}
		})
	}
}

func TestFormViewEnterMovesOn(t *testing.T) {
	fv := newTestFormView(t, false)
	f := filler{t: t, fv: fv}
	e := f.widget("team_members").(*entry)
	fv.win.Canvas().Focus(e)
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	// partner_other is not relevant, so the next text input is
	// received_by_name (choice widgets between are skipped by Enter).
	if got, want := fv.win.Canvas().Focused(), fyne.Focusable(fv.widgets["received_by_name"].(*entry)); got != want {
		t.Errorf("focus after Enter is %T, want received_by_name", got)
	}
}

func TestFormViewRemoveDemand(t *testing.T) {
	fv := newTestFormView(t, false)
	f := filler{t: t, fv: fv}
	f.goTo("demands")
	test.Tap(fv.addBtns["demands"])
	test.Tap(fv.addBtns["demands"])
	f.text("demands[0].demand_description", "第一条诉求内容")
	f.text("demands[1].demand_description", "第二条诉求内容")
	test.Tap(fv.delBtns["demands[0]"]) // asks first
	if got := len(fv.answers["demands"].([]survey.Answers)); got != 2 {
		t.Fatalf("deleted without confirmation: %d items", got)
	}
	fv.removeItemAt("demands", 0)
	items := fv.answers["demands"].([]survey.Answers)
	if len(items) != 1 || items[0]["demand_description"] != "第二条诉求内容" {
		t.Fatalf("after removing the first: %v", items)
	}
	if got := fv.widgets["demands[0].demand_description"].(*entry).Text; got != "第二条诉求内容" {
		t.Errorf("card 1 shows %q", got)
	}
}

func TestFormViewImageAndEnterprise(t *testing.T) {
	u := newTestUI(t)
	data, err := os.ReadFile(filepath.Join("testdata", "site_check.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	form, err := survey.ParseForm(data)
	if err != nil {
		t.Fatalf("parse test form: %v", err)
	}
	fv := newFormView(form, nil, testNow, u, false)
	fv.attach = func(b []byte, mt string) (string, error) {
		return u.db.PutAttachment(context.Background(), b, mt)
	}
	changes := 0
	fv.onChange = func() { changes++ }
	u.win.SetContent(fv.content)
	fv.setEnterpriseName("青岛顺丰速运有限公司")
	if got := fv.widgets["enterprise"].(*textBlock).Text; got != "青岛顺丰速运有限公司" {
		t.Errorf("enterprise field shows %q", got)
	}
	if got := fv.sectionSummary(0); got != "一、现场　0/2" {
		t.Errorf("summary %q, want 0/2 (enterprise is not an input)", got)
	}

	photo := []byte("\x89PNG\r\n\x1a\n fake photo")
	fv.setImage(form.Lookup("photo"), "photo", fv.answers, photo, "image/png", fv.imageStates["photo"])
	waitIdle()
	id, _ := fv.answers["photo"].(string)
	if id == "" || changes != 1 {
		t.Fatalf("photo answer %q after %d changes", id, changes)
	}
	if got := fv.imageStates["photo"].Text; got != "已附加图片" {
		t.Errorf("photo state %q", got)
	}
	got, mt, err := u.db.Attachment(context.Background(), id)
	if err != nil || string(got) != string(photo) || mt != "image/png" {
		t.Errorf("stored attachment %q %q %v", got, mt, err)
	}

	// Read-only forms offer no file button and no add/delete.
	fv.setReadOnly(true)
	if fv.widgets["photo"].(*focusButton).Visible() {
		t.Errorf("file button shown on a read-only form")
	}
	fv.showSection(1)
	if fv.addBtns["findings"].Visible() {
		t.Errorf("添加 shown on a read-only form")
	}
	if got := fv.addBtns["findings"].Text; got != "添加一条" {
		t.Errorf("add button %q", got)
	}
}

func TestFormViewTodayAndTabOrder(t *testing.T) {
	fv := newTestFormView(t, false)
	date := fv.widgets["visit_date"].(*entry)
	c := fv.win.Canvas()
	c.Focus(date)
	c.FocusNext() // 选日期 beside the date
	if got, ok := c.Focused().(*focusButton); !ok || got.Text != "选日期" {
		t.Fatalf("after the date field Tab reaches %T, want the 选日期 button", c.Focused())
	}
	c.FocusNext() // then 今天
	today, ok := c.Focused().(*focusButton)
	if !ok || today.Text != "今天" {
		t.Fatalf("after 选日期 Tab reaches %T, want the 今天 button", c.Focused())
	}
	test.Tap(today)
	if got := date.Text; got != "2026-04-15" {
		t.Errorf("今天 filled %q, want 2026-04-15", got)
	}
	c.FocusNext()
	if got := c.Focused(); got != fyne.Focusable(fv.widgets["team_members"].(*entry)) {
		t.Errorf("Tab after 今天 reaches %T, want team_members", got)
	}
}
