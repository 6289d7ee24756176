package district

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	gosync "sync"
	"time"

	"zoufang/sync"
)

// ServerOptions bound what HTTP clients can make the server hold. Whatever
// clients do, the server holds at most MaxUploads bodies at once, each
// streamed to a file (a few tens of KB of memory each), and decrypts at most
// Options.Parallel bundles at once.
type ServerOptions struct {
	// MaxUploads is how many uploads may be received at once; more are
	// answered 503 with Retry-After at once. 8 when zero.
	MaxUploads int
	// MaxUploadsPerDevice is the same per device, so one device cannot
	// take every slot. 2 when zero.
	MaxUploadsPerDevice int
	// BodyIdle cuts an upload that sends nothing for this long (a stalled
	// client). 30 s when zero.
	BodyIdle time.Duration
	// UploadTime cuts an upload whose body takes longer than this in all
	// (256 MiB at 150 KB/s). 30 min when zero.
	UploadTime time.Duration
	// MaxDownFetches is how many down requests (POST
	// /v1/devices/{id}/down) may be answered at once, one per device;
	// more are answered 503 with Retry-After. 4 when zero.
	MaxDownFetches int
	// Logger receives one line per request and the internals of failures;
	// discarded when nil.
	Logger *slog.Logger
}

func (o ServerOptions) withDefaults() ServerOptions {
	if o.MaxUploads <= 0 {
		o.MaxUploads = 8
	}
	if o.MaxUploadsPerDevice <= 0 {
		o.MaxUploadsPerDevice = 2
	}
	if o.BodyIdle <= 0 {
		o.BodyIdle = 30 * time.Second
	}
	if o.UploadTime <= 0 {
		o.UploadTime = 30 * time.Minute
	}
	if o.MaxDownFetches <= 0 {
		o.MaxDownFetches = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server returns an HTTP server for the district's API on addr (see
// NewServer).
func (d *District) Server(addr string, opt ServerOptions) *http.Server {
	opt = opt.withDefaults()
	return NewServer(addr, d.HandlerWith(opt), opt.Logger)
}

// NewServer returns an HTTP server for h (the district's API from
// HandlerWith, or the workbench wrapping it) with timeouts on every phase
// of a request that the upload handler does not set itself: headers within
// 10 s, idle keep-alive connections closed after 60 s, headers at most
// 32 KB, and a request body that sends nothing for BodyStall before its
// handler reads it (or that no handler reads: net/http discards up to
// 256 KB of it after the answer) cut. Upload bodies are cut when they stall
// (ServerOptions.BodyIdle, the workbench's own), and answers written within
// 10 minutes by the handler.
//
// There is no ReadTimeout or WriteTimeout: an upload may take 30 minutes,
// and for HTTP/2 WriteTimeout resets a stream whose answer is not written
// by then. Handlers that read bodies or write large answers move the
// deadlines themselves (http.ResponseController).
func NewServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return newServer(addr, h, log, BodyStall)
}

func newServer(addr string, h http.Handler, log *slog.Logger, stall time.Duration) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           withBodyDeadline(h, stall),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// BodyStall is how long a request body may send nothing before the
// handler that reads it takes over its deadline (see NewServer).
const BodyStall = 30 * time.Second

// withBodyDeadline gives every request that has a body a read deadline,
// so a client that announces a body and never sends it holds no
// connection for ever, whether or not its handler reads it. Requests
// without a body get none: net/http reads ahead on their connection while
// the handler runs, and a deadline passing there would cancel the
// request's context.
func withBodyDeadline(h http.Handler, stall time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(stall))
		}
		h.ServeHTTP(w, r)
	})
}

// Handler serves the district's HTTP API with default ServerOptions and
// the given logger; see HandlerWith.
func (d *District) Handler(log *slog.Logger) http.Handler {
	return d.HandlerWith(ServerOptions{Logger: log})
}

// HandlerWith serves the district's HTTP API:
//
//	PUT /v1/devices/{id}/bundles/{seq}  upload a bundle: 201 applied, 200
//	                                    duplicate, 202 waiting for an earlier
//	                                    one (the body of these is the signed
//	                                    receipt); 400 not a valid bundle or
//	                                    the path does not match it, 403
//	                                    unknown device, wrong key, bad
//	                                    signature or revoked (quarantined),
//	                                    408 upload stalled, 409 same seq with
//	                                    other content or wrong prev hash
//	                                    (quarantined) or rejected earlier,
//	                                    413 too large, 422 a record the
//	                                    device may not write (quarantined),
//	                                    429 device over quota, 503 busy or
//	                                    failing: try again after Retry-After
//	POST /v1/devices/{id}/down          a signed down request (sync.DownRequest)
//	                                    asks for the device's next down bundle:
//	                                    200 with the bundle (headers
//	                                    X-Zoufang-Down-Seq and -Last), 204
//	                                    nothing waits; 400 malformed or clock
//	                                    off (code clock_skew; the Date header
//	                                    is the server's time), 403 unknown or
//	                                    revoked device or bad signature, 409
//	                                    replayed or down bundles the district
//	                                    did not send, 413 over 4 KiB, 503 busy
//	GET /v1/trust                       the district's newest signed trust file
//	GET /v1/trust/{version}             an earlier one, for a laptop that walks
//	                                    the versions after a key rotation
//	GET /v1/devices/{id}                a device's state (JSON)
//
// Error bodies are JSON {"error": Chinese message, "code": Code}. Uploads
// need no other authentication: the bundle is signed.
func (d *District) HandlerWith(opt ServerOptions) http.Handler {
	opt = opt.withDefaults()
	log := opt.Logger
	up := &uploadSlots{free: make(chan struct{}, opt.MaxUploads), perDevice: map[string]int{}, maxPerDevice: opt.MaxUploadsPerDevice}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/devices/{id}/bundles/{seq}", func(w http.ResponseWriter, r *http.Request) {
		id, seqText := r.PathValue("id"), r.PathValue("seq")
		rc := http.NewResponseController(w)
		// refuse answers without reading (the rest of) the body: the
		// connection is closed after the answer, and the server gives up
		// discarding what a stalled client does not send after a second.
		refuse := func(err error) {
			rc.SetReadDeadline(time.Now().Add(time.Second))
			w.Header().Set("Connection", "close")
			writeError(w, err)
		}
		seq, err := strconv.ParseUint(seqText, 10, 64)
		if err != nil || seq == 0 {
			refuse(errorf(CodeWrongPlace, "上传地址中的同步包序号 %q 无效", seqText))
			return
		}
		if r.ContentLength > d.lim.MaxBundle {
			log.Info("upload refused", "device", id, "seq", seq, "status", 413, "bytes", r.ContentLength)
			refuse(errorf(CodeTooLarge, "同步包 %s，超过区总工会允许的 %s", sizeText(r.ContentLength), sizeText(d.lim.MaxBundle)))
			return
		}
		release, ok := up.acquire(id)
		if !ok {
			log.Info("upload refused", "device", id, "seq", seq, "status", 503, "reason", "too many uploads")
			refuse(errorf(CodeBusy, "%s（同时上传的笔记本太多）", msgBusy))
			return
		}
		defer release()
		start := time.Now()
		body := &deadlineReader{r: http.MaxBytesReader(w, r.Body, d.lim.MaxBundle+1), rc: rc, idle: opt.BodyIdle, end: start.Add(opt.UploadTime)}
		// Once the body is in, the decision runs to its end even if the
		// client goes away: the laptop will be told "duplicate" next time.
		res := d.ImportUpload(r.Context(), body, id, seq)
		rc.SetWriteDeadline(time.Now().Add(10 * time.Minute))
		log.Info("upload", "device", id, "seq", seq, "bytes", body.n, "ms", time.Since(start).Milliseconds(),
			"decision", string(res.Decision), "code", string(res.Code), "status", res.Status)
		if res.Receipt != nil {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("X-Zoufang-Decision", string(res.Decision))
			w.WriteHeader(res.Status)
			w.Write(res.Receipt)
			return
		}
		if res.Decision == Refused || res.Decision == Retry {
			// The body may not have been read to its end.
			refuse(&Error{Code: res.Code, Message: res.Message})
			return
		}
		writeError(w, &Error{Code: res.Code, Message: res.Message})
	})
	down := &uploadSlots{free: make(chan struct{}, opt.MaxDownFetches), perDevice: map[string]int{}, maxPerDevice: 1}
	mux.HandleFunc("POST /v1/devices/{id}/down", func(w http.ResponseWriter, r *http.Request) {
		d.serveDown(w, r, down, opt)
	})
	mux.HandleFunc("GET /v1/trust", func(w http.ResponseWriter, r *http.Request) {
		t, err := d.TrustFile()
		if err != nil {
			writeError(w, d.fail(err, "trust file"))
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(t)
	})
	mux.HandleFunc("GET /v1/trust/{version}", d.serveTrustVersion)
	mux.HandleFunc("GET /v1/devices/{id}", func(w http.ResponseWriter, r *http.Request) {
		dv, err := d.Device(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": dv.ID, "seq": dv.Seq, "backlog": dv.Backlog, "quarantined": dv.Quarantined, "revoked": dv.Revoked != ""})
	})
	return mux
}

// writeError answers an error as JSON with its code's status; a busy or
// failing server adds Retry-After.
func writeError(w http.ResponseWriter, err error) {
	e := asError(err, "")
	if after := e.Code.RetryAfter(); after > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(after/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.Code.Status())
	json.NewEncoder(w).Encode(map[string]string{"error": e.Message, "code": string(e.Code)})
}

// uploadSlots caps uploads received at once, overall and per device.
type uploadSlots struct {
	free         chan struct{}
	mu           gosync.Mutex
	perDevice    map[string]int
	maxPerDevice int
}

func (u *uploadSlots) acquire(device string) (func(), bool) {
	select {
	case u.free <- struct{}{}:
	default:
		return nil, false
	}
	u.mu.Lock()
	if u.perDevice[device] >= u.maxPerDevice {
		u.mu.Unlock()
		<-u.free
		return nil, false
	}
	u.perDevice[device]++
	u.mu.Unlock()
	return func() {
		u.mu.Lock()
		if u.perDevice[device]--; u.perDevice[device] == 0 {
			delete(u.perDevice, device)
		}
		u.mu.Unlock()
		<-u.free
	}, true
}

// deadlineReader moves the connection's read deadline forward before each
// read: a client must keep sending (idle) and finish by end.
type deadlineReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	end  time.Time
	n    int64
}

func (b *deadlineReader) Read(p []byte) (int, error) {
	dl := time.Now().Add(b.idle)
	if dl.After(b.end) {
		dl = b.end
	}
	b.rc.SetReadDeadline(dl) // not supported by every writer (tests); then no deadline
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// ImportUpload imports a bundle arriving as a stream (an HTTP body): it is
// written to a file in the data directory's incoming/ folder while its
// header is checked (an unknown device is refused after 98 bytes) and its
// hash and signature prehash are computed, so memory does not grow with
// the body. device and seq, when device is not empty, are what the upload
// claims to be (the URL path); a bundle that is something else is refused.
// A body that breaks off is refused with CodeUploadBroken (408), a
// full disk with CodeInternal (503): neither is the bundle's fault. A
// stream longer than the largest bundle is refused with CodeTooLarge when
// it reaches that size.
func (d *District) ImportUpload(ctx context.Context, r io.Reader, device string, seq uint64) Result {
	f, err := d.UploadFile("bundle")
	if err != nil {
		return d.refusal(Result{}, err, "upload")
	}
	defer os.Remove(f.Name())
	// Whoever calls, the stream is never read past the largest bundle (and
	// one byte, which ScanBundle reports as trailing data).
	r = http.MaxBytesReader(nil, io.NopCloser(r), d.lim.MaxBundle+1)
	out := &recordingWriter{w: bufio.NewWriterSize(f, 64<<10)}
	sc, err := sync.ScanBundle(io.TeeReader(r, out), d.lim, d.checkHeader(ctx, device, seq))
	if err == nil {
		err = out.w.Flush()
		out.err = err
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err, out.err = cerr, cerr
	}
	if err != nil {
		base := Result{Device: device, Seq: seq}
		var tooBig *http.MaxBytesError
		switch {
		case out.err != nil:
			return d.refusal(base, fmt.Errorf("upload: write temp file: %w", out.err), "upload")
		case errors.As(err, &tooBig):
			err = errorf(CodeTooLarge, "同步包超过区总工会允许的 %s", sizeText(d.lim.MaxBundle))
		default:
			var e *Error
			if _, ok := sync.Message(err); !ok && !errors.As(err, &e) {
				err = &Error{Code: CodeUploadBroken, Message: "上传中断或过慢，同步包未保存，请稍后重新上传", Err: err}
			}
		}
		return d.refusal(base, err, "upload")
	}
	return d.importScanned(context.WithoutCancel(ctx), &incoming{scan: sc, path: f.Name()})
}

// recordingWriter remembers a write error, which io.TeeReader would
// report as a read error: a full disk is the server's trouble, not a
// broken upload.
type recordingWriter struct {
	w   *bufio.Writer
	err error
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// serveDown answers POST /v1/devices/{id}/down (FetchDown). What a request
// can cost is bounded before anything is verified: a body of at most
// sync.MaxDownRequest bytes that must keep arriving (BodyIdle), a few
// requests at once and one per device; an unknown device or a bad signature
// costs one read and one signature check, and only a verified request
// writes (its nonce) or seals.
func (d *District) serveDown(w http.ResponseWriter, r *http.Request, slots *uploadSlots, opt ServerOptions) {
	id := r.PathValue("id")
	rc := http.NewResponseController(w)
	refuse := func(err error) {
		rc.SetReadDeadline(time.Now().Add(time.Second))
		w.Header().Set("Connection", "close")
		writeError(w, err)
	}
	if r.ContentLength > sync.MaxDownRequest {
		refuse(errorf(CodeTooLarge, "下发请求太大"))
		return
	}
	release, ok := slots.acquire(id)
	if !ok {
		opt.Logger.Info("down refused", "device", id, "status", 503, "reason", "too many requests")
		refuse(errorf(CodeBusy, "%s（同时请求下发的笔记本太多）", msgBusy))
		return
	}
	defer release()
	start := time.Now()
	body, err := io.ReadAll(&deadlineReader{r: http.MaxBytesReader(w, r.Body, sync.MaxDownRequest), rc: rc, idle: opt.BodyIdle, end: start.Add(time.Minute)})
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(errorf(CodeTooLarge, "下发请求太大"))
		} else {
			refuse(&Error{Code: CodeUploadBroken, Message: "请求中断或过慢，请稍后再试", Err: err})
		}
		return
	}
	ans, err := d.FetchDown(r.Context(), id, body)
	if err != nil {
		e := asError(err, "")
		opt.Logger.Info("down", "device", id, "status", e.Code.Status(), "code", string(e.Code), "ms", time.Since(start).Milliseconds())
		writeError(w, e)
		return
	}
	opt.Logger.Info("down", "device", id, "seq", ans.Seq, "last", ans.Last, "bytes", len(ans.Bundle), "ms", time.Since(start).Milliseconds())
	w.Header().Set(sync.DownHeaderLast, strconv.FormatUint(ans.Last, 10))
	if ans.Bundle == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc.SetWriteDeadline(time.Now().Add(10 * time.Minute))
	w.Header().Set(sync.DownHeaderSeq, strconv.FormatUint(ans.Seq, 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(ans.Bundle)))
	w.WriteHeader(http.StatusOK)
	w.Write(ans.Bundle)
}
