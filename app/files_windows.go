//go:build windows

package app

import (
	"errors"

	"github.com/sqweek/dialog"
)

// On Windows the pickers are the system's own dialogs (comdlg32), which
// speak the system's language and know its drives, libraries and network
// places. They block while open, so they run off the UI goroutine.

// pickFile asks for a file to open and calls use with its path on the UI
// goroutine; nothing happens when the user cancels.
func (u *ui) pickFile(title string, kind fileKind, use func(path string)) {
	var path string
	runInBackground(func() error {
		var err error
		path, err = dialog.File().Title(title).Filter(kind.desc, kind.exts...).Load()
		return err
	}, func(err error) { u.pickDone("无法打开文件", path, err, use) })
}

// pickSaveFile asks where to save a file named name.
func (u *ui) pickSaveFile(title, name string, kind fileKind, use func(path string)) {
	var path string
	runInBackground(func() error {
		var err error
		path, err = dialog.File().Title(title).Filter(kind.desc, kind.exts...).SetStartFile(name).Save()
		return err
	}, func(err error) { u.pickDone("无法保存文件", path, err, use) })
}

// pickFolder asks for a folder (the USB stick).
func (u *ui) pickFolder(title string, use func(path string)) {
	var path string
	runInBackground(func() error {
		var err error
		path, err = dialog.Directory().Title(title).Browse()
		return err
	}, func(err error) { u.pickDone("无法打开文件夹", path, err, use) })
}

func (u *ui) pickDone(what, path string, err error, use func(string)) {
	switch {
	case errors.Is(err, dialog.ErrCancelled):
	case err != nil:
		u.showError(what, err)
	case path != "":
		use(path)
	}
}
