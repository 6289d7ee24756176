package web

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"zoufang/storage"
	"zoufang/sync/laptop"
)

// browser starts Debian's chromium headless, with everything that would
// reach the network switched off and a fresh profile, sized like the
// office PCs' 1366×768 screens. A machine without chromium fails the test
// (make test installs it); it never skips.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not installed (scripts/install-deps.sh test installs it): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN"),
		// On Linux chromium takes its own UI language (the file inputs'
		// 选择文件) from the environment, not from --lang.
		chromedp.Env("LANGUAGE=zh_CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 10*time.Minute) // generous: CI machines are shared
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs browser steps, each group given two minutes: a page that never
// shows what a step waits for fails the test with the step's name.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, a := range actions {
		sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		err := chromedp.Do(sctx, a)
		cancel()
		if err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s (step %d): %v\npage shows:\n%s", what, i+1, err, page)
		}
	}
}

func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// mainText is the visible text of the page's main area.
func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, "read page", chromedp.Text(chromedp.CSS("main")))
}

func wantText(t *testing.T, ctx context.Context, what string, wants ...string) {
	t.Helper()
	s := mainText(t, ctx)
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s: page does not show %q:\n%s", what, w, s)
		}
	}
}

// shot takes a screenshot of what a 1366×768 screen shows, checks it is
// not blank, and with ZOUFANG_UPDATE_SCREENSHOTS=1 writes it to
// docs/screenshots/workbench-NAME.png.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf := get(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != 1366 || b.Dy() != 768 {
		t.Errorf("screenshot %s is %dx%d, want 1366x768", name, b.Dx(), b.Dy())
	}
	if blankImage(img) {
		t.Errorf("screenshot %s is blank", name)
	}
	for _, c := range get(t, ctx, "layout of "+name, chromedp.Evaluate[[]string]("("+coveredJS+")()")) {
		t.Errorf("screenshot %s: %s", name, c)
	}
	if os.Getenv("ZOUFANG_UPDATE_SCREENSHOTS") == "1" {
		dst := filepath.Join("..", "docs", "screenshots", "workbench-"+name+".png")
		if err := os.WriteFile(dst, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Println("wrote", dst)
	}
}

// coveredJS lists what a page draws over something else: a table wider
// than the box it sits in (its last columns run under whatever is beside
// it), and boxes side by side in a .row that overlap. Both browser tests
// run it on every page they look at.
const coveredJS = `() => {
	const out = [];
	const label = el => el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '');
	for (const t of document.querySelectorAll('main table')) {
		const box = t.parentElement, r = t.getBoundingClientRect(), b = box.getBoundingClientRect();
		const scrolls = ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
		if (!scrolls && r.right > b.right + 1) out.push(label(t) + ' is ' + Math.round(r.right - b.right) + ' px wider than ' + label(box));
	}
	for (const row of document.querySelectorAll('main .row')) {
		const kids = [...row.children].map(k => [k, k.getBoundingClientRect()]);
		for (let i = 0; i < kids.length; i++) for (let j = i + 1; j < kids.length; j++) {
			const [a, ra] = kids[i], [b, rb] = kids[j];
			const apart = ra.right <= rb.left + 1 || rb.right <= ra.left + 1 || ra.bottom <= rb.top + 1 || rb.bottom <= ra.top + 1;
			const table = a.querySelector('table');
			const tr = table ? table.getBoundingClientRect() : null;
			const tableUnder = tr && !(tr.right <= rb.left + 1 || rb.right <= tr.left + 1 || tr.bottom <= rb.top + 1 || rb.bottom <= tr.top + 1);
			if (!apart || tableUnder) out.push(label(a) + ' and ' + label(b) + ' overlap');
		}
	}
	return out;
}`

// TestBrowser drives the workbench in headless chromium as district staff
// would: log in (wrong password first), lock out an account, enrol a
// laptop, import its bundle by upload, resolve a conflict, update a
// ledger item, open 统计; and takes a screenshot of every page.
func TestBrowser(t *testing.T) {
	e := newEnv(t)
	_, _, conflictID := e.populate()
	ctx := browser(t)
	u := e.srv.URL

	// Wrong password, then a lockout of another account.
	run(t, ctx, "login page", chromedp.Navigate(u+"/"), chromedp.WaitVisible(chromedp.ID("name")))
	shot(t, ctx, "login")
	// login submits the form and waits for the answer: the error on the
	// login page, or the menu of the workbench.
	login := func(name, password, waitFor string) {
		run(t, ctx, "log in as "+name,
			chromedp.Navigate(u+"/login"), chromedp.WaitVisible(chromedp.ID("name")),
			chromedp.SendKeys(chromedp.ID("name"), name), chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.CSS(waitFor)))
	}
	login("管理员甲", "not-the-password", ".login .error")
	wantText(t, ctx, "wrong password", "账户名或密码不正确")
	shot(t, ctx, "login-wrong")
	for i := 0; i < 5; i++ {
		login("督导丙", "not-the-password", ".login .error")
	}
	wantText(t, ctx, "lockout", "账户已锁定")
	login("督导丙", testPassword, ".login .error")
	wantText(t, ctx, "locked account with the right password", "锁定")

	login("管理员甲", testPassword, "nav.side")
	wantText(t, ctx, "overview", "各走访组进度", "张伟的笔记本", "待处理冲突")
	shot(t, ctx, "overview")

	// Enrol a laptop: upload its request, compare the fingerprint, confirm.
	dir := t.TempDir()
	l, err := laptop.Open(dir, laptop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := l.Request(laptop.Who{DeviceName: "赵敏的笔记本", Investigator: "赵敏", District: e.d.Name()})
	reqPath := filepath.Join(t.TempDir(), "zhaomin.zfe")
	os.WriteFile(reqPath, req, 0o600)
	run(t, ctx, "devices", chromedp.Navigate(u+"/devices"), chromedp.WaitVisible(chromedp.CSS(`input[name=request]`)))
	shot(t, ctx, "devices")
	run(t, ctx, "upload request",
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=request]`), []string{reqPath}),
		chromedp.Submit(chromedp.CSS(`form[action="/devices/enroll"] input[name=request]`)),
		chromedp.WaitVisible(chromedp.ID("fingerprint")))
	fp := get(t, ctx, "fingerprint", chromedp.Text(chromedp.ID("fingerprint")))
	if strings.TrimSpace(fp) != l.Fingerprint() {
		t.Errorf("page shows fingerprint %q, laptop %q", fp, l.Fingerprint())
	}
	shot(t, ctx, "enroll")
	run(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`input[name=match]`)),
		chromedp.Click(chromedp.CSS(`form[action="/devices/enroll/confirm"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	wantText(t, ctx, "enrolled", "已登记设备 赵敏的笔记本", "收到的同步包")
	shot(t, ctx, "device")

	// Import a bundle by upload (the page's script uploads with progress).
	a := e.enrolField("孙丽")
	ents, _ := e.d.DB().SearchEnterprises(bg, storage.EnterpriseQuery{Unassigned: true, Limit: 1})
	if _, err := e.d.AssignEnterprises(bg, "测试", a.l.DeviceID(), []string{ents[0].ID}); err != nil {
		t.Fatal(err)
	}
	e.sendDown(a)
	e.fieldWork(a, ents[:1], rngFor(5))
	var paths []string
	for name, b := range e.exportBundles(a) {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, b, 0o600)
		paths = append(paths, p)
	}
	run(t, ctx, "bundle upload",
		chromedp.Navigate(u+"/bundles"), chromedp.WaitVisible(chromedp.ID("bundle-upload")),
		chromedp.SetUploadFiles(chromedp.CSS(`#bundle-upload input[type=file]`), paths),
		chromedp.Click(chromedp.CSS(`#bundle-upload button`)),
		chromedp.WaitVisible(chromedp.Search(`//a[contains(., "全部处理完毕")]`)))
	wantText(t, ctx, "bundle upload", "已合并", "下载回执")
	shot(t, ctx, "bundles")
	if devs, _ := e.d.Devices(bg); !hasSeq(devs, a.l.DeviceID(), 1) {
		t.Errorf("the uploaded bundle was not merged: %+v", devs)
	}

	// Resolve the conflict: keep side 2's value, give a reason.
	run(t, ctx, "conflicts", chromedp.Navigate(u+"/conflicts"), chromedp.WaitVisible(chromedp.CSS("main table")))
	wantText(t, ctx, "conflicts", "硬冲突", "面对面交流的职工人数")
	shot(t, ctx, "conflicts")
	run(t, ctx, "conflict", chromedp.Navigate(u+"/conflicts/"+conflictID), chromedp.WaitVisible(chromedp.CSS("table.diff")))
	shot(t, ctx, "conflict")
	run(t, ctx, "resolve",
		chromedp.Click(chromedp.CSS(`input[name="f.answers.workers_interviewed"][value="1"]`)),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=reason]`), "与企业电话核实"),
		chromedp.Submit(chromedp.CSS(`textarea[name=reason]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	wantText(t, ctx, "resolved", "冲突已处理")
	if hs, _ := e.d.DB().Heads(bg, conflictID); len(hs) != 1 {
		t.Errorf("%d heads after resolving in the browser", len(hs))
	}

	// Update a ledger item.
	run(t, ctx, "ledger", chromedp.Navigate(u+"/ledger?overdue=1"), chromedp.WaitVisible(chromedp.CSS("main table")))
	wantText(t, ctx, "ledger", "逾期")
	shot(t, ctx, "ledger")
	run(t, ctx, "ledger item",
		chromedp.Click(chromedp.CSS(`main table tbody tr td a`)),
		chromedp.WaitVisible(chromedp.ID("assessment")))
	shot(t, ctx, "ledger-item")
	run(t, ctx, "assess",
		chromedp.SendKeys(chromedp.ID("assessment"), "属实：加班费未足额支付，责成企业限期补发"),
		chromedp.SendKeys(chromedp.ID("department"), "区人社局劳动监察大队"),
		chromedp.SetValue(chromedp.ID("status"), "rectifying"),
		chromedp.Click(chromedp.CSS(`form[action^="/ledger/"]:not([action$="followup"]) button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	wantText(t, ctx, "assessed", "研判已保存", "区人社局劳动监察大队", "整改中")

	// 统计, the roster with a pinyin search (htmx), visits, a record, audit,
	// accounts, settings.
	run(t, ctx, "stats", chromedp.Navigate(u+"/stats"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	wantText(t, ctx, "stats", "满意率", "职工参与率", "知晓率", "企业认可度")
	shot(t, ctx, "stats")
	run(t, ctx, "stats by enterprise", chromedp.Navigate(u+"/stats?by=enterprise"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	shot(t, ctx, "stats-enterprise")
	run(t, ctx, "enterprises", chromedp.Navigate(u+"/enterprises"), chromedp.WaitVisible(chromedp.ID("enterprise-list")),
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "qd"),
		chromedp.WaitVisible(chromedp.Search(`//div[@class="pager"]/span[contains(., "共")]`)),
		chromedp.Sleep(800*time.Millisecond))
	loc := get(t, ctx, "search url", chromedp.Location())
	if !strings.Contains(loc, "q=qd") {
		t.Errorf("search as you type did not run (url %s)", loc)
	}
	shot(t, ctx, "enterprises")
	run(t, ctx, "visits", chromedp.Navigate(u+"/visits"), chromedp.WaitVisible(chromedp.CSS("main table")))
	shot(t, ctx, "visits")
	run(t, ctx, "visit", chromedp.Click(chromedp.CSS(`main table tbody tr td:nth-child(2) a`)), chromedp.WaitVisible(chromedp.CSS("table.history")))
	wantText(t, ctx, "visit", "版本历史", "下载走访记录表 PDF")
	shot(t, ctx, "visit")
	run(t, ctx, "audit", chromedp.Navigate(u+"/audit"), chromedp.WaitVisible(chromedp.CSS("main table")))
	wantText(t, ctx, "audit", "台帐研判", "处理冲突", "登记设备", "账户锁定")
	shot(t, ctx, "audit")
	run(t, ctx, "accounts", chromedp.Navigate(u+"/accounts"), chromedp.WaitVisible(chromedp.CSS("main table")))
	shot(t, ctx, "accounts")
	run(t, ctx, "settings", chromedp.Navigate(u+"/settings"), chromedp.WaitVisible(chromedp.ID("idle")))
	shot(t, ctx, "settings")
	run(t, ctx, "quarantine", chromedp.Navigate(u+"/quarantine"), chromedp.WaitVisible(chromedp.CSS("main table")))
	wantText(t, ctx, "quarantine", "隔离的同步包")
	shot(t, ctx, "quarantine")
}

func hasSeq(devs []districtDevice, id string, seq uint64) bool {
	for _, d := range devs {
		if d.ID == id && d.Seq >= seq {
			return true
		}
	}
	return false
}
