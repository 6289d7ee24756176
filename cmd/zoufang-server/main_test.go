package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/sync/laptop"
)

func TestServerCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	var out, errOut bytes.Buffer
	if code := run([]string{"init", "--data", dir, "--name", "市南区总工会"}, &out, &errOut); code != 0 {
		t.Fatalf("init: %d %s", code, errOut.String())
	}
	if code := run([]string{"init", "--data", dir, "--name", "市南区总工会"}, &out, &errOut); code != 1 {
		t.Errorf("second init: exit %d, want 1", code)
	}
	l, err := laptop.Open(t.TempDir(), laptop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := l.Request(laptop.Who{DeviceName: "张伟的笔记本", Investigator: "张伟"})
	reqPath := filepath.Join(t.TempDir(), "req.zfe")
	os.WriteFile(reqPath, req, 0o600)
	out.Reset()
	if code := run([]string{"enroll", "--data", dir, reqPath}, &out, &errOut); code != 0 {
		t.Fatalf("enroll: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), l.Fingerprint()) {
		t.Errorf("enroll output does not show the fingerprint %s:\n%s", l.Fingerprint(), out.String())
	}
	trust, err := os.ReadFile(strings.TrimSuffix(reqPath, ".zfe") + ".trust.zft")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.AcceptTrust(trust); err != nil {
		t.Errorf("laptop refuses the trust file: %v", err)
	}
	out.Reset()
	if code := run([]string{"status", "--data", dir}, &out, &errOut); code != 0 || !strings.Contains(out.String(), l.DeviceID()) {
		t.Errorf("status: %d\n%s", code, out.String())
	}
	garbage := filepath.Join(t.TempDir(), "x.zfb")
	os.WriteFile(garbage, []byte("not a bundle"), 0o600)
	if code := run([]string{"import", "--data", dir, garbage}, &out, &errOut); code != 1 {
		t.Errorf("import of garbage: exit %d, want 1", code)
	}
	for _, args := range [][]string{{"frobnicate"}, {"status"}, {"revoke", "--data", dir}} {
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	out.Reset()
	if code := run([]string{"revoke", "--data", dir, l.DeviceID(), "--reason", "丢失"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "停用不能撤销") {
		t.Errorf("revoke: %d %s %s", code, out.String(), errOut.String())
	}
}
