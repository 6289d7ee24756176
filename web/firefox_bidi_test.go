//go:build linux

package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A small WebDriver BiDi client for the Firefox test (firefox_test.go).
// Firefox speaks BiDi natively: started with --remote-debugging-port=0 it
// prints "WebDriver BiDi listening on ws://127.0.0.1:PORT" on stderr and
// takes a session at ws://127.0.0.1:PORT/session. The WebSocket framing is
// github.com/coder/websocket's; this file only speaks the JSON commands:
// session.new, browsingContext.*, script.callFunction, input.performActions,
// and records the network and log events the test checks.

// firefoxPrefs go into the fresh profile's user.js: nothing reaches the
// network by itself (updates, telemetry, studies, first-run and
// what's-new pages), and the browser asks for Chinese pages and shows its
// own Chinese strings (Debian's firefox-esr-l10n-zh-cn), as on an office
// PC in China.
var firefoxPrefs = map[string]any{
	"app.update.auto":                                    false,
	"app.update.enabled":                                 false,
	"app.normandy.enabled":                               false,
	"app.shield.optoutstudies.enabled":                   false,
	"browser.shell.checkDefaultBrowser":                  false,
	"browser.startup.homepage_override.mstone":           "ignore",
	"browser.startup.page":                               0,
	"browser.aboutwelcome.enabled":                       false,
	"browser.newtabpage.enabled":                         false,
	"browser.safebrowsing.malware.enabled":               false,
	"browser.safebrowsing.phishing.enabled":              false,
	"browser.safebrowsing.downloads.enabled":             false,
	"browser.ping-centre.telemetry":                      false,
	"datareporting.healthreport.uploadEnabled":           false,
	"datareporting.policy.dataSubmissionEnabled":         false,
	"toolkit.telemetry.enabled":                          false,
	"toolkit.telemetry.unified":                          false,
	"toolkit.telemetry.server":                           "",
	"extensions.update.enabled":                          false,
	"extensions.getAddons.cache.enabled":                 false,
	"network.captive-portal-service.enabled":             false,
	"network.connectivity-service.enabled":               false,
	"services.settings.server":                           "",
	"messaging-system.rsexperimentloader.enabled":        false,
	"browser.region.network.url":                         "",
	"browser.search.geoip.url":                           "",
	"intl.accept_languages":                              "zh-CN",
	"intl.locale.requested":                              "zh-CN",
	"browser.download.panel.shown":                       true,
	"browser.tabs.warnOnClose":                           false,
	"signon.rememberSignons":                             false,
	"layout.css.devPixelsPerPx":                          "1.0",
	"browser.translations.automaticallyPopup":            false,
	"browser.translations.enable":                        false,
	"datareporting.policy.firstRunURL":                   "",
	"browser.startup.homepage_override.buildID":          "ignore",
	"toolkit.startup.max_resumed_crashes":                -1,
	"browser.sessionstore.resume_from_crash":             false,
	"dom.disable_beforeunload":                           true,
	"browser.uitour.enabled":                             false,
	"browser.newtabpage.activity-stream.feeds.telemetry": false,
}

// firefox is one headless Firefox with a BiDi session on its only tab.
type firefox struct {
	t    *testing.T
	conn *websocket.Conn
	tab  string // the top-level browsing context's id

	mu      gosync.Mutex
	nextID  int
	waiting map[int]chan bidiMessage
	events  []bidiMessage
	readErr error
}

type bidiMessage struct {
	Type    string          `json:"type"` // success, error or event
	ID      int             `json:"id"`
	Result  json.RawMessage `json:"result"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// stderrWatch keeps what Firefox writes to stderr (for failure messages)
// and hands over the BiDi address once Firefox prints it.
type stderrWatch struct {
	mu   gosync.Mutex
	buf  bytes.Buffer
	addr chan string
	sent bool
}

func (w *stderrWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() < 1<<20 {
		w.buf.Write(p)
	}
	const marker = "WebDriver BiDi listening on "
	if s := w.buf.String(); !w.sent {
		if i := strings.Index(s, marker); i >= 0 {
			rest := s[i+len(marker):]
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				w.addr <- strings.TrimSpace(rest[:j])
				w.sent = true
			}
		}
	}
	return len(p), nil
}

func (w *stderrWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.buf.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// startFirefox runs Debian's firefox-esr headless in a fresh profile and
// opens a BiDi session on it, the viewport sized like the office PCs'
// 1366×768 screens. A machine without firefox-esr fails the test
// (make test installs it); it never skips. Firefox and every process it
// started are killed when the test ends, passed or failed.
func startFirefox(t *testing.T) *firefox {
	t.Helper()
	path, err := exec.LookPath("firefox-esr")
	if err != nil {
		t.Fatalf("firefox-esr not installed (scripts/install-deps.sh test installs it): %v", err)
	}
	profile := t.TempDir()
	var prefs strings.Builder
	for k, v := range firefoxPrefs {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&prefs, "user_pref(%q, %s);\n", k, b)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	firefoxFirstRun(t, path, profile)

	cmd := exec.Command(path, "--headless", "--remote-debugging-port=0", "-profile", profile, "-no-remote", "about:blank")
	cmd.Env = firefoxEnv()
	// Its own process group, so the cleanup reaches the content
	// processes too; WaitDelay bounds Wait if one of them kept stderr.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	stderr := &stderrWatch{addr: make(chan string, 1)}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start firefox-esr: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// browser.close (below) normally ends it; whatever is left of
		// the group is killed.
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})

	var addr string
	select {
	case addr = <-stderr.addr:
	case <-exited:
		t.Fatalf("firefox-esr exited before it listened for WebDriver BiDi:\n%s", stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("firefox-esr did not print its WebDriver BiDi address within 2 minutes:\n%s", stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	dctx, dcancel := context.WithTimeout(ctx, time.Minute)
	conn, _, err := websocket.Dial(dctx, addr+"/session", nil)
	dcancel()
	if err != nil {
		cancel()
		t.Fatalf("connect to firefox's WebDriver BiDi at %s: %v\n%s", addr, err, stderr)
	}
	conn.SetReadLimit(64 << 20) // screenshots arrive as one base64 message
	f := &firefox{t: t, conn: conn, waiting: map[int]chan bidiMessage{}}
	readDone := make(chan struct{})
	go f.read(ctx, readDone)
	t.Cleanup(func() {
		f.call("browser.close", map[string]any{}) // ends the session and the browser; it may not answer
		cancel()
		conn.CloseNow()
		<-readDone
	})

	f.do("session.new", map[string]any{"capabilities": map[string]any{}}, nil)
	f.do("session.subscribe", map[string]any{"events": []string{"network.responseCompleted", "log.entryAdded"}}, nil)
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	f.do("browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree)
	if len(tree.Contexts) == 0 {
		var c struct {
			Context string `json:"context"`
		}
		f.do("browsingContext.create", map[string]any{"type": "tab"}, &c)
		f.tab = c.Context
	} else {
		f.tab = tree.Contexts[0].Context
	}
	f.do("browsingContext.setViewport", map[string]any{"context": f.tab,
		"viewport": map[string]any{"width": 1366, "height": 768}, "devicePixelRatio": 1}, nil)
	return f
}

// firefoxEnv is the environment Firefox runs in: Chinese, no crash
// reporter.
func firefoxEnv() []string {
	return append(os.Environ(), "LANG=zh_CN.UTF-8", "LANGUAGE=zh_CN", "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_CRASHREPORTER=0")
}

// firefoxFirstRun starts Firefox once on the fresh profile and lets it
// exit. Firefox registers Debian's zh-CN language pack (an add-on in the
// application's directory) during the first start of a profile, too late
// for that start's own pages: without this run the file inputs said
// "Browse… No file selected." where an office PC's Firefox says
// "浏览… 未选择文件。". --screenshot loads one page and exits.
func firefoxFirstRun(t *testing.T, path, profile string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--headless", "-profile", profile, "-no-remote",
		"--screenshot", filepath.Join(profile, "first-run.png"), "about:blank")
	cmd.Env = firefoxEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything it left behind
	}
	if err != nil {
		t.Fatalf("first start of firefox-esr on a new profile: %v\n%s", err, out)
	}
	var reg struct {
		Addons []struct {
			ID     string `json:"id"`
			Active bool   `json:"active"`
		} `json:"addons"`
	}
	b, err := os.ReadFile(filepath.Join(profile, "extensions.json"))
	if err == nil {
		err = json.Unmarshal(b, &reg)
	}
	if err != nil {
		t.Fatalf("firefox-esr's first start left no add-on list: %v", err)
	}
	var ids []string
	for _, a := range reg.Addons {
		if strings.HasPrefix(a.ID, "langpack-zh-CN@") && a.Active {
			return
		}
		ids = append(ids, fmt.Sprintf("%s (active %v)", a.ID, a.Active))
	}
	t.Fatalf("Firefox's Chinese language pack is not active (scripts/install-deps.sh test installs firefox-esr-l10n-zh-cn); add-ons: %s", strings.Join(ids, ", "))
}

// read hands each answer to the command waiting for it and keeps the
// events.
func (f *firefox) read(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		_, data, err := f.conn.Read(ctx)
		if err != nil {
			f.mu.Lock()
			f.readErr = err
			for id, ch := range f.waiting {
				close(ch)
				delete(f.waiting, id)
			}
			f.mu.Unlock()
			return
		}
		var m bidiMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		f.mu.Lock()
		if m.Type == "event" {
			f.events = append(f.events, m)
		} else if ch, ok := f.waiting[m.ID]; ok {
			ch <- m
			delete(f.waiting, m.ID)
		}
		f.mu.Unlock()
	}
}

// call sends one command and waits (at most 90 seconds) for its answer.
func (f *firefox) call(method string, params any) (json.RawMessage, error) {
	f.mu.Lock()
	if f.readErr != nil {
		err := f.readErr
		f.mu.Unlock()
		return nil, fmt.Errorf("%s: connection closed: %w", method, err)
	}
	f.nextID++
	id := f.nextID
	ch := make(chan bidiMessage, 1)
	f.waiting[id] = ch
	f.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := f.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s: connection closed", method)
		}
		if m.Type == "error" {
			return nil, fmt.Errorf("%s: %s: %s", method, m.Error, m.Message)
		}
		return m.Result, nil
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.waiting, id)
		f.mu.Unlock()
		return nil, fmt.Errorf("%s: no answer in 90 s", method)
	}
}

// do is call that fails the test on an error and decodes the result.
func (f *firefox) do(method string, params any, out any) {
	f.t.Helper()
	res, err := f.call(method, params)
	if err != nil {
		f.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			f.t.Fatalf("%s: %v in %s", method, err, res)
		}
	}
}

// fn runs a JavaScript function in the page with string arguments; the
// function returns a value JSON.stringify can hold, decoded into out.
func (f *firefox) fn(decl string, out any, args ...string) error {
	bargs := make([]map[string]any, len(args))
	for i, a := range args {
		bargs[i] = map[string]any{"type": "string", "value": a}
	}
	res, err := f.call("script.callFunction", map[string]any{
		"functionDeclaration": "async (...args) => JSON.stringify(await (" + decl + ")(...args))",
		"arguments":           bargs,
		"target":              map[string]any{"context": f.tab},
		"awaitPromise":        true,
		"resultOwnership":     "none",
	})
	if err != nil {
		return err
	}
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.Type != "success" {
		return fmt.Errorf("script: %s", r.ExceptionDetails.Text)
	}
	if out == nil || r.Result.Type != "string" {
		return nil
	}
	return json.Unmarshal([]byte(r.Result.Value), out)
}

// eval is fn that fails the test on an error.
func (f *firefox) eval(what, decl string, out any, args ...string) {
	f.t.Helper()
	if err := f.fn(decl, out, args...); err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
}

// element scrolls the first element matching a CSS selector into view and
// returns its shared id, which input actions take as a pointer origin.
func (f *firefox) element(sel string) string {
	f.t.Helper()
	res, err := f.call("script.callFunction", map[string]any{
		"functionDeclaration": `(s) => { const e = document.querySelector(s); if (e) e.scrollIntoView({block: "center"}); return e; }`,
		"arguments":           []map[string]any{{"type": "string", "value": sel}},
		"target":              map[string]any{"context": f.tab},
		"awaitPromise":        false,
		"resultOwnership":     "none",
	})
	if err != nil {
		f.t.Fatalf("find %s: %v", sel, err)
	}
	var r struct {
		Result struct {
			Type     string `json:"type"`
			SharedID string `json:"sharedId"`
		} `json:"result"`
	}
	json.Unmarshal(res, &r)
	if r.Result.Type != "node" || r.Result.SharedID == "" {
		f.t.Fatalf("the page has no %s:\n%s", sel, f.text("body"))
	}
	return r.Result.SharedID
}

// click moves the mouse to the middle of the element and clicks it.
func (f *firefox) click(sel string) {
	f.t.Helper()
	id := f.element(sel)
	f.do("input.performActions", map[string]any{"context": f.tab, "actions": []any{map[string]any{
		"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"},
		"actions": []any{
			map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": map[string]any{"type": "element", "element": map[string]any{"sharedId": id}}},
			map[string]any{"type": "pointerDown", "button": 0},
			map[string]any{"type": "pointerUp", "button": 0},
		},
	}}}, nil)
}

// typeKeys types text on the keyboard into whatever has the focus; "\uE007"
// is the Enter key.
func (f *firefox) typeKeys(text string) {
	f.t.Helper()
	var keys []any
	for _, r := range text {
		keys = append(keys, map[string]any{"type": "keyDown", "value": string(r)}, map[string]any{"type": "keyUp", "value": string(r)})
	}
	f.do("input.performActions", map[string]any{"context": f.tab, "actions": []any{map[string]any{
		"type": "key", "id": "keyboard", "actions": keys,
	}}}, nil)
}

// navigate loads a URL and waits until the page and everything it loads
// are in.
func (f *firefox) navigate(url string) {
	f.t.Helper()
	f.do("browsingContext.navigate", map[string]any{"context": f.tab, "url": url, "wait": "complete"}, nil)
}

// markPage tags the current document, so that waitPage knows when a click
// has replaced it.
func (f *firefox) markPage() {
	f.t.Helper()
	f.eval("mark page", `() => { window.__zoufangOld = true; return true }`, nil)
}

// waitPage waits (at most a minute) for a new, fully loaded document that
// has an element matching sel.
func (f *firefox) waitPage(what, sel string) {
	f.t.Helper()
	f.waitFor(what, `(s) => !window.__zoufangOld && document.readyState === "complete" && !!document.querySelector(s)`, sel)
}

// waitFor polls a JavaScript condition until it returns true. Errors are
// "not yet": while a page is replaced, scripts cannot run in it.
func (f *firefox) waitFor(what, cond string, args ...string) {
	f.t.Helper()
	deadline := time.Now().Add(time.Minute)
	var lastErr error
	for time.Now().Before(deadline) {
		var ok bool
		if lastErr = f.fn(cond, &ok, args...); lastErr == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.t.Fatalf("%s: still waiting after a minute (%v); page shows:\n%s", what, lastErr, f.text("body"))
}

// text is the visible text of the first element matching sel ("" if none).
func (f *firefox) text(sel string) string {
	var s string
	if err := f.fn(`(s) => { const e = document.querySelector(s); return e ? e.innerText : "" }`, &s, sel); err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// documentStatus is the HTTP status of the last page loaded in the tab
// (after redirects): the network event of its navigation.
func (f *firefox) documentStatus() (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.events) - 1; i >= 0; i-- {
		ev := f.events[i]
		if ev.Method != "network.responseCompleted" {
			continue
		}
		var p struct {
			Context    string  `json:"context"`
			Navigation *string `json:"navigation"`
			Request    struct {
				URL string `json:"url"`
			} `json:"request"`
			Response struct {
				Status int `json:"status"`
			} `json:"response"`
		}
		if json.Unmarshal(ev.Params, &p) != nil || p.Context != f.tab || p.Navigation == nil {
			continue
		}
		return p.Response.Status, p.Request.URL
	}
	return 0, ""
}

// consoleErrors are the errors the pages logged (script errors, refused
// resources, CSP violations).
func (f *firefox) consoleErrors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, ev := range f.events {
		if ev.Method != "log.entryAdded" {
			continue
		}
		var p struct {
			Level string `json:"level"`
			Text  string `json:"text"`
		}
		if json.Unmarshal(ev.Params, &p) == nil && p.Level == "error" {
			out = append(out, p.Text)
		}
	}
	return out
}

// screenshot is a PNG of the viewport.
func (f *firefox) screenshot() ([]byte, error) {
	res, err := f.call("browsingContext.captureScreenshot", map[string]any{"context": f.tab, "origin": "viewport"})
	if err != nil {
		return nil, err
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	if r.Data == "" {
		return nil, errors.New("empty screenshot")
	}
	return base64.StdEncoding.DecodeString(r.Data)
}
