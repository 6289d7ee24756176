package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sort"
	"strings"
	"testing"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

// streamBody is a multipart body with text fields and one file whose
// content comes from content as it is sent, so that nothing of the file's
// size is in the test's memory.
func streamBody(fields url.Values, field, name string, content io.Reader) (io.Reader, string) {
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range fields[k] {
			w.WriteField(k, v)
		}
	}
	w.CreateFormFile(field, name)
	tail := "\r\n--" + w.Boundary() + "--\r\n"
	return io.MultiReader(&head, content, strings.NewReader(tail)), w.FormDataContentType()
}

// filler is n bytes of one repeated line, made as they are read.
type filler struct {
	n    int64
	line string
	off  int
}

func (f *filler) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && f.n > 0 {
		c := copy(p[k:min(len(p), k+int(min(f.n, int64(len(p)-k))))], f.line[f.off:])
		f.off = (f.off + c) % len(f.line)
		k += c
		f.n -= int64(c)
	}
	return k, nil
}

// allocated is the heap allocated by this process so far.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// postStream posts a multipart body as a browser on the page would.
func (c *client) postStream(path string, body io.Reader, ctype string, accept string) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", c.e.srv.URL)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return c.do(req)
}

// incomingFiles lists the files in the district's incoming/ folder.
func incomingFiles(t *testing.T, e *env) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(e.d.Dir(), "incoming"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return es
}

// TestUploadsAreStreamed sends files far larger than anything the
// workbench may hold in memory. Before, the USB import read every file
// whole into memory (after ParseMultipartForm had spilled it to /tmp) and
// the roster and enrolment uploads buffered 8 MB each; now each is read
// as it arrives, and what the handler allocates does not grow with the
// file.
func TestUploadsAreStreamed(t *testing.T) {
	e := newEnv(t)
	admin := e.loggedIn("管理员甲")
	const size = 64<<20 + 1
	cases := []struct {
		name, path, field, file string
		line                    string
		status                  int
		want                    string
	}{
		// Not a bundle: refused after its first bytes, the rest skipped.
		{"bundle", "/bundles/import", "bundles", "大文件.zfb", "这不是同步包\n", 200, "已拒绝"},
		// Larger than the 64 MB the workbench used to take: written to
		// incoming/, then refused for what it lacks.
		{"roster", "/enterprises/import", "roster", "名录.csv", "甲,乙,丙\n", 400, "统一社会信用代码"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := admin.get("/enterprises")
			body, ctype := streamBody(url.Values{"token": {token(t, page.body)}}, c.field, c.file, &filler{n: size, line: c.line})
			before := allocated()
			r := admin.postStream(c.path, body, ctype, "")
			grew := allocated() - before
			t.Logf("%s: %d MB uploaded, %.1f MB allocated", c.name, size>>20, float64(grew)/(1<<20))
			if r.status != c.status || !strings.Contains(r.body, c.want) {
				t.Fatalf("%s: %d, want %d with %q:\n%s", c.path, r.status, c.status, c.want, r.body)
			}
			if grew > 6<<20 {
				t.Errorf("%s: the upload of %d MB allocated %.1f MB: it was held in memory", c.path, size>>20, float64(grew)/(1<<20))
			}
			if fs := incomingFiles(t, e); len(fs) != 0 {
				t.Errorf("incoming/ keeps %d files after the upload", len(fs))
			}
		})
	}
	if n, _ := e.d.DB().EnterpriseCount(bg); n != 0 {
		t.Errorf("%d enterprises stored from refused files", n)
	}
	rows, total, _ := e.d.Bundles(bg, district.BundleQuery{Limit: 10})
	if total != 0 {
		t.Errorf("%d bundles stored from a refused file: %v", total, rows)
	}
}

// TestSmallUploadsRefusedBeyondTheirCap: an enrolment request is a few
// hundred bytes; a large file in its place is refused with its size, as
// soon as its cap is passed.
func TestSmallUploadsRefusedBeyondTheirCap(t *testing.T) {
	e := newEnv(t)
	admin := e.loggedIn("管理员甲")
	page := admin.get("/devices")
	body, ctype := streamBody(url.Values{"token": {token(t, page.body)}}, "request", "申请.zfe", &filler{n: 300 << 10, line: "x"})
	r := admin.postStream("/devices/enroll", body, ctype, "")
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "申请.zfe 太大") || !strings.Contains(r.body, "64 KB") {
		t.Fatalf("oversized request file: %d\n%s", r.status, r.body)
	}
	// A form without the file, and a body that is not multipart.
	r = admin.upload("/devices/enroll", "other", map[string][]byte{"x.zfe": []byte("x")}, url.Values{"token": {"t"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "没有收到上传的文件") {
		t.Errorf("upload without the file: %d\n%s", r.status, r.body)
	}
	r = admin.post("/enterprises/import", url.Values{"token": {"t"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "没有收到上传的文件") {
		t.Errorf("roster post without a file: %d\n%s", r.status, r.body)
	}
	// A roster of another kind is refused by its name, before it is read.
	page = admin.get("/enterprises")
	body, ctype = streamBody(url.Values{"token": {token(t, page.body)}}, "roster", "名录.txt", &filler{n: 4 << 20, line: "甲,乙\n"})
	before := allocated()
	r = admin.postStream("/enterprises/import", body, ctype, "")
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, ".xlsx 或 .csv") {
		t.Errorf("roster .txt: %d\n%s", r.status, r.body)
	}
	if grew := allocated() - before; grew > 2<<20 {
		t.Errorf("a refused roster of 4 MB allocated %.1f MB", float64(grew)/(1<<20))
	}
	// A plain form far beyond any form's size.
	big := url.Values{"token": {strings.Repeat("x", maxForm)}, "device": {"x"}}
	if r := admin.post("/enterprises/assign", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("form of %d MB: %d", maxForm>>20, r.status)
	}
}

// pausedUpload posts head, waits for check to pass (it is called until it
// returns true, for up to 20 s), then sends rest.
func pausedUpload(t *testing.T, c *client, path, field, name string, fields url.Values, head, rest []byte, check func() bool) resp {
	t.Helper()
	pr, pw := io.Pipe()
	body, ctype := streamBody(fields, field, name, pr)
	done := make(chan resp, 1)
	go func() {
		req, _ := http.NewRequest("POST", c.e.srv.URL+path, body)
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Origin", c.e.srv.URL)
		req.Header.Set("Accept", "application/json")
		r, err := c.c.Do(req)
		if err != nil {
			done <- resp{status: -1, body: err.Error()}
			return
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		done <- resp{r.StatusCode, string(b), r.Header}
	}()
	pw.Write(head)
	deadline := time.Now().Add(20 * time.Second)
	ok := false
	for !ok && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		ok = check()
	}
	if !ok {
		t.Errorf("%s: the upload in progress is not where it should be", path)
	}
	pw.Write(rest)
	pw.Close()
	return <-done
}

// TestUploadsWaitInIncoming: an upload in progress is on disk in the data
// directory's incoming/ folder, private (0600 in a 0700 folder), not in
// memory or /tmp, and gone once decided.
func TestUploadsWaitInIncoming(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(3)
	f := e.enrolField("王芳")
	if _, err := e.d.AssignEnterprises(bg, "测试", f.l.DeviceID(), []string{ents[0].ID}); err != nil {
		t.Fatal(err)
	}
	e.sendDown(f)
	e.fieldWork(f, ents[:1], rngFor(5))
	files := e.exportBundles(f)
	if len(files) != 1 {
		t.Fatalf("%d bundles", len(files))
	}
	var bundle []byte
	for _, b := range files {
		bundle = b
	}
	rev := e.loggedIn("审核员乙")
	inIncoming := func(kind string, least int64) func() bool {
		return func() bool {
			dir := filepath.Join(e.d.Dir(), "incoming")
			st, err := os.Stat(dir)
			if err != nil || st.Mode().Perm() != 0o700 {
				return false
			}
			for _, en := range incomingFiles(t, e) {
				info, err := en.Info()
				if err == nil && strings.HasPrefix(en.Name(), "upload-"+kind+"-") && info.Mode().Perm() == 0o600 && info.Size() >= least {
					return true
				}
			}
			return false
		}
	}
	half := len(bundle) / 2
	page := rev.get("/bundles")
	r := pausedUpload(t, rev, "/bundles/import", "bundles", "up.zfb", url.Values{"token": {token(t, page.body)}}, bundle[:half], bundle[half:], inIncoming("bundle", 0))
	var res []importResult
	if err := json.Unmarshal([]byte(r.body), &res); err != nil || len(res) != 1 || res[0].Decision != string(district.Applied) {
		t.Fatalf("bundle upload: %d %s", r.status, r.body)
	}

	var roster bytes.Buffer
	survey.WriteRosterCSV(&roster, survey.FakeRoster(2000, 11), false)
	page = rev.get("/enterprises")
	csv := roster.Bytes()
	r = pausedUpload(t, rev, "/enterprises/import", "roster", "名录.csv", url.Values{"token": {token(t, page.body)}}, csv[:len(csv)/2], csv[len(csv)/2:], inIncoming("roster", 1000))
	if r.status != 200 || !strings.Contains(r.body, "名录.csv：新增 2000 家") {
		t.Fatalf("roster upload: %d %s", r.status, r.body)
	}
	if fs := incomingFiles(t, e); len(fs) != 0 {
		t.Errorf("incoming/ keeps %d files", len(fs))
	}
}

// TestBundleUploadWhileDatabaseBusy: another process holds the write lock
// longer than the district waits. The workbench used to show the file with
// an empty result; it says the server is busy, keeps nothing, and the
// same file imports once the lock is gone.
func TestBundleUploadWhileDatabaseBusy(t *testing.T) {
	e, lock := busyEnv(t)
	d := e.d
	ents := e.importRoster(2)
	f := e.enrolField("王芳")
	d.AssignEnterprises(bg, "测试", f.l.DeviceID(), []string{ents[0].ID})
	e.sendDown(f)
	e.fieldWork(f, ents[:1], rngFor(2))
	files := e.exportBundles(f)
	rev := e.loggedIn("审核员乙")

	release := lock()
	page := rev.get("/bundles")
	tok := token(t, page.body)
	r := rev.upload("/bundles/import", "bundles", files, url.Values{"token": {tok}})
	release()
	if r.status != 200 || !strings.Contains(r.body, "服务器忙，请稍后重试") || !strings.Contains(r.body, "未做任何修改") {
		t.Fatalf("upload while busy: %d\n%s", r.status, r.body)
	}
	if ra := r.header.Get("Retry-After"); ra == "" {
		t.Errorf("busy answer without Retry-After")
	}
	if _, total, _ := d.Bundles(bg, district.BundleQuery{Limit: 10}); total != 0 {
		t.Errorf("%d bundles stored while busy", total)
	}
	if n := dumpVersions(t, e); n != 3 { // the roster and the assignment only
		t.Errorf("%d versions after a busy upload", n)
	}
	if fs := incomingFiles(t, e); len(fs) != 0 {
		t.Errorf("incoming/ keeps %d files", len(fs))
	}
	r = rev.upload("/bundles/import", "bundles", files, url.Values{"token": {tok}})
	if !strings.Contains(r.body, "已合并") {
		t.Fatalf("the same file afterwards: %d\n%s", r.status, r.body)
	}
}

// busyEnv is a workbench whose district waits only 300 ms for another
// process's write lock. lock starts such a process (its own handle on the
// same database file, in a write transaction) and returns its release.
func busyEnv(t *testing.T) (*env, func() func()) {
	t.Helper()
	dir := t.TempDir()
	d, err := district.Init(dir, "市南区总工会", "", district.Options{BusyTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s, err := New(d, Options{API: d.Handler(nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, d: d, s: s, srv: srv, clock: &clock{t: time.Now()}, forms: mustForms(t)}
	addUsers(t, d)
	other, err := storage.OpenDir(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	lock := func() func() {
		locked, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			other.Update(bg, func(tx *storage.Tx) error {
				close(locked)
				<-release
				return nil
			})
		}()
		<-locked
		return func() { close(release); <-done }
	}
	return e, lock
}

// TestRosterUploadWhileDatabaseBusy: a roster upload or a plain form
// while another process (say `zoufang-server roster`) holds the write
// lock. Before, the roster was answered 400 as if the file were bad and
// the form 500 "服务器内部错误"; now both say the server is busy (503,
// Retry-After), keep nothing, and the same upload works afterwards.
func TestRosterUploadWhileDatabaseBusy(t *testing.T) {
	e, lock := busyEnv(t)
	ents := e.importRoster(3)
	f := e.enrolField("王芳")
	admin := e.loggedIn("管理员甲")
	var roster bytes.Buffer
	survey.WriteRosterCSV(&roster, survey.FakeRoster(50, 12), false)
	page := admin.get("/enterprises")
	tok := token(t, page.body)

	release := lock()
	r := admin.upload("/enterprises/import", "roster", map[string][]byte{"名录.csv": roster.Bytes()}, url.Values{"token": {tok}})
	page = admin.get("/enterprises")
	a := admin.post("/enterprises/assign", url.Values{"token": {token(t, page.body)}, "device": {f.l.DeviceID()}, "scope": {"selected"}, "id": {ents[0].ID}})
	release()
	for _, c := range []struct {
		what string
		r    resp
	}{{"roster", r}, {"assign", a}} {
		if c.r.status != http.StatusServiceUnavailable || !strings.Contains(c.r.body, "服务器忙，请稍后重试") || !strings.Contains(c.r.body, "未做任何修改") {
			t.Errorf("%s while busy: %d\n%s", c.what, c.r.status, c.r.body)
		}
		if c.r.header.Get("Retry-After") == "" {
			t.Errorf("%s: busy answer without Retry-After", c.what)
		}
	}
	if n, _ := e.d.DB().EnterpriseCount(bg); n != 3 {
		t.Errorf("%d enterprises after a busy roster upload", n)
	}
	if fs := incomingFiles(t, e); len(fs) != 0 {
		t.Errorf("incoming/ keeps %d files", len(fs))
	}
	// The same form token again: it was not used up by the busy attempt.
	r = admin.upload("/enterprises/import", "roster", map[string][]byte{"名录.csv": roster.Bytes()}, url.Values{"token": {tok}})
	if r.status != 200 || !strings.Contains(r.body, "新增 50 家") {
		t.Fatalf("the same roster afterwards: %d\n%s", r.status, r.body)
	}
}

// rawRequest writes a request's head and the first part of a body on a
// new connection, then sends nothing more; it returns how long the server
// took to close the connection (reading whatever it answered), or fails
// after limit.
func rawStall(t *testing.T, addr, head string, partial []byte, limit time.Duration) (time.Duration, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	conn.Write(partial)
	conn.SetReadDeadline(start.Add(limit))
	got, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("the server still holds the connection of a stalled client after %v; it answered:\n%s", limit, got)
	}
	return time.Since(start), string(got)
}

// TestStalledClientsAreCut runs the workbench as `serve` does
// (district.NewServer) and opens connections that announce a body and
// stop sending it, to pages that read it and to pages that do not. Before,
// only the headers had a timeout: each such connection (and its
// goroutine, and the upload's temp file) was held for ever.
func TestStalledClientsAreCut(t *testing.T) {
	dir := t.TempDir()
	d, err := district.Init(dir, "市南区总工会", "", district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s, err := New(d, Options{API: d.Handler(nil), StallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := district.NewServer("", s.Handler(), nil)
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	addr := ln.Addr().String()
	base := "http://" + addr
	e := &env{t: t, d: d, s: s, srv: &httptest.Server{URL: base}, clock: &clock{t: time.Now()}}
	addUsers(t, d)
	rev := e.loggedIn("审核员乙")
	u, _ := url.Parse(base)
	var cookie string
	for _, c := range rev.jar.Cookies(u) {
		cookie += c.Name + "=" + c.Value + "; "
	}
	page := rev.get("/bundles")
	tok := token(t, page.body)

	multipartHead := func(path, field, name string) (string, []byte) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("token", tok)
		w.CreateFormFile(field, name)
		b.WriteString("partial content")
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nCookie: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			path, addr, base, cookie, w.FormDataContentType(), 10<<20), b.Bytes()
	}
	cases := []struct {
		name string
		head string
		body []byte
	}{
		{"login", fmt.Sprintf("POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", addr), []byte("name=")},
		{"form", fmt.Sprintf("POST /ledger/x HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nCookie: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", addr, base, cookie), []byte("token=")},
		// Refused before the body is read: no session.
		{"no session", fmt.Sprintf("POST /ledger/x HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n", addr), []byte("x")},
	}
	h, b := multipartHead("/bundles/import", "bundles", "up.zfb")
	cases = append(cases, struct {
		name string
		head string
		body []byte
	}{"bundles", h, b})
	h, b = multipartHead("/enterprises/import", "roster", "名录.csv")
	cases = append(cases, struct {
		name string
		head string
		body []byte
	}{"roster", h, b})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			took, answer := rawStall(t, addr, c.head, c.body, 15*time.Second)
			t.Logf("%s: closed after %v: %.60q", c.name, took.Round(time.Millisecond), answer)
		})
	}
	if fs := incomingFiles(t, e); len(fs) != 0 {
		t.Errorf("incoming/ keeps %d files of cut uploads", len(fs))
	}
	if _, total, _ := d.Bundles(bg, district.BundleQuery{Limit: 10}); total != 0 {
		t.Errorf("%d bundles stored from cut uploads", total)
	}
}

// TestStalledReaderIsCut: a client that asks for a large answer (here a
// PDF) and never reads it frees its connection after the stall timeout;
// before, the handler blocked in Write for as long as the client kept the
// connection open. The server's socket buffers are made small so that
// "large" is a few hundred kilobytes.
func TestStalledReaderIsCut(t *testing.T) {
	e := newEnv(t)
	e.importRoster(6000)
	f := e.enrolField("王芳")
	ids, err := e.d.DB().SearchEnterpriseIDs(bg, storage.EnterpriseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.AssignEnterprises(bg, "测试", f.l.DeviceID(), ids); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.d.ExportDown(bg, f.l.DeviceID()); err != nil {
		t.Fatal(err)
	}
	s, err := New(e.d, Options{API: e.d.Handler(nil), StallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := district.NewServer("", s.Handler(), nil)
	go hs.Serve(smallBuffers{ln})
	t.Cleanup(func() { hs.Close() })
	addr := ln.Addr().String()
	e.srv = &httptest.Server{URL: "http://" + addr}
	rev := e.loggedIn("审核员乙")
	u, _ := url.Parse(e.srv.URL)
	var cookie string
	for _, c := range rev.jar.Cookies(u) {
		cookie += c.Name + "=" + c.Value + "; "
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "GET /devices/%s/down/1 HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n", f.l.DeviceID(), addr, cookie)
	time.Sleep(6 * time.Second) // the stall timeout is 1 s
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	r, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r.Body)
	t.Logf("answer %d, %d of %d bytes, then %v", r.StatusCode, len(got), r.ContentLength, err)
	if r.StatusCode != 200 || r.ContentLength < 512<<10 {
		t.Fatalf("the down bundle is too small (%d bytes) to fill the buffers; the test proves nothing", r.ContentLength)
	}
	if err == nil && int64(len(got)) == r.ContentLength {
		t.Errorf("the server waited for a client that read nothing for 6 s and sent all %d bytes", len(got))
	}
}

// smallBuffers gives accepted connections small socket send buffers.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}
