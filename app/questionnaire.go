package app

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
	"zoufang/survey"
)

// questionnaire collects anonymous responses of one kind for a visit. In
// worker mode (问卷模式) it fills the whole window with large text and
// nothing else is reachable until the investigator's PIN is entered.
type questionnaire struct {
	u    *ui
	v    survey.Visit
	kind survey.RespondentKind
	form *survey.Form
	fv   *formView

	heading   *widget.Label
	count     *textBlock
	message   *textBlock
	submitBtn *widget.Button
	exitBtn   *widget.Button
	pinEntry  *entry     // of the open exit dialog, for tests
	pinDialog *appDialog // the open exit dialog
	bottom    *fyne.Container
	// problemCount is shown after a refused submit and follows the
	// answers until everything is answered.
	problemCount bool

	collected int    // responses on this visit, of this kind
	active    bool   // worker mode is showing
	onDone    func() // after a submit (enterprise questionnaire)
	onExit    func() // after leaving worker mode
	content   fyne.CanvasObject
}

func newQuestionnaire(u *ui, v survey.Visit, kind survey.RespondentKind) (*questionnaire, error) {
	id := u.campaign.Forms.Worker.ID
	if kind == survey.RespondentManager {
		id = u.campaign.Forms.Enterprise.ID
	}
	f, ok := u.forms.Latest(id)
	if !ok {
		return nil, fmt.Errorf("找不到问卷表单 %q", id)
	}
	q := &questionnaire{u: u, v: v, kind: kind, form: f}
	q.fv = newFormView(f, nil, u.now, u, true)
	q.fv.onChange = q.onChange
	q.heading = widget.NewLabelWithStyle(f.Title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	q.heading.SizeName = theme.SizeNameHeadingText
	q.heading.Wrapping = fyne.TextWrapWord
	q.count = newTextBlock("")
	q.message = newTextBlock("")
	q.message.Hide()
	submit := "提交"
	if kind == survey.RespondentWorker {
		submit = "提交并交给下一位"
	}
	q.submitBtn = widget.NewButtonWithIcon(submit, theme.ConfirmIcon(), q.submit)
	q.submitBtn.Importance = widget.HighImportance
	q.exitBtn = widget.NewButtonWithIcon("退出问卷模式", theme.LogoutIcon(), q.askExit)
	q.exitBtn.Importance = widget.LowImportance
	var top fyne.CanvasObject = q.heading
	if kind == survey.RespondentWorker {
		top = container.NewBorder(nil, nil, nil, q.exitBtn, q.heading)
	}
	q.bottom = container.NewVBox(q.message, container.NewBorder(nil, nil, nil, q.submitBtn, q.count))
	q.content = newScreenPage(q, container.NewBorder(container.NewPadded(top), container.NewPadded(q.bottom), nil, nil, q.fv.content))
	q.loadCount()
	return q, nil
}

// startWorkerQuestionnaire hands the window over to the worker
// questionnaire, with large text.
func startWorkerQuestionnaire(u *ui, v survey.Visit) *questionnaire {
	q, err := newQuestionnaire(u, v, survey.RespondentWorker)
	if err != nil {
		u.showError("无法开始问卷", err)
		return nil
	}
	q.active = true
	u.app.Settings().SetTheme(newTheme(true))
	u.nav.fullScreen(q.content)
	// Closing the window is another way out; it asks for the PIN too.
	u.win.SetCloseIntercept(q.askExit)
	return q
}

// showEnterpriseQuestionnaire opens the 经营者问卷 as a page; after a
// submit it returns to the visit and calls done.
func showEnterpriseQuestionnaire(u *ui, v survey.Visit, done func()) *questionnaire {
	q, err := newQuestionnaire(u, v, survey.RespondentManager)
	if err != nil {
		u.showError("无法开始问卷", err)
		return nil
	}
	q.onDone = func() {
		u.nav.back()
		if done != nil {
			done()
		}
	}
	u.nav.show("经营者问卷", q.content)
	return q
}

// loadCount reads how many responses of this kind the visit has (one
// indexed query, before the screen is shown).
func (q *questionnaire) loadCount() {
	rs, err := q.u.db.Responses(context.Background(), storage.ResponseFilter{VisitID: q.v.ID, Kind: q.kind})
	if err != nil {
		q.count.SetText("读取问卷数量失败：" + userText(err))
		return
	}
	q.collected = len(rs)
	q.showCount()
}

func (q *questionnaire) showCount() {
	who := "职工"
	if q.kind == survey.RespondentManager {
		who = "经营者"
	}
	q.count.SetText(fmt.Sprintf("本次走访已收集%s问卷 %d 份", who, q.collected))
}

// submit stores the response when it is complete and clears the form for
// the next respondent.
func (q *questionnaire) submit() {
	answers := q.fv.answers
	if ps := survey.Validate(q.form, answers, q.u.now()); len(ps) > 0 {
		q.fv.revealProblems()
		q.problemCount = true
		q.showProblemCount()
		q.fv.focusPath(ps[0].Path)
		return
	}
	r := survey.Response{
		EnterpriseID: q.v.EnterpriseID,
		VisitID:      q.v.ID,
		FormID:       q.form.ID,
		FormVersion:  q.form.Version,
		Kind:         q.kind,
		Date:         day(q.u.now()),
		Answers:      survey.Clean(q.form, answers, q.u.now()),
	}
	q.submitBtn.Disable()
	db := q.u.db
	runInBackground(func() error {
		_, err := db.AddResponse(context.Background(), r)
		return err
	}, func(err error) {
		q.submitBtn.Enable()
		if err != nil {
			q.say("提交失败："+userText(err), widget.DangerImportance)
			return
		}
		q.problemCount = false
		q.collected++
		q.showCount()
		q.fv.setAnswers(survey.NewAnswers(q.form))
		if q.kind == survey.RespondentWorker {
			q.say("提交成功，谢谢！请把电脑交给下一位职工。", widget.SuccessImportance)
		} else {
			q.say("提交成功，谢谢！", widget.SuccessImportance)
		}
		if q.onDone != nil {
			q.onDone()
		}
	})
}

// onChange follows the answers with the problem count after a refused
// submit.
func (q *questionnaire) onChange() {
	if q.problemCount {
		q.showProblemCount()
	}
}

// showProblemCount says how many questions still need an answer.
func (q *questionnaire) showProblemCount() {
	n := len(q.fv.problems)
	if n == 0 {
		q.say("已全部作答，可以提交。", widget.SuccessImportance)
		return
	}
	q.say(fmt.Sprintf("还有 %d 题需要作答或修改，请看红字提示。", n), widget.DangerImportance)
}

// askExit asks for the investigator's PIN: Enter leaves, Esc stays, a
// wrong PIN is said in the dialog.
func (q *questionnaire) askExit() {
	q.pinEntry = newPasswordEntry()
	q.pinEntry.SetPlaceHolder("4 到 6 位数字")
	q.pinDialog = q.u.newDialog("退出问卷模式",
		container.NewVBox(message("请调查员输入问卷模式退出密码。"), widget.NewForm(widget.NewFormItem("退出密码", q.pinEntry))),
		"退出问卷模式", "继续答卷", func() error {
			if !q.tryExit(q.pinEntry.Text) {
				q.pinEntry.SetText("")
				return errors.New("密码不正确，仍在问卷模式。请把电脑交给调查员。")
			}
			return nil
		})
	q.pinDialog.width = 460
	q.pinDialog.bindEntries(q.pinEntry)
	q.pinDialog.show(q.pinEntry)
}

// tryExit leaves questionnaire mode when pin is the investigator's PIN;
// otherwise the mode stays. It reports whether it left.
func (q *questionnaire) tryExit(pin string) bool {
	if !q.active {
		return false
	}
	if !q.u.profile.CheckPIN(pin) {
		q.say("密码不正确，仍在问卷模式。请把电脑交给调查员。", widget.DangerImportance)
		return false
	}
	q.active = false
	q.u.win.SetCloseIntercept(nil)
	q.u.app.Settings().SetTheme(newTheme(q.u.profile.LargeFont))
	q.u.nav.leaveFullScreen()
	q.u.nav.say(fmt.Sprintf("问卷模式已结束，本次走访共收集职工问卷 %d 份", q.collected))
	if q.onExit != nil {
		q.onExit()
	}
	return true
}

// say shows a message above the submit button.
func (q *questionnaire) say(text string, imp widget.Importance) {
	q.message.Importance = imp
	q.message.SetText(text)
	q.message.Show()
	q.bottom.Refresh()
}
