package app

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"zoufang/assets"
	"zoufang/profile"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/laptop"
)

// buildServer builds the real zoufang-server (no cgo) into a temporary
// directory.
func buildServer(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "zoufang-server")
	cmd := exec.Command("go", "build", "-tags", buildTags(), "-o", bin, "./cmd/zoufang-server")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build zoufang-server: %v\n%s", err, out)
	}
	return bin
}

// districtServer is a district data directory with its zoufang-server.
type districtServer struct {
	t    *testing.T
	bin  string
	dir  string
	addr string
}

// run runs a zoufang-server command on the district and returns its output.
func (d *districtServer) run(args ...string) string {
	d.t.Helper()
	cmd := exec.Command(d.bin, append([]string{args[0], "--data", d.dir}, args[1:]...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		d.t.Fatalf("zoufang-server %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// serve starts `zoufang-server serve` on 127.0.0.1 and waits until it
// answers; it is stopped when the test ends.
func (d *districtServer) serve() {
	d.t.Helper()
	cmd := exec.Command(d.bin, "serve", "--data", d.dir, "--addr", d.addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for start := time.Now(); time.Since(start) < 60*time.Second; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + d.addr + "/v1/trust")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	d.t.Fatalf("zoufang-server serve did not answer:\n%s", out.String())
}

// freeAddr finds a free port on 127.0.0.1.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// fieldLaptop is one investigator's laptop data directory, as the app
// opens it: the device identity, the database, the profile.
type fieldLaptop struct {
	name string
	dir  string
	id   identity
	lap  *laptop.Laptop
	db   *storage.DB
}

func newFieldLaptop(t *testing.T, d *districtServer, name string) *fieldLaptop {
	t.Helper()
	dir := t.TempDir()
	id, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	lap, err := laptop.Open(dir, laptop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: id.DeviceID, Author: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h, _ := profile.HashPIN(testPIN)
	if err := profile.Save(context.Background(), db, profile.Profile{Name: name, District: "市南区", Team: name + "组", PINHash: h}); err != nil {
		t.Fatal(err)
	}
	req, err := lap.Request(laptop.Who{DeviceName: name + "的笔记本", Investigator: name, District: "市南区总工会"})
	if err != nil {
		t.Fatal(err)
	}
	reqPath := filepath.Join(t.TempDir(), "申请.zfe")
	os.WriteFile(reqPath, req, 0o600)
	if out := d.run("enroll", reqPath); !strings.Contains(out, lap.Fingerprint()) {
		t.Errorf("enroll does not show the laptop's fingerprint %s:\n%s", lap.Fingerprint(), out)
	}
	trust, err := os.ReadFile(strings.TrimSuffix(reqPath, ".zfe") + ".trust.zft")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lap.AcceptTrust(trust); err != nil {
		t.Fatal(err)
	}
	return &fieldLaptop{name, dir, id, lap, db}
}

// visit makes and finishes a visit of the enterprise with the given USCC.
func (f *fieldLaptop) visit(t *testing.T, uscc string) survey.Visit {
	t.Helper()
	ctx := context.Background()
	ents, err := f.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Text: uscc, Limit: 2})
	if err != nil || len(ents) != 1 {
		t.Fatalf("%s: enterprise %s: %v %v", f.name, uscc, ents, err)
	}
	forms, _ := survey.LoadForms(assets.Forms())
	form, _ := forms.Latest("visit")
	v, err := f.db.CreateVisit(ctx, ents[0].ID, form)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers(time.Now().Format("2006-01-02"), 1)
	v.Answers["workers_interviewed"] = "1"
	v, problems, err := f.db.FinalizeVisit(ctx, v, form)
	if err != nil || len(problems) > 0 {
		t.Fatalf("finalize: %v %v", problems, err)
	}
	return v
}

// workbench is a browser session on the district's workbench.
type workbench struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newWorkbench(t *testing.T, addr string) *workbench {
	jar, _ := cookiejar.New(nil)
	return &workbench{t: t, base: "http://" + addr, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (w *workbench) do(req *http.Request) (int, string, http.Header) {
	w.t.Helper()
	resp, err := w.c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (w *workbench) get(path string) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.base+path, nil)
	st, body, _ := w.do(req)
	return st, body
}

// post sends a form as the page in a browser would (same origin).
func (w *workbench) post(path string, form url.Values) (int, string, http.Header) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.base)
	return w.do(req)
}

// upload posts files in a multipart form.
func (w *workbench) upload(path, field string, files map[string][]byte, extra url.Values) (int, string) {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range extra {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile(field, name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", w.base)
	st, body, _ := w.do(req)
	return st, body
}

var e2eToken = regexp.MustCompile(`name="token" value="([^"]+)"`)

func (w *workbench) token(page string) string {
	w.t.Helper()
	m := e2eToken.FindStringSubmatch(page)
	if m == nil {
		w.t.Fatalf("no form token on the page:\n%s", page)
	}
	return m[1]
}

func hiddenValue(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s on the page", name)
	}
	return m[1]
}

// login logs in with the temporary password `user add` printed and sets
// the reviewer's own, as the workbench asks first.
func (w *workbench) login(name, temp string) {
	w.t.Helper()
	if st, body, _ := w.post("/login", url.Values{"name": {name}, "password": {temp}}); st != http.StatusSeeOther {
		w.t.Fatalf("login: %d %s", st, body)
	}
	_, page := w.get("/password")
	if st, body, _ := w.post("/password", url.Values{"token": {w.token(page)}, "old": {temp}, "new": {"审核员自己的密码2026"}, "again": {"审核员自己的密码2026"}}); st != http.StatusSeeOther {
		w.t.Fatalf("password: %d %s", st, body)
	}
}

// decide opens the review page of a visit and posts a decision with the
// given fields; it returns the page it decided on.
func (w *workbench) decide(visitID, decision string, fields url.Values) string {
	w.t.Helper()
	st, page := w.get("/visits/" + visitID + "/review")
	if st != http.StatusOK {
		w.t.Fatalf("review page: %d %s", st, page)
	}
	form := url.Values{"token": {w.token(page)}, "version": {hiddenValue(w.t, page, "version")},
		"base_review": {hiddenValue(w.t, page, "base_review")}, "decision": {decision}}
	for k, v := range fields {
		form[k] = v
	}
	if st, body, _ := w.post("/visits/"+visitID+"/review", form); st != http.StatusSeeOther {
		w.t.Fatalf("%s: %d %s", decision, st, body)
	}
	return page
}

// downloadDown downloads a device's down bundle as the 设备 page offers it
// (USB path); nil when there is nothing new.
func (w *workbench) downloadDown(device string) []byte {
	w.t.Helper()
	_, page := w.get("/devices/" + device)
	st, body, h := w.post("/devices/"+device+"/down", url.Values{"token": {w.token(page)}})
	if st == http.StatusSeeOther {
		return nil
	}
	if st != http.StatusOK || !strings.Contains(h.Get("Content-Disposition"), ".zfb") {
		w.t.Fatalf("download down bundle: %d %v", st, h)
	}
	return []byte(body)
}

// uploadUp exports the laptop's bundles with the app's 导出到U盘 (a USB
// stick), hands them to the workbench at the district office, and imports
// the receipt the workbench gives back with 导入回执/下发包.
func (w *workbench) uploadUp(s *syncScreen) {
	w.t.Helper()
	usb := w.t.TempDir()
	s.exportTo(usb)
	waitIdle()
	if !strings.Contains(s.message.Text, "已导出") {
		w.t.Fatalf("export to USB: %q", s.message.Text)
	}
	entries, err := os.ReadDir(usb)
	if err != nil {
		w.t.Fatal(err)
	}
	up := map[string][]byte{}
	for _, e := range entries {
		if !e.IsDir() {
			up[e.Name()], _ = os.ReadFile(filepath.Join(usb, e.Name()))
		}
	}
	_, page := w.get("/bundles")
	if st, body := w.upload("/bundles/import", "bundles", up, url.Values{"token": {w.token(page)}}); st != http.StatusOK && st != http.StatusSeeOther {
		w.t.Fatalf("bundle import: %d %s", st, body)
	}
	_, receipt := w.get("/devices/" + s.u.device.DeviceID + "/receipt")
	s.importFile([]byte(receipt), "回执.zfr")
	waitIdle()
	if strings.Contains(s.message.Text, "失败") || !strings.Contains(s.summary.Text, "全部数据已送达") {
		w.t.Fatalf("receipt: %q / %q", s.message.Text, s.summary.Text)
	}
}

// importDown downloads the device's down bundle from the workbench and
// imports it in the app with 导入回执/下发包; it returns the app's message.
func (w *workbench) importDown(s *syncScreen, name string) string {
	w.t.Helper()
	data := w.downloadDown(s.u.device.DeviceID)
	if data == nil {
		w.t.Fatalf("%s: the workbench has nothing new for the device", name)
	}
	s.importFile(data, name)
	waitIdle()
	return s.message.Text
}

// e2eUI is the app's window over a laptop's data directory, with the real
// clock (the district's server has it too).
func e2eUI(t *testing.T, f *fieldLaptop) *ui {
	t.Helper()
	a := test.NewTempApp(t)
	u, err := newUI(a, f.db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	u.device, u.dataDir = f.id, f.dir
	u.open = func(string) error { return nil }
	u.win.Resize(fyne.NewSize(1200, 800))
	u.start()
	waitIdle()
	t.Cleanup(func() { waitIdle(); u.win.Close() })
	return u
}

// TestReviewLoopEndToEnd is the review loop with the real district
// server: `zoufang-server serve` on 127.0.0.1 and two laptop data
// directories, each in its own app window: A syncs over HTTP with the
// 同步 button, B by files (导出到U盘 and 导入回执/下发包 in the app, the
// workbench's bundle upload and down bundle download at the district).
// Each visit is finalized, sent, returned by a reviewer through the
// workbench with a comment on one answer, brought back, shown beside the
// field in the laptop's visit form, answered (完成修改), sent again; the
// reviewer sees the difference and approves; both apps show 已通过. A 研判 made at the district and a follow-up made
// on A the same day both survive.
func TestReviewLoopEndToEnd(t *testing.T) {
	d := &districtServer{t: t, bin: buildServer(t), dir: filepath.Join(t.TempDir(), "district"), addr: freeAddr(t)}
	d.run("init", "--name", "市南区总工会", "--url", "http://"+d.addr)
	temp := regexp.MustCompile(`临时密码[^：]*：(\S+)`).FindStringSubmatch(d.run("user", "add", "--name", "审核员乙", "--role", "reviewer"))
	if temp == nil {
		t.Fatal("user add printed no password")
	}
	a, b := newFieldLaptop(t, d, "张伟"), newFieldLaptop(t, d, "李娜")
	const usccA, usccB = "91370200163562681G", "91370200264582785K"
	roster := filepath.Join(t.TempDir(), "名录.csv")
	os.WriteFile(roster, []byte("企业名称,统一社会信用代码,区市,镇街\n青岛海信电器股份有限公司,"+usccA+",市南区,香港中路街道\n青岛啤酒股份有限公司,"+usccB+",市北区,登州路街道\n"), 0o600)
	d.run("roster", roster)
	d.run("assign", "--device", a.lap.DeviceID(), usccA)
	d.run("assign", "--device", b.lap.DeviceID(), usccB)
	d.serve()
	wb := newWorkbench(t, d.addr)
	wb.login("审核员乙", temp[1])
	ctx := context.Background()

	// A: one 同步 in the app brings the assignment.
	u := e2eUI(t, a)
	s := showSync(u)
	waitIdle()
	if s.pushBtn.Disabled() || s.pushBtn.Text != "同步" {
		t.Fatalf("sync button %q disabled=%v", s.pushBtn.Text, s.pushBtn.Disabled())
	}
	test.Tap(s.pushBtn)
	waitIdle()
	if !strings.Contains(s.message.Text, "分配给本机的企业 1 家") {
		t.Fatalf("first sync: %q", s.message.Text)
	}
	closeDialogs(u)
	// B: the workbench's down bundle file, imported in B's app.
	ub := e2eUI(t, b)
	sb := showSync(ub)
	waitIdle()
	if msg := wb.importDown(sb, "下发包1.zfb"); !strings.Contains(msg, "分配给本机的企业 1 家") {
		t.Fatalf("B's first down bundle: %q", msg)
	}

	va, vb := a.visit(t, usccA), b.visit(t, usccB)
	test.Tap(s.pushBtn)
	waitIdle()
	if !strings.Contains(s.summary.Text, "全部数据已送达") {
		t.Fatalf("A after sending the visit: %q / %q", s.summary.Text, s.message.Text)
	}
	wb.uploadUp(sb)

	// The reviewer returns both with a comment on one answer.
	_, queue := wb.get("/reviews")
	for _, v := range []survey.Visit{va, vb} {
		if !strings.Contains(queue, "/visits/"+v.ID+"/review") {
			t.Fatalf("visit %s not in the reviewers' queue", v.ID)
		}
		wb.decide(v.ID, "returned", url.Values{"comment": {"访谈人数与记录不符"}, "c.workers_interviewed": {"只谈了 1 人？请写实际人数"}})
	}

	// A: 同步 brings the return; home lists it first; the form shows the
	// comment beside the field.
	test.Tap(s.pushBtn)
	waitIdle()
	if !strings.Contains(s.message.Text, "退回修改的走访记录 1 条") {
		t.Fatalf("sync after the return: %q", s.message.Text)
	}
	closeDialogs(u)
	u.nav.back()
	u.home.refresh()
	waitIdle()
	if rows := u.home.data.rows; len(rows) == 0 || rows[0].review != survey.ReviewStateReturn || rows[0].comment != "访谈人数与记录不符" {
		t.Fatalf("home: %+v", rows)
	}
	u.home.mine.Select(0)
	waitIdle()
	vs := visitOnTop(t, u)
	f := filler{t: t, fv: vs.fv}
	f.goTo("workers_interviewed")
	if c := vs.fv.commentLabels["workers_interviewed"]; c == nil || !strings.Contains(c.Text, "只谈了 1 人？请写实际人数") {
		t.Fatalf("the comment is not beside its field: %v", vs.fv.commentLabels)
	}
	test.Tap(vs.editBtn)
	waitIdle()
	f.text("workers_interviewed", "5")
	waitIdle()
	test.Tap(vs.doneEditBtn)
	waitIdle()
	if !strings.Contains(vs.status.Text, "已修改待复审") {
		t.Fatalf("after 完成修改: %q / %q", vs.status.Text, vs.message.Text)
	}
	u.nav.back()
	s = showSync(u)
	waitIdle()
	test.Tap(s.pushBtn)
	waitIdle()
	closeDialogs(u)

	// B by files: the return comes as a file, shows in B's app like A's,
	// and the edit goes back as a file.
	if msg := wb.importDown(sb, "下发包2.zfb"); !strings.Contains(msg, "退回修改的走访记录 1 条") {
		t.Fatalf("B's down bundle with the return: %q", msg)
	}
	ub.nav.back()
	ub.home.refresh()
	waitIdle()
	if rows := ub.home.data.rows; len(rows) == 0 || rows[0].review != survey.ReviewStateReturn || rows[0].comment != "访谈人数与记录不符" {
		t.Fatalf("B's home: %+v", rows)
	}
	ub.home.mine.Select(0)
	waitIdle()
	vsb := visitOnTop(t, ub)
	fb := filler{t: t, fv: vsb.fv}
	fb.goTo("workers_interviewed")
	if c := vsb.fv.commentLabels["workers_interviewed"]; c == nil || !strings.Contains(c.Text, "只谈了 1 人？请写实际人数") {
		t.Fatalf("B: the comment is not beside its field: %v", vsb.fv.commentLabels)
	}
	test.Tap(vsb.editBtn)
	waitIdle()
	fb.text("workers_interviewed", "4")
	waitIdle()
	test.Tap(vsb.doneEditBtn)
	waitIdle()
	if !strings.Contains(vsb.status.Text, "已修改待复审") {
		t.Fatalf("B after 完成修改: %q / %q", vsb.status.Text, vsb.message.Text)
	}
	ub.nav.back()
	sb = showSync(ub)
	waitIdle()
	wb.uploadUp(sb)
	// The reviewer sees what changed, and approves.
	for _, v := range []survey.Visit{va, vb} {
		page := wb.decide(v.ID, "approved", nil)
		if !strings.Contains(page, "已修改待复审") || !strings.Contains(page, "以来的修改（1 处）") || !strings.Contains(page, "上次意见：只谈了 1 人？请写实际人数") {
			t.Errorf("the re-review page of %s does not show the change", v.ID)
		}
	}

	// The same day: the district's 研判 of A's ledger item and a
	// follow-up on A.
	items, err := a.db.LedgerItems(ctx, storage.LedgerFilter{VisitID: va.ID})
	if err != nil || len(items) != 1 {
		t.Fatalf("A's ledger items: %v %v", items, err)
	}
	item := items[0].ID
	_, page := wb.get("/ledger/" + item)
	if st, body, _ := wb.post("/ledger/"+item, url.Values{"token": {wb.token(page)}, "base": {hiddenValue(t, page, "base")},
		"assessment": {"属实，企业资金周转困难，协调分期支付"}, "department": {"区人社局劳动监察大队"}, "route": {"legal_aid"},
		"deadline": {time.Now().AddDate(0, 0, 20).Format("2006-01-02")}, "status": {"rectifying"}}); st != http.StatusSeeOther {
		t.Fatalf("研判: %d %s", st, body)
	}
	l := showLedger(u)
	waitIdle()
	l.filter.SetSelected(filterAll)
	l.selectItem(item)
	l.newStatus.SetSelected(survey.LedgerNegotiating.Label())
	l.note.SetText("企业同意下周与职工代表协商")
	l.onConfirm()
	waitIdle()

	// A: 同步 brings the approval and the 研判, and the follow-up stays.
	u.nav.back()
	s = showSync(u)
	waitIdle()
	test.Tap(s.pushBtn)
	waitIdle()
	if !strings.Contains(s.message.Text, "审核通过的走访记录 1 条") || !strings.Contains(s.message.Text, "研判") {
		t.Errorf("last sync: %q", s.message.Text)
	}
	closeDialogs(u)
	it, _ := a.db.LedgerItem(ctx, item)
	hs, _ := a.db.Heads(ctx, item)
	if it.Route != survey.RouteLegalAid || it.Department != "区人社局劳动监察大队" || len(it.Log) != 2 || it.Status != survey.LedgerNegotiating || len(hs) != 1 {
		t.Errorf("A's ledger item after the merge: %+v, %d heads", it, len(hs))
	}
	deadline := time.Now().AddDate(0, 0, 20).Format("2006-01-02")
	l = showLedger(u)
	waitIdle()
	l.filter.SetSelected(filterAll)
	l.selectItem(item)
	waitIdle()
	if got := l.fields["区总工会研判"].Text; !strings.Contains(got, "属实，企业资金周转困难") || !strings.Contains(got, "法律援助") {
		t.Errorf("A's ledger shows the 研判 as %q", got)
	}
	if got := l.fields["期限"].Text; !strings.Contains(got, deadline) {
		t.Errorf("A's ledger shows the deadline as %q, want %s", got, deadline)
	}
	u.nav.back()
	_, page = wb.get("/ledger/" + item)
	if !strings.Contains(page, "企业同意下周与职工代表协商") || !strings.Contains(page, "属实，企业资金周转困难") {
		t.Errorf("the district's ledger item lost one side")
	}
	u.nav.back()
	u.home.refresh()
	waitIdle()
	for _, r := range u.home.data.rows {
		if r.ent.USCC == usccA && r.review != survey.ReviewStateOK {
			t.Errorf("home shows A's visit as %q", r.review)
		}
	}
	vv, _ := a.db.Visit(ctx, va.ID)
	ent, _ := a.db.Enterprise(ctx, vv.EnterpriseID)
	if vs := openVisit(u, ent, vv); !strings.Contains(vs.status.Text, "已通过") {
		t.Errorf("A's visit screen: %q", vs.status.Text)
	}

	// B by file: approved, and B's app shows it.
	if msg := wb.importDown(sb, "下发包3.zfb"); !strings.Contains(msg, "审核通过的走访记录 1 条") {
		t.Fatalf("B's last down bundle: %q", msg)
	}
	ub.nav.back()
	ub.home.refresh()
	waitIdle()
	for _, r := range ub.home.data.rows {
		if r.ent.USCC == usccB && r.review != survey.ReviewStateOK {
			t.Errorf("B's home shows the visit as %q", r.review)
		}
	}
	vv, _ = b.db.Visit(ctx, vb.ID)
	if vv.Answers["workers_interviewed"] != "4" {
		t.Errorf("B's visit answers %v", vv.Answers["workers_interviewed"])
	}
	ent, _ = b.db.Enterprise(ctx, vv.EnterpriseID)
	if vs := openVisit(ub, ent, vv); !strings.Contains(vs.status.Text, "已通过") {
		t.Errorf("B's visit screen: %q", vs.status.Text)
	}
}

// closeDialogs closes what a sync left open (the 区总工会发回了新的内容
// notice).
func closeDialogs(u *ui) {
	for len(u.dialogs) > 0 {
		u.dialogs[len(u.dialogs)-1].dismiss()
	}
	waitIdle()
}
