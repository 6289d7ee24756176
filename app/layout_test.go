package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"zoufang/profile"
)

// screenSizes are the small laptops of the district offices, in normal and
// large font.
var screenSizes = []struct {
	name  string
	size  fyne.Size
	large bool
}{
	{"1024x600", fyne.NewSize(1024, 600), false},
	{"1024x600 large font", fyne.NewSize(1024, 600), true},
	{"1366x768", fyne.NewSize(1366, 768), false},
	{"1366x768 large font", fyne.NewSize(1366, 768), true},
}

// sizedUI is the test window at one screen size and font.
func sizedUI(t *testing.T, size fyne.Size, large bool) *ui {
	t.Helper()
	db := newTestDB(t)
	h, err := profile.HashPIN(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	p := profile.Profile{Name: testName, District: "市南区", Team: "第一走访组", PINHash: h, LargeFont: large}
	if err := profile.Save(context.Background(), db, p); err != nil {
		t.Fatal(err)
	}
	u := newTestUIWithDB(t, db)
	resize(u, size)
	return u
}

// resize sets the window size the way a window manager does for a window
// whose content asks for less, and lays everything out as the driver's
// frames would.
func resize(u *ui, size fyne.Size) {
	u.win.Resize(size)
	settle(u)
}

// settle lays the window's content and overlays out until no minimum size
// changes, as Fyne's GL driver does over its next frames (the test driver
// lays out only on resize). Widgets whose height depends on their width
// (wrapped labels, flowLayout rows) need it.
func settle(u *ui) {
	c := u.win.Canvas()
	for range 2 {
		var walk func(o fyne.CanvasObject)
		walk = func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *fyne.Container:
				if x.Layout != nil {
					x.Layout.Layout(x.Objects, x.Size())
				}
				for _, ch := range x.Objects {
					walk(ch)
				}
			case fyne.Widget:
				r := test.WidgetRenderer(x)
				r.Layout(x.Size())
				for _, ch := range r.Objects() {
					walk(ch)
				}
			}
		}
		walk(c.Content())
		for _, ov := range c.Overlays().List() {
			walk(ov)
		}
	}
}

// box is an object's rectangle in window coordinates.
type box struct {
	name string
	x, y float32
	w, h float32
}

func (b box) String() string {
	return fmt.Sprintf("%s at (%.0f,%.0f) %.0fx%.0f", b.name, b.x, b.y, b.w, b.h)
}

// clip is the area objects must stay in: the window, or the viewport of the
// scroll they are in.
type clip struct {
	x0, x1 float32
	y0, y1 float32
	vert   bool // inside a vertical scroll: below the viewport is fine
}

// checkFits walks the visible objects of root and reports every one that
// sticks out of the window horizontally, or vertically where no scroll
// container holds it: on a real screen it would be cut off or make the
// window grow. It also fails when the content asks for a window larger
// than size.
func checkFits(t *testing.T, where string, root fyne.CanvasObject, size fyne.Size) {
	t.Helper()
	if m := root.MinSize(); m.Width > size.Width+0.5 || m.Height > size.Height+0.5 {
		t.Errorf("%s: content needs %.0fx%.0f, more than the %.0fx%.0f window", where, m.Width, m.Height, size.Width, size.Height)
	}
	var bad []string
	var walk func(o fyne.CanvasObject, ox, oy float32, c clip, path string)
	walk = func(o fyne.CanvasObject, ox, oy float32, c clip, path string) {
		if !o.Visible() || fmt.Sprintf("%T", o) == "*widget.Shadow" {
			return // hidden, or a dialog's shadow, which may fall off the edge
		}
		p := o.Position()
		x, y := ox+p.X, oy+p.Y
		s := o.Size()
		name := fmt.Sprintf("%s/%T", path, o)
		if l, ok := o.(*widget.Label); ok {
			name += "(" + short(l.Text, 12) + ")"
		}
		if b, ok := o.(*widget.Button); ok {
			name += "(" + b.Text + ")"
		}
		const slack = 1
		if s.Width > 0 && (x+s.Width > c.x1+slack || x < c.x0-slack) {
			bad = append(bad, fmt.Sprintf("%v sticks out of %.0f..%.0f horizontally", box{name, x, y, s.Width, s.Height}, c.x0, c.x1))
		}
		if s.Height > 0 && !c.vert && (y+s.Height > c.y1+slack || y < c.y0-slack) {
			bad = append(bad, fmt.Sprintf("%v sticks out of %.0f..%.0f vertically", box{name, x, y, s.Width, s.Height}, c.y0, c.y1))
		}
		if len(bad) > 8 {
			return
		}
		var children []fyne.CanvasObject
		switch w := o.(type) {
		case *fyne.Container:
			children = w.Objects
		case *container.Scroll:
			// Its content may be longer than the viewport (that is
			// what it is for), never wider unless it scrolls sideways.
			inner := clip{x0: x, x1: x + s.Width, y0: y, y1: y + s.Height, vert: true}
			if w.Direction == container.ScrollHorizontalOnly || w.Direction == container.ScrollBoth {
				inner.x1 = x + w.Content.Size().Width
			}
			if w.Content != nil {
				walk(w.Content, x-w.Offset.X, y-w.Offset.Y, inner, name)
			}
			return
		case *pageScroll:
			inner := clip{x0: x, x1: x + s.Width, y0: y, y1: y + s.Height, vert: true}
			walk(w.Content, x-w.Offset.X, y-w.Offset.Y, inner, name)
			return
		case *widget.List, *widget.Entry, *entry, *widget.Select, *focusSelect, *widget.SelectEntry:
			return // Fyne's own scrolling widgets clip their content

		case fyne.Widget:
			children = test.WidgetRenderer(w).Objects()
		}
		for _, ch := range children {
			walk(ch, x, y, c, name)
		}
	}
	walk(root, 0, 0, clip{x0: 0, x1: size.Width, y0: 0, y1: size.Height}, "")
	if len(bad) > 0 {
		t.Errorf("%s at %.0fx%.0f:\n  %s", where, size.Width, size.Height, strings.Join(bad, "\n  "))
	}
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// checkWindow checks the window content and every open dialog.
func checkWindow(t *testing.T, u *ui, where string) {
	t.Helper()
	settle(u)
	size := u.win.Canvas().Size()
	checkFits(t, where, u.win.Content(), size)
	for i, ov := range u.win.Canvas().Overlays().List() {
		checkFits(t, fmt.Sprintf("%s, dialog %d", where, i+1), ov, size)
	}
}

// TestPagesFitSmallScreens opens every page at 1024×600 and 1366×768, in
// normal and large font, and fails when anything is wider than the window
// or cut off below it outside a scroll area, or when the content would make
// the window grow. Before this session section 五 made the visit page 1361
// px wide, and the setup page, sync list and several dialogs had fixed
// sizes.
func TestPagesFitSmallScreens(t *testing.T) {
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			u := sizedUI(t, sz.size, sz.large)
			checkWindow(t, u, "home")

			r := showRoster(u)
			waitIdle()
			r.list.Select(0)
			waitIdle()
			checkWindow(t, u, "roster")

			s, ent := openNewVisit(t, u, "顺丰")
			for i := range s.fv.sections {
				s.fv.showSection(i)
				checkWindow(t, u, "visit section "+s.fv.sections[i].title)
			}
			// With demands and every problem shown.
			f := filler{t: t, fv: s.fv}
			f.goTo("demands")
			test.Tap(s.fv.addBtns["demands"])
			test.Tap(s.fv.addBtns["demands"])
			test.Tap(s.finalizeBtn)
			waitIdle()
			checkWindow(t, u, "visit with problems shown")

			l := showLedger(u)
			waitIdle()
			if len(l.items) > 0 {
				l.list.Select(0)
			}
			checkWindow(t, u, "ledger")

			showSettings(u)
			checkWindow(t, u, "settings")
			showSync(u)
			waitIdle()
			checkWindow(t, u, "sync")
			showSetup(u)
			checkWindow(t, u, "first-run setup")

			u.showHome()
			q := startWorkerQuestionnaire(u, s.v)
			waitIdle()
			resize(u, sz.size)
			checkWindow(t, u, "questionnaire mode")
			q.askExit()
			checkWindow(t, u, "questionnaire exit dialog")
			q.pinDialog.dismiss()
			q.tryExit(testPIN)
			_ = ent
		})
	}
}

// TestDialogsFitSmallScreens opens each dialog at each size.
func TestDialogsFitSmallScreens(t *testing.T) {
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			u := sizedUI(t, sz.size, sz.large)
			s, _ := openNewVisit(t, u, "顺丰")
			finalizeWithOneDemand(t, s)
			dialogs := []struct {
				name string
				open func() *appDialog
			}{
				{"修改原因", s.askEdit},
				{"企业签字确认", s.askSignOff},
				{"选日期", func() *appDialog {
					u.pickDay("选择日期", "2026-04-15", testNow(), func(string) {})
					return u.dialogs[len(u.dialogs)-1]
				}},
				{"新增企业", func() *appDialog { return u.askAddEnterprise(nil).dialog }},
				{"台帐与问卷", func() *appDialog { s.showExtras(); return u.dialogs[len(u.dialogs)-1] }},
				{"打印完成", func() *appDialog {
					return u.printed("/home/张伟/Documents/走访记录表/走访记录表-青岛顺丰速运有限公司-20260415-103000.pdf", nil)
				}},
				{"出错了", func() *appDialog {
					return u.showError("上传失败", fmt.Errorf("无法连接区总工会服务器 http://10.0.0.5:8700，请检查网络，或用U盘导出：%w", context.DeadlineExceeded))
				}},
			}
			for _, d := range dialogs {
				ad := d.open()
				checkWindow(t, u, "dialog "+d.name)
				ad.dismiss()
			}
		})
	}
}

// TestSectionFiveWithinWindow: the question with five contracts, the one
// that widened the window to 1361 px, wraps its options inside the window.
func TestSectionFiveWithinWindow(t *testing.T) {
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			u := sizedUI(t, sz.size, sz.large)
			s, _ := openNewVisit(t, u, "顺丰")
			s.fv.showSection(s.fv.sectionByName("bargaining"))
			settle(u)
			if w := u.win.Content().MinSize().Width; w > sz.size.Width {
				t.Fatalf("section 五 needs a %.0f px wide window", w)
			}
			g := s.fv.widgets["contracts"].(*choiceGroup)
			d := fyne.CurrentApp().Driver()
			for _, it := range g.items {
				p := d.AbsolutePositionForObject(it)
				if p.X < 0 || p.X+it.Size().Width > sz.size.Width {
					t.Errorf("option %q at x %.0f..%.0f, window %.0f wide", it.label, p.X, p.X+it.Size().Width, sz.size.Width)
				}
			}
			checkWindow(t, u, "section 五")
		})
	}
}
