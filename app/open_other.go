//go:build !windows

package app

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// openPath opens a file or folder with the desktop's default program
// (xdg-open; open on macOS). A missing opener is an *exec.Error, which
// userText words as "本机找不到打开这类文件的程序".
func openPath(path string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	cmd := exec.Command(name, path)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it; the viewer lives on
	return nil
}

// documentsDir is the user's documents folder: XDG_DOCUMENTS_DIR from
// user-dirs.dirs when set, else ~/Documents when it exists, else home.
func documentsDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	if d := xdgDocuments(home); d != "" {
		return d
	}
	if st, err := os.Stat(filepath.Join(home, "Documents")); err == nil && st.IsDir() {
		return filepath.Join(home, "Documents")
	}
	return home
}

// xdgDocuments reads XDG_DOCUMENTS_DIR from ~/.config/user-dirs.dirs.
func xdgDocuments(home string) string {
	if d := os.Getenv("XDG_DOCUMENTS_DIR"); d != "" {
		return d
	}
	b, err := os.ReadFile(filepath.Join(home, ".config", "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "XDG_DOCUMENTS_DIR=")
		if !ok {
			continue
		}
		v = strings.ReplaceAll(strings.Trim(v, `"`), "$HOME", home)
		if st, err := os.Stat(v); err == nil && st.IsDir() && v != home {
			return v
		}
	}
	return ""
}
