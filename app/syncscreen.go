package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/survey"
	"zoufang/sync"
	"zoufang/sync/laptop"
)

// syncScreen moves data between this laptop and the district: enrolment
// first, then bundles by file (U盘) or over the network, with the state of
// every bundle in plain language (已送达 / 待送达 / 区总工会尚未确认).
type syncScreen struct {
	u          *ui
	lap        *laptop.Laptop // nil when the identity cannot be read
	device     *textBlock
	requestBtn *widget.Button
	message    *textBlock

	trust     *textBlock
	trustBtn  *widget.Button
	summary   *textBlock
	exportBtn *widget.Button
	pushBtn   *widget.Button
	importBtn *widget.Button
	list      *widget.List
	rows      []string // one line per bundle, newest first
	state     laptop.Status

	content fyne.CanvasObject
}

// showSync opens the 同步 screen.
func showSync(u *ui) *syncScreen {
	s := newSyncScreen(u)
	u.nav.showRefreshing("同步", s.content, s.refresh)
	return s
}

func newSyncScreen(u *ui) *syncScreen {
	s := &syncScreen{u: u}
	s.device = newTextBlock(fmt.Sprintf("设备编号：%s\n设备指纹：%s", u.device.DeviceID, u.device.Fingerprint))
	s.requestBtn = widget.NewButtonWithIcon("生成登记申请文件", theme.DocumentSaveIcon(), s.onRequest)
	s.message = newTextBlock("")
	help := newTextBlock("第一次同步前，需要在区总工会登记本机：生成登记申请文件，用U盘交给区总工会，并当面核对屏幕上的设备指纹。")

	s.trust = newTextBlock("")
	s.trustBtn = widget.NewButtonWithIcon("导入信任文件", theme.FolderOpenIcon(), func() { s.openFile("选择区总工会的信任文件", s.importTrust) })
	s.summary = boldText("")
	s.exportBtn = widget.NewButtonWithIcon("导出到U盘", theme.DownloadIcon(), s.onExport)
	// One button does both directions: upload, then fetch and apply what
	// the district has waiting (reviews, 研判, assignments).
	s.pushBtn = widget.NewButtonWithIcon("同步", theme.ViewRefreshIcon(), s.push)
	s.pushBtn.Importance = widget.HighImportance
	s.importBtn = widget.NewButtonWithIcon("导入回执/下发包", theme.FolderOpenIcon(), func() { s.openFile("选择回执或下发包", s.importFile) })
	s.list = widget.NewList(func() int { return len(s.rows) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("第 000000 号同步包  2026-11-25 09:00  20000 条记录  区总工会尚未确认")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.rows[id]) })

	var err error
	if u.dataDir != "" {
		s.lap, err = laptop.Open(u.dataDir, laptop.Options{Now: u.now})
	} else {
		err = errors.New("没有数据目录")
	}
	if err != nil {
		s.message.SetText("无法读取本机设备身份：" + userText(err))
		for _, b := range []*widget.Button{s.requestBtn, s.trustBtn, s.exportBtn, s.pushBtn, s.importBtn} {
			b.Disable()
		}
	}
	s.pushBtn.Disable() // enabled by refresh when the trust file names a server

	top := container.NewVBox(
		heading("本机"), s.device, help, newFlow(s.requestBtn), s.message,
		widget.NewSeparator(),
		heading("区总工会"), s.trust, newFlow(s.trustBtn),
		widget.NewSeparator(),
		heading("同步"), s.summary, newFlow(s.pushBtn, s.exportBtn, s.importBtn),
	)
	// The page scrolls as a whole; the bundle list below it keeps at
	// least a few rows.
	split := container.NewVSplit(newPageScroll(container.NewPadded(top)), s.list)
	split.Offset = 0.7
	s.content = split
	s.refresh()
	return s
}

// refresh reads the sync state in the background and shows it.
func (s *syncScreen) refresh() {
	if s.lap == nil {
		return
	}
	var st laptop.Status
	lap, db := s.lap, s.u.db
	runInBackground(func() error {
		var err error
		st, err = lap.State(context.Background(), db)
		return err
	}, func(err error) {
		if err != nil {
			s.summary.SetText("无法读取同步状态：" + userText(err))
			return
		}
		s.show(st)
	})
}

// show puts a sync state on screen (UI goroutine).
func (s *syncScreen) show(st laptop.Status) {
	s.state = st
	switch {
	case st.Trust == nil && st.TrustProblem != nil:
		s.trust.SetText(userText(st.TrustProblem))
	case st.Trust == nil:
		s.trust.SetText("尚未导入区总工会的信任文件。登记后，区总工会会给您一个信任文件，请在这里导入，并核对区总工会指纹。")
	default:
		t := st.Trust
		server := "无（只能用U盘传送）"
		if t.ServerURL != "" {
			server = t.ServerURL
		}
		text := fmt.Sprintf("%s（信任文件第 %d 版，有效期至 %s）\n区总工会指纹：%s\n服务器：%s",
			t.District, t.Version, t.Expires.Local().Format("2006-01-02"), t.Keys.Fingerprint(), server)
		s.trust.Importance = widget.MediumImportance
		switch {
		case st.TrustProblem != nil:
			text += "\n" + userText(st.TrustProblem)
			if t.ServerURL != "" && errors.Is(st.TrustProblem, sync.ErrExpired) {
				text += "；联网时点“上传”也会自动取得区总工会续期的信任文件"
			}
			s.trust.Importance = widget.DangerImportance
		case st.TrustWarning != "":
			text += "\n" + st.TrustWarning
			s.trust.Importance = widget.WarningImportance
		}
		s.trust.SetText(text)
	}
	s.summary.SetText(st.Summary())
	// An expired trust file still lets the laptop upload: the push first
	// fetches the renewed file from the district (signed by the key it
	// trusts), then sends.
	if st.Trust != nil && st.Trust.ServerURL != "" && (st.TrustProblem == nil || errors.Is(st.TrustProblem, sync.ErrExpired)) {
		s.pushBtn.Enable()
	} else {
		s.pushBtn.Disable()
	}
	s.rows = s.rows[:0]
	for i := len(st.Bundles) - 1; i >= 0; i-- {
		b := st.Bundles[i]
		s.rows = append(s.rows, fmt.Sprintf("第 %d 号同步包  %s  %d 条记录  %s",
			b.Seq, b.Created.In(time.Local).Format("2006-01-02 15:04"), b.Versions, b.Stage().Label()))
	}
	if st.Unsent > 0 {
		s.rows = append([]string{fmt.Sprintf("尚未打包的记录 %d 条（导出或上传时打包）  待送达", st.Unsent)}, s.rows...)
	}
	s.list.Refresh()
	// The trust text may have grown by a line or two (a warning): lay the
	// page out again so nothing below is drawn over.
	s.content.Refresh()
}

// who is the enrolment request's description of this laptop, from the
// profile. It runs on the UI goroutine: the profile is the UI's (reading
// it from the background goroutine raced with the settings screen).
func (s *syncScreen) who() laptop.Who {
	p := s.u.profile
	name := p.Name + "的笔记本"
	if p.Team != "" {
		name = p.Team + " " + name
	}
	return laptop.Who{DeviceName: name, Investigator: p.Name, District: p.District}
}

// onRequest saves the enrolment request to a file the user picks.
func (s *syncScreen) onRequest() {
	name := "登记申请-" + strings.ReplaceAll(s.u.profile.Name, " ", "") + ".zfreq"
	s.u.pickSaveFile("保存登记申请文件", name, requestFiles, s.saveRequest)
}

// saveRequest writes the enrolment request to path atomically.
func (s *syncScreen) saveRequest(path string) {
	lap, who := s.lap, s.who()
	runInBackground(func() error {
		if lap == nil {
			return errors.New("无法读取本机设备身份")
		}
		data, err := lap.Request(who)
		if err != nil {
			return err
		}
		return sync.WriteFileAtomic(path, data, 0o644)
	}, func(err error) {
		if err != nil {
			s.u.showError("生成登记申请失败", err)
			return
		}
		s.message.SetText("已保存登记申请：" + path + "\n请交给区总工会，并核对设备指纹 " + s.u.device.Fingerprint)
	})
}

// openFile asks for a file and hands its bytes (read off the UI goroutine)
// to use.
func (s *syncScreen) openFile(title string, use func(data []byte, name string)) {
	s.u.pickFile(title, syncFiles, func(path string) {
		var data []byte
		name := filepath.Base(path)
		runInBackground(func() error {
			var err error
			data, err = sync.ReadSyncFile(path, sync.Limits{})
			return err
		}, func(err error) {
			if err != nil {
				s.u.showError("无法读取文件 "+name, err)
				return
			}
			use(data, name)
		})
	})
}

// importTrust imports the district's trust file.
func (s *syncScreen) importTrust(data []byte, name string) {
	if k := sync.SniffFile(data); k != sync.FileTrust {
		err := fmt.Errorf("%s 是%s，不是区总工会的信任文件", name, k)
		s.message.SetText(err.Error())
		s.u.showError("不能导入", err)
		return
	}
	s.importFile(data, name)
}

// importFile imports a receipt, a down bundle or a trust file.
func (s *syncScreen) importFile(data []byte, name string) {
	var res laptop.ImportResult
	s.importBtn.Disable()
	s.trustBtn.Disable()
	lap, db, u := s.lap, s.u.db, s.u
	var (
		forms *survey.FormSet
		camp  *survey.Campaign
	)
	runWithProgress(s.u.win, "正在导入 "+name, func(progressFunc) error {
		var err error
		res, err = lap.Import(context.Background(), db, data)
		if err == nil && res.Down != nil {
			// A down bundle may carry a form version or campaign:
			// new records use them from now on. (Should reading them
			// fail, the import stands; home reads them again.)
			forms, camp, _ = u.loadRegistry()
		}
		return err
	}, func(err error) {
		if camp != nil {
			s.u.forms, s.u.campaign = forms, camp
		}
		s.importBtn.Enable()
		s.trustBtn.Enable()
		if err != nil {
			s.message.SetText(name + "：" + userText(err))
			s.u.showError("导入失败，本机数据未改动", err)
			return
		}
		s.message.SetText(name + "：" + res.Message())
		if res.Kind == sync.FileTrust && res.TrustChanged {
			s.u.inform("请核对区总工会指纹",
				"请与区总工会屏幕上显示的指纹逐字核对：\n\n"+res.Trust.Keys.Fingerprint()+"\n\n不一致时请不要同步，并立即联系区总工会。")
		}
		s.refresh()
	})
}

// onExport asks for a folder (the USB stick) and exports there.
func (s *syncScreen) onExport() {
	s.u.pickFolder("选择U盘或要保存同步包的文件夹", s.exportTo)
}

// exportTo writes every bundle not yet delivered into the folder dir.
func (s *syncScreen) exportTo(dir string) {
	var files []string
	s.exportBtn.Disable()
	lap, db := s.lap, s.u.db
	runWithProgress(s.u.win, "正在导出同步包", func(progress progressFunc) error {
		var err error
		_, files, err = lap.ExportTo(context.Background(), db, dir, progress)
		return err
	}, func(err error) {
		s.exportBtn.Enable()
		if err != nil {
			s.message.SetText("导出失败：" + userText(err))
			s.u.showError("导出失败", err)
			s.refresh()
			return
		}
		if len(files) == 0 {
			s.message.SetText("没有需要发送的数据：全部数据已送达区总工会")
		} else {
			s.message.SetText(fmt.Sprintf("已导出 %d 个同步包到 %s。请交给区总工会，并把区总工会给的回执导入本机。", len(files), dir))
		}
		s.refresh()
	})
}

// push syncs with the district's server both ways: everything not yet
// delivered goes up, and what the district has waiting for this laptop
// comes back and is applied; the message says what came back.
func (s *syncScreen) push() {
	var res laptop.PushResult
	s.pushBtn.Disable()
	lap, db := s.lap, s.u.db
	runWithProgress(s.u.win, "正在与区总工会同步", func(progress progressFunc) error {
		var err error
		res, err = lap.Push(context.Background(), db, &http.Client{Timeout: 10 * time.Minute}, progress)
		return err
	}, func(err error) {
		if err != nil {
			s.message.SetText("同步没有完成：" + userText(err))
			s.u.showError("同步没有完成", err)
		} else {
			s.message.SetText(res.Message())
			if len(res.Fetched.Bundles) > 0 {
				text := res.Fetched.Message()
				if res.Fetched.Summary.Returned > 0 {
					text += "\n\n退回修改的走访记录排在首页最前面，打开后可看到区总工会的意见。"
				}
				s.u.inform("区总工会发回了新的内容", text)
			}
		}
		s.refresh()
	})
}
