package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zoufang/sync"
)

// Finding 7 of issue 10, district side: `trust renew` issues the next
// version (new expiry, new URL, optionally a new key signed by the old and
// the new one), prints it with the fingerprint and the file; `status`
// reminds staff before expiry; `trust retire` stops an old key; `trust
// export` hands out any version. The laptop side is in
// cli/trust_test.go.
func TestTrustCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	server(t, "已初始化", "init", "--data", dir, "--name", "市南区总工会", "--url", "http://10.0.0.5:8700")
	lap, _ := enrolledLaptop(t, dir)
	out := server(t, "信任文件第 1 版", "status", "--data", dir)
	if strings.Contains(out, "注意") {
		t.Errorf("status warns a year before expiry:\n%s", out)
	}

	out = server(t, "已签发信任文件第 2 版", "trust", "renew", "--data", dir, "--url", "https://sync.example.org", "--valid", "20d", "--by", "王科长")
	file := regexp.MustCompile(`信任文件：(.+\.zft)`).FindStringSubmatch(out)
	if file == nil || !strings.Contains(out, "https://sync.example.org") {
		t.Fatalf("renew output:\n%s", out)
	}
	data, err := os.ReadFile(file[1])
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sync.ParseTrust(data)
	if err != nil || tr.Version != 2 || tr.ServerURL != "https://sync.example.org" || tr.Expires.Sub(tr.Issued).Hours() != 20*24 {
		t.Fatalf("renewed file %+v %v", tr, err)
	}
	server(t, "还有 20 天过期", "status", "--data", dir)
	if code, out, errs := field(t, "device", "trust", "--data", lap, file[1]); code != 0 || !strings.Contains(out, "还有 20 天") {
		t.Errorf("laptop import of version 2: %d\n%s\n%s", code, out, errs)
	}

	out = server(t, "已更换区总工会密钥", "trust", "renew", "--data", dir, "--rotate-key")
	fp := regexp.MustCompile(`新的密钥指纹：([A-Z2-7-]+)`).FindStringSubmatch(out)
	if fp == nil || !strings.Contains(server(t, "密钥指纹", "status", "--data", dir), fp[1]) {
		t.Fatalf("rotation output:\n%s", out)
	}
	out = server(t, "第 3 版", "trust", "show", "--data", dir)
	if !strings.Contains(out, "当前密钥") || !strings.Contains(out, "旧密钥") {
		t.Errorf("trust show:\n%s", out)
	}
	old := regexp.MustCompile(`([0-9a-f]{16})  旧密钥`).FindStringSubmatch(out)
	if old == nil {
		t.Fatalf("no old key in:\n%s", out)
	}
	v3 := filepath.Join(t.TempDir(), "v3.zft")
	server(t, "已写出信任文件", "trust", "export", "--data", dir, "--out", v3)
	if code, out, errs := field(t, "device", "trust", "--data", lap, v3); code != 0 || !strings.Contains(out, fp[1]) {
		t.Errorf("laptop import of the rotation: %d\n%s\n%s", code, out, errs)
	}
	var o, e bytes.Buffer
	if code := run([]string{"trust", "retire", "--data", dir, old[1], "--by", "王科长"}, &o, &e); code != 2 {
		t.Errorf("retire without a reason: exit %d", code)
	}
	server(t, "已停用区总工会旧密钥", "trust", "retire", "--data", dir, old[1], "--by", "王科长", "--reason", "已全部送达")
	if out := server(t, "已停用", "trust", "show", "--data", dir); !strings.Contains(out, "已全部送达") {
		t.Errorf("trust show after retire:\n%s", out)
	}
	all := filepath.Join(t.TempDir(), "all")
	server(t, "已写出第 1 至 3 版信任文件", "trust", "export", "--data", dir, "--all", "--out", all)
	if got, _ := filepath.Glob(filepath.Join(all, "*.zft")); len(got) != 3 {
		t.Errorf("export --all wrote %v", got)
	}
	for _, args := range [][]string{
		{"trust", "renew", "--data", dir, "--valid", "3d"},
		{"trust", "renew", "--data", dir, "--valid", "forever"},
		{"trust", "renew", "--data", dir, "--url", "ftp://x"},
		{"trust", "retire", "--data", dir, "0000000000000000", "--by", "x", "--reason", "y"},
	} {
		o.Reset()
		e.Reset()
		if code := run(args, &o, &e); code == 0 {
			t.Errorf("%v: exit 0\n%s", args, o.String())
		}
	}
	if out := server(t, "第 3 版", "trust", "show", "--data", dir); strings.Contains(out, "第 4 版") {
		t.Errorf("a refused renewal issued a version:\n%s", out)
	}
}
