package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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

// editKey is the setting holding an unfinished edit of a finished visit:
// the edit is kept there, not in the visit, until 完成修改 stores it as a
// valid new version (survey.CheckVisitChange), so the visit itself is
// never invalid, and the edit survives closing the window.
func editKey(visitID string) string { return "visit.edit." + visitID }

// pendingEdit is what editKey holds.
type pendingEdit struct {
	Reason  string         `json:"reason"`
	Answers survey.Answers `json:"answers"`
}

// visitScreen is one visit record: header, the form, autosave, finalize,
// and after finalizing the read-only record with edit, print, sign-off and
// the questionnaires.
type visitScreen struct {
	u    *ui
	v    survey.Visit // as stored
	form *survey.Form
	ent  survey.Enterprise

	status    *widget.Label
	saveState *widget.Label
	message   *textBlock // result of finalize, sign-off, edits; problem count
	fv        *formView
	// review is the district's review of the visit (nil: none yet), shown
	// in reviewBox above the form (review.go).
	review    *storage.ReviewInfo
	reviewBox *textBlock

	finalizeBtn   *widget.Button
	editBtn       *widget.Button
	doneEditBtn   *widget.Button
	cancelEditBtn *widget.Button
	printBtn      *widget.Button
	signBtn       *widget.Button
	questBtn      *widget.Button
	entQuestBtn   *widget.Button
	extrasBtn     *widget.Button // 台帐与问卷: opens the ledger items and counts
	ledger        *textBlock     // shown by extrasBtn
	responses     *textBlock
	header        *fyne.Container
	frame         *fyne.Container // header and form

	editReason string // set while a finished visit is being edited
	// problemCount is shown in the message after a failed finalize and
	// follows every change until the count is zero.
	problemCount bool

	saver   *debouncer
	saveMu  gosync.Mutex  // serialises writes of this visit
	saveSeq atomic.Uint64 // latest requested write; older pending writes are skipped
	saved   int           // completed autosaves, for tests
	pendMu  gosync.Mutex
	pending func() error // the newest write not yet done (autosave or edit draft)

	content fyne.CanvasObject
}

// newVisitScreen builds the screen for v. The enterprise, the remembered
// section, an unfinished edit, ledger items and response counts are read
// before it is shown.
func newVisitScreen(u *ui, v survey.Visit) *visitScreen {
	s := &visitScreen{u: u, v: v, saver: newDebouncer(autosaveDelay)}
	f, ok := u.forms.Get(v.FormID, v.FormVersion)
	if !ok {
		s.content = message(fmt.Sprintf("找不到走访记录表单 %s 第 %d 版，无法显示。", v.FormID, v.FormVersion))
		return s
	}
	s.form = f
	if s.v.Answers == nil {
		s.v.Answers = survey.NewAnswers(f)
	}
	s.status = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.saveState = widget.NewLabel("")
	s.saveState.Importance = widget.LowImportance
	s.message = newTextBlock("")
	s.message.Hide()
	s.reviewBox = newTextBlock("")
	s.reviewBox.Hide()

	s.fv = newFormView(f, cloneAnswers(s.v.Answers), u.now, u, false)
	s.fv.attach = func(data []byte, mt string) (string, error) {
		return u.db.PutAttachment(context.Background(), data, mt)
	}
	s.fv.onChange = s.onChange
	s.fv.onSection = s.rememberSection
	s.fv.onSaveKey = s.saveKey

	s.finalizeBtn = widget.NewButtonWithIcon("完成走访", theme.ConfirmIcon(), s.finalize)
	s.finalizeBtn.Importance = widget.HighImportance
	s.editBtn = widget.NewButtonWithIcon("修改", theme.DocumentCreateIcon(), func() { s.askEdit() })
	s.doneEditBtn = widget.NewButtonWithIcon("完成修改", theme.ConfirmIcon(), s.finalize)
	s.doneEditBtn.Importance = widget.HighImportance
	s.cancelEditBtn = widget.NewButtonWithIcon("放弃修改", theme.CancelIcon(), s.askDiscardEdit)
	s.printBtn = widget.NewButtonWithIcon("打印", theme.DocumentPrintIcon(), func() { u.printVisits([]survey.Visit{s.v}) })
	s.signBtn = widget.NewButtonWithIcon("企业签字确认", theme.MailComposeIcon(), func() { s.askSignOff() })
	s.questBtn = widget.NewButtonWithIcon("问卷模式", theme.AccountIcon(), func() {
		if q := startWorkerQuestionnaire(u, s.v); q != nil {
			q.onExit = s.loadExtras
		}
	})
	s.entQuestBtn = widget.NewButtonWithIcon("经营者问卷", theme.DocumentIcon(), func() { showEnterpriseQuestionnaire(u, s.v, s.loadExtras) })
	s.extrasBtn = widget.NewButtonWithIcon("台帐与问卷", theme.ListIcon(), s.showExtras)
	s.ledger = newTextBlock("")
	s.responses = newTextBlock("")

	// One wrapping row: the state, then the actions; it takes a second
	// row only when the window is too narrow, so the form keeps the
	// height (at 1024×600 the old header and footer left it 310 px).
	s.header = container.NewVBox(
		newFlow(s.status, s.saveState, s.finalizeBtn, s.doneEditBtn, s.cancelEditBtn, s.editBtn, s.printBtn,
			s.signBtn, s.questBtn, s.entQuestBtn, s.extrasBtn),
		s.reviewBox, s.message)
	s.frame = container.NewBorder(s.header, nil, nil, nil, s.fv.content)
	s.content = newScreenPage(s, s.frame)
	s.load()
	s.applyStatus()
	u.win.SetOnClosed(s.flush)
	return s
}

// load reads the enterprise, the remembered section, an unfinished edit,
// the ledger items and the response counts. They are a few indexed
// lookups, read before the screen is first shown so it opens complete and
// at the right section instead of jumping once a background read lands.
func (s *visitScreen) load() {
	ctx := context.Background()
	ent, err := s.u.db.Enterprise(ctx, s.v.EnterpriseID)
	if err != nil {
		s.showMessage("读取企业信息失败："+userText(err), widget.DangerImportance)
	} else {
		s.ent = ent
		s.fv.entName = ent.Name
	}
	section, err := s.u.db.Setting(ctx, sectionKey(s.v.ID))
	if i := s.fv.sectionByName(section); err == nil && section != "" && i >= 0 {
		s.fv.cur = i
	}
	s.fv.selectInList(s.fv.cur) // applyStatus renders this section
	if s.v.Status != survey.VisitDraft {
		if raw, err := s.u.db.Setting(ctx, editKey(s.v.ID)); err == nil && raw != "" {
			var pe pendingEdit
			if json.Unmarshal([]byte(raw), &pe) == nil && strings.TrimSpace(pe.Reason) != "" {
				s.editReason = pe.Reason
				s.fv.answers = survey.NormalizeAnswers(pe.Answers)
				s.fv.evaluate()
				s.showMessage("上次的修改还没有完成（原因："+pe.Reason+"）。改完请点“完成修改”，或“放弃修改”。", widget.WarningImportance)
			}
		}
	}
	s.applyExtras(readVisitExtras(s.u.db, s.v.ID))
	s.loadReview()
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
		s.ledger.SetText("读取台帐失败：" + userText(err))
		return
	}
	s.responses.SetText(fmt.Sprintf("本次走访已收集职工问卷 %d 份，经营者问卷 %d 份", x.workers, x.managers))
	s.extrasBtn.SetText(fmt.Sprintf("台帐 %d 项 · 问卷 %d 份", len(x.items), x.workers+x.managers))
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
	lines := []string{fmt.Sprintf("本次走访生成的台帐（%d 项）：", len(items))}
	for _, it := range items {
		c := s.form.ChoiceLabelOf(survey.FieldDemandCategory, it.Category)
		lines = append(lines, fmt.Sprintf("%d. %s：%s（%s，期限 %s）", it.DemandIndex+1, c, it.Description, it.Status.Label(), it.Deadline))
	}
	s.ledger.SetText(strings.Join(lines, "\n"))
}

// showExtras shows the questionnaire counts and the ledger items.
func (s *visitScreen) showExtras() {
	d := s.u.newDialog("本次走访的台帐与问卷", container.NewVBox(s.responses, widget.NewSeparator(), s.ledger), "", "知道了", nil)
	d.width = 640
	d.show(nil)
}

// editing reports whether the answers may be changed.
func (s *visitScreen) editing() bool { return s.v.Status == survey.VisitDraft || s.editReason != "" }

// applyStatus shows the buttons that fit the visit's state.
func (s *visitScreen) applyStatus() {
	state := s.v.Status.Label()
	if r := reviewLabel(s.reviewState()); r != "" {
		state += " · " + r
	}
	s.status.SetText("【" + state + "】")
	draft := s.v.Status == survey.VisitDraft
	edit := !draft && s.editReason != ""
	show := func(b *widget.Button, on bool) {
		if on {
			b.Show()
		} else {
			b.Hide()
		}
	}
	show(s.finalizeBtn, draft)
	show(s.doneEditBtn, edit)
	show(s.cancelEditBtn, edit)
	show(s.editBtn, !draft && !edit)
	show(s.printBtn, !draft && !edit)
	show(s.signBtn, s.v.Status == survey.VisitFinalized && !edit)
	s.applyReview()
	s.relayout()
	s.fv.setReadOnly(!s.editing())
}

// leave is the page's question before it closes: during an edit of a
// finished visit it asks (askLeaveEdit); otherwise the page just goes
// (drafts are saved as they are typed).
func (s *visitScreen) leave(proceed func()) {
	if s.form != nil && s.v.Status != survey.VisitDraft && s.editReason != "" {
		s.askLeaveEdit(proceed)
		return
	}
	proceed()
}

// onChange is the form's onChange: the answers are copied now and written
// after a pause in typing, off the UI goroutine. A draft is saved as the
// visit; an edit of a finished visit is kept aside (editKey) until
// 完成修改. The problem count in the message follows.
func (s *visitScreen) onChange() {
	if s.problemCount {
		s.showProblemCount()
	}
	if !s.editing() {
		return
	}
	s.saveState.SetText("正在保存…")
	seq := s.saveSeq.Add(1)
	db := s.u.db
	answers := cloneAnswers(s.fv.answers)
	var write func() (time.Time, error)
	if s.v.Status == survey.VisitDraft {
		v := s.v
		v.Answers = answers
		write = func() (time.Time, error) {
			nv, err := db.SaveVisit(context.Background(), v)
			return nv.UpdatedAt, err
		}
	} else {
		raw, err := json.Marshal(pendingEdit{Reason: s.editReason, Answers: answers})
		key := editKey(s.v.ID)
		write = func() (time.Time, error) {
			if err != nil {
				return time.Time{}, err
			}
			return time.Time{}, db.SetSetting(context.Background(), key, string(raw))
		}
	}
	pending := func() error { _, err := write(); return err }
	s.pendMu.Lock()
	s.pending = pending
	s.pendMu.Unlock()
	s.saver.trigger(func() func() {
		s.saveMu.Lock()
		defer s.saveMu.Unlock()
		if seq != s.saveSeq.Load() {
			return nil // a newer save or a finalize took over
		}
		at, err := write()
		s.pendMu.Lock()
		s.pending = nil
		s.pendMu.Unlock()
		return func() {
			if err != nil {
				s.saveState.SetText("保存失败：" + userText(err))
				return
			}
			s.saved++
			if at.IsZero() {
				s.saveState.SetText("修改已暂存，点“完成修改”后生效")
				return
			}
			s.v.UpdatedAt = at
			s.saveState.SetText("已保存 " + at.In(s.u.now().Location()).Format("15:04:05"))
		}
	})
}

// flush writes a change still waiting for its autosave now, on the
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
	if err := p(); err != nil {
		logError("save visit on close", err)
	}
}

// saveKey answers Ctrl+S: everything is saved automatically, so it only
// says so.
func (s *visitScreen) saveKey() {
	s.u.nav.say("已自动保存，无需手动保存")
	if s.saveState.Text != "正在保存…" && s.v.Status == survey.VisitDraft {
		s.saveState.SetText("已保存 " + s.v.UpdatedAt.In(s.u.now().Location()).Format("15:04:05"))
	}
}

// rememberSection stores the open section so the draft resumes there.
func (s *visitScreen) rememberSection(name string) {
	db, key := s.u.db, sectionKey(s.v.ID)
	runInBackground(func() error { return db.SetSetting(context.Background(), key, name) }, nil)
}

// finalize validates and finalizes the visit (or finishes an edit). On
// problems it jumps to the first one. then, when set, runs after success.
func (s *visitScreen) finalize() { s.finalizeThen(nil) }

func (s *visitScreen) finalizeThen(then func()) {
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
	wasEdit := s.editReason != ""
	db, f := s.u.db, s.form
	var nv survey.Visit
	s.saveState.SetText("正在保存…")
	runInBackground(func() error {
		s.saveMu.Lock()
		defer s.saveMu.Unlock()
		var err error
		nv, problems, err = db.FinalizeVisit(context.Background(), v, f)
		if err == nil && len(problems) == 0 && wasEdit {
			err = db.SetSetting(context.Background(), editKey(v.ID), "")
		}
		return err
	}, func(err error) {
		if err != nil {
			s.saveState.SetText("保存失败")
			s.showMessage("完成走访失败："+userText(err), widget.DangerImportance)
			return
		}
		s.v = nv
		s.saveState.SetText("已保存 " + nv.UpdatedAt.In(s.u.now().Location()).Format("15:04:05"))
		if len(problems) > 0 {
			s.showProblems(problems)
			return
		}
		s.editReason = ""
		s.problemCount = false
		s.fv.answers = cloneAnswers(s.v.Answers)
		s.fv.evaluate()
		s.loadReview()
		s.applyStatus()
		if wasEdit && s.reviewState() == survey.ReviewResubmitted {
			s.showMessage("修改已保存（已修改待复审）：请同步，交回区总工会复审。", widget.SuccessImportance)
		} else if wasEdit && s.reviewState() == survey.ReviewStateReturn {
			// Nothing was changed, so nothing goes back for review.
			s.showMessage("没有改动任何内容，这条记录仍是“退回修改”。请点“按审核意见修改”，按意见改完再点“完成修改”。", widget.WarningImportance)
		} else if wasEdit {
			s.showMessage("修改已保存。", widget.SuccessImportance)
		} else {
			s.showMessage("走访已完成。可以打印走访记录请企业签字确认。", widget.SuccessImportance)
		}
		s.loadExtras()
		if then != nil {
			then()
		}
	})
}

// showProblems reveals every problem and focuses the first; the count in
// the message then follows the answers.
func (s *visitScreen) showProblems(problems []survey.Problem) {
	s.fv.revealProblems()
	s.problemCount = true
	s.showProblemCount()
	s.fv.focusPath(problems[0].Path)
}

// showProblemCount puts the current number of problems in the message.
func (s *visitScreen) showProblemCount() {
	ps := s.fv.problems
	if len(ps) == 0 {
		next := "完成走访"
		if s.editReason != "" {
			next = "完成修改"
		}
		s.showMessage("已全部填写，可以点“"+next+"”。", widget.SuccessImportance)
		return
	}
	first := ps[0]
	sec := s.fv.sections[s.fv.sectionIndex(first.Path)].title
	s.showMessage(fmt.Sprintf("还有 %d 处需要填写或修改，第一处在%s：%s", len(ps), sec, first.Message), widget.DangerImportance)
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
	s.frame.Refresh()
}

// askEdit asks why a finished visit is changed; the reason is required
// and the error is shown in the dialog.
func (s *visitScreen) askEdit() *appDialog {
	if s.returned() {
		// Answering the district's comments is the reason.
		s.beginEdit(reviewEditReason)
		return nil
	}
	reason := newEntry()
	reason.SetPlaceHolder("例如：企业补充了在岗职工人数")
	text := "修改原因会记入走访记录的修改历史。"
	if s.v.Status == survey.VisitSigned {
		text += "这份记录已经企业签字确认，修改后需要重新打印，请企业再次签字。"
	}
	d := s.u.newDialog("修改已完成的走访记录", container.NewVBox(message(text), widget.NewForm(widget.NewFormItem("修改原因", reason))),
		"开始修改", "取消", func() error { return s.beginEdit(reason.Text) })
	d.bindEntries(reason)
	d.show(reason)
	return d
}

// beginEdit unlocks the form. Changes are kept aside until 完成修改 stores
// them as a valid new version.
func (s *visitScreen) beginEdit(reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("请填写修改原因")
	}
	s.editReason = reason
	s.fv.answers = cloneAnswers(s.v.Answers)
	s.applyStatus()
	s.showMessage("正在修改（原因："+reason+"）。改完请点“完成修改”；改动在完成前不会生效。", widget.WarningImportance)
	return nil
}

// askDiscardEdit confirms 放弃修改.
func (s *visitScreen) askDiscardEdit() {
	s.u.confirm("放弃修改", "放弃这次修改吗？走访记录将保持修改前的内容。", "放弃修改", func() { s.discardEdit() })
}

// discardEdit ends an edit without storing it.
func (s *visitScreen) discardEdit() {
	s.saveSeq.Add(1)
	s.pendMu.Lock()
	s.pending = nil
	s.pendMu.Unlock()
	s.editReason = ""
	s.problemCount = false
	s.fv.answers = cloneAnswers(s.v.Answers)
	s.fv.showAll = false
	s.fv.evaluate()
	s.applyStatus()
	s.showMessage("已放弃修改。", widget.MediumImportance)
	s.saveState.SetText("")
	db, key := s.u.db, editKey(s.v.ID)
	runInBackground(func() error { return db.SetSetting(context.Background(), key, "") }, func(err error) {
		if err != nil {
			s.showMessage("放弃修改时出错："+userText(err), widget.DangerImportance)
		}
	})
}

// askLeaveEdit is asked before the page closes during an edit: finish it,
// discard it, or stay.
func (s *visitScreen) askLeaveEdit(proceed func()) {
	n := len(survey.Validate(s.form, s.fv.answers, s.u.now()))
	text := "修改还没有完成。要保存这次修改吗？"
	if n > 0 {
		text = fmt.Sprintf("修改还没有完成：还有 %d 处需要填写或修改，现在不能保存。可以继续修改，或放弃这次修改。", n)
	}
	var d *appDialog
	d = s.u.newDialog("修改还没有完成", message(text), "完成修改", "继续修改", func() error {
		if n > 0 {
			s.finalize() // shows the problems and stays
			return nil
		}
		s.finalizeThen(proceed)
		return nil
	})
	if n > 0 {
		d.ok.SetText("查看问题")
	}
	d.addButton("放弃修改", theme.DeleteIcon(), widget.DangerImportance, func() {
		s.discardEdit()
		proceed()
	})
	d.show(nil)
}

// askSignOff records the enterprise's signature of the printed record.
func (s *visitScreen) askSignOff() *appDialog {
	signer, title := s.v.ReceivedBy()
	name := newEntry()
	name.SetText(signer)
	job := newEntry()
	job.SetText(title)
	date := newEntry()
	date.SetPlaceHolder(survey.DayHint)
	date.SetText(survey.Today(s.u.now()))
	pickDate := widget.NewButtonWithIcon("选日期", theme.CalendarIcon(), func() {
		start, _ := survey.ParseDay(date.Text)
		s.u.pickDay("签字日期", start, s.u.now(), func(d string) { date.SetText(d) })
	})
	var photo []byte
	var photoType string
	photoState := widget.NewLabel("未选择")
	photoState.Truncation = fyne.TextTruncateEllipsis
	pick := widget.NewButtonWithIcon("选择照片…", theme.FileImageIcon(), func() {
		s.u.pickFile("选择签字页照片或扫描件", imageFiles, func(p string) {
			runInBackground(func() error {
				var err error
				photo, err = readPicked(p, maxAttachment)
				return err
			}, func(err error) {
				if err != nil {
					photo = nil
					photoState.SetText("读取失败：" + userText(err))
					return
				}
				photoType = mediaTypeOf(p)
				photoState.SetText(filepath.Base(p))
			})
		})
	})
	form := widget.NewForm(
		widget.NewFormItem("签字人姓名", name),
		widget.NewFormItem("职务", job),
		widget.NewFormItem("签字日期", container.NewBorder(nil, nil, nil, pickDate, date)),
		widget.NewFormItem("签字页照片", container.NewBorder(nil, nil, pick, nil, photoState)),
	)
	d := s.u.newDialog("企业签字确认", form, "确认", "取消", func() error {
		day, ok := survey.ParseDay(date.Text)
		if !ok {
			day = strings.TrimSpace(date.Text)
		}
		so := survey.SignOff{SignerName: strings.TrimSpace(name.Text), SignerTitle: strings.TrimSpace(job.Text), Date: day}
		if err := survey.CheckSignOff(&so); err != nil {
			return err
		}
		s.signOff(so, photo, photoType)
		return nil
	})
	d.bindEntries(name, job, date)
	d.show(name)
	return d
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
			s.showMessage("签字确认失败："+userText(err), widget.DangerImportance)
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
