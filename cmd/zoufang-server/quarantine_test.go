package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zoufang/storage"
	"zoufang/survey"
)

// copyTree copies a laptop data directory (a backup of the laptop).
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// addEnterprises saves n fake enterprises on a laptop (seed picks which).
func addEnterprises(t *testing.T, lap, device string, n int, seed int64) {
	t.Helper()
	db, err := storage.OpenDir(lap, storage.Options{DeviceID: device, Author: "张伟"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, e := range survey.FakeRoster(n, seed) {
		if _, err := db.SaveEnterprise(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// Findings 7 and 12 of issue 10 at the command line: status of a device
// that sent nothing yet does not say "已连续收到第 1–0 号"; a laptop restored
// from an old backup sends another seq 1, which is quarantined and then
// listed, shown (read-only) and rejected with who and why; the same file
// again is answered "rejected".
func TestQuarantineCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	server(t, "已初始化", "init", "--data", dir, "--name", "市南区总工会")
	lap, id := enrolledLaptop(t, dir)
	st := server(t, "尚未收到同步包", "status", "--data", dir)
	if strings.Contains(st, "1–0") {
		t.Errorf("status says 1–0:\n%s", st)
	}
	backup := copyTree(t, lap)
	addEnterprises(t, lap, id, 3, 1)
	addEnterprises(t, backup, id, 2, 2)
	usb, usb2 := t.TempDir()+string(os.PathSeparator), t.TempDir()+string(os.PathSeparator)
	for _, l := range []struct{ dir, out string }{{lap, usb}, {backup, usb2}} {
		if code, _, errs := field(t, "sync", "export", "--data", l.dir, "--out", l.out); code != 0 {
			t.Fatalf("sync export: %s", errs)
		}
	}
	files, _ := filepath.Glob(filepath.Join(usb, "*.zfb"))
	files2, _ := filepath.Glob(filepath.Join(usb2, "*.zfb"))
	if len(files) != 1 || len(files2) != 1 {
		t.Fatalf("bundles: %v %v", files, files2)
	}
	server(t, "已合并", "import", "--data", dir, files[0])
	var out, errOut bytes.Buffer
	if code := run([]string{"import", "--data", dir, files2[0]}, &out, &errOut); code != 1 || !strings.Contains(out.String()+errOut.String(), "已隔离") {
		t.Fatalf("import of the restored laptop's seq 1: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	list := server(t, id, "quarantine", "list", "--data", dir)
	m := regexp.MustCompile(`(?m)^\s+([0-9a-f]{16})\s`).FindStringSubmatch(list)
	if m == nil || !strings.Contains(list, "内容不同") {
		t.Fatalf("quarantine list:\n%s", list)
	}
	show := server(t, "签名有效", "quarantine", "show", "--data", dir, m[1][:8])
	if !strings.Contains(show, "企业") || !strings.Contains(show, "新建") {
		t.Errorf("quarantine show:\n%s", show)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"quarantine", "reject", "--data", dir, m[1]}, &out, &errOut); code != 2 {
		t.Errorf("reject without --by/--why: exit %d", code)
	}
	server(t, "已拒收", "quarantine", "reject", "--data", dir, m[1], "--by", "王主任", "--why", "笔记本从旧备份恢复，此包作废")
	server(t, "没有隔离的同步包", "quarantine", "list", "--data", dir)
	out.Reset()
	errOut.Reset()
	run([]string{"import", "--data", dir, files2[0]}, &out, &errOut)
	if !strings.Contains(errOut.String(), "已被区总工会拒收") {
		t.Errorf("rejected file again: %s%s", out.String(), errOut.String())
	}
	st = server(t, "已收到第 1 号同步包", "status", "--data", dir)
	if strings.Contains(st, "隔离 1") {
		t.Errorf("status after reject:\n%s", st)
	}
}
