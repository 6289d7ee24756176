package web

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// Timeouts of the workbench's requests. The server (district.NewServer)
// bounds the headers and idle connections; a request body and an answer
// are bounded here, per request, because their right length depends on
// what moves: a roster of 256 MB over a slow office line takes minutes,
// a client that sends or reads nothing for StallTimeout is gone.
const (
	defaultStallTimeout = 30 * time.Second
	defaultBodyTime     = 30 * time.Minute
)

// errStalled is what a body read returns once the client has sent nothing
// for the stall timeout (or took longer than the body time in all).
var errStalled = errors.New("request body stalled")

// guardBody moves the connection's read deadline forward on every read of
// the request body: the client must keep sending (stall) and finish within
// total. Once the body is read to its end the deadline is cleared, because
// net/http then reads ahead on the connection while the handler works, and
// a deadline passing there would cancel the request's context in the
// middle of, say, a roster import.
func guardBody(w http.ResponseWriter, r *http.Request, stall, total time.Duration) *http.Request {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return r
	}
	rc := http.NewResponseController(w)
	start := time.Now()
	b := &guardedBody{rc: rc, body: r.Body, stall: stall, end: start.Add(total)}
	b.extend()
	r2 := *r
	r2.Body = b
	return &r2
}

type guardedBody struct {
	rc    *http.ResponseController
	body  io.ReadCloser
	stall time.Duration
	end   time.Time
	done  bool
	dl    time.Time // the read deadline set last
}

func (b *guardedBody) extend() {
	dl := time.Now().Add(b.stall)
	if dl.After(b.end) {
		dl = b.end
	}
	b.dl = dl
	b.rc.SetReadDeadline(dl) // not supported by every writer (tests): then no deadline
}

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	b.extend()
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		b.done, b.dl = true, time.Time{}
		b.rc.SetReadDeadline(time.Time{})
	case isTimeout(err):
		err = errStalled
	}
	return n, err
}

func (b *guardedBody) Close() error { return b.body.Close() }

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout())
}

// guardedWriter gives every piece of an answer at most stall to reach the
// client: a client that stops reading a large download (an .xlsx, a PDF, a
// down bundle) frees its connection and goroutine after stall, whatever
// the size, while a slow but steady one gets it all.
type guardedWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
	body  *guardedBody // nil for a request without a body
}

// writeChunk is how much of an answer must reach the client within stall.
const writeChunk = 64 << 10

// extend gives the next piece of the answer stall to reach the client.
// Before its first bytes go out, net/http reads what the handler left of
// the request body (up to 256 KB, so the connection can serve another
// request), under the body's read deadline: the write deadline counts
// from there.
func (w *guardedWriter) extend() {
	dl := time.Now().Add(w.stall)
	if w.body != nil && !w.body.done && w.body.dl.Add(w.stall).After(dl) {
		dl = w.body.dl.Add(w.stall)
	}
	w.rc.SetWriteDeadline(dl)
}

// WriteHeader starts the deadline of an answer that has no body (a
// redirect after a POST).
func (w *guardedWriter) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

func (w *guardedWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), writeChunk)
		w.extend()
		k, err := w.ResponseWriter.Write(p[:n])
		written += k
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *guardedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes a flush on (htmx fragments do not need it, but a handler
// may).
func (w *guardedWriter) Flush() {
	w.extend()
	w.rc.Flush()
}

// guard applies both: the request's body and its answer may not stall.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		r = guardBody(w, r, s.opt.StallTimeout, s.opt.BodyTime)
		gw := &guardedWriter{ResponseWriter: w, rc: rc, stall: s.opt.StallTimeout}
		gw.body, _ = r.Body.(*guardedBody)
		next.ServeHTTP(gw, r)
		// What is still buffered goes out when the handler has returned,
		// however long it worked.
		gw.extend()
	})
}
