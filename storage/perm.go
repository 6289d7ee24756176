package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
)

// Modes of what holds survey data or keys: contacts, visits, demands and the
// device's private keys are for the investigator only, never for another
// account on a shared laptop or district server.
const (
	PrivateDirMode  fs.FileMode = 0o700
	PrivateFileMode fs.FileMode = 0o600
)

// MakePrivateDir creates dir (and missing parents) with mode 0700. An
// existing dir that group or others may enter or read is narrowed to 0700
// and the change is logged, so a data directory made by hand (mkdir under
// umask 022) or by an earlier version stops exposing the database.
func MakePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, PrivateDirMode); err != nil {
		return err
	}
	return tighten(dir, PrivateDirMode, "数据目录")
}

// tighten sets path to exactly mode (no umask applies to chmod) and logs
// the change when group or others had access to something (an empty
// folder exposed nothing and is fixed quietly).
// Windows has no such bits; nothing is done there.
func tighten(path string, mode fs.FileMode, what string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	was := st.Mode().Perm()
	if was == mode {
		return nil
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if was&0o077 == 0 {
		return nil // narrower than mode (a umask such as 0277): fixed quietly
	}
	if st.IsDir() {
		if es, err := os.ReadDir(path); err == nil && len(es) == 0 {
			return nil // nothing was exposed: an empty folder made by hand
		}
	}
	slog.Warn(fmt.Sprintf("%s其他用户可以访问，已改为仅本人可访问", what),
		"path", path, "was", fmt.Sprintf("%04o", st.Mode().Perm()), "now", fmt.Sprintf("%04o", mode))
	return nil
}

// privateDBFiles makes sure the database file exists with mode 0600 before
// SQLite opens it, and narrows an existing database and its -wal, -shm and
// -journal files to 0600. SQLite (modernc.org/sqlite is SQLite translated
// to Go, with the same unix VFS) creates the main file with 0644 minus the
// umask, but gives the -wal, -shm and -journal files it creates the mode of
// the main file (findCreateFileMode, then fchmod in robust_open), so a 0600
// main file keeps all of them private whatever the umask.
func privateDBFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, PrivateFileMode)
	switch {
	case err == nil:
		// New: an empty file is an empty SQLite database. Chmod sets the
		// exact mode a restrictive umask may have narrowed.
		cerr := f.Chmod(PrivateFileMode)
		f.Close()
		if cerr != nil && runtime.GOOS != "windows" {
			return cerr
		}
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := tighten(p, PrivateFileMode, "数据库文件"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
