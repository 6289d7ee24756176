package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/profile"
	"zoufang/storage"
	"zoufang/survey"
)

// settingsScreen edits the profile, the font size and imports rosters.
type settingsScreen struct {
	u          *ui
	printAll   *widget.Button
	name       *entry
	district   *widget.SelectEntry
	team       *entry
	pin        *entry
	pin2       *entry
	largeFont  *widget.Check
	openPrints *widget.Button
	saveBtn    *widget.Button
	errLabel   *textBlock
	importBtn  *widget.Button
	lastImport *textBlock
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
	s.name = newEntry()
	s.name.SetText(p.Name)
	s.district = widget.NewSelectEntry(districts)
	s.district.SetText(p.District)
	s.team = newEntry()
	s.team.SetText(p.Team)
	s.pin = newPasswordEntry()
	s.pin.SetPlaceHolder("不修改请留空")
	s.pin2 = newPasswordEntry()
	s.pin2.SetPlaceHolder("再输入一次新密码")
	s.pin2.OnSubmitted = func(string) { s.onSave() }
	s.largeFont = widget.NewCheck("大字体（适合看小字吃力时使用）", s.onLargeFont)
	s.largeFont.SetChecked(p.LargeFont)
	s.saveBtn = widget.NewButtonWithIcon("保存调查员信息", theme.DocumentSaveIcon(), s.onSave)
	s.saveBtn.Importance = widget.HighImportance
	s.errLabel = newTextBlock("")

	s.importBtn = widget.NewButtonWithIcon("导入企业名录（.csv / .xlsx）", theme.FolderOpenIcon(), s.onImport)
	s.lastImport = newTextBlock("")

	s.printAll = widget.NewButtonWithIcon("批量打印已完成的走访记录", theme.DocumentPrintIcon(), s.onPrintAll)
	s.openPrints = widget.NewButtonWithIcon("打开走访记录表文件夹", theme.FolderOpenIcon(), func() { u.openPrintFolder() })
	printHelp := newTextBlock("打印生成的 PDF 保存在：" + u.printDir())

	prof := widget.NewForm(
		widget.NewFormItem("调查员姓名", s.name),
		widget.NewFormItem("所属区市", s.district),
		widget.NewFormItem("走访组", s.team),
		widget.NewFormItem("新的退出密码", s.pin),
		widget.NewFormItem("确认新密码", s.pin2),
	)
	dev := newTextBlock(fmt.Sprintf("设备编号：%s\n设备指纹：%s（登记本机时与区总工会核对）\n数据目录：%s", u.device.DeviceID, u.device.Fingerprint, u.dataDir))
	importHelp := newTextBlock("名录表格第一行为表头，可包含：企业名称、统一社会信用代码、所属区市、镇街、行业、职工人数、是否建会、联系人、联系电话、地址。按统一社会信用代码更新已有企业；有错误的行会列出行号和原因。")
	body := container.NewVBox(
		heading("调查员信息"), prof, s.errLabel, newFlow(s.saveBtn),
		widget.NewSeparator(), heading("显示"), s.largeFont,
		widget.NewSeparator(), heading("企业名录"), importHelp, newFlow(s.importBtn), s.lastImport,
		widget.NewSeparator(), heading("打印"), printHelp, newFlow(s.printAll, s.openPrints),
		widget.NewSeparator(), heading("本机"), dev,
	)
	scroll := newPageScroll(container.NewPadded(body))
	for _, e := range []*entry{s.name, s.team, s.pin, s.pin2} {
		e.page, e.outer = scroll, scroll
	}
	s.content = scroll
	return s
}

// heading is a bold section title.
func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func (s *settingsScreen) onSave() {
	fail := func(msg string) {
		s.errLabel.Importance = widget.DangerImportance
		s.errLabel.SetText(msg)
	}
	edit := profile.Edit{Name: s.name.Text, District: s.district.Text, Team: s.team.Text, PIN: s.pin.Text, PINAgain: s.pin2.Text}
	p, err := edit.Apply(s.u.profile, false)
	if err != nil {
		fail(userText(err))
		return
	}
	s.saveBtn.Disable()
	db := s.u.db
	runInBackground(func() error {
		return profile.Save(context.Background(), db, p)
	}, func(err error) {
		s.saveBtn.Enable()
		if err != nil {
			fail("保存失败：" + userText(err))
			return
		}
		p.LargeFont = s.u.profile.LargeFont // the check box may have changed meanwhile
		s.u.profile = p
		s.pin.SetText("")
		s.pin2.SetText("")
		s.errLabel.Importance = widget.SuccessImportance
		s.errLabel.SetText("已保存")
		s.u.nav.setWho(s.u.who())
	})
}

// onLargeFont switches the theme at once and remembers the choice.
func (s *settingsScreen) onLargeFont(on bool) {
	if on == s.u.profile.LargeFont {
		return
	}
	s.u.profile.LargeFont = on
	s.u.app.Settings().SetTheme(newTheme(on))
	db := s.u.db
	runInBackground(func() error {
		return profile.SaveLargeFont(context.Background(), db, on)
	}, func(err error) {
		if err != nil {
			s.u.showError("保存字体设置失败", err)
		}
	})
}

// onImport asks for a roster file.
func (s *settingsScreen) onImport() {
	s.u.pickFile("选择企业名录文件", rosterFiles, func(path string) {
		f, err := os.Open(path)
		if err != nil {
			s.u.showError("无法打开名录文件", err)
			return
		}
		s.importRoster(f, filepath.Base(path))
	})
}

// importRoster imports r (closed afterwards) with a progress dialog and
// shows the result, listing rejected rows.
func (s *settingsScreen) importRoster(r io.ReadCloser, name string) {
	var rep storage.ImportReport
	s.importBtn.Disable()
	db := s.u.db
	runWithProgress(s.u.win, "正在导入企业名录", func(progress progressFunc) error {
		defer r.Close()
		var err error
		rep, err = db.ImportRoster(context.Background(), r, name, progress)
		return err
	}, func(err error) {
		s.importBtn.Enable()
		if err != nil {
			s.lastImport.SetText("导入失败，名录未改动：" + userText(err))
			s.u.showError("导入失败，名录未改动", err)
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
	body := []fyne.CanvasObject{message(text)}
	if len(lines) > 0 {
		list := widget.NewList(func() int { return len(lines) },
			func() fyne.CanvasObject { return widget.NewLabel("第 100000 行：原因") },
			func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(lines[id]) })
		body = append(body, widget.NewLabel("未导入的行和无法识别的内容："))
		d := s.u.newDialog("导入结果", container.NewBorder(container.NewVBox(body...), nil, nil, nil, list), "", "知道了", nil)
		d.width, d.height = 720, 480
		d.show(nil)
		return
	}
	s.u.inform("导入结果", text)
}

// onPrintAll prints every finalized or signed visit into one PDF (with
// progress), for the enterprise sign-off round or the office's files.
func (s *settingsScreen) onPrintAll() {
	ctx := context.Background()
	var all []survey.Visit
	for _, st := range []survey.VisitStatus{survey.VisitFinalized, survey.VisitSigned} {
		vs, err := s.u.db.Visits(ctx, storage.VisitFilter{Status: st})
		if err != nil {
			s.u.showError("读取走访记录失败", err)
			return
		}
		all = append(all, vs...)
	}
	if len(all) == 0 {
		s.u.inform("批量打印", "还没有已完成的走访记录。")
		return
	}
	s.u.printVisits(all)
}
