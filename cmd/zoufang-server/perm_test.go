//go:build unix

package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Finding 11 of issue 10, district side: a data directory made beforehand
// with mode 0755 is narrowed to 0700 by init, and the key and database in it
// are 0600.
func TestInitMakesDataDirPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	var out, errOut bytes.Buffer
	if code := run([]string{"init", "--data", dir, "--name", "市南区总工会"}, &out, &errOut); code != 0 {
		t.Fatalf("init: %d %s", code, errOut.String())
	}
	if code := run([]string{"status", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("status: %d %s", code, errOut.String())
	}
	n := 0
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		st, _ := e.Info()
		want := fs.FileMode(0o600)
		if e.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", p, st.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 3 {
		t.Errorf("only %d entries in the data dir", n)
	}
}
