//go:build unix

package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Finding 11 of issue 10: zoufang.db was created 0644 in a pre-existing
// 0755 data directory, so another local user could read contacts and
// visits. Real CLI processes under umask 022 and 000 work in such a
// directory; afterwards every file in it is 0600 and every directory 0700,
// and what the commands write elsewhere with survey data (an Excel export)
// is 0600 too.
func TestDataDirFilesArePrivate(t *testing.T) {
	for _, umask := range []string{"022", "000"} {
		t.Run("umask "+umask, func(t *testing.T) {
			d := newTestDistrict(t)
			dir := filepath.Join(t.TempDir(), "zoufang")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			os.Chmod(dir, 0o755) // whatever the test's own umask did
			// What an earlier version left: a database others can read.
			if err := os.WriteFile(filepath.Join(dir, "zoufang.db"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chmod(filepath.Join(dir, "zoufang.db"), 0o644)
			work := t.TempDir()
			req := filepath.Join(work, "req.zfreq")
			r := runChild(t, umask, "device", "request", "--data", dir, "--out", req, "--investigator", "李明")
			if r.code != 0 {
				t.Fatalf("device request: %d %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "数据目录其他用户可以访问") || !strings.Contains(r.stderr, "数据库文件其他用户可以访问") || !strings.Contains(r.stderr, dir) {
				t.Errorf("the tightened directory and database were not logged:\n%s", r.stderr)
			}
			data, _ := os.ReadFile(req)
			trust, _, err := d.Enroll(data)
			if err != nil {
				t.Fatal(err)
			}
			tp := filepath.Join(work, "trust.zft")
			os.WriteFile(tp, trust, 0o644)
			if r := runChild(t, umask, "device", "trust", "--data", dir, tp); r.code != 0 {
				t.Fatalf("device trust: %d %s", r.code, r.stderr)
			}
			addTestVisits(t, dir, 3, 1)
			if r := runChild(t, umask, "sync", "export", "--data", dir, "--out", filepath.Join(work, "up.zfb")); r.code != 0 {
				t.Fatalf("sync export: %d %s", r.code, r.stderr)
			}
			xlsx := filepath.Join(work, "visits.xlsx")
			if r := runChild(t, umask, "export", "visits", "--data", dir, "--out", xlsx); r.code != 0 {
				t.Fatalf("export: %d %s", r.code, r.stderr)
			}
			checkPrivate(t, dir)
			if st, err := os.Stat(xlsx); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("exported visits: mode %v (%v), want 0600", st.Mode().Perm(), err)
			}

			// A database left readable by an earlier version is narrowed
			// with its -wal and -shm on the next start.
			for _, n := range []string{"zoufang.db", "zoufang.db-wal", "zoufang.db-shm"} {
				os.Chmod(filepath.Join(dir, n), 0o644)
			}
			if r := runChild(t, umask, "sync", "status", "--data", dir); r.code != 0 {
				t.Fatalf("sync status: %d %s", r.code, r.stderr)
			}
			checkPrivate(t, dir)
		})
	}
}

// checkPrivate walks dir: files must be 0600, directories 0700.
func checkPrivate(t *testing.T, dir string) {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := e.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if e.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", p, st.Mode().Perm(), want)
		}
		seen[filepath.Base(p)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"zoufang.db", "device.key", "device.id", "trust.zft", "outbox"} {
		if !seen[n] {
			t.Errorf("%s missing from the data dir; the check saw %v", n, seen)
		}
	}
}
