//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The test binary doubles as zoufang-server: started with
// ZOUFANG_SERVER_CHILD set, it runs its arguments as a command and exits,
// so a test can measure a real process (getrusage).
func TestMain(m *testing.M) {
	if os.Getenv("ZOUFANG_SERVER_CHILD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// serverChild runs zoufang-server in a new process; it returns the exit
// code, stderr and the peak resident memory in kB.
func serverChild(t *testing.T, args ...string) (int, string, int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ZOUFANG_SERVER_CHILD=1")
	var e bytes.Buffer
	cmd.Stderr = &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss)
	}
	return code, e.String(), rss
}

// Finding 9 of issue 10 (files): `zoufang-server import` and `enroll` read
// the files they were given whole. Real processes get 2 GB sparse files;
// each is refused with 文件太大 and the peak memory stays small.
func TestServerRefusesHugeFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	server(t, "已初始化", "init", "--data", dir, "--name", "市南区总工会")
	huge := func(name, head string) string {
		p := filepath.Join(t.TempDir(), name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(head)
		if err := f.Truncate(2 << 30); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	for _, args := range [][]string{
		{"import", "--data", dir, huge("huge.zfb", "ZFB1\x01")},
		{"enroll", "--data", dir, huge("huge.zfe", `{"type":"zoufang/enroll-request/v1"`)},
	} {
		code, errs, rss := serverChild(t, args...)
		if code == 0 || !strings.Contains(errs, "文件太大") {
			t.Errorf("%s: exit %d, %q", args[0], code, errs)
		}
		if rss > memSlack*150<<10 {
			t.Errorf("%s: peak memory %d MB", args[0], rss>>10)
		}
	}
}
