package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoufang/assets"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// addTestVisits stores an enterprise and n visits in the data dir's database
// as the laptop's own device (the device id file written by "device show").
func addTestVisits(t *testing.T, dir string, n, seed int) {
	t.Helper()
	id, err := os.ReadFile(filepath.Join(dir, "device.id"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: strings.TrimSpace(string(id)), Author: "李明"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	body := fmt.Sprintf("91370200MA%07d", seed)
	c, err := survey.USCCCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	e, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: fmt.Sprintf("青岛测试企业%d", seed), USCC: body + string(c), District: "市南区"})
	if err != nil {
		t.Fatal(err)
	}
	set, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	f, _ := set.Latest("visit")
	for range n {
		if _, err := db.CreateVisit(ctx, e.ID, f); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeviceAndSyncCommands(t *testing.T) {
	dir := t.TempDir()
	work := t.TempDir()
	district, err := sync.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	var deviceID string
	receiptFor := func(seq uint64, head sync.Hash) []byte {
		r, err := sync.SignReceipt(sync.Receipt{DeviceID: deviceID, Seq: seq, Head: head, Created: time.Now()}, district.Signing)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/down") {
			w.WriteHeader(http.StatusNoContent) // nothing waits for the laptop
			return
		}
		body, _ := io.ReadAll(r.Body)
		b, err := sync.ParseBundle(bytes.NewReader(body), sync.Limits{})
		if err != nil || r.Method != http.MethodPut {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
		w.Write(receiptFor(b.Header.Seq, b.Hash()))
	}))
	defer srv.Close()

	code, out, errs := runCLI(t, "device", "show", "--data", dir)
	if code != 0 {
		t.Fatalf("device show: %d %s", code, errs)
	}
	idb, _ := os.ReadFile(filepath.Join(dir, "device.id"))
	deviceID = strings.TrimSpace(string(idb))
	if !strings.Contains(out, "设备编号："+deviceID) || !strings.Contains(out, "尚未导入区总工会的信任文件") {
		t.Errorf("device show:\n%s", out)
	}

	req := filepath.Join(work, "req.zfreq")
	code, out, errs = runCLI(t, "device", "request", "--data", dir, "--out", req, "--investigator", "李明", "--district", "市南区总工会")
	if code != 0 {
		t.Fatalf("device request: %d %s", code, errs)
	}
	reqData, _ := os.ReadFile(req)
	er, err := sync.ParseEnrollRequest(reqData)
	if err != nil {
		t.Fatal(err)
	}
	if er.DeviceID != deviceID || er.DeviceName != "李明的笔记本" || !strings.Contains(out, er.Fingerprint()) {
		t.Errorf("request %+v, output %s", er, out)
	}

	addTestVisits(t, dir, 2, 1)
	code, _, errs = runCLI(t, "sync", "export", "--data", dir, "--out", filepath.Join(work, "a.zfb"))
	if code != 1 || !strings.Contains(errs, "信任文件") {
		t.Errorf("export before trust: %d %s", code, errs)
	}

	trust, err := sync.SignTrust(sync.Trust{District: "市南区总工会", Keys: district.Public(), ServerURL: srv.URL, Version: 1,
		Issued: time.Now().Add(-time.Hour), Expires: time.Now().AddDate(1, 0, 0)}, district.Signing)
	if err != nil {
		t.Fatal(err)
	}
	trustPath := filepath.Join(work, "trust.zft")
	os.WriteFile(trustPath, trust, 0o644)
	code, out, errs = runCLI(t, "device", "trust", trustPath, "--data", dir)
	if code != 0 || !strings.Contains(out, district.Public().Fingerprint()) || !strings.Contains(out, srv.URL) {
		t.Fatalf("device trust: %d %s %s", code, out, errs)
	}

	usb := filepath.Join(work, "a.zfb")
	code, out, errs = runCLI(t, "sync", "export", "--data", dir, "--out", usb)
	if code != 0 || !strings.Contains(out, "第 1 号同步包（3 条记录）") {
		t.Fatalf("sync export: %d %s %s", code, out, errs)
	}
	up, _ := os.ReadFile(usb)
	b, err := sync.ParseBundle(bytes.NewReader(up), sync.Limits{})
	if err != nil || b.Header.DeviceID != deviceID {
		t.Fatalf("exported bundle: %v", err)
	}
	code, out, _ = runCLI(t, "sync", "status", "--data", dir)
	if code != 0 || !strings.Contains(out, "区总工会尚未确认") || !strings.Contains(out, "还有 3 条记录待送达") {
		t.Errorf("status after export:\n%s", out)
	}

	rc := filepath.Join(work, "receipt.zfr")
	os.WriteFile(rc, receiptFor(1, b.Hash()), 0o644)
	code, out, errs = runCLI(t, "sync", "import", "--data", dir, rc)
	if code != 0 || !strings.Contains(out, "1 个同步包已送达") {
		t.Fatalf("import receipt: %d %s %s", code, out, errs)
	}

	addTestVisits(t, dir, 1, 2)
	code, out, errs = runCLI(t, "sync", "push", "--data", dir)
	if code != 0 || !strings.Contains(out, "已上传 1 个同步包，1 个已送达") {
		t.Fatalf("sync push: %d %s %s", code, out, errs)
	}
	code, out, _ = runCLI(t, "sync", "status", "--data", dir)
	if code != 0 || !strings.Contains(out, "全部数据已送达区总工会") || strings.Count(out, "已送达\n") != 2 {
		t.Errorf("status after push:\n%s", out)
	}

	// A file that is not for the laptop fails that file only.
	code, out, errs = runCLI(t, "sync", "import", "--data", dir, req, rc)
	if code != 1 || !strings.Contains(errs, "登记申请") || !strings.Contains(out, "没有新的同步包被确认") {
		t.Errorf("import of a request and a receipt: %d\n%s\n%s", code, out, errs)
	}
}

func TestDeviceSyncUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"device"}, 2},
		{[]string{"device", "fly"}, 2},
		{[]string{"device", "show"}, 2},
		{[]string{"device", "trust", "--data", "x"}, 2},
		{[]string{"device", "request", "--data", "x"}, 2},
		{[]string{"sync"}, 2},
		{[]string{"sync", "export", "--data", "x"}, 2},
		{[]string{"sync", "import", "--data", "x"}, 2},
		{[]string{"sync", "status", "--bogus"}, 2},
		{[]string{"sync", "--help"}, 0},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, _ := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
		})
	}
}
