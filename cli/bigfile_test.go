//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sparseFile makes a file of size bytes that takes no disk space, starting
// with head.
func sparseFile(t *testing.T, name string, size int64, head string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(head); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

// Finding 9 of issue 10 (files): a 2 GB file given to a sync import or as
// a trust file was read whole into memory. Real CLI processes get 2 GB
// sparse files (a "bundle", a "trust file") and a stream without end
// (/dev/zero); each is refused with 文件太大 and the process's peak memory
// stays small.
func TestHugeFilesRefusedWithoutReadingThem(t *testing.T) {
	const twoGB = 2 << 30
	const maxRSS = memSlack * 150 << 10 // kB
	dir := t.TempDir()
	bundle := sparseFile(t, "huge.zfb", twoGB, "ZFB1\x01")
	trust := sparseFile(t, "huge.zft", twoGB, `{"type":"zoufang/trust/v1"`)
	for _, args := range [][]string{
		{"sync", "import", "--data", dir, bundle},
		{"sync", "import", "--data", dir, trust},
		{"sync", "import", "--data", dir, "/dev/zero"},
		{"device", "trust", "--data", dir, trust},
	} {
		r := runChild(t, "022", args...)
		if r.code == 0 || !strings.Contains(r.stderr, "文件太大") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if r.maxRSSKB > maxRSS {
			t.Errorf("%v: peak memory %d MB", args, r.maxRSSKB>>10)
		}
		t.Logf("%v: peak memory %d MB", args[:2], r.maxRSSKB>>10)
	}
}
