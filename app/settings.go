package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynestorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
	"zoufang/survey"
)

// settingsScreen edits the profile, the font size and imports rosters.
type settingsScreen struct {
	u          *ui
	printAll   *widget.Button
	name       *widget.Entry
	district   *widget.SelectEntry
	team       *widget.Entry
	pin        *widget.Entry
	pin2       *widget.Entry
	largeFont  *widget.Check
	saveBtn    *widget.Button
	errLabel   *widget.Label
	importBtn  *widget.Button
	lastImport *widget.Label
	content    fyne.CanvasObject
}

// showSettings opens the settings screen.
func showSettings(u *ui) *settingsScreen {
	s := newSettingsScreen(u)
	u.nav.show("设置", s.content)
	return s
}

func newSettingsScreen(u *ui) *settingsScreen {
	s := &settingsScreen{u: u}
	p := u.profile
	s.name = widget.NewEntry()
	s.name.SetText(p.Name)
	s.district = widget.NewSelectEntry(districts)
	s.district.SetText(p.District)
	s.team = widget.NewEntry()
	s.team.SetText(p.Team)
	s.pin = widget.NewPasswordEntry()
	s.pin.SetPlaceHolder("不修改请留空")
	s.pin2 = widget.NewPasswordEntry()
	s.pin2.SetPlaceHolder("再输入一次新密码")
	s.largeFont = widget.NewCheck("大字体（适合看小字吃力时使用）", s.onLargeFont)
	s.largeFont.SetChecked(p.LargeFont)
	s.saveBtn = widget.NewButtonWithIcon("保存调查员信息", theme.DocumentSaveIcon(), s.onSave)
	s.saveBtn.Importance = widget.HighImportance
	s.errLabel = widget.NewLabel("")
	s.errLabel.Wrapping = fyne.TextWrapWord

	s.importBtn = widget.NewButtonWithIcon("导入企业名录（.csv / .xlsx）", theme.FolderOpenIcon(), s.onImport)
	s.lastImport = widget.NewLabel("")
	s.lastImport.Wrapping = fyne.TextWrapWord

	s.printAll = widget.NewButtonWithIcon("批量打印已完成的走访记录", theme.DocumentPrintIcon(), s.onPrintAll)

	prof := widget.NewForm(
		widget.NewFormItem("调查员姓名", s.name),
		widget.NewFormItem("所属区市", s.district),
		widget.NewFormItem("走访组", s.team),
		widget.NewFormItem("新的退出密码", s.pin),
		widget.NewFormItem("确认新密码", s.pin2),
	)
	dev := widget.NewLabel(fmt.Sprintf("设备编号：%s\n设备指纹：%s（登记本机时与区总工会核对）", p.DeviceID, p.Fingerprint))
	dev.Wrapping = fyne.TextWrapWord
	importHelp := widget.NewLabel("名录表格第一行为表头，可包含：企业名称、统一社会信用代码、所属区市、镇街、行业、职工人数、是否建会、联系人、联系电话、地址。按统一社会信用代码更新已有企业；有错误的行会列出行号和原因。")
	importHelp.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(
		heading("调查员信息"), prof, s.errLabel, container.NewHBox(s.saveBtn),
		widget.NewSeparator(), heading("显示"), s.largeFont,
		widget.NewSeparator(), heading("企业名录"), importHelp, container.NewHBox(s.importBtn), s.lastImport,
		widget.NewSeparator(), heading("打印"), container.NewHBox(s.printAll),
		widget.NewSeparator(), heading("本机"), dev,
	)
	s.content = container.NewVScroll(container.NewPadded(body))
	return s
}

// heading is a bold section title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func (s *settingsScreen) onSave() {
	p := s.u.profile
	p.Name = strings.TrimSpace(s.name.Text)
	p.District = strings.TrimSpace(s.district.Text)
	p.Team = strings.TrimSpace(s.team.Text)
	fail := func(msg string) {
		s.errLabel.Importance = widget.DangerImportance
		s.errLabel.SetText(msg)
	}
	if p.Name == "" || p.District == "" {
		fail("调查员姓名和所属区市不能为空")
		return
	}
	if s.pin.Text != "" || s.pin2.Text != "" {
		if err := validPIN(s.pin.Text); err != nil {
			fail(err.Error())
			return
		}
		if s.pin.Text != s.pin2.Text {
			fail("两次输入的退出密码不一致")
			return
		}
		h, err := hashPIN(s.pin.Text)
		if err != nil {
			fail(err.Error())
			return
		}
		p.PINHash = h
	}
	s.saveBtn.Disable()
	runInBackground(func() error {
		return saveProfile(context.Background(), s.u.db, p)
	}, func(err error) {
		s.saveBtn.Enable()
		if err != nil {
			fail("保存失败：" + err.Error())
			return
		}
		s.u.profile = p
		s.pin.SetText("")
		s.pin2.SetText("")
		s.errLabel.Importance = widget.SuccessImportance
		s.errLabel.SetText("已保存")
		s.u.nav.setStatus(p.Name + " · " + p.District)
	})
}

// onLargeFont switches the theme at once and remembers the choice.
func (s *settingsScreen) onLargeFont(on bool) {
	if on == s.u.profile.LargeFont {
		return
	}
	s.u.profile.LargeFont = on
	s.u.app.Settings().SetTheme(newTheme(on))
	v := "0"
	if on {
		v = "1"
	}
	runInBackground(func() error {
		return s.u.db.SetSetting(context.Background(), keyLargeFont, v)
	}, func(err error) {
		if err != nil {
			dialog.ShowError(userError("保存字体设置失败", err), s.u.win)
		}
	})
}

// onImport asks for a roster file.
func (s *settingsScreen) onImport() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, s.u.win)
			return
		}
		if rc == nil {
			return // cancelled
		}
		s.importRoster(rc, rc.URI().Name())
	}, s.u.win)
	d.SetFilter(fynestorage.NewExtensionFileFilter([]string{".csv", ".xlsx", ".CSV", ".XLSX"}))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// importRoster imports r (closed afterwards) with a progress dialog and
// shows the result, listing rejected rows.
func (s *settingsScreen) importRoster(r io.ReadCloser, name string) {
	var rep storage.ImportReport
	s.importBtn.Disable()
	runWithProgress(s.u.win, "正在导入企业名录", func(progress progressFunc) error {
		defer r.Close()
		var err error
		rep, err = s.u.db.ImportRoster(context.Background(), r, name, progress)
		return err
	}, func(err error) {
		s.importBtn.Enable()
		if err != nil {
			s.lastImport.SetText("导入失败，名录未改动：" + err.Error())
			dialog.ShowError(userError("导入失败，名录未改动", err), s.u.win)
			return
		}
		s.lastImport.SetText(rep.Summary(name))
		s.showImportReport(name, rep)
	})
}

// showImportReport shows the counts and every rejected row.
func (s *settingsScreen) showImportReport(name string, rep storage.ImportReport) {
	text := rep.Summary(name)
	lines := rep.Details()
	body := []fyne.CanvasObject{widget.NewLabel(text)}
	if len(lines) > 0 {
		list := widget.NewList(func() int { return len(lines) },
			func() fyne.CanvasObject { return widget.NewLabel("第 100000 行：原因") },
			func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(lines[id]) })
		box := container.NewGridWrap(fyne.NewSize(640, 300), list)
		body = append(body, widget.NewLabel("未导入的行和无法识别的内容："), box)
	}
	d := dialog.NewCustom("导入结果", "知道了", container.NewVBox(body...), s.u.win)
	d.Show()
}

// onPrintAll prints every finalized or signed visit into one PDF (with
// progress), for the enterprise sign-off round or the office's files.
func (s *settingsScreen) onPrintAll() {
	ctx := context.Background()
	var all []survey.Visit
	for _, st := range []survey.VisitStatus{survey.VisitFinalized, survey.VisitSigned} {
		vs, err := s.u.db.Visits(ctx, storage.VisitFilter{Status: st})
		if err != nil {
			dialog.ShowError(userError("读取走访记录失败", err), s.u.win)
			return
		}
		all = append(all, vs...)
	}
	if len(all) == 0 {
		dialog.ShowInformation("批量打印", "还没有已完成的走访记录。", s.u.win)
		return
	}
	s.u.printVisits(all)
}
