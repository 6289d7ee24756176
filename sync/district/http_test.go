package district

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// rawUpload starts an upload on a raw connection: request line and
// headers claiming size bytes, then body. It returns the connection.
func rawUpload(t *testing.T, srvURL, device string, seq uint64, size int, body []byte) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(srvURL, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "PUT /v1/devices/%s/bundles/%d HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", device, seq, addr, size)
	c.Write(body)
	return c
}

// readStatus reads the status code of the answer on c within 5 s.
func readStatus(t *testing.T, c net.Conn) (*http.Response, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return http.ReadResponse(bufio.NewReader(c), nil)
}

// A client that stops sending is cut after BodyIdle with 408, and the file
// its upload was going into is removed.
func TestStalledUploadIsCut(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	b := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil))
	srv := httptest.NewServer(d.HandlerWith(ServerOptions{BodyIdle: 300 * time.Millisecond}))
	defer srv.Close()
	c := rawUpload(t, srv.URL, l.id, 1, len(b), b[:len(b)/2])
	start := time.Now()
	resp, err := readStatus(t, c)
	if err != nil {
		t.Fatalf("no answer to a stalled upload: %v", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout || time.Since(start) > 3*time.Second {
		t.Errorf("stalled upload: %d after %v, want 408 after about 300 ms", resp.StatusCode, time.Since(start))
	}
	files, _ := filepath.Glob(filepath.Join(d.dir, uploadDir, "*"))
	if len(files) != 0 {
		t.Errorf("upload files left behind: %v", files)
	}
	if dv, _ := d.Device(ctx, l.id); dv.Seq != 0 || dv.Backlog+dv.Quarantined != 0 {
		t.Errorf("a cut upload changed the device: %+v", dv)
	}
}

// Uploads over the cap are answered 503 with Retry-After at once, without
// waiting for their bodies; one device cannot take every slot.
func TestUploadCap(t *testing.T) {
	d := newDistrict(t)
	a, b := enrol(t, d, "张伟"), enrol(t, d, "李娜")
	ba := a.bundle(t, d, a.visit(uuid.NewString(), 0, nil))
	bb := b.bundle(t, d, b.visit(uuid.NewString(), 0, nil))
	srv := httptest.NewServer(d.HandlerWith(ServerOptions{MaxUploads: 2, MaxUploadsPerDevice: 1, BodyIdle: time.Second}))
	defer srv.Close()
	// a's first upload holds a slot (half sent).
	rawUpload(t, srv.URL, a.id, 1, len(ba), ba[:100])
	time.Sleep(100 * time.Millisecond)
	// a's second is over the device's share.
	resp, err := readStatus(t, rawUpload(t, srv.URL, a.id, 1, len(ba), ba[:100]))
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second upload of one device: %v %v, want 503 with Retry-After", resp, err)
	}
	// b still gets in, and then the server is full.
	c := rawUpload(t, srv.URL, b.id, 1, len(bb), bb[:100])
	time.Sleep(100 * time.Millisecond)
	resp, err = readStatus(t, rawUpload(t, srv.URL, uuid.NewString(), 1, 200, nil))
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("upload over the server's cap: %v %v, want 503", resp, err)
	}
	c.Write(bb[100:])
	if resp, err := readStatus(t, c); err != nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("b's upload: %v %v, want 201", resp, err)
	}
}

// An upload for a device that is not enrolled, or to a path that is not
// what the header says, is refused after the header: the server does not
// wait for (or store) the 64 MiB the client claims.
func TestUploadRefusedAfterTheHeader(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	b := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil))
	big := func(h []byte) []byte {
		h = append([]byte(nil), h[:98]...)
		binary.BigEndian.PutUint64(h[90:], 64<<20)
		return h
	}
	stranger := &laptop{id: uuid.NewString(), keys: l.keys}
	sb := stranger.bundle(t, d)
	srv := httptest.NewServer(d.Handler(nil))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		device string
		seq    uint64
		head   []byte
		status int
	}{
		{"unknown device", stranger.id, 1, big(sb), http.StatusForbidden},
		{"path names another seq", l.id, 7, big(b), http.StatusBadRequest},
		{"path names another device", enrol(t, d, "李娜").id, 1, big(b), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := readStatus(t, rawUpload(t, srv.URL, tc.device, tc.seq, 98+(64<<20)+64, tc.head))
			if err != nil {
				t.Fatalf("no answer after the header: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(d.dir, uploadDir)); len(entries) != 0 {
		t.Errorf("refused uploads left %d files", len(entries))
	}
}

// TestUnreadBodiesAreCut: a client announces a body that no handler reads
// (a GET of the trust file with a body, the workbench refused on a
// network address) and sends nothing. net/http reads up to 256 KB of such
// a body after the answer; before, with only a header timeout, that read
// had no deadline and the connection and its goroutine were held for
// ever. A request without a body gets no read deadline: its handler may
// take longer than the stall without its context being cancelled.
func TestUnreadBodiesAreCut(t *testing.T) {
	d := newDistrict(t)
	mux := http.NewServeMux()
	mux.Handle("/v1/", d.Handler(nil))
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(1500 * time.Millisecond)
		if err := r.Context().Err(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write([]byte("ok"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer("", mux, nil, 500*time.Millisecond)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "GET /v1/trust HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\nx", addr)
	c.SetReadDeadline(start.Add(10 * time.Second))
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		t.Fatalf("answer: %v", err)
	}
	var buf [1]byte
	_, err = c.Read(buf[:])
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection of a client that never sent its body is still open after %v", time.Since(start))
	}
	t.Logf("closed after %v (%v)", time.Since(start).Round(time.Millisecond), err)

	resp, err := http.Get("http://" + addr + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("a slow request without a body: %d %s", resp.StatusCode, body)
	}
}
