package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	fynestorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/sync"
)

// syncScreen moves data between this laptop and the district: enrolment
// first, then bundles by file or over the network.
type syncScreen struct {
	u          *ui
	device     *widget.Label
	requestBtn *widget.Button
	message    *widget.Label
	content    fyne.CanvasObject
}

// showSync opens the 同步 screen.
func showSync(u *ui) *syncScreen {
	s := newSyncScreen(u)
	u.nav.show("同步", s.content)
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
	body := container.NewVBox(heading("本机"), s.device, help, container.NewHBox(s.requestBtn), s.message)
	s.content = container.NewVScroll(container.NewPadded(body))
	return s
}

// enrollRequest builds the signed enrolment request of this laptop.
func (s *syncScreen) enrollRequest() ([]byte, error) {
	id, err := loadIdentity(s.u.profile.dataDir)
	if err != nil {
		return nil, err
	}
	p := s.u.profile
	name := p.Name + "的笔记本"
	if p.Team != "" {
		name = p.Team + " " + name
	}
	return sync.NewEnrollRequest(sync.EnrollRequest{
		DeviceID: id.DeviceID, DeviceName: name, Investigator: p.Name, District: p.District, Created: s.u.now(),
	}, id.Keys)
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
