package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/cli"
	"zoufang/storage"
	"zoufang/survey"
)

// server runs a zoufang-server command and fails the test unless it exits
// 0 with want in its output.
func server(t *testing.T, want string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 0 || !strings.Contains(out.String(), want) {
		t.Fatalf("zoufang-server %s: exit %d\n%s\n%s\nwant %q", strings.Join(args, " "), code, out.String(), errOut.String(), want)
	}
	return out.String()
}

// field runs a laptop command (package cli, as the zoufang binary does).
func field(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// enrolledLaptop makes a laptop data dir enrolled with the district dir
// through both command lines; it returns the laptop dir and device id.
func enrolledLaptop(t *testing.T, dir string) (string, string) {
	t.Helper()
	lap, work := t.TempDir(), t.TempDir()
	req := filepath.Join(work, "req.zfe")
	if code, _, errs := field(t, "device", "request", "--data", lap, "--out", req, "--investigator", "张伟"); code != 0 {
		t.Fatalf("device request: %s", errs)
	}
	server(t, "设备指纹", "enroll", "--data", dir, req)
	if code, _, errs := field(t, "device", "trust", "--data", lap, strings.TrimSuffix(req, ".zfe")+".trust.zft"); code != 0 {
		t.Fatalf("device trust: %s", errs)
	}
	id, err := os.ReadFile(filepath.Join(lap, "device.id"))
	if err != nil {
		t.Fatal(err)
	}
	return lap, strings.TrimSpace(string(id))
}

func enterpriseCount(t *testing.T, dir string) int {
	t.Helper()
	db, err := storage.OpenDir(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.EnterpriseCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Finding 8 of issue 10: a laptop accepted down bundle 2 without 1, and
// the district kept no copy, so a lost down file could never be sent
// again. Now the laptop refuses the gap in Chinese and changes nothing,
// the district writes the lost bundle again byte for byte (export-down
// --resend 1, --all), and the laptop then takes 1 and 2 in any order of
// the files; a duplicate changes nothing.
func TestDownBundleGapAndResend(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	server(t, "已初始化", "init", "--data", dir, "--name", "市南区总工会")
	lap, dev := enrolledLaptop(t, dir)
	ents := survey.FakeRoster(2, 8)
	var csv bytes.Buffer
	if err := survey.WriteRosterCSV(&csv, ents, false); err != nil {
		t.Fatal(err)
	}
	roster := filepath.Join(t.TempDir(), "名录.csv")
	os.WriteFile(roster, csv.Bytes(), 0o600)
	server(t, "新增 2 家", "roster", "--data", dir, roster)

	usb := t.TempDir()
	d1, d2 := filepath.Join(usb, "d1.zfb"), filepath.Join(usb, "d2.zfb")
	server(t, "已分配 1 家", "assign", "--data", dir, "--device", dev, ents[0].USCC)
	server(t, "已写出下发包", "export-down", "--data", dir, "--device", dev, "--out", d1)
	server(t, "已分配 1 家", "assign", "--data", dir, "--device", dev, ents[1].USCC)
	server(t, "已写出下发包", "export-down", "--data", dir, "--device", dev, "--out", d2)
	first, _ := os.ReadFile(d1)
	firstSum := sha256.Sum256(first)
	os.Remove(d1) // lost on the way

	code, out, errs := field(t, "sync", "import", "--data", lap, d2)
	if code == 0 || !strings.Contains(errs, "缺少第 1 号") || !strings.Contains(errs, "本包未导入") {
		t.Fatalf("gap: exit %d\n%s\n%s", code, out, errs)
	}
	if n := enterpriseCount(t, lap); n != 0 {
		t.Fatalf("the refused bundle left %d enterprises on the laptop", n)
	}

	again := filepath.Join(usb, "again")
	server(t, "已重新写出第 1 号下发包", "export-down", "--data", dir, "--device", dev, "--resend", "1", "--out", again+string(os.PathSeparator))
	files, _ := filepath.Glob(filepath.Join(again, "*.zfb"))
	if len(files) != 1 {
		t.Fatalf("resend wrote %v", files)
	}
	resent, _ := os.ReadFile(files[0])
	if sha256.Sum256(resent) != firstSum {
		t.Fatalf("the resent bundle 1 differs from the one first sent")
	}
	// Handed over in the wrong order: the laptop applies 1, then 2.
	code, out, errs = field(t, "sync", "import", "--data", lap, d2, files[0])
	if code != 0 || !strings.Contains(out, "下发包第 1 号") || !strings.Contains(out, "下发包第 2 号") {
		t.Fatalf("import of 2 and 1: exit %d\n%s\n%s", code, out, errs)
	}
	if n := enterpriseCount(t, lap); n != 2 {
		t.Fatalf("%d enterprises on the laptop, want 2", n)
	}
	code, out, _ = field(t, "sync", "import", "--data", lap, d2)
	if code != 0 || !strings.Contains(out, "以前已导入，没有变化") {
		t.Errorf("duplicate: exit %d %s", code, out)
	}

	all := filepath.Join(t.TempDir(), "all")
	out = server(t, "第 2 号下发包", "export-down", "--data", dir, "--device", dev, "--all", "--out", all)
	if !strings.Contains(out, "第 1 号下发包") {
		t.Errorf("--all:\n%s", out)
	}
	second, _ := os.ReadFile(d2)
	got, _ := filepath.Glob(filepath.Join(all, "*.zfb"))
	if len(got) != 2 {
		t.Fatalf("--all wrote %v", got)
	}
	for i, want := range [][]byte{first, second} {
		b, _ := os.ReadFile(got[i])
		if !bytes.Equal(b, want) {
			t.Errorf("--all: %s differs from down bundle %d", filepath.Base(got[i]), i+1)
		}
	}
	var eout, eerr bytes.Buffer
	if code := run([]string{"export-down", "--data", dir, "--device", dev, "--resend", "9", "--out", filepath.Join(usb, "x.zfb")}, &eout, &eerr); code != 1 || !strings.Contains(eerr.String(), "没有第 9 号下发包") {
		t.Errorf("resend of an unknown seq: exit %d %s", code, eerr.String())
	}
}
