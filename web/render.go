package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"zoufang/survey"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// templates holds every page, each parsed once with the layout.
type templates struct {
	pages map[string]*template.Template
}

func parseTemplates() (*templates, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" || name == "partials.html" {
			continue
		}
		c, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := c.ParseFS(templateFiles, n); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		t.pages[strings.TrimSuffix(name, ".html")] = c
	}
	return t, nil
}

// page is what every template gets.
type page struct {
	Title    string
	Nav      string // the active menu entry
	User     *User
	District string
	Flash    string
	Error    string
	Token    string // one-time form token (see claimToken)
	Now      time.Time
	Data     any
}

// Can reports whether the page's user may do what a permission names:
// "review" or "admin". The links shown follow it; the handlers check again.
func (p *page) Can(what string) bool {
	if p.User == nil {
		return false
	}
	switch what {
	case "review":
		return p.User.Role.can(permReview)
	case "admin":
		return p.User.Role.can(permAdmin)
	}
	return p.User.Role.can(permView)
}

func newToken() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// render writes a page with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, sess *Session, name, title, nav string, data any) error {
	return s.renderStatus(w, r, sess, http.StatusOK, name, title, nav, data, "")
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, sess *Session, status int, name, title, nav string, data any, errMsg string) error {
	t, ok := s.tpl.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	p := &page{Title: title, Nav: nav, District: s.d.Name(), Flash: s.takeFlash(w, r), Error: errMsg, Token: newToken(), Now: s.now(), Data: data}
	if sess != nil {
		u := sess.User
		p.User = &u
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// renderError shows a message page (or, without a template, plain text).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, sess *Session, status int, msg string) {
	back := r.Referer()
	if u, err := url.Parse(back); err != nil || u.Host != r.Host {
		back = ""
	}
	data := struct{ Message, Back string }{msg, back}
	if err := s.renderStatus(w, r, sess, status, "error", "出错了", "", data, ""); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, msg, status)
	}
}

const flashCookie = "zoufang-flash"

// setFlash leaves a one-line message for the next page (after a redirect).
func (s *Server) setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: "/", MaxAge: 120, HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteLaxMode})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) > 500 {
		return ""
	}
	return string(b)
}

// done redirects after a successful POST (post/redirect/get), with a
// message for the next page.
func (s *Server) done(w http.ResponseWriter, r *http.Request, to, msg string) error {
	if msg != "" {
		s.setFlash(w, msg)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

var funcs = template.FuncMap{
	// maxLong and maxLine are the length limits of free text that travels
	// down (survey.MaxLongText, survey.MaxLineText), for maxlength.
	"maxLong": func() int { return survey.MaxLongText },
	"maxLine": func() int { return survey.MaxLineText },
	"dt": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02")
	},
	"pct": func(r survey.Rate) string {
		if r.Valid == 0 {
			return "—"
		}
		return strconv.FormatFloat(r.Percent(), 'f', 1, 64) + "%"
	},
	"visitStatus":  func(s survey.VisitStatus) string { return s.Label() },
	"ledgerStatus": func(s survey.LedgerStatus) string { return s.Label() },
	"roleLabel":    func(r Role) string { return r.Label() },
	"short": func(s string, n int) string {
		rs := []rune(s)
		if len(rs) <= n {
			return s
		}
		return string(rs[:n]) + "…"
	},
	"shortID": func(s string) string {
		if len(s) > 8 {
			return s[:8]
		}
		return s
	},
	"add": func(a, b int) int { return a + b },
	"hex": func(b []byte) string {
		const digits = "0123456789abcdef"
		out := make([]byte, 0, 16)
		for i := 0; i < len(b) && i < 8; i++ {
			out = append(out, digits[b[i]>>4], digits[b[i]&15])
		}
		return string(out)
	},
	"join": strings.Join,
	"svg":  func(s string) template.HTML { return template.HTML(s) }, // only for charts drawn by svg.go, which escapes its text
}

// renderFragment writes one named template of a page alone (the part an
// htmx request replaces).
func (s *Server) renderFragment(w http.ResponseWriter, sess *Session, pageName, block string, data any) error {
	t, ok := s.tpl.pages[pageName]
	if !ok {
		return fmt.Errorf("no template %q", pageName)
	}
	var buf bytes.Buffer
	p := &page{Data: data, Now: s.now(), Token: newToken()}
	if sess != nil {
		u := sess.User
		p.User = &u
	}
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		return fmt.Errorf("render %s/%s: %w", pageName, block, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "HX-Request")
	_, err := w.Write(buf.Bytes())
	return err
}

func init() {
	funcs["percent"] = func(a, b int) string {
		if b == 0 {
			return "—"
		}
		return strconv.FormatFloat(float64(a)*100/float64(b), 'f', 1, 64) + "%"
	}
	funcs["action"] = actionLabel
	funcs["kindName"] = func(k survey.FormKind) string { return survey.KindName(k) }
	funcs["blankRows"] = func(n int) []struct{} { return make([]struct{}, n) }
	funcs["pick"] = func(label, name, selected string, choices []formChoice) formSelect {
		return formSelect{label, name, selected, choices}
	}
}

// formSelect is the data of the "form-select" template: a select of the
// forms the campaign may use for one kind.
type formSelect struct {
	Label, Name, Selected string
	Choices               []formChoice
}
