package app

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
	"zoufang/survey"
)

// autosaveDelay is how long the answers must stay unchanged before they are
// written.
const autosaveDelay = 300 * time.Millisecond

// sectionKey is the setting that remembers the open section of a visit.
func sectionKey(visitID string) string { return "visit.section." + visitID }

// visitScreen is one visit record: header, the form, autosave, finalize,
// and after finalizing the read-only record with edit, print, sign-off and
// the questionnaires.
type visitScreen struct {
	u    *ui
	v    survey.Visit
	form *survey.Form
	ent  survey.Enterprise

	title     *widget.Label
	status    *widget.Label
	saveState *widget.Label
	message   *widget.Label // result of finalize, sign-off, edits
	fv        *formView

	finalizeBtn *widget.Button
	editBtn     *widget.Button
	doneEditBtn *widget.Button
	printBtn    *widget.Button
	signBtn     *widget.Button
	questBtn    *widget.Button
	entQuestBtn *widget.Button
	ledger      *widget.Label
	responses   *widget.Label
	buttons     *fyne.Container
	header      *fyne.Container
	frame       *fyne.Container // header, form and footer

	editReason string // set while a finalized visit is being edited

	saver   *debouncer
	saveMu  gosync.Mutex  // serialises writes of this visit
	saveSeq atomic.Uint64 // latest requested write; older pending writes are skipped
	saved   int           // completed autosaves, for tests
	pendMu  gosync.Mutex
	pending *survey.Visit // the newest snapshot not yet written

	content fyne.CanvasObject
}

// newVisitScreen builds the screen for v. The enterprise, the remembered
// section, ledger items and response counts load in the background.
func newVisitScreen(u *ui, v survey.Visit) *visitScreen {
	s := &visitScreen{u: u, v: v, saver: newDebouncer(autosaveDelay)}
	f, ok := u.forms.Get(v.FormID, v.FormVersion)
	if !ok {
		s.content = widget.NewLabel(fmt.Sprintf("找不到走访记录表单 %s 第 %d 版，无法显示。", v.FormID, v.FormVersion))
		return s
	}
	s.form = f
	if s.v.Answers == nil {
		s.v.Answers = survey.NewAnswers(f)
	}
	s.title = widget.NewLabelWithStyle("正在读取企业信息…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.title.SizeName = theme.SizeNameSubHeadingText
	s.status = widget.NewLabel("")
	s.saveState = widget.NewLabel("")
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Hide()

	s.fv = newFormView(f, s.v.Answers, u.now, u.win, false)
	s.v.Answers = s.fv.answers
	s.fv.attach = func(data []byte, mt string) (string, error) {
		return u.db.PutAttachment(context.Background(), data, mt)
	}
	s.fv.onChange = s.scheduleSave
	s.fv.onSection = s.rememberSection
	s.fv.onSaveKey = s.saveKey

	s.finalizeBtn = widget.NewButtonWithIcon("完成走访", theme.ConfirmIcon(), s.finalize)
	s.finalizeBtn.Importance = widget.HighImportance
	s.editBtn = widget.NewButtonWithIcon("修改", theme.DocumentCreateIcon(), s.askEdit)
	s.doneEditBtn = widget.NewButtonWithIcon("完成修改", theme.ConfirmIcon(), s.finalize)
	s.doneEditBtn.Importance = widget.HighImportance
	s.printBtn = widget.NewButtonWithIcon("打印", theme.DocumentPrintIcon(), func() { u.printVisits([]survey.Visit{s.v}) })
	s.signBtn = widget.NewButtonWithIcon("企业签字确认", theme.MailComposeIcon(), s.askSignOff)
	s.questBtn = widget.NewButtonWithIcon("问卷模式", theme.AccountIcon(), func() {
		if q := startWorkerQuestionnaire(u, s.v); q != nil {
			q.onExit = s.loadExtras
		}
	})
	s.entQuestBtn = widget.NewButtonWithIcon("经营者问卷", theme.DocumentIcon(), func() { showEnterpriseQuestionnaire(u, s.v, s.loadExtras) })
	s.ledger = widget.NewLabel("")
	s.ledger.Wrapping = fyne.TextWrapWord
	s.responses = widget.NewLabel("")

	s.buttons = container.NewHBox(s.finalizeBtn, s.doneEditBtn, s.editBtn, s.printBtn, s.signBtn, s.questBtn, s.entQuestBtn)
	s.header = container.NewVBox(
		container.NewBorder(nil, nil, nil, s.saveState, container.NewHBox(s.title, s.status)),
		s.buttons, s.message)
	ledgerScroll := container.NewVScroll(s.ledger)
	ledgerScroll.SetMinSize(fyne.NewSize(0, 80))
	footer := container.NewVBox(widget.NewSeparator(), s.responses, ledgerScroll)
	s.frame = container.NewBorder(container.NewPadded(s.header), footer, nil, nil, s.fv.content)
	s.content = newScreenPage(s, s.frame)
	s.load()
	s.applyStatus()
	u.win.SetOnClosed(s.flush)
	return s
}

// load reads the enterprise, the remembered section, the ledger items and
// the response counts. They are a few indexed lookups, read before the
// screen is first shown so it opens complete and at the right section
// instead of jumping once a background read lands.
func (s *visitScreen) load() {
	ctx := context.Background()
	ent, err := s.u.db.Enterprise(ctx, s.v.EnterpriseID)
	if err != nil {
		s.title.SetText("读取企业信息失败：" + storage.ErrorMessage(err))
	} else {
		s.ent = ent
		s.title.SetText(ent.Name)
		s.fv.entName = ent.Name
	}
	section, err := s.u.db.Setting(ctx, sectionKey(s.v.ID))
	if i := s.fv.sectionByName(section); err == nil && section != "" && i >= 0 {
		s.fv.cur = i
	}
	s.fv.sectionList.Select(s.fv.cur) // applyStatus renders this section
	s.applyExtras(readVisitExtras(s.u.db, s.v.ID))
}

// visitExtras are the records hanging off a visit.
type visitExtras struct {
	items             []survey.LedgerItem
	workers, managers int
}

func readVisitExtras(db *storage.DB, visitID string) (visitExtras, error) {
	ctx := context.Background()
	var x visitExtras
	var err error
	if x.items, err = db.LedgerItems(ctx, storage.LedgerFilter{VisitID: visitID}); err != nil {
		return x, err
	}
	rs, err := db.Responses(ctx, storage.ResponseFilter{VisitID: visitID})
	for _, r := range rs {
		if r.Kind == survey.RespondentManager {
			x.managers++
		} else {
			x.workers++
		}
	}
	return x, err
}

func (s *visitScreen) applyExtras(x visitExtras, err error) {
	if err != nil {
		s.ledger.SetText("读取台帐失败：" + storage.ErrorMessage(err))
		return
	}
	s.responses.SetText(fmt.Sprintf("本次走访已收集职工问卷 %d 份，经营者问卷 %d 份", x.workers, x.managers))
	s.showLedger(x.items)
}

// loadExtras refreshes the ledger items and questionnaire counts in the
// background.
func (s *visitScreen) loadExtras() {
	db, id := s.u.db, s.v.ID
	var x visitExtras
	runInBackground(func() error {
		var err error
		x, err = readVisitExtras(db, id)
		return err
	}, func(err error) { s.applyExtras(x, err) })
}

// showLedger lists the ledger items created from this visit's demands.
func (s *visitScreen) showLedger(items []survey.LedgerItem) {
	if s.v.Status == survey.VisitDraft {
		s.ledger.SetText("完成走访后，勾选“纳入工作台帐”的诉求将自动生成台帐（待研判）。")
		return
	}
	if len(items) == 0 {
		s.ledger.SetText("本次走访没有生成台帐。")
		return
	}
	cat := s.form.Lookup("demand_category")
	lines := []string{fmt.Sprintf("本次走访生成的台帐（%d 项）：", len(items))}
	for _, it := range items {
		c := it.Category
		if cat != nil {
			c = cat.ChoiceLabel(it.Category)
		}
		lines = append(lines, fmt.Sprintf("%d. %s　%s　%s　期限 %s", it.DemandIndex+1, c, it.Description, it.Status.Label(), it.Deadline))
	}
	s.ledger.SetText(strings.Join(lines, "\n"))
}

// editing reports whether the answers may be changed.
func (s *visitScreen) editing() bool { return s.v.Status == survey.VisitDraft || s.editReason != "" }

// applyStatus shows the buttons that fit the visit's state.
func (s *visitScreen) applyStatus() {
	s.status.SetText("【" + s.v.Status.Label() + "】")
	draft := s.v.Status == survey.VisitDraft
	show := func(b *widget.Button, on bool) {
		if on {
			b.Show()
		} else {
			b.Hide()
		}
	}
	show(s.finalizeBtn, draft)
	show(s.doneEditBtn, !draft && s.editReason != "")
	show(s.editBtn, !draft && s.editReason == "")
	show(s.printBtn, !draft && s.editReason == "")
	show(s.signBtn, s.v.Status == survey.VisitFinalized && s.editReason == "")
	s.relayout() // lay out the buttons that appeared
	s.fv.setReadOnly(!s.editing())
}

// scheduleSave is the form's onChange: the answers are copied now and
// written after a pause in typing, off the UI goroutine.
func (s *visitScreen) scheduleSave() {
	if !s.editing() {
		return
	}
	s.saveState.SetText("正在保存…")
	seq := s.saveSeq.Add(1)
	v := s.v
	v.Answers = cloneAnswers(s.fv.answers)
	v.EditReason = s.editReason
	db := s.u.db
	s.pendMu.Lock()
	s.pending = &v
	s.pendMu.Unlock()
	s.saver.trigger(func() func() {
		s.saveMu.Lock()
		defer s.saveMu.Unlock()
		if seq != s.saveSeq.Load() {
			return nil // a newer save or a finalize took over
		}
		nv, err := db.SaveVisit(context.Background(), v)
		s.pendMu.Lock()
		if s.pending == &v {
			s.pending = nil
		}
		s.pendMu.Unlock()
		return func() {
			if err != nil {
				s.saveState.SetText("保存失败：" + storage.ErrorMessage(err))
				return
			}
			s.saved++
			s.v.UpdatedAt = nv.UpdatedAt
			s.saveState.SetText("已保存 " + nv.UpdatedAt.In(s.u.now().Location()).Format("15:04:05"))
		}
	})
}

// flush writes a snapshot still waiting for its autosave now, on the
// calling goroutine. It runs when the window closes, so the last
// keystrokes are not lost when the database closes right after.
func (s *visitScreen) flush() {
	s.pendMu.Lock()
	p := s.pending
	s.pending = nil
	s.pendMu.Unlock()
	if p == nil {
		return
	}
	s.saveSeq.Add(1) // the timer's write is superseded by this one
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if _, err := s.u.db.SaveVisit(context.Background(), *p); err != nil {
		fyne.LogError("save visit on close", err)
	}
}

// saveKey answers Ctrl+S: everything is saved automatically, so it only
// says so.
func (s *visitScreen) saveKey() {
	s.u.nav.setStatus("已自动保存，无需手动保存")
	if s.saveState.Text != "正在保存…" {
		s.saveState.SetText("已保存 " + s.v.UpdatedAt.In(s.u.now().Location()).Format("15:04:05"))
	}
}

// rememberSection stores the open section so the draft resumes there.
func (s *visitScreen) rememberSection(name string) {
	db, key := s.u.db, sectionKey(s.v.ID)
	runInBackground(func() error { return db.SetSetting(context.Background(), key, name) }, nil)
}

// finalize validates and finalizes the visit (or finishes an edit). On
// problems it jumps to the first one.
func (s *visitScreen) finalize() {
	if !s.editing() {
		return
	}
	problems := survey.Validate(s.form, s.fv.answers, s.u.now())
	if len(problems) > 0 {
		s.showProblems(problems)
		return
	}
	s.saveSeq.Add(1) // pending autosaves are superseded by this write
	s.pendMu.Lock()
	s.pending = nil
	s.pendMu.Unlock()
	v := s.v
	v.Answers = cloneAnswers(s.fv.answers)
	v.EditReason = s.editReason
	db, f := s.u.db, s.form
	var nv survey.Visit
	s.saveState.SetText("正在保存…")
	runInBackground(func() error {
		s.saveMu.Lock()
		defer s.saveMu.Unlock()
		var err error
		nv, problems, err = db.FinalizeVisit(context.Background(), v, f)
		return err
	}, func(err error) {
		if err != nil {
			s.saveState.SetText("保存失败：" + storage.ErrorMessage(err))
			s.showMessage("完成走访失败："+storage.ErrorMessage(err), widget.DangerImportance)
			return
		}
		s.v = nv
		s.saveState.SetText("已保存 " + nv.UpdatedAt.In(s.u.now().Location()).Format("15:04:05"))
		if len(problems) > 0 {
			s.showProblems(problems)
			return
		}
		wasEdit := s.editReason != ""
		s.editReason = ""
		s.fv.answers = s.v.Answers
		s.fv.evaluate()
		s.applyStatus()
		if wasEdit {
			s.showMessage("修改已保存", widget.SuccessImportance)
		} else {
			s.showMessage("走访已完成。可以打印走访记录请企业签字确认。", widget.SuccessImportance)
		}
		s.u.nav.setStatus("走访记录已完成")
		s.loadExtras()
	})
}

// showProblems reveals every problem and focuses the first.
func (s *visitScreen) showProblems(problems []survey.Problem) {
	s.fv.revealProblems()
	first := problems[0]
	sec := s.fv.sections[s.fv.sectionIndex(first.Path)].title
	s.showMessage(fmt.Sprintf("还有 %d 处需要填写或修改，已跳到第一处（%s）：%s", len(problems), sec, first.Message), widget.DangerImportance)
	s.fv.focusPath(first.Path)
}

func (s *visitScreen) showMessage(text string, imp widget.Importance) {
	s.message.Importance = imp
	s.message.SetText(text)
	s.message.Show()
	s.relayout()
}

// relayout lays out the header again after buttons or the message appeared
// or went away; the form below moves accordingly.
func (s *visitScreen) relayout() {
	if s.frame == nil {
		return
	}
	s.header.Refresh()
	s.frame.Layout.Layout(s.frame.Objects, s.frame.Size())
}

// askEdit asks why a finalized visit is changed.
func (s *visitScreen) askEdit() {
	reason := widget.NewMultiLineEntry()
	reason.SetPlaceHolder("例如：企业补充了在岗职工人数")
	d := dialog.NewForm("修改已完成的走访记录", "开始修改", "取消",
		[]*widget.FormItem{widget.NewFormItem("修改原因", reason)},
		func(ok bool) {
			if ok {
				s.beginEdit(reason.Text)
			}
		}, s.u.win)
	d.Resize(fyne.NewSize(480, 260))
	d.Show()
}

// beginEdit unlocks the form; every change is saved as a new version with
// the reason.
func (s *visitScreen) beginEdit(reason string) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		s.showMessage("请填写修改原因", widget.DangerImportance)
		return
	}
	s.editReason = reason
	s.applyStatus()
	s.showMessage("正在修改（原因："+reason+"）。改动自动保存为新版本，改完请点“完成修改”。", widget.WarningImportance)
}

// askSignOff records the enterprise's signature of the printed record.
func (s *visitScreen) askSignOff() {
	name := widget.NewEntry()
	if n, _ := s.v.Answers["received_by_name"].(string); n != "" {
		name.SetText(n)
	}
	title := widget.NewEntry()
	if t, _ := s.v.Answers["received_by_title"].(string); t != "" {
		title.SetText(t)
	}
	date := widget.NewEntry()
	date.SetText(day(s.u.now()))
	var photo []byte
	var photoType string
	photoState := widget.NewLabel("未选择")
	pick := widget.NewButtonWithIcon("选择照片或扫描件…", theme.FileImageIcon(), func() {
		dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			defer r.Close()
			data, err := readAllLimited(r)
			if err != nil {
				photoState.SetText("读取失败：" + err.Error())
				return
			}
			photo, photoType = data, mediaTypeOf(r.URI().Name())
			photoState.SetText(r.URI().Name())
		}, s.u.win)
	})
	d := dialog.NewForm("企业签字确认", "确认", "取消", []*widget.FormItem{
		widget.NewFormItem("签字人姓名", name),
		widget.NewFormItem("职务", title),
		widget.NewFormItem("签字日期", date),
		widget.NewFormItem("签字页照片（可选）", container.NewHBox(pick, photoState)),
	}, func(ok bool) {
		if ok {
			s.signOff(survey.SignOff{SignerName: name.Text, SignerTitle: title.Text, Date: strings.TrimSpace(date.Text)}, photo, photoType)
		}
	}, s.u.win)
	d.Resize(fyne.NewSize(520, 340))
	d.Show()
}

// signOff stores the sign-off in the background.
func (s *visitScreen) signOff(so survey.SignOff, photo []byte, photoType string) {
	db, id := s.u.db, s.v.ID
	var nv survey.Visit
	runInBackground(func() error {
		var err error
		nv, err = db.SignOffVisit(context.Background(), id, so, photo, photoType)
		return err
	}, func(err error) {
		if err != nil {
			s.showMessage("签字确认失败："+storage.ErrorMessage(err), widget.DangerImportance)
			return
		}
		s.v = nv
		s.applyStatus()
		s.showMessage(fmt.Sprintf("已记录企业签字确认：%s %s，%s", nv.SignOff.SignerName, nv.SignOff.SignerTitle, nv.SignOff.Date), widget.SuccessImportance)
	})
}

// cloneAnswers deep-copies answers so a background save never reads a map
// the UI is changing.
func cloneAnswers(a survey.Answers) survey.Answers {
	out := make(survey.Answers, len(a))
	for k, v := range a {
		switch x := v.(type) {
		case []string:
			out[k] = append([]string(nil), x...)
		case []survey.Answers:
			items := make([]survey.Answers, len(x))
			for i, it := range x {
				items[i] = cloneAnswers(it)
			}
			out[k] = items
		default:
			out[k] = v
		}
	}
	return out
}

// screenPage is the content of a screen that keeps a pointer to the screen
// it shows, so tests (and callers holding only the page) reach the screen's
// named widgets.
type screenPage[T any] struct {
	widget.BaseWidget
	screen T
	inner  fyne.CanvasObject
}

func newScreenPage[T any](screen T, inner fyne.CanvasObject) *screenPage[T] {
	p := &screenPage[T]{screen: screen, inner: inner}
	p.ExtendBaseWidget(p)
	return p
}

// CreateRenderer shows the inner content.
func (p *screenPage[T]) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.inner)
}
