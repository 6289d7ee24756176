package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/sync/district"
)

// testDistrict is a real district (package sync/district) behind an HTTP
// test server, for commands that talk to it the way a laptop does.
type testDistrict struct {
	*district.District
	dir string
	srv *httptest.Server
}

func newTestDistrict(t *testing.T) *testDistrict {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	d, err := district.Init(dir, "市南区总工会", srv.URL, district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	handler = d.Handler(nil)
	return &testDistrict{District: d, dir: dir, srv: srv}
}

// enrolLaptop enrols a fresh laptop data dir with the district through the
// CLI (device request, district enroll, device trust) and returns the dir.
func enrolLaptop(t *testing.T, d *testDistrict) string {
	t.Helper()
	dir, work := t.TempDir(), t.TempDir()
	req := filepath.Join(work, "req.zfreq")
	if code, _, errs := runCLI(t, "device", "request", "--data", dir, "--out", req, "--investigator", "李明"); code != 0 {
		t.Fatalf("device request: %d %s", code, errs)
	}
	data, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	trust, _, err := d.Enroll(data)
	if err != nil {
		t.Fatal(err)
	}
	tp := filepath.Join(work, "trust.zft")
	if err := os.WriteFile(tp, trust, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "device", "trust", "--data", dir, tp); code != 0 {
		t.Fatalf("device trust: %d %s", code, errs)
	}
	return dir
}

// Finding 10 of issue 10: bundles 1 and 2 went to the district on a USB
// stick and were imported there, but the receipt never came back. The next
// `zoufang sync push` uploaded bundle 1, got a receipt acknowledging 1 and 2,
// and then failed on bundle 2 with "第 2 号同步包已送达，本机不再保留其内容".
func TestPushAfterUSBDeliveryOfLaterBundles(t *testing.T) {
	d := newTestDistrict(t)
	dir := enrolLaptop(t, d)
	usb := t.TempDir() + string(os.PathSeparator)

	addTestVisits(t, dir, 2, 1)
	if code, _, errs := runCLI(t, "sync", "export", "--data", dir, "--out", usb); code != 0 {
		t.Fatalf("export 1: %d %s", code, errs)
	}
	addTestVisits(t, dir, 2, 2)
	code, out, errs := runCLI(t, "sync", "export", "--data", dir, "--out", usb)
	if code != 0 || !strings.Contains(out, "第 2 号同步包") {
		t.Fatalf("export 2: %d %s %s", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(usb, "*.zfb"))
	if len(files) != 2 {
		t.Fatalf("%d bundles on the stick, want 2", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if res := d.Import(context.Background(), data); res.Decision != district.Applied {
			t.Fatalf("district import of %s: %s %s", filepath.Base(f), res.Decision, res.Message)
		}
	}

	code, out, errs = runCLI(t, "sync", "push", "--data", dir)
	if code != 0 {
		t.Fatalf("sync push after the USB delivery: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "2 个已送达") {
		t.Errorf("push says %q, want both bundles delivered", out)
	}
	code, out, _ = runCLI(t, "sync", "status", "--data", dir)
	if code != 0 || !strings.Contains(out, "全部数据已送达区总工会") {
		t.Errorf("status after push:\n%s", out)
	}
	// And again: nothing to send, nothing fails.
	if code, out, errs := runCLI(t, "sync", "push", "--data", dir); code != 0 {
		t.Errorf("second push: %d %s %s", code, out, errs)
	}
}
