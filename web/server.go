// Package web is the district workbench: the pages district staff use in a
// browser to enrol laptops, take in bundles, resolve conflicts, hand out the
// roster, follow the 工作台帐 and report the campaign's figures. It is
// served by `zoufang-server serve` on the same port as the laptops' API.
//
// Pages are rendered on the server (html/template, parsed once at start),
// work without JavaScript, and are guarded by one middleware chain:
// security headers, cross-origin protection against CSRF
// (http.CrossOriginProtection), the session, the route's role. Every route
// names the permission it needs when it is registered, so no handler can
// be reached without its role check. The package owns its tables (accounts,
// sessions, login attempts, form tokens, settings) and writes an audit
// entry for every change it makes.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"zoufang/storage"
	"zoufang/sync/district"
)

// Options configure a Server.
type Options struct {
	// TLS says the workbench is served over HTTPS: cookies get Secure and
	// the __Host- prefix, and responses carry HSTS.
	TLS bool
	// Now is the clock (tests move it to expire sessions); time.Now when nil.
	Now func() time.Time
	// Log receives internal errors; discarded when nil.
	Log *slog.Logger
	// API serves the laptops' /v1/ endpoints; its uploads are recorded as
	// each device's last contact. Nil: no API.
	API http.Handler
	// StallTimeout cuts a request whose body sends nothing, or whose
	// answer is not read, for this long (30 s when zero); BodyTime caps a
	// request body in all (30 min when zero: 256 MB at 150 KB/s). The
	// API's uploads have their own (district.ServerOptions).
	StallTimeout, BodyTime time.Duration
}

// Server is the workbench of one district.
type Server struct {
	d   *district.District
	db  *storage.DB
	opt Options
	log *slog.Logger
	now func() time.Time
	tpl *templates
	mux *http.ServeMux
	// routes lists every registered route with its permission, for the
	// tests that prove every one is guarded.
	routes []route

	touching gosync.Map // session hashes with a last_seen write in flight
	bg       gosync.WaitGroup

	figCache  figureCache
	verCache  versionCache // h_stats_versions.go
	progCache progressCache
}

type route struct {
	pattern string
	perm    perm
}

// New opens the workbench of district d (creating its tables).
func New(d *district.District, opt Options) (*Server, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.StallTimeout <= 0 {
		opt.StallTimeout = defaultStallTimeout
	}
	if opt.BodyTime <= 0 {
		opt.BodyTime = defaultBodyTime
	}
	s := &Server{d: d, db: d.DB(), opt: opt, log: opt.Log, now: opt.Now, mux: http.NewServeMux()}
	if err := Migrate(context.Background(), s.db); err != nil {
		return nil, fmt.Errorf("workbench tables: %w", err)
	}
	var err error
	if s.tpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	s.registerRoutes()
	// The roster's search index takes a second to build over 100,000
	// enterprises; build it now rather than on the first page that needs it.
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.db.WarmSearch(context.Background()); err != nil {
			s.log.Warn("warm search index", "err", err)
		}
		// The figures read every enterprise's persisted counts and group
		// them (tens of milliseconds): done now rather than on the first
		// view of 统计.
		if _, err := s.figures(context.Background()); err != nil {
			s.log.Warn("warm figures", "err", err)
		}
		if _, _, err := s.responseVersions(context.Background()); err != nil {
			s.log.Warn("warm response versions", "err", err)
		}
	}()
	return s, nil
}

// Close waits for background writes (session activity) to finish.
func (s *Server) Close() { s.bg.Wait() }

// Handler serves the workbench and, under /v1/, the laptops' API.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.renderError(w, r, nil, http.StatusForbidden, "请求来自其他网站，已拒绝。请直接在工作台页面中操作。")
	}))
	web := s.guard(securityHeaders(s.opt.TLS, cop.Handler(s.mux)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") && s.opt.API != nil {
			s.serveAPI(w, r)
			return
		}
		web.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every workbench response carries: no
// framing, no MIME sniffing, scripts and styles from this server only.
func securityHeaders(tls bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if tls {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// handlerFunc is a workbench handler: it gets the logged-in session and
// returns an error to show, or nil when it has written the response.
type handlerFunc func(w http.ResponseWriter, r *http.Request, sess *Session) error

// handle registers a route that needs a session with permission p.
func (s *Server) handle(pattern string, p perm, h handlerFunc) {
	s.routes = append(s.routes, route{pattern, p})
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.session(r)
		if err != nil {
			if !errors.Is(err, errNoSession) && !errors.Is(err, errExpired) {
				s.log.Error("session", "err", err)
				s.renderError(w, r, nil, http.StatusInternalServerError, "读取登录状态失败，请稍后重试")
				return
			}
			s.clearSessionCookie(w)
			msg := "请先登录"
			if errors.Is(err, errExpired) {
				msg = "登录已超时，请重新登录"
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				s.setFlash(w, msg)
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.renderError(w, r, nil, http.StatusUnauthorized, msg+"。未做任何修改。")
			return
		}
		if !sess.User.Role.can(p) {
			s.log.Warn("forbidden", "user", sess.User.Name, "role", sess.User.Role, "method", r.Method, "path", r.URL.Path)
			s.renderError(w, r, sess, http.StatusForbidden, "您的账户（"+sess.User.Role.Label()+"）没有权限进行此操作。未做任何修改。")
			return
		}
		if sess.User.MustChange && r.URL.Path != "/password" && r.URL.Path != "/logout" {
			if r.Method == http.MethodGet {
				s.setFlash(w, "您的密码是管理员设置的临时密码，请先修改密码")
				http.Redirect(w, r, "/password", http.StatusSeeOther)
				return
			}
			s.renderError(w, r, sess, http.StatusForbidden, "请先修改临时密码。未做任何修改。")
			return
		}
		if r.Method == http.MethodPost {
			// Uploads have their own, larger caps (bundles, rosters).
			r.Body = http.MaxBytesReader(w, r.Body, bodyLimit(pattern))
			// A form is read here, so that one cut off, stalled or too
			// large is refused as such instead of reaching the handler
			// as empty fields. Multipart bodies are streamed by the
			// upload handlers (upload.go).
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
				if err := r.ParseForm(); err != nil {
					s.fail(w, r, sess, bodyError(err, badRequest("提交的表单无法读取，未做任何修改。请刷新页面后重新提交。")))
					return
				}
			}
		}
		if err := h(w, r, sess); err != nil {
			s.fail(w, r, sess, err)
		}
	}))
}

// msgBusy answers a request that found the database locked by another
// process for too long; busyRetryAfter is the Retry-After sent with it, in
// seconds.
const (
	msgBusy        = "服务器忙，请稍后重试：数据库正被其他操作（导入同步包或名录）占用。这次操作未完成，未做任何修改。"
	busyRetryAfter = 5
)

// pageError is an error with an HTTP status and a Chinese message.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &pageError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(what string) error {
	return &pageError{http.StatusNotFound, "找不到" + what}
}

// fail shows err: its own message when it is a page error, a domain error
// (storage.Error) or a plain Chinese error from the district; a generic
// message for anything else, whose details go to the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, sess *Session, err error) {
	var pe *pageError
	var se *storage.Error
	var tooBig *http.MaxBytesError
	var de *district.Error
	switch {
	case errors.As(err, &pe):
		s.renderError(w, r, sess, pe.status, pe.msg)
	case district.IsBusy(err) && !errors.Is(err, context.Canceled):
		// Another process (an import, `zoufang-server roster`) held the
		// write lock for longer than the district waits: the request was
		// fine and nothing changed.
		s.log.Warn("database busy", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
		s.renderError(w, r, sess, http.StatusServiceUnavailable, msgBusy)
	case errors.As(err, &tooBig):
		s.renderError(w, r, sess, http.StatusRequestEntityTooLarge, "上传的文件或提交的内容太大，未做任何修改。")
	case errors.Is(err, storage.ErrStale), errors.Is(err, storage.ErrInConflict):
		errors.As(err, &se)
		s.renderError(w, r, sess, http.StatusConflict, se.Message)
	case errors.As(err, &de):
		status := de.Status()
		if status >= 500 {
			s.log.Error("district", "path", r.URL.Path, "err", err, "cause", de.Err)
		}
		s.renderError(w, r, sess, status, de.Message)
	case errors.Is(err, errDuplicateForm):
		s.renderError(w, r, sess, http.StatusConflict, errDuplicateForm.Error())
	case errors.As(err, &se):
		if se.Code == storage.ErrNotFound.Code {
			s.renderError(w, r, sess, http.StatusNotFound, se.Message)
			return
		}
		s.log.Info("refused", "path", r.URL.Path, "err", err)
		s.renderError(w, r, sess, http.StatusBadRequest, se.Message+"。未做任何修改。")
	case errors.Is(err, context.Canceled):
	case isChinese(err.Error()):
		s.log.Info("refused", "path", r.URL.Path, "err", err)
		s.renderError(w, r, sess, http.StatusBadRequest, err.Error())
	default:
		s.log.Error("handler", "method", r.Method, "path", r.URL.Path, "err", err)
		s.renderError(w, r, sess, http.StatusInternalServerError, "服务器内部错误，操作未完成。请稍后重试；如反复出现，请联系管理员查看服务器日志。")
	}
}

// isChinese reports whether a message starts with a Han character: the
// district and audit packages return user-facing refusals in Chinese,
// and internal errors in English.
func isChinese(msg string) bool {
	for _, r := range msg {
		return r >= 0x4e00 && r <= 0x9fff || r == '“' || r == '（'
	}
	return false
}

// static serves the embedded CSS, scripts and icons.
func staticFS() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
