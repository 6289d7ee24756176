package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/profile"
	"zoufang/storage"
	"zoufang/survey"
)

// TestLedgerDetailDoesNotOverlap selects an item with long text and a log
// at each size and checks that the rows of the details are laid out one
// below the other (positions, not pixels). Before, 涉及职工, 责任人 and the
// log were drawn on top of each other and "期限：期限 2026-12-17" repeated
// itself.
func TestLedgerDetailDoesNotOverlap(t *testing.T) {
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			u := sizedUI(t, sz.size, sz.large)
			it := addLedgerItem(t, u.db, "红星纺织", strings.Repeat("三月工资延期发放，部分职工社保断缴，", 4), "2026-12-17")
			for i := range 3 {
				fu := survey.FollowUp{At: testNow(), By: testName, Status: survey.LedgerNegotiating, Note: fmt.Sprintf("第 %d 次与企业负责人面谈，协商补发方案并约定下次回访时间", i+1)}
				if _, err := u.db.AddFollowUp(context.Background(), it.ID, fu); err != nil {
					t.Fatal(err)
				}
			}
			l := showLedger(u)
			waitIdle()
			l.selectItem(it.ID)
			settle(u)
			if got := l.fields["期限"].Text; got != "2026-12-17" {
				t.Errorf("期限 shows %q", got)
			}
			d := fyne.CurrentApp().Driver()
			check := func(objs []fyne.CanvasObject, what string) {
				prevBottom := float32(-1)
				for i, o := range objs {
					if !o.Visible() || o.Size().Height == 0 {
						continue
					}
					y := d.AbsolutePositionForObject(o).Y
					if y < prevBottom-0.5 {
						t.Errorf("%s: row %d (%T) starts at y %.1f, above the end of the row before it (%.1f)", what, i, o, y, prevBottom)
					}
					if m := o.MinSize().Height; o.Size().Height < m-0.5 {
						t.Errorf("%s: row %d (%T) is %.1f high, needs %.1f: its text is drawn over the next row", what, i, o, o.Size().Height, m)
					}
					prevBottom = y + o.Size().Height
				}
			}
			check(l.detail.Objects, "details")
			check(l.logBox.Objects, "follow-up log")
			checkWindow(t, u, "ledger with a long item")
		})
	}
}

// TestEmptyRosterSaysWhatToDo: a fresh install shows where a roster comes
// from, and an enterprise can be added by hand with its code checked.
func TestEmptyRosterSaysWhatToDo(t *testing.T) {
	db, err := storage.OpenDir(t.TempDir(), storage.Options{Now: testNow, DeviceID: testDevice, Author: testName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, _ := profile.Demo(profile.Profile{})
	if err := profile.Save(context.Background(), db, p); err != nil {
		t.Fatal(err)
	}
	u := newTestUIWithDB(t, db)
	home := u.home
	if !home.firstRun.Visible() || home.mineEmpty.Visible() {
		t.Fatalf("empty roster: guidance shown %v", home.firstRun.Visible())
	}
	f := u.askAddEnterprise(func(survey.Enterprise) { home.refresh() })
	test.Type(f.name, "青岛新开物流有限公司")
	test.Type(f.uscc, "91370200MA3C12345X") // wrong check character
	f.dialog.trySubmit()
	if !f.dialog.open || !strings.Contains(f.dialog.errLabel.Text, "统一社会信用代码") {
		t.Fatalf("bad code: open %v, says %q", f.dialog.open, f.dialog.errLabel.Text)
	}
	body := "91370200MA3C12345"
	c, _ := survey.USCCCheckChar(body)
	f.uscc.SetText(strings.ToLower(body) + string(c))
	test.Type(f.workers, "86")
	f.union.SetChecked(true)
	f.uscc.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	waitIdle()
	if f.dialog.open {
		t.Fatalf("valid enterprise refused: %q", f.dialog.errLabel.Text)
	}
	ents, err := db.SearchEnterprises(context.Background(), storage.EnterpriseQuery{Text: "新开物流"})
	if err != nil || len(ents) != 1 || ents[0].USCC != body+string(c) || ents[0].Workers != 86 || !ents[0].HasUnion || ents[0].District != "市南区" {
		t.Fatalf("stored %+v, %v", ents, err)
	}
	if home.firstRun.Visible() {
		t.Error("guidance still shown with one enterprise")
	}
	// The same code again is a duplicate, said in the dialog.
	f = u.askAddEnterprise(nil)
	test.Type(f.name, "另一家")
	f.uscc.SetText(body + string(c))
	f.dialog.trySubmit()
	if !f.dialog.open || !strings.Contains(f.dialog.errLabel.Text, "已属于另一家企业") {
		t.Errorf("duplicate: open %v, says %q", f.dialog.open, f.dialog.errLabel.Text)
	}
}

// TestStreetFilterFollowsDistrict: choosing 崂山区 offers only its streets.
func TestStreetFilterFollowsDistrict(t *testing.T) {
	u := newTestUI(t)
	r := showRoster(u)
	waitIdle()
	all := len(r.streets)
	r.district.SetText("崂山区")
	waitIdle()
	want, err := u.db.Streets(context.Background(), "崂山区")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.streets) != len(want) || len(want) == 0 || len(want) >= all {
		t.Errorf("streets offered %q for 崂山区 (all: %d), want %q", r.streets, all, want)
	}
}

// TestFinishedEnterpriseAsksBeforeASecondVisit: the main button of a
// finished enterprise is 查看走访记录; 再次走访 asks first.
func TestFinishedEnterpriseAsksBeforeASecondVisit(t *testing.T) {
	u := newTestUI(t)
	s, ent := openNewVisit(t, u, "顺丰")
	finalizeWithOneDemand(t, s)
	d := showEnterprise(u, ent)
	waitIdle()
	if d.viewBtn.Importance != widget.HighImportance || d.startBtn.Text != "再次走访…" {
		t.Fatalf("buttons: view %v, start %q", d.viewBtn.Importance, d.startBtn.Text)
	}
	test.Tap(d.startBtn)
	waitIdle()
	vs, _ := u.db.Visits(context.Background(), storage.VisitFilter{EnterpriseID: ent.ID})
	if len(vs) != 1 || len(u.dialogs) != 1 {
		t.Fatalf("再次走访 created a visit without asking: %d visits, %d dialogs", len(vs), len(u.dialogs))
	}
	u.dialogs[0].trySubmit()
	waitIdle()
	vs, _ = u.db.Visits(context.Background(), storage.VisitFilter{EnterpriseID: ent.ID})
	if len(vs) != 2 {
		t.Errorf("%d visits after confirming, want 2", len(vs))
	}
}

// TestFyneSpeaksChinese: Fyne's own words are Chinese whatever the system
// locale, and fyneLocales covers every translation Fyne ships.
func TestFyneSpeaksChinese(t *testing.T) {
	newTestUI(t)
	for in, want := range map[string]string{"Cancel": "取消", "OK": "确定", "Error": "出错了", "Open": "打开", "File": "文件", "Save": "保存"} {
		if got := lang.L(in); got != want {
			t.Errorf("lang.L(%q) = %q, want %q", in, got, want)
		}
	}
	files, err := filepath.Glob(filepath.Join(fyneModuleDir(t), "lang", "translations", "base.*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("Fyne translations: %v %v", files, err)
	}
	for _, f := range files {
		l := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "base."), ".json")
		l = strings.ReplaceAll(l, "_", "-")
		found := false
		for _, have := range fyneLocales {
			found = found || have == l
		}
		if !found {
			t.Errorf("Fyne ships %s, which fyneLocales lacks: a user with that locale would see it", l)
		}
	}
}

// fyneModuleDir finds the Fyne module the test is built with.
func fyneModuleDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "fyne.io/fyne/v2").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestUserText: the user reads the Chinese parts of an error, never
// "dial tcp", "exec:" or "context deadline exceeded".
func TestUserText(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("无法连接区总工会服务器 http://10.0.0.5:8700，请检查网络，或用U盘导出：%w", fmt.Errorf("Put \"http://x\": %w", dial)), "无法连接区总工会服务器 http://10.0.0.5:8700，请检查网络，或用U盘导出"},
		{fmt.Errorf("upload bundle 3: %w", dial), "无法连接网络，请检查网络连接"},
		{&exec.Error{Name: "xdg-open", Err: exec.ErrNotFound}, "本机找不到打开这类文件的程序"},
		{fmt.Errorf("push: %w", context.DeadlineExceeded), "操作超时，请稍后再试"},
		{fmt.Errorf("import roster: %w", fmt.Errorf("第 3 行：%w", errors.New("unexpected EOF"))), "第 3 行"},
		{&os.PathError{Op: "open", Path: "/x", Err: os.ErrNotExist}, "文件或文件夹不存在"},
		{errors.New("sqlite: SQLITE_BUSY"), "操作失败（详细原因已记录在日志中）"},
	}
	for _, tc := range tests {
		if got := userText(tc.err); got != tc.want {
			t.Errorf("userText(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestPrintSaysWhereThePDFIs: the PDF lands in the documents folder and
// the dialog offers to open it and its folder.
func TestPrintSaysWhereThePDFIs(t *testing.T) {
	u := newTestUI(t)
	var opened []string
	u.open = func(p string) error { opened = append(opened, p); return nil }
	vs := printableVisits(t, u, 1)
	u.printVisits(vs)
	waitIdle()
	if u.lastPrint == "" || filepath.Dir(u.lastPrint) != u.printDir() || len(opened) != 1 || opened[0] != u.lastPrint {
		t.Fatalf("printed %q, opened %q", u.lastPrint, opened)
	}
	if !strings.Contains(u.lastPrintText, u.lastPrint) || !strings.Contains(u.lastPrintText, "已用本机的 PDF 阅读器打开") {
		t.Errorf("dialog says %q", u.lastPrintText)
	}
	// Without a PDF viewer: said in Chinese, with the path to find it.
	u.printed(u.lastPrint, &exec.Error{Name: "xdg-open", Err: exec.ErrNotFound})
	if !strings.Contains(u.lastPrintText, "本机找不到打开这类文件的程序") || strings.Contains(u.lastPrintText, "xdg-open") {
		t.Errorf("dialog says %q", u.lastPrintText)
	}
}

// TestTextBlockKeepsPunctuationOffLineStarts: wrapped text on screen
// follows the PDF's rule; Fyne's own wrapping started lines with ，、；.
func TestTextBlockKeepsPunctuationOffLineStarts(t *testing.T) {
	newTestUI(t)
	in := strings.Repeat("三月工资推迟发放，部分职工社保断缴；加班费、夜班补贴未按规定计算。", 4)
	tb := newTextBlock(in)
	for w := float32(120); w <= 700; w += 37 {
		tb.Resize(fyne.NewSize(w, 400))
		for i, l := range strings.Split(tb.label.Text, "\n") {
			if strings.ContainsAny(string([]rune(l)[:1]), "，。、；：？！）") {
				t.Errorf("width %.0f, line %d starts with punctuation: %q", w, i, l)
			}
			if lw := fyne.MeasureText(l, tb.textSize(), tb.TextStyle).Width; lw > w-2*theme.InnerPadding()+1 {
				t.Errorf("width %.0f, line %q is %.0f wide", w, l, lw)
			}
		}
		if got := strings.ReplaceAll(tb.label.Text, "\n", ""); got != in {
			t.Fatalf("width %.0f: text changed", w)
		}
		if m := tb.MinSize().Width; m > 60 {
			t.Errorf("min width %.0f: a long text would widen the page", m)
		}
	}
}
