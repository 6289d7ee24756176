package app

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"zoufang/profile"
	"zoufang/storage"
)

// districts are the districts of the city, offered as suggestions; any other
// name may be typed.
var districts = []string{"市南区", "市北区", "李沧区", "崂山区", "城阳区", "黄岛区", "即墨区", "胶州市", "平度市", "莱西市"}

// setupScreen is the first-run profile setup.
type setupScreen struct {
	u        *ui
	name     *entry
	district *widget.SelectEntry
	team     *entry
	pin      *entry
	pin2     *entry
	errLabel *textBlock
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
	s.name = newEntry()
	s.name.SetPlaceHolder("例如：王建国")
	s.district = widget.NewSelectEntry(districts)
	s.district.SetPlaceHolder("选择或输入区市")
	s.team = newEntry()
	s.team.SetPlaceHolder("例如：第一走访组")
	s.pin = newPasswordEntry()
	s.pin.SetPlaceHolder("4 到 6 位数字")
	s.pin2 = newPasswordEntry()
	s.pin2.SetPlaceHolder("再输入一次")
	s.errLabel = newTextBlock("")
	s.errLabel.Importance = widget.DangerImportance
	s.saveBtn = widget.NewButton("保存并开始", s.onSave)
	s.saveBtn.Importance = widget.HighImportance
	s.demoBtn = widget.NewButton("使用演示数据", s.onDemo)
	s.pin2.OnSubmitted = func(string) { s.onSave() }

	intro := newTextBlock("欢迎使用职工走访调查工具。请先填写调查员信息。问卷模式的退出密码用于把电脑交给职工填写问卷后，只有调查员才能退出问卷模式。")
	form := widget.NewForm(
		widget.NewFormItem("调查员姓名", s.name),
		widget.NewFormItem("所属区市", s.district),
		widget.NewFormItem("走访组", s.team),
		widget.NewFormItem("问卷模式退出密码", s.pin),
		widget.NewFormItem("确认退出密码", s.pin2),
	)
	fp := newTextBlock("本机设备指纹：" + u.device.Fingerprint)
	body := container.NewVBox(intro, form, s.errLabel, newFlow(s.saveBtn, s.demoBtn), widget.NewSeparator(), fp)
	scroll := newPageScroll(container.NewPadded(body))
	for _, e := range []*entry{s.name, s.team, s.pin, s.pin2} {
		e.page, e.outer = scroll, scroll
	}
	// At most 720 wide, centred; on a small screen the whole window.
	s.content = container.New(&maxWidthLayout{width: 720}, scroll)
	return s
}

// check validates the form and returns the profile to save; the error
// message is for the user.
func (s *setupScreen) check() (profile.Profile, error) {
	edit := profile.Edit{Name: s.name.Text, District: s.district.Text, Team: s.team.Text, PIN: s.pin.Text, PINAgain: s.pin2.Text}
	return edit.Apply(s.u.profile, true)
}

func (s *setupScreen) onSave() {
	p, err := s.check()
	if err != nil {
		s.errLabel.SetText(userText(err))
		return
	}
	s.errLabel.SetText("")
	s.saveBtn.Disable()
	db := s.u.db
	runInBackground(func() error {
		return profile.Save(context.Background(), db, p)
	}, func(err error) {
		s.saveBtn.Enable()
		if err != nil {
			s.u.showError("保存调查员信息失败", err)
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
	// The background work gets copies: the profile is the UI goroutine's
	// (reading s.u.profile there raced with the settings screen).
	base, db := s.u.profile, s.u.db
	var p profile.Profile
	runInBackground(func() error {
		ctx := context.Background()
		if err := storage.FillDemo(ctx, db); err != nil {
			return err
		}
		var err error
		if p, err = profile.Demo(base); err != nil {
			return err
		}
		return profile.Save(ctx, db, p)
	}, func(err error) {
		s.demoBtn.Enable()
		if err != nil {
			s.u.showError("生成演示数据失败", err)
			return
		}
		s.u.profile = p
		s.u.showHome()
		s.u.inform("演示数据", "已生成演示数据。调查员：演示调查员，问卷模式退出密码："+profile.DemoPIN+"。可在“设置”中修改。")
	})
}

// maxWidthLayout centres its content at most width wide (the whole width
// when the window is narrower) and as tall as the window.
type maxWidthLayout struct{ width float32 }

func (l *maxWidthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

func (l *maxWidthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, l.width)
	for _, o := range objs {
		o.Resize(fyne.NewSize(w, size.Height))
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
	}
}
