package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"zoufang/storage"
	"zoufang/sync/district"
	"zoufang/web"
)

func TestUserAddAndBackup(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	var out, errOut bytes.Buffer
	if code := run([]string{"init", "--data", dir, "--name", "市南区总工会"}, &out, &errOut); code != 0 {
		t.Fatalf("init: %s", errOut.String())
	}
	out.Reset()
	if code := run([]string{"user", "add", "--data", dir, "--name", "王主任", "--role", "admin"}, &out, &errOut); code != 0 {
		t.Fatalf("user add: %d %s", code, errOut.String())
	}
	m := regexp.MustCompile(`临时密码[^：]*：(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated password shown:\n%s", out.String())
	}
	if code := run([]string{"user", "add", "--data", dir, "--name", "王主任", "--role", "admin"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "已存在") {
		t.Errorf("second add: %d %s", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"user", "add", "--data", dir, "--name", "李四", "--role", "boss"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "未知的角色") {
		t.Errorf("bad role: %d %s", code, errOut.String())
	}
	d, err := district.Open(dir, district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	var must bool
	d.DB().QueryRow(context.Background(), `SELECT password, must_change FROM web_users WHERE name = '王主任'`).Scan(&hash, &must)
	d.Close()
	if !web.CheckPassword(hash, m[1]) || !must {
		t.Errorf("stored password does not match the one shown, or must_change %v", must)
	}
	out.Reset()
	if code := run([]string{"user", "list", "--data", dir}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "王主任\t管理员") {
		t.Errorf("user list: %s", out.String())
	}

	// Backup while the database is open elsewhere (as under serve).
	d, err = district.Open(dir, district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dest := filepath.Join(t.TempDir(), "备份")
	if code := run([]string{"backup", "--data", dir, "--out", dest}, &out, &errOut); code != 0 {
		t.Fatalf("backup: %s", errOut.String())
	}
	if code := run([]string{"backup", "--data", dir, "--out", dest}, &out, &errOut); code != 1 {
		t.Errorf("backup over an existing directory: %d", code)
	}
	restored, err := district.Open(dest, district.Options{})
	if err != nil {
		t.Fatalf("the backup does not open as a district: %v", err)
	}
	defer restored.Close()
	us, err := web.Users(context.Background(), restored.DB())
	if err != nil || len(us) != 1 || restored.Fingerprint() != d.Fingerprint() {
		t.Errorf("backup: users %v %v, fingerprint %s vs %s", us, err, restored.Fingerprint(), d.Fingerprint())
	}
	if fi, err := os.Stat(filepath.Join(dest, storage.FileName)); err != nil || fi.Size() == 0 {
		t.Errorf("backup database: %v", err)
	}
}

func TestServeRefusesPlainWorkbenchOnNetwork(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8700": true, "localhost:1": true, "[::1]:80": true, "0.0.0.0:8700": false, ":8700": false, "10.0.0.5:8700": false} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v", addr, got)
		}
	}
	d, err := district.Init(t.TempDir(), "市南区总工会", "", district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		o         serveOptions
		workbench int
	}{
		{serveOptions{addr: "0.0.0.0:8700"}, http.StatusForbidden},
		{serveOptions{addr: "0.0.0.0:8700", insecure: true}, http.StatusSeeOther},
		{serveOptions{addr: "127.0.0.1:8700"}, http.StatusSeeOther},
	} {
		var errOut bytes.Buffer
		h, wb, err := workbenchHandler(d, c.o, log, &errOut)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code != c.workbench {
			t.Errorf("%+v: workbench answers %d, want %d", c.o, w.Code, c.workbench)
		}
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/trust", nil))
		if w.Code != 200 {
			t.Errorf("%+v: laptops' API answers %d", c.o, w.Code)
		}
		if c.o.insecure && !strings.Contains(errOut.String(), "警告") {
			t.Errorf("--insecure-http without a loud warning: %q", errOut.String())
		}
		wb.Close()
	}
	if _, _, err := workbenchHandler(d, serveOptions{addr: ":1", cert: "c.pem"}, log, io.Discard); err == nil {
		t.Error("--tls-cert without --tls-key accepted")
	}
}
