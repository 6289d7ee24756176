package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"zoufang/sync/district"
	"zoufang/sync/laptop"
)

// movableClock is the one time of a test's district and laptops.
type movableClock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *movableClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *movableClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Finding 7 of issue 10: the trust file was always version 1 with a
// 365-day expiry, with no way to renew it or change the server URL, so
// every laptop stopped syncing a year after enrolment. Here two laptops are
// enrolled on day 0; the district renews (new URL), rotates its key twice
// and retires the first key; the laptops, driven through the CLI with the
// real district behind HTTP, are warned before expiry, pick the renewals up
// on push (one walking three versions at once), keep syncing past the first
// expiry, and a bundle sealed to the retired key is refused.
func TestTrustRenewalKeepsLaptopsSyncing(t *testing.T) {
	day0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.Local)
	clk := &movableClock{t: day0}
	clock = clk.now
	t.Cleanup(func() { clock = time.Now })
	at := func(days int) { clk.set(day0.AddDate(0, 0, days)) }

	var handler http.Handler
	serve := func() *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	}
	oldSrv, newSrv := serve(), serve()
	defer newSrv.Close()
	d, err := district.Init(t.TempDir(), "市南区总工会", oldSrv.URL, district.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	handler = d.Handler(nil)
	td := &testDistrict{District: d, srv: oldSrv}
	a, b := enrolLaptop(t, td), enrolLaptop(t, td)
	ctx := context.Background()

	mustRun := func(want string, args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("%s: exit %d\n%s\n%s\nwant %q", strings.Join(args[:2], " "), code, out, errs, want)
		}
		return out
	}

	at(300)
	addTestVisits(t, a, 1, 1)
	mustRun("已上传 1 个同步包", "sync", "push", "--data", a)
	if out := mustRun("第 1 版", "sync", "status", "--data", a); strings.Contains(out, "过期") {
		t.Errorf("warned 65 days before expiry:\n%s", out)
	}

	// Four weeks before expiry the laptop warns, in Chinese.
	at(338)
	mustRun("注意：区总工会信任文件将于", "sync", "status", "--data", a)
	mustRun("还有 27 天", "device", "show", "--data", a)

	// The district renews for another year and moves its server; the
	// laptop takes the new file on its next push, from the old address.
	newURL := newSrv.URL
	info, _, err := d.Renew(ctx, district.RenewOptions{ServerURL: &newURL, By: "王科长"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 2 {
		t.Fatalf("renewal is version %d, want 2", info.Version)
	}
	at(339)
	addTestVisits(t, a, 1, 2)
	mustRun("已更新区总工会信任文件", "sync", "push", "--data", a)
	out := mustRun("第 2 版", "sync", "status", "--data", a)
	if strings.Contains(out, "注意") {
		t.Errorf("still warned after the renewal:\n%s", out)
	}
	oldSrv.Close() // from now on only the new address answers

	// Past the first file's expiry: laptop A keeps syncing.
	at(400)
	addTestVisits(t, a, 1, 3)
	mustRun("已上传 1 个同步包，1 个已送达", "sync", "push", "--data", a)

	// Key rotation. Before A hears of it, it hands a bundle sealed to the
	// old key over by USB: the district still opens it, and the receipt,
	// signed by old and new key, verifies on A.
	if _, _, err := d.Renew(ctx, district.RenewOptions{RotateKey: true, By: "王科长"}); err != nil {
		t.Fatal(err)
	}
	addTestVisits(t, a, 1, 4)
	usb := t.TempDir() + string(os.PathSeparator)
	mustRun("第 4 号同步包", "sync", "export", "--data", a, "--out", usb)
	up, _ := os.ReadFile(filepath.Join(usb, firstFile(t, usb)))
	res := d.Import(ctx, up)
	if res.Decision != district.Applied {
		t.Fatalf("bundle sealed to the previous key: %s %s", res.Decision, res.Message)
	}
	rc := filepath.Join(usb, "receipt.zfr")
	os.WriteFile(rc, res.Receipt, 0o600)
	mustRun("1 个同步包已送达", "sync", "import", "--data", a, rc)
	at(401)
	addTestVisits(t, a, 1, 5)
	mustRun("已更新区总工会信任文件", "sync", "push", "--data", a)
	if out := mustRun("第 3 版", "device", "show", "--data", a); !strings.Contains(out, d.Fingerprint()) {
		t.Errorf("laptop A does not show the new district fingerprint %s:\n%s", d.Fingerprint(), out)
	}

	// Laptop B slept through all of it: its trust file (version 1, old
	// address, first key) expired on day 365. It sealed a bundle to the
	// first key before; the district rotates again and retires that key.
	at(200)
	addTestVisits(t, b, 1, 6)
	mustRun("第 1 号同步包", "sync", "export", "--data", b, "--out", t.TempDir()+string(os.PathSeparator))
	at(402)
	keys, _ := d.Keys(ctx)
	first := keys[len(keys)-1].SigningKeyID
	if _, _, err := d.Renew(ctx, district.RenewOptions{RotateKey: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.RetireKey(ctx, first, "王科长", "第一把密钥到期"); err != nil {
		t.Fatal(err)
	}
	// B has no way to the new address but a file: the district exports
	// every version and B imports them in any order, walking the chain.
	dir := t.TempDir()
	var files []string
	for v := uint64(4); v >= 2; v-- {
		data, err := d.TrustVersion(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("v%d.zft", v))
		os.WriteFile(p, data, 0o600)
		files = append(files, p)
	}
	mustRun("已导入", append([]string{"device", "trust", "--data", b}, files...)...)
	mustRun("第 4 版", "sync", "status", "--data", b)
	code, out, errs := runCLI(t, "sync", "push", "--data", b)
	if code == 0 || !strings.Contains(errs, "不再接收用它加密的同步包") {
		t.Errorf("push of a bundle sealed to the retired key: exit %d\n%s\n%s", code, out, errs)
	}

	// A, on version 3, picks version 4 up on push and stays in sync.
	addTestVisits(t, a, 1, 7)
	mustRun("已更新区总工会信任文件", "sync", "push", "--data", a)
	mustRun("全部数据已送达区总工会", "sync", "status", "--data", a)

	// A rollback to an old trust file is refused.
	old := filepath.Join(dir, "v2.zft")
	if code, _, errs := runCLI(t, "device", "trust", "--data", a, old); code == 0 || !strings.Contains(errs, "防止回退") {
		t.Errorf("rollback to version 2: exit %d %s", code, errs)
	}
	l, _ := laptop.Open(a, laptop.Options{Now: clk.now})
	if tr, _ := l.Trust(); tr == nil || tr.Version != 4 {
		t.Errorf("laptop A trusts %+v, want version 4", tr)
	}
}

// firstFile names the first file in dir.
func firstFile(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil || len(es) == 0 {
		t.Fatalf("nothing in %s: %v", dir, err)
	}
	return es[0].Name()
}
