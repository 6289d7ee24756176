//go:build linux

package web

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/storage"
)

// TestFirefox drives the workbench in headless Firefox ESR (Debian's
// firefox-esr, the Firefox that government office PCs run besides
// Chromium-based browsers) through WebDriver BiDi, as district staff
// would: log in with a wrong password, then the right one; open every
// page of the side bar and check that it loaded (HTTP 200, its heading,
// no error), fits a 1366 px wide screen, and that the charts on 统计 have
// a size; search the enterprise roster as you type (htmx); add a
// follow-up to a ledger item and see the flash message. With
// ZOUFANG_UPDATE_SCREENSHOTS=1 it writes docs/screenshots/firefox-*.png.
func TestFirefox(t *testing.T) {
	e := newEnv(t)
	e.populate()
	f := startFirefox(t)
	u := e.srv.URL

	// Log in: the wrong password first.
	login := func(name, password, waitFor string) {
		t.Helper()
		f.navigate(u + "/login")
		f.click("#name")
		f.typeKeys(name)
		f.click("#password")
		f.markPage()
		f.typeKeys(password + "\uE007")
		f.waitPage("log in as "+name, waitFor)
	}
	login("管理员甲", "not-the-password", ".login .error")
	if s := f.text(".login .error"); !strings.Contains(s, "账户名或密码不正确") {
		t.Errorf("wrong password: the login page says %q", s)
	}
	var typed string
	f.eval("name field", `() => document.querySelector("#name").value`, &typed)
	if typed != "管理员甲" {
		t.Errorf("the login page kept %q in the name field, want 管理员甲", typed)
	}
	login("管理员甲", testPassword, "nav.side")

	// Every page of the side bar, opened by clicking its link.
	pages := []struct{ href, link, heading string }{
		{"/", "总览", "总览"},
		{"/devices", "设备", "设备"},
		{"/bundles", "同步包", "同步包"},
		{"/conflicts", "冲突", "冲突"},
		{"/enterprises", "企业名录与分配", "企业名录与分配"},
		{"/visits", "走访记录", "走访记录"},
		{"/reviews", "审核", "审核走访记录"},
		{"/ledger", "工作台帐", "工作台帐"},
		{"/stats", "统计", "统计"},
		{"/forms", "表单", "表单"},
		{"/campaign", "活动", "活动"},
		{"/audit", "审计日志", "审计日志"},
		{"/accounts", "账户", "账户"},
		{"/settings", "设置", "设置"},
	}
	var links []string
	f.eval("side bar", `() => Array.from(document.querySelectorAll("nav.side a")).map(a => a.textContent.trim())`, &links)
	if len(links) != len(pages) {
		t.Errorf("the side bar has %d links %q, the test opens %d", len(links), links, len(pages))
	}
	for _, p := range pages {
		sel := fmt.Sprintf(`nav.side a[href=%q]`, p.href)
		if s := f.text(sel); s != p.link {
			t.Errorf("side bar link to %s says %q, want %q", p.href, s, p.link)
		}
		f.markPage()
		f.click(sel)
		f.waitPage("open "+p.link, "main h1")
		if status, url := f.documentStatus(); status != 200 || !strings.HasSuffix(url, p.href) {
			t.Errorf("%s: the page came with HTTP %d from %s", p.link, status, url)
		}
		if h := f.text("main h1"); h != p.heading {
			t.Errorf("%s: heading %q, want %q", p.link, h, p.heading)
		}
		if s := f.text("main > .error"); s != "" {
			t.Errorf("%s: the page shows an error: %s", p.link, s)
		}
		if s := f.text("nav.side a.on"); s != p.link {
			t.Errorf("%s: the side bar marks %q as the open page", p.link, s)
		}
		f.checkWidth(p.link)
		f.checkLabels(p.link)
		f.checkCovered(p.link)
		switch p.href {
		case "/":
			f.shot("overview")
		case "/devices":
			f.shot("devices") // the file input, in Firefox's own Chinese
		case "/stats":
			var charts []struct{ W, H float64 }
			f.eval("charts", `() => Array.from(document.querySelectorAll("svg.chart")).map(s => { const r = s.getBoundingClientRect(); return {W: r.width, H: r.height} })`, &charts)
			if len(charts) == 0 {
				t.Errorf("统计 shows no chart")
			}
			for i, c := range charts {
				if c.W < 100 || c.H < 50 {
					t.Errorf("统计: chart %d is %.0f×%.0f px", i+1, c.W, c.H)
				}
			}
			for _, w := range []string{"满意率", "职工参与率", "知晓率", "企业认可度"} {
				if !strings.Contains(f.text("main"), w) {
					t.Errorf("统计 does not show %s", w)
				}
			}
			f.shot("stats")
		case "/campaign":
			// The campaign editor, opened as a person would.
			f.click("#campaign-edit summary")
			f.waitFor("open the campaign editor", `() => document.querySelector("#campaign-edit").open`)
			f.checkOverlap("活动: 修改活动配置", `#campaign-edit form[action="/campaign/preview"]`)
			f.checkWidth("活动: 修改活动配置")
		case "/settings":
			f.checkOverlap("设置", "main")
		}
	}

	// Search the roster as you type: htmx replaces the list and the URL.
	want, total, err := e.d.DB().SearchEnterprisesPage(bg, storage.EnterpriseQuery{Text: "qd"}, 0, 1)
	if err != nil || total == 0 || len(want) == 0 {
		t.Fatalf("the roster has no enterprise for qd (%d, %v)", total, err)
	}
	f.navigate(u + "/enterprises")
	f.eval("mark list", `() => { document.querySelector("#enterprise-list").dataset.old = "1"; return true }`, nil)
	f.click(`input[name=q]`)
	f.typeKeys("qd")
	f.waitFor("search as you type", `() => { const l = document.querySelector("#enterprise-list"); return !!l && !l.dataset.old && location.search.includes("q=qd") }`)
	if s := f.text("#enterprise-list .pager"); !strings.Contains(s, fmt.Sprintf("共 %d 条", total)) {
		t.Errorf("search qd: the pager says %q, the roster has %d", s, total)
	}
	if s := f.text("#enterprise-list table"); !strings.Contains(s, want[0].Name) {
		t.Errorf("search qd: the list does not show %s:\n%s", want[0].Name, s)
	}
	f.checkWidth("企业名录 search")

	// Add a follow-up to a ledger item.
	f.navigate(u + "/ledger")
	f.markPage()
	f.click(`main table tbody tr td a`)
	f.waitPage("ledger item", "#note")
	f.checkWidth("ledger item")
	f.shot("ledger-item")
	var itemID string
	f.eval("item id", `() => location.pathname.split("/").pop()`, &itemID)
	const note = "电话回访企业：三月加班费已补发，职工确认"
	f.click("#note")
	f.typeKeys(note)
	f.markPage()
	f.click(`form[action$="/followup"] button[type=submit]`)
	f.waitPage("add follow-up", ".flash")
	if s := f.text(".flash"); s != "跟进已记录" {
		t.Errorf("after the follow-up the page says %q", s)
	}
	if status, _ := f.documentStatus(); status != 200 {
		t.Errorf("the page after the follow-up came with HTTP %d", status)
	}
	if !strings.Contains(f.text("main"), note) {
		t.Errorf("the ledger item does not list the follow-up:\n%s", f.text("main"))
	}
	it, err := e.d.DB().LedgerItem(bg, itemID)
	if err != nil || len(it.Log) == 0 || it.Log[len(it.Log)-1].Note != note {
		t.Errorf("the follow-up is not stored: %+v %v", it.Log, err)
	}

	if errs := f.consoleErrors(); len(errs) > 0 {
		t.Errorf("the pages logged errors in Firefox:\n%s", strings.Join(errs, "\n"))
	}
}

// checkWidth fails the test if the page is wider than the 1366 px viewport
// (a horizontal scroll bar on an office PC), naming the widest element.
func (f *firefox) checkWidth(page string) {
	f.t.Helper()
	var w struct {
		Scroll, Inner int
		Widest        string
	}
	f.eval("page width", `() => {
		const d = document.documentElement;
		let widest = "", right = 0;
		for (const e of document.querySelectorAll("body *")) {
			const r = e.getBoundingClientRect().right;
			if (r > right) { right = r; widest = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().replace(/\s+/g, ".") : ""); }
		}
		return {Scroll: d.scrollWidth, Inner: window.innerWidth, Widest: widest + " (right edge " + Math.round(right) + " px)"};
	}`, &w)
	if w.Inner != 1366 {
		f.t.Errorf("%s: the window is %d px wide, want 1366", page, w.Inner)
	}
	if w.Scroll > w.Inner {
		f.t.Errorf("%s: the page is %d px wide in a %d px window; widest: %s", page, w.Scroll, w.Inner, w.Widest)
	}
}

// checkLabels fails the test if a label of ten characters or fewer (the
// "最长登录时长（小时）" kind) of a two-column form breaks over two lines:
// Firefox sets a full-width closing bracket a full em wide where Chromium
// trims it, so a column that just fitted in Chromium broke "分钟" in
// Firefox.
func (f *firefox) checkLabels(page string) {
	f.t.Helper()
	var broken []string
	f.eval("form labels", `() => Array.from(document.querySelectorAll(".form-grid > label[for]"))
		.filter(l => l.offsetParent && [...l.textContent.trim()].length <= 10 && l.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(l).lineHeight))
		.map(l => l.textContent.trim())`, &broken)
	if len(broken) > 0 {
		f.t.Errorf("%s: labels broken over two lines: %q", page, broken)
	}
}

// checkCovered fails the test if the page draws something over something
// else (coveredJS, the same check as the chromium tests').
func (f *firefox) checkCovered(page string) {
	f.t.Helper()
	var covered []string
	f.eval("covered", coveredJS, &covered)
	for _, c := range covered {
		f.t.Errorf("%s: %s", page, c)
	}
}

// checkOverlap fails the test if two visible form controls inside the
// element overlap (one drawn over the other's text).
func (f *firefox) checkOverlap(page, sel string) {
	f.t.Helper()
	var pairs []string
	f.eval("overlapping controls", `(s) => {
		const name = e => e.tagName.toLowerCase() + (e.name ? "[name=" + e.name + "]" : "") + (e.type ? "[type=" + e.type + "]" : "");
		const cs = Array.from(document.querySelector(s).querySelectorAll("input, select, textarea, button"))
			.filter(e => e.type !== "hidden" && e.offsetParent);
		const out = [];
		for (let i = 0; i < cs.length; i++) for (let j = i + 1; j < cs.length; j++) {
			const a = cs[i].getBoundingClientRect(), b = cs[j].getBoundingClientRect();
			if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1)
				out.push(name(cs[i]) + " / " + name(cs[j]));
		}
		return out;
	}`, &pairs, sel)
	if len(pairs) > 0 {
		f.t.Errorf("%s: form controls drawn over each other: %s", page, strings.Join(pairs, "; "))
	}
}

// shot takes a screenshot of what a 1366×768 screen shows, checks it is
// not blank, and with ZOUFANG_UPDATE_SCREENSHOTS=1 writes it to
// docs/screenshots/firefox-NAME.png (as shot does for chromium).
func (f *firefox) shot(name string) {
	f.t.Helper()
	buf, err := f.screenshot()
	if err != nil {
		f.t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		f.t.Fatalf("screenshot %s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != 1366 || b.Dy() != 768 {
		f.t.Errorf("screenshot %s is %dx%d, want 1366x768", name, b.Dx(), b.Dy())
	}
	if blankImage(img) {
		f.t.Errorf("screenshot %s is blank", name)
	}
	if os.Getenv("ZOUFANG_UPDATE_SCREENSHOTS") == "1" {
		dst := filepath.Join("..", "docs", "screenshots", "firefox-"+name+".png")
		if err := os.WriteFile(dst, buf, 0o644); err != nil {
			f.t.Fatal(err)
		}
		fmt.Println("wrote", dst)
	}
}
