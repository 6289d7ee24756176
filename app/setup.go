package app

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
)

// districts are the districts of the city, offered as suggestions; any other
// name may be typed.
var districts = []string{"市南区", "市北区", "李沧区", "崂山区", "城阳区", "黄岛区", "即墨区", "胶州市", "平度市", "莱西市"}

// setupScreen is the first-run profile setup.
type setupScreen struct {
	u        *ui
	name     *widget.Entry
	district *widget.SelectEntry
	team     *widget.Entry
	pin      *widget.Entry
	pin2     *widget.Entry
	errLabel *widget.Label
	saveBtn  *widget.Button
	demoBtn  *widget.Button
	content  fyne.CanvasObject
}

// showSetup makes the setup screen the root page.
func showSetup(u *ui) *setupScreen {
	s := newSetupScreen(u)
	u.nav.setRoot("首次使用设置", s.content, nil)
	return s
}

func newSetupScreen(u *ui) *setupScreen {
	s := &setupScreen{u: u}
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder("例如：王建国")
	s.district = widget.NewSelectEntry(districts)
	s.district.SetPlaceHolder("选择或输入区市")
	s.team = widget.NewEntry()
	s.team.SetPlaceHolder("例如：第一走访组")
	s.pin = widget.NewPasswordEntry()
	s.pin.SetPlaceHolder("4 到 6 位数字")
	s.pin2 = widget.NewPasswordEntry()
	s.pin2.SetPlaceHolder("再输入一次")
	s.errLabel = widget.NewLabel("")
	s.errLabel.Importance = widget.DangerImportance
	s.errLabel.Wrapping = fyne.TextWrapWord
	s.saveBtn = widget.NewButton("保存并开始", s.onSave)
	s.saveBtn.Importance = widget.HighImportance
	s.demoBtn = widget.NewButton("使用演示数据", s.onDemo)
	s.pin2.OnSubmitted = func(string) { s.onSave() }

	intro := widget.NewLabel("欢迎使用职工走访调查工具。请先填写调查员信息。问卷模式的退出密码用于把电脑交给职工填写问卷后，只有调查员才能退出问卷模式。")
	intro.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem("调查员姓名", s.name),
		widget.NewFormItem("所属区市", s.district),
		widget.NewFormItem("走访组", s.team),
		widget.NewFormItem("问卷模式退出密码", s.pin),
		widget.NewFormItem("确认退出密码", s.pin2),
	)
	fp := widget.NewLabel("本机设备指纹：" + u.profile.Fingerprint)
	body := container.NewVBox(intro, form, s.errLabel, container.NewHBox(s.saveBtn, s.demoBtn), widget.NewSeparator(), fp)
	s.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(620, 520), container.NewVScroll(body)))
	return s
}

// check validates the form and returns the profile to save; the error
// message is for the user.
func (s *setupScreen) check() (profile, error) {
	p := s.u.profile
	p.Name = strings.TrimSpace(s.name.Text)
	p.District = strings.TrimSpace(s.district.Text)
	p.Team = strings.TrimSpace(s.team.Text)
	switch {
	case p.Name == "":
		return p, errors.New("请填写调查员姓名")
	case p.District == "":
		return p, errors.New("请选择所属区市")
	}
	if err := validPIN(s.pin.Text); err != nil {
		return p, err
	}
	if s.pin.Text != s.pin2.Text {
		return p, errors.New("两次输入的退出密码不一致")
	}
	h, err := hashPIN(s.pin.Text)
	if err != nil {
		return p, err
	}
	p.PINHash = h
	return p, nil
}

func (s *setupScreen) onSave() {
	p, err := s.check()
	if err != nil {
		s.errLabel.SetText(err.Error())
		return
	}
	s.errLabel.SetText("")
	s.saveBtn.Disable()
	runInBackground(func() error {
		return saveProfile(context.Background(), s.u.db, p)
	}, func(err error) {
		s.saveBtn.Enable()
		if err != nil {
			dialog.ShowError(userError("保存调查员信息失败", err), s.u.win)
			return
		}
		s.u.profile = p
		s.u.showHome()
	})
}

// onDemo fills the demo roster and visits and a demo profile, so the app
// can be tried at once.
func (s *setupScreen) onDemo() {
	s.demoBtn.Disable()
	var p profile
	runInBackground(func() error {
		ctx := context.Background()
		if err := storage.FillDemo(ctx, s.u.db); err != nil {
			return err
		}
		p = demoProfile(s.u.profile)
		return saveProfile(ctx, s.u.db, p)
	}, func(err error) {
		s.demoBtn.Enable()
		if err != nil {
			dialog.ShowError(userError("生成演示数据失败", err), s.u.win)
			return
		}
		s.u.profile = p
		s.u.showHome()
		dialog.ShowInformation("演示数据", "已生成演示数据。调查员：演示调查员，问卷模式退出密码："+demoPIN+"。可在“设置”中修改。", s.u.win)
	})
}
