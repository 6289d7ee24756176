package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynestorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/sync"
	"zoufang/sync/laptop"
)

// syncScreen moves data between this laptop and the district: enrolment
// first, then bundles by file (U盘) or over the network, with the state of
// every bundle in plain language (已送达 / 待送达 / 区总工会尚未确认).
type syncScreen struct {
	u          *ui
	lap        *laptop.Laptop // nil when the identity cannot be read
	device     *widget.Label
	requestBtn *widget.Button
	message    *widget.Label

	trust     *widget.Label
	trustBtn  *widget.Button
	summary   *widget.Label
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
	p := u.profile
	s.device = widget.NewLabel(fmt.Sprintf("设备编号：%s\n设备指纹：%s", p.DeviceID, p.Fingerprint))
	s.device.Wrapping = fyne.TextWrapWord
	s.requestBtn = widget.NewButtonWithIcon("生成登记申请文件", theme.DocumentSaveIcon(), s.onRequest)
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	help := widget.NewLabel("第一次同步前，需要在区总工会登记本机：生成登记申请文件，用U盘交给区总工会，并当面核对屏幕上的设备指纹。")
	help.Wrapping = fyne.TextWrapWord

	s.trust = widget.NewLabel("")
	s.trust.Wrapping = fyne.TextWrapWord
	s.trustBtn = widget.NewButtonWithIcon("导入信任文件", theme.FolderOpenIcon(), func() { s.openFile(s.importTrust) })
	s.summary = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.summary.Wrapping = fyne.TextWrapWord
	s.exportBtn = widget.NewButtonWithIcon("导出到U盘", theme.DownloadIcon(), s.onExport)
	s.pushBtn = widget.NewButtonWithIcon("上传", theme.UploadIcon(), s.push)
	s.importBtn = widget.NewButtonWithIcon("导入回执/下发包", theme.FolderOpenIcon(), func() { s.openFile(s.importFile) })
	s.list = widget.NewList(func() int { return len(s.rows) },
		func() fyne.CanvasObject {
			return widget.NewLabel("第 000000 号同步包  2026-11-25 09:00  20000 条记录  区总工会尚未确认")
		},
		func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.rows[id]) })
	listBox := container.NewGridWrap(fyne.NewSize(720, 240), s.list)

	var err error
	if p.dataDir != "" {
		s.lap, err = laptop.Open(p.dataDir, laptop.Options{Now: u.now})
	} else {
		err = errors.New("没有数据目录")
	}
	if err != nil {
		s.message.SetText("无法读取本机设备身份：" + err.Error())
		for _, b := range []*widget.Button{s.requestBtn, s.trustBtn, s.exportBtn, s.pushBtn, s.importBtn} {
			b.Disable()
		}
	}
	s.pushBtn.Disable() // enabled by refresh when the trust file names a server

	body := container.NewVBox(
		heading("本机"), s.device, help, container.NewHBox(s.requestBtn), s.message,
		widget.NewSeparator(),
		heading("区总工会"), s.trust, container.NewHBox(s.trustBtn),
		widget.NewSeparator(),
		heading("发送数据"), s.summary, container.NewHBox(s.exportBtn, s.pushBtn, s.importBtn),
		listBox,
	)
	s.content = container.NewVScroll(container.NewPadded(body))
	s.refresh()
	return s
}

// refresh reads the sync state in the background and shows it.
func (s *syncScreen) refresh() {
	if s.lap == nil {
		return
	}
	var st laptop.Status
	runInBackground(func() error {
		var err error
		st, err = s.lap.State(context.Background(), s.u.db)
		return err
	}, func(err error) {
		if err != nil {
			s.summary.SetText("无法读取同步状态：" + err.Error())
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
		s.trust.SetText(st.TrustProblem.Error())
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
			text += "\n" + st.TrustProblem.Error()
			s.trust.Importance = widget.DangerImportance
		case st.TrustWarning != "":
			text += "\n" + st.TrustWarning
			s.trust.Importance = widget.WarningImportance
		}
		s.trust.SetText(text)
	}
	s.summary.SetText(st.Summary())
	if st.Trust != nil && st.Trust.ServerURL != "" && st.TrustProblem == nil {
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

// enrollRequest builds the signed enrolment request of this laptop.
func (s *syncScreen) enrollRequest() ([]byte, error) {
	if s.lap == nil {
		return nil, errors.New("无法读取本机设备身份")
	}
	p := s.u.profile
	name := p.Name + "的笔记本"
	if p.Team != "" {
		name = p.Team + " " + name
	}
	return s.lap.Request(laptop.Who{DeviceName: name, Investigator: p.Name, District: p.District})
}

// onRequest saves the enrolment request to a file the user picks.
func (s *syncScreen) onRequest() {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, s.u.win)
			return
		}
		if wc == nil {
			return
		}
		path := wc.URI().Path()
		wc.Close() // written again atomically below
		s.saveRequest(path)
	}, s.u.win)
	d.SetFileName("登记申请-" + strings.ReplaceAll(s.u.profile.Name, " ", "") + ".zfreq")
	d.SetFilter(fynestorage.NewExtensionFileFilter([]string{".zfreq"}))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// saveRequest writes the enrolment request to path atomically.
func (s *syncScreen) saveRequest(path string) {
	runInBackground(func() error {
		data, err := s.enrollRequest()
		if err != nil {
			return err
		}
		return sync.WriteFileAtomic(path, data, 0o644)
	}, func(err error) {
		if err != nil {
			dialog.ShowError(userError("生成登记申请失败", err), s.u.win)
			return
		}
		s.message.SetText("已保存登记申请：" + path + "\n请交给区总工会，并核对设备指纹 " + s.u.profile.Fingerprint)
	})
}

// openFile asks for a file and hands its bytes (read off the UI goroutine)
// to use.
func (s *syncScreen) openFile(use func(data []byte, name string)) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, s.u.win)
			return
		}
		if rc == nil {
			return // cancelled
		}
		var data []byte
		name := rc.URI().Name()
		runInBackground(func() error {
			defer rc.Close()
			data, err = sync.ReadSync(rc, name, sync.Limits{})
			return err
		}, func(err error) {
			if err != nil {
				dialog.ShowError(userError("无法读取文件 "+name, err), s.u.win)
				return
			}
			use(data, name)
		})
	}, s.u.win)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// importTrust imports the district's trust file.
func (s *syncScreen) importTrust(data []byte, name string) {
	if k := sync.SniffFile(data); k != sync.FileTrust {
		err := fmt.Errorf("%s 是%s，不是区总工会的信任文件", name, k)
		s.message.SetText(err.Error())
		dialog.ShowError(err, s.u.win)
		return
	}
	s.importFile(data, name)
}

// importFile imports a receipt, a down bundle or a trust file.
func (s *syncScreen) importFile(data []byte, name string) {
	var res laptop.ImportResult
	s.importBtn.Disable()
	s.trustBtn.Disable()
	runWithProgress(s.u.win, "正在导入 "+name, func(progressFunc) error {
		var err error
		res, err = s.lap.Import(context.Background(), s.u.db, data)
		return err
	}, func(err error) {
		s.importBtn.Enable()
		s.trustBtn.Enable()
		if err != nil {
			s.message.SetText(name + "：" + err.Error())
			dialog.ShowError(userError("导入失败，本机数据未改动", err), s.u.win)
			return
		}
		s.message.SetText(name + "：" + res.Message())
		if res.Kind == sync.FileTrust && res.TrustChanged {
			dialog.ShowInformation("请核对区总工会指纹",
				"请与区总工会屏幕上显示的指纹逐字核对：\n\n"+res.Trust.Keys.Fingerprint()+"\n\n不一致时请不要同步，并立即联系区总工会。", s.u.win)
		}
		s.refresh()
	})
}

// onExport asks for a folder (the USB stick) and exports there.
func (s *syncScreen) onExport() {
	d := dialog.NewFolderOpen(func(lu fyne.ListableURI, err error) {
		if err != nil {
			dialog.ShowError(err, s.u.win)
			return
		}
		if lu == nil {
			return
		}
		s.exportTo(lu.Path())
	}, s.u.win)
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

// exportTo writes every bundle not yet delivered into the folder dir.
func (s *syncScreen) exportTo(dir string) {
	var files []string
	s.exportBtn.Disable()
	runWithProgress(s.u.win, "正在导出同步包", func(progress progressFunc) error {
		var err error
		_, files, err = s.lap.ExportTo(context.Background(), s.u.db, dir, progress)
		return err
	}, func(err error) {
		s.exportBtn.Enable()
		if err != nil {
			s.message.SetText("导出失败：" + err.Error())
			dialog.ShowError(userError("导出失败", err), s.u.win)
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

// push uploads everything not yet delivered to the district's server.
func (s *syncScreen) push() {
	var res laptop.PushResult
	s.pushBtn.Disable()
	runWithProgress(s.u.win, "正在上传到区总工会", func(progress progressFunc) error {
		var err error
		res, err = s.lap.Push(context.Background(), s.u.db, &http.Client{Timeout: 10 * time.Minute}, progress)
		return err
	}, func(err error) {
		if err != nil {
			s.message.SetText("上传失败：" + err.Error())
			dialog.ShowError(userError("上传失败", err), s.u.win)
		} else {
			s.message.SetText(res.Message())
		}
		s.refresh()
	})
}
