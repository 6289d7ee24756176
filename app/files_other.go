//go:build !windows

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	fynestorage "fyne.io/fyne/v2/storage"
)

// On Linux and macOS the pickers are Fyne's own dialogs (in Chinese, see
// lang.go), sized to the window.

// pickFile asks for a file to open and calls use with its path on the UI
// goroutine; nothing happens when the user cancels.
func (u *ui) pickFile(title string, kind fileKind, use func(path string)) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			u.showError("无法打开文件", err)
			return
		}
		if rc == nil {
			return
		}
		path := rc.URI().Path()
		rc.Close()
		use(path)
	}, u.win)
	d.SetTitleText(title)
	d.SetFilter(extensionFilter(kind))
	u.fitFileDialog(d)
	d.Show()
}

// pickSaveFile asks where to save a file named name.
func (u *ui) pickSaveFile(title, name string, kind fileKind, use func(path string)) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			u.showError("无法保存文件", err)
			return
		}
		if wc == nil {
			return
		}
		path := wc.URI().Path()
		wc.Close() // the caller writes the file again, atomically
		use(path)
	}, u.win)
	d.SetTitleText(title)
	d.SetFileName(name)
	d.SetFilter(extensionFilter(kind))
	u.fitFileDialog(d)
	d.Show()
}

// pickFolder asks for a folder (the USB stick).
func (u *ui) pickFolder(title string, use func(path string)) {
	d := dialog.NewFolderOpen(func(lu fyne.ListableURI, err error) {
		if err != nil {
			u.showError("无法打开文件夹", err)
			return
		}
		if lu == nil {
			return
		}
		use(lu.Path())
	}, u.win)
	d.SetTitleText(title)
	u.fitFileDialog(d)
	d.Show()
}

func extensionFilter(k fileKind) fynestorage.FileFilter {
	var exts []string
	for _, e := range k.exts {
		exts = append(exts, "."+e)
	}
	return fynestorage.NewExtensionFileFilter(exts)
}

// fitFileDialog sizes a file dialog to the window.
func (u *ui) fitFileDialog(d *dialog.FileDialog) {
	s := u.win.Canvas().Size()
	d.Resize(fyne.NewSize(min(900, s.Width-16), min(640, s.Height-16)))
}
