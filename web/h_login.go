package web

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"zoufang/storage"
)

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

type loginData struct {
	Name, Next string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if sess, err := s.session(r); err == nil && sess != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, nil, "login", "登录", "", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		var pe *pageError
		if errors.As(bodyError(err, nil), &pe) {
			s.renderError(w, r, nil, pe.status, pe.msg)
			return
		}
		s.renderError(w, r, nil, http.StatusBadRequest, "登录表单无效")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	data := loginData{Name: name, Next: next}
	if name == "" || password == "" || len(name) > 200 || len(password) > 512 {
		s.renderStatus(w, r, nil, http.StatusBadRequest, "login", "登录", "", data, "请输入账户名和密码")
		return
	}
	tok, user, err := s.login(r.Context(), name, password, clientAddr(r), r.UserAgent())
	var le *loginError
	switch {
	case errors.Is(err, errLoginFailed):
		s.log.Info("login failed", "name", name, "addr", clientAddr(r))
		s.renderStatus(w, r, nil, http.StatusUnauthorized, "login", "登录", "", data, err.Error())
		return
	case errors.As(err, &le):
		s.log.Warn("login refused", "name", name, "addr", clientAddr(r), "reason", le.msg)
		s.renderStatus(w, r, nil, http.StatusTooManyRequests, "login", "登录", "", data, le.msg)
		return
	case err != nil:
		s.log.Error("login", "err", err)
		s.renderStatus(w, r, nil, http.StatusInternalServerError, "login", "登录", "", data, "登录失败：服务器内部错误，请稍后重试")
		return
	}
	s.log.Info("login", "user", user.Name, "addr", clientAddr(r))
	s.setSessionCookie(w, tok)
	if user.MustChange {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logoutSubmit(w http.ResponseWriter, r *http.Request, sess *Session) error {
	if err := s.logout(r.Context(), sess); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	return s.done(w, r, "/login", "已退出登录")
}

type passwordData struct {
	MustChange bool
	Rev        int64
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	return s.render(w, r, sess, "password", "修改密码", "", passwordData{MustChange: sess.User.MustChange, Rev: sess.User.Rev})
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request, sess *Session) error {
	old, p1, p2 := r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("again")
	again := func(msg string) error {
		return s.renderStatus(w, r, sess, http.StatusBadRequest, "password", "修改密码", "", passwordData{MustChange: sess.User.MustChange, Rev: sess.User.Rev}, msg)
	}
	if p1 != p2 {
		return again("两次输入的新密码不一致，密码未修改")
	}
	if err := CheckNewPassword(sess.User.Name, p1); err != nil {
		return again(err.Error() + "，密码未修改")
	}
	var hash string
	if err := s.db.QueryRow(r.Context(), `SELECT password FROM web_users WHERE id = ?`, sess.User.ID).Scan(&hash); err != nil {
		return err
	}
	if !CheckPassword(hash, old) {
		return again("当前密码不正确，密码未修改")
	}
	if old == p1 {
		return again("新密码不能与当前密码相同")
	}
	err := s.db.Update(r.Context(), func(tx *storage.Tx) error {
		if err := claimToken(tx, sess, r.PostFormValue("token")); err != nil {
			return err
		}
		return SetPassword(tx, sess.User.Name, sess.User.Name, 0, p1, false, sess.hash)
	})
	if err != nil {
		return err
	}
	return s.done(w, r, "/", "密码已修改；其他电脑上的登录已失效")
}
