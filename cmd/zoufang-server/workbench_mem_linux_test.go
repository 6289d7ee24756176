package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"zoufang/storage"
	"zoufang/sync/district"
	"zoufang/web"
)

// workbenchUploads starts `zoufang-server serve` (this test binary as a
// real process, see TestMain) with its workbench, logs in as a reviewer
// and sends, all at once: 4 roster files of 70 MB and 4 "bundle" files
// of 40 MB, sent whole, and 4 roster uploads that send 20 MB of a file and
// then stall with the connection open. It returns the server's resident
// memory (VmRSS) once the complete ones are answered, its peak (VmHWM), and the stalled
// connections, which the caller closes.
func workbenchUploads(t *testing.T) (rss, hwm float64, stalled []stalledConn, dir string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "district")
	server(t, "已初始化", "init", "--data", dir, "--name", "市南区总工会")
	d, err := district.Open(dir, district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const password = "审核员的密码-很长-123"
	if err := web.Migrate(context.Background(), d.DB()); err != nil {
		t.Fatal(err)
	}
	err = d.DB().Update(context.Background(), func(tx *storage.Tx) error {
		_, err := web.CreateUser(tx, "测试", "审核员乙", web.RoleReviewer, password, false)
		return err
	})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	cmd := exec.Command(os.Args[0], "serve", "--data", dir, "--addr", addr)
	cmd.Env = append(os.Environ(), "ZOUFANG_SERVER_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for start := time.Now(); ; {
		resp, err := http.Get(base + "/login")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("serve did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"name": {"审核员乙"}, "password": {password}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	var cookie string
	for _, ck := range jar.Cookies(u) {
		cookie += ck.Name + "=" + ck.Value + "; "
	}
	tokenRE := regexp.MustCompile(`name="token" value="([^"]+)"`)
	var tokMu gosync.Mutex
	token := func(page string) string {
		tokMu.Lock()
		defer tokMu.Unlock()
		resp, err := c.Get(base + page)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := tokenRE.FindSubmatch(b)
		if m == nil {
			t.Fatalf("no form token on %s (%d)", page, resp.StatusCode)
		}
		return string(m[1])
	}

	// upload sends a multipart request of a file of size bytes, made of
	// line repeated, on a connection of its own; it stops after send bytes
	// of the file and returns the connection without reading the answer
	// when send < size.
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	upload := func(path, page, field, name, line string, size, send int64) (net.Conn, string) {
		var head bytes.Buffer
		mw := multipart.NewWriter(&head)
		mw.WriteField("token", token(page))
		mw.CreateFormFile(field, name)
		tail := "\r\n--" + mw.Boundary() + "--\r\n"
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return nil, ""
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nCookie: %s\r\nAccept: application/json\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			path, addr, base, cookie, mw.FormDataContentType(), int64(head.Len())+size+int64(len(tail)))
		conn.Write(head.Bytes())
		chunk := []byte(strings.Repeat(line, (256<<10)/len(line)))
		conn.SetWriteDeadline(time.Now().Add(2 * time.Minute))
		for n := int64(0); n < send; {
			k := min(int64(len(chunk)), send-n)
			if _, err := conn.Write(chunk[:k]); err != nil {
				return conn, "" // the server stopped reading: refused
			}
			n += k
		}
		if send < size {
			mu.Lock()
			stalled = append(stalled, stalledConn{conn, time.Now()})
			mu.Unlock()
			return conn, ""
		}
		conn.Write([]byte(tail))
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		defer conn.Close()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return nil, err.Error()
		}
		answer, _ := io.ReadAll(resp.Body)
		return nil, fmt.Sprintf("%d %s", resp.StatusCode, answer)
	}

	var answers []string
	for i := 0; i < 4; i++ {
		wg.Add(3)
		go func() {
			defer wg.Done()
			_, a := upload("/enterprises/import", "/enterprises", "roster", "名录.csv", "甲,乙,丙\n", 70<<20, 70<<20)
			mu.Lock()
			answers = append(answers, a)
			mu.Unlock()
		}()
		go func() {
			defer wg.Done()
			_, a := upload("/bundles/import", "/bundles", "bundles", "大文件.zfb", "这不是同步包\n", 40<<20, 40<<20)
			mu.Lock()
			answers = append(answers, a)
			mu.Unlock()
		}()
		go func() {
			defer wg.Done()
			upload("/enterprises/import", "/enterprises", "roster", "名录.csv", "甲,乙,丙\n", 100<<20, 20<<20)
		}()
	}
	wg.Wait()
	for _, a := range answers {
		if !regexp.MustCompile(`^(200|400) `).MatchString(a) {
			t.Errorf("a complete upload was answered:\n%.300s", a)
		}
	}
	time.Sleep(500 * time.Millisecond)
	rss, hwm = childMemory(t, cmd.Process.Pid)
	return rss, hwm, stalled, dir
}

// stalledConn is an upload that stopped sending at since.
type stalledConn struct {
	net.Conn
	since time.Time
}

// childMemory reads VmRSS and VmHWM of a process, in MB.
func childMemory(t *testing.T, pid int) (rss, hwm float64) {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// Follow-up of issues 10 and 12: the workbench's uploads (USB bundles,
// rosters) were read with ParseMultipartForm, which kept 8 MB of each in
// memory and spilled the rest to /tmp, and then read each file whole into
// memory (up to 64 MB, in a doubling buffer); a stalled upload was never
// cut. The real server with 8 large uploads at once and 4 stalled ones now
// stays small, and cuts the stalled ones after 30 s without their data
// (nothing left in incoming/). The code before (cae7358) peaked at
// several hundred MB for the same clients and held the stalled
// connections open for as long as the client kept them.
func TestWorkbenchUploadsDoNotPinServerMemory(t *testing.T) {
	rss, hwm, stalled, dir := workbenchUploads(t)
	t.Logf("server with 4×70 MB rosters, 4×40 MB bundle files and 4 stalled uploads: VmRSS %.0f MB, VmHWM %.0f MB", rss, hwm)
	if hwm > memSlack*150 {
		t.Errorf("server memory with large and stalled workbench uploads: VmRSS %.0f MB, peak %.0f MB; want ≤ %d MB", rss, hwm, memSlack*150)
	}
	// The stalled uploads are cut after 30 s (web's StallTimeout) with an
	// answer or a closed connection, and leave no file behind.
	if len(stalled) != 4 {
		t.Errorf("%d uploads stalled, want 4", len(stalled))
	}
	for _, c := range stalled {
		c.SetReadDeadline(c.since.Add(50 * time.Second))
		_, err := io.Copy(io.Discard, c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("a stalled upload still holds its connection %v after it stopped sending", time.Since(c.since).Round(time.Second))
		} else {
			t.Logf("a stalled upload cut %v after it stopped sending", time.Since(c.since).Round(time.Second))
		}
		c.Close()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "incoming", "upload-*"))
		if len(files) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("incoming/ keeps %d files of cut uploads", len(files))
			break
		}
	}
}
