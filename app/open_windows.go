//go:build windows

package app

import (
	"path/filepath"

	"golang.org/x/sys/windows"
)

// openPath opens a file or folder the way Explorer does (ShellExecute
// "open"): a PDF in the default viewer, a folder in Explorer.
func openPath(path string) error {
	verb, err := windows.UTF16PtrFromString("open")
	if err != nil {
		return err
	}
	file, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	dir, err := windows.UTF16PtrFromString(filepath.Dir(path))
	if err != nil {
		return err
	}
	return windows.ShellExecute(0, verb, file, nil, dir, windows.SW_SHOWNORMAL)
}

// documentsDir is the user's Documents folder (FOLDERID_Documents, which
// follows a moved or redirected Documents folder).
func documentsDir() string {
	d, err := windows.KnownFolderPath(windows.FOLDERID_Documents, 0)
	if err != nil {
		return ""
	}
	return d
}
