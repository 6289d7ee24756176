package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// fakeClipboard holds what a paste inserts.
type fakeClipboard struct{ text string }

func (c *fakeClipboard) Content() string           { return c.text }
func (c *fakeClipboard) SetContent(content string) { c.text = content }

// belowEntry checks that the line l shows right under the entry e (beside
// the field, not elsewhere on the page) and fits the window.
func belowEntry(t *testing.T, u *ui, e *entry, l fyne.CanvasObject, where string) {
	t.Helper()
	d := fyne.CurrentApp().Driver()
	ep, lp := d.AbsolutePositionForObject(e), d.AbsolutePositionForObject(l)
	gap := lp.Y - (ep.Y + e.Size().Height)
	t.Logf("%s: field at y=%.0f (h %.0f), message at y=%.0f, %.0f px wide", where, ep.Y, e.Size().Height, lp.Y, l.Size().Width)
	if gap < 0 || gap > 40 {
		t.Errorf("%s: the message is %.0f px below the field, want right under it", where, gap)
	}
	if lp.X+l.Size().Width > u.win.Canvas().Size().Width+0.5 {
		t.Errorf("%s: the message is cut off at the right (%.0f+%.0f of %.0f px)", where, lp.X, l.Size().Width, u.win.Canvas().Size().Width)
	}
}

// A pasted document is refused with the reason under the field, the text
// typed before stays; typing past the limit keeps the text in the field,
// shows the limit under it, and the autosave stores nothing of it, so
// nothing is half-saved. At 1024×600, in both font sizes, it all fits.
func TestLongAnswerRefusedBesideTheField(t *testing.T) {
	for _, sz := range screenSizes[:2] {
		if sz.size != fyne.NewSize(1024, 600) {
			t.Fatalf("screenSizes starts with %s, want the 1024×600 sizes", sz.name)
		}
		t.Run(sz.name, func(t *testing.T) {
			u := sizedUI(t, sz.size, sz.large)
			s, _ := openNewVisit(t, u, "顺丰")
			f := filler{t: t, fv: s.fv}
			f.goTo("demands")
			addDemand := s.fv.addBtns["demands"]
			addDemand.Tapped(&fyne.PointEvent{})
			waitIdle()
			const path = "demands[0].demand_description"
			f.text(path, "三月份工资推迟发放十天")
			waitIdle()
			e := f.widget(path).(*entry)

			// Paste 2500 characters: refused, nothing cut, nothing pasted.
			clip := &fakeClipboard{text: strings.Repeat("复", 2500)}
			e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
			waitIdle()
			if e.Text != "三月份工资推迟发放十天" {
				t.Errorf("after the refused paste the field holds %d characters, want the typed text", len([]rune(e.Text)))
			}
			want := "未粘贴：要粘贴的内容有 2500 字，粘贴后共 2511 字，超过本题上限 2000 字。请先缩短后再粘贴。"
			if got := f.errorText(path); got != want {
				t.Errorf("under the field: %q, want %q", got, want)
			}
			s.fv.focusPath(path)
			settle(u)
			belowEntry(t, u, e, s.fv.errLabels[path], "refused paste")
			checkWindow(t, u, "refused paste")

			// A paste that fits goes in, and the message goes away.
			clip.text = "，涉及四十人"
			e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
			waitIdle()
			if !strings.HasSuffix(e.Text, "涉及四十人") || f.errorText(path) != "" {
				t.Errorf("a paste that fits: text %q, message %q", e.Text, f.errorText(path))
			}
			stored := func() string {
				t.Helper()
				v, err := u.db.Visit(context.Background(), s.v.ID)
				if err != nil {
					t.Fatal(err)
				}
				ds, _ := v.Answers["demands"].([]survey.Answers)
				if len(ds) == 0 {
					return ""
				}
				d, _ := ds[0]["demand_description"].(string)
				return d
			}
			saved := e.Text
			if got := stored(); got != saved {
				t.Fatalf("autosave stored %q, want %q", got, saved)
			}

			// Near the limit a counter shows under the field.
			e.SetText(strings.Repeat("诉", 1900))
			waitIdle()
			if c := s.fv.counters[path].text; !c.Visible() || c.Text != "已输入 1900 字，最多 2000 字" {
				t.Errorf("counter near the limit: visible %v, %q", c.Visible(), c.Text)
			}

			// Typed past the limit (one more character): the text stays
			// in the field, the limit shows under it, nothing is saved.
			long := strings.Repeat("诉", 2001)
			e.SetText(long)
			waitIdle()
			if got, want := f.errorText(path), "最多 2000 字，已输入 2001 字"; got != want {
				t.Errorf("under the field: %q, want %q", got, want)
			}
			if e.Text != long || s.fv.answers["demands"].([]survey.Answers)[0]["demand_description"] != long {
				t.Error("the typed text left the field")
			}
			if !strings.Contains(s.saveState.Text, "未保存") || !strings.Contains(s.saveState.Text, "“诉求内容”最多 2000 字，已输入 2001 字") {
				t.Errorf("save state %q does not say why nothing was saved", s.saveState.Text)
			}
			if got := stored(); got != strings.Repeat("诉", 1900) {
				t.Errorf("the draft holds %d characters, want the last text within the limit (1900)", len([]rune(got)))
			}
			s.fv.focusPath(path)
			settle(u)
			belowEntry(t, u, e, s.fv.errLabels[path], "over the limit")
			checkWindow(t, u, "answer over the limit")
		})
	}
}

// The ledger's follow-up note has the same limit: a paste past it and a
// note typed past it are refused under the form, the note stays, and
// nothing is stored.
func TestLedgerFollowUpTooLong(t *testing.T) {
	u := newTestUI(t)
	it := addLedgerItem(t, u.db, "红星纺织", "三月工资延期发放", "2026-04-05")
	l := showLedger(u)
	waitIdle()
	l.list.Select(0)
	l.newStatus.SetSelected(survey.LedgerNegotiating.Label())
	l.note.SetText("已约企业负责人面谈")
	l.note.TypedShortcut(&fyne.ShortcutPaste{Clipboard: &fakeClipboard{text: strings.Repeat("谈", 2000)}})
	if l.note.Text != "已约企业负责人面谈" || !strings.HasPrefix(l.errLabel.Text, "未粘贴：要粘贴的内容有 2000 字，粘贴后共 2009 字") || !l.errLabel.Visible() {
		t.Errorf("refused paste: note %d characters, message %q", len([]rune(l.note.Text)), l.errLabel.Text)
	}
	long := strings.Repeat("谈", 2001)
	l.note.SetText(long)
	l.saveBtn.OnTapped()
	waitIdle()
	if got, want := l.errLabel.Text, "跟进说明最多 2000 字，已输入 2001 字，请缩短后再记录"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if l.note.Text != long || l.confirm != nil {
		t.Error("the note was cleared or the confirmation opened")
	}
	stored, err := u.db.LedgerItem(context.Background(), it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Log) != 0 {
		t.Errorf("a follow-up was stored: %+v", stored.Log)
	}
}

// A visit an older version stored over the limit (the database of
// sync/laptop/testdata/overlong: a 2500-character 风险情况说明 and 50
// demands, about 300 KB): the 同步 page's export names the record and the
// answer to shorten, and the visit shows the problem under that answer
// without it being touched.
func TestOldOverlongVisitNamedOnSyncPageAndForm(t *testing.T) {
	district, err := sync.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	trust, err := sync.SignTrust(sync.Trust{District: "市南区总工会", Keys: district.Public(), ServerURL: "https://district.invalid", Version: 1,
		Issued: testNow().Add(-time.Hour), Expires: testNow().AddDate(1, 0, 0)}, district.Signing)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const fixture = "../sync/laptop/testdata/overlong"
	for _, name := range []string{"device.id", "device.key", "zoufang.db.gz"} {
		b, err := os.ReadFile(filepath.Join(fixture, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "zoufang.db.gz" {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			name = "zoufang.db"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	u, _ := syncTestUIIn(t, dir)
	ctx := context.Background()
	vs, err := u.db.Visits(ctx, storage.VisitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(vs, func(v survey.Visit) bool { return v.Answers["risk_explanation"] != nil })
	if i < 0 {
		t.Fatal("the fixture has no visit with 风险情况说明")
	}
	v := vs[i]
	ent, err := u.db.Enterprise(ctx, v.EnterpriseID)
	if err != nil {
		t.Fatal(err)
	}

	s := showSync(u)
	waitIdle()
	s.importTrust(trust, "trust.zft")
	waitIdle()
	s.exportTo(t.TempDir())
	waitIdle()
	for _, want := range []string{"导出失败：无法导出：走访记录（" + ent.Name + "）", "把“风险情况说明”（现有 2500 字）缩短"} {
		if !strings.Contains(s.message.Text, want) {
			t.Errorf("sync page message %q lacks %q", s.message.Text, want)
		}
	}

	vsc := openVisit(u, ent, v)
	fl := filler{t: t, fv: vsc.fv}
	if got, want := fl.errorText("risk_explanation"), "最多 2000 字，已输入 2500 字"; got != want {
		t.Errorf("under the answer: %q, want %q", got, want)
	}
}
