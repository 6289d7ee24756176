package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"zoufang/audit"
	"zoufang/storage"
)

// Session is a logged-in browser.
type Session struct {
	hash     []byte
	User     User
	Created  time.Time
	LastSeen time.Time
}

// Timeouts of sessions and login throttling; the first two are settings an
// administrator can change.
type limits struct {
	Idle, Absolute time.Duration
}

const (
	defaultIdle     = 30 * time.Minute
	defaultAbsolute = 12 * time.Hour
	// touchEvery is how stale a session's last_seen may get before a
	// request writes it again: not every page view writes.
	touchEvery = time.Minute

	failWindow   = 15 * time.Minute
	maxNameFails = 5  // wrong passwords for one account within failWindow
	maxAddrFails = 20 // wrong passwords from one address within failWindow
)

func (s *Server) limits(ctx context.Context) limits {
	l := limits{Idle: defaultIdle, Absolute: defaultAbsolute}
	if v, err := s.setting(ctx, "session.idle_minutes"); err == nil && v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			l.Idle = time.Duration(n) * time.Minute
		}
	}
	if v, err := s.setting(ctx, "session.absolute_hours"); err == nil && v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			l.Absolute = time.Duration(n) * time.Hour
		}
	}
	return l
}

func (s *Server) setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRow(ctx, `SELECT value FROM web_settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// cookieName is the session cookie. Over TLS it carries the __Host- prefix,
// which browsers accept only with Secure, Path=/ and no Domain.
func (s *Server) cookieName() string {
	if s.opt.TLS {
		return "__Host-zoufang"
	}
	return "zoufang"
}

func (s *Server) setSessionCookie(w http.ResponseWriter, tok string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: tok, Path: "/", HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteLaxMode})
}

var errLoginFailed = errors.New("账户名或密码不正确")

// loginError is a refused login with the Chinese reason to show.
type loginError struct{ msg string }

func (e *loginError) Error() string { return e.msg }

// login checks a name and password, throttled by name and by address, and
// opens a session. Every attempt is recorded; the fifth wrong password in
// a row within 15 minutes locks the account for 15 minutes (audited).
func (s *Server) login(ctx context.Context, name, password, addr, agent string) (string, User, error) {
	now := s.now().UTC()
	since := now.Add(-failWindow).Format(time.RFC3339)
	var tok string
	var user User
	var verdict error
	err := s.db.Update(ctx, func(tx *storage.Tx) error {
		// Failures count from the last success or unlock of the account.
		var nameFails, addrFails int
		var oldest sql.NullString
		if err := tx.QueryRow(`SELECT count(*), min(at) FROM web_login_attempts WHERE name = ? AND outcome = 'fail' AND at >= ?
			AND id > ifnull((SELECT max(id) FROM web_login_attempts WHERE name = ? AND outcome IN ('ok', 'unlock')), 0)`,
			name, since, name).Scan(&nameFails, &oldest); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT count(*) FROM web_login_attempts WHERE addr = ? AND outcome = 'fail' AND at >= ?`, addr, since).Scan(&addrFails); err != nil {
			return err
		}
		if addrFails >= maxAddrFails {
			verdict = &loginError{"这台电脑登录失败次数过多，请 15 分钟后再试"}
			return nil
		}
		if nameFails >= maxNameFails {
			first, _ := time.Parse(time.RFC3339, oldest.String)
			wait := int(first.Add(failWindow).Sub(now).Minutes()) + 1
			verdict = &loginError{fmt.Sprintf("密码连续输错 %d 次，账户已锁定，请 %d 分钟后再试，或请管理员解锁", maxNameFails, max(wait, 1))}
			return nil
		}
		var hash string
		var disabled string
		var id int64
		err := tx.QueryRow(`SELECT id, password, disabled FROM web_users WHERE name = ?`, name).Scan(&id, &hash, &disabled)
		known := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !known {
			hash = dummyHash
		}
		ok := CheckPassword(hash, password) && known
		if ok && disabled != "" {
			verdict = &loginError{"此账户已停用，请联系管理员"}
			return nil
		}
		if !ok {
			if _, err := tx.Exec(`INSERT INTO web_login_attempts (at, name, addr, outcome) VALUES (?, ?, ?, 'fail')`, now.Format(time.RFC3339), name, addr); err != nil {
				return err
			}
			verdict = errLoginFailed
			if nameFails+1 >= maxNameFails {
				verdict = &loginError{fmt.Sprintf("密码连续输错 %d 次，账户已锁定 15 分钟，请稍后再试，或请管理员解锁", maxNameFails)}
				if known {
					return audit.Record(tx, audit.Entry{Actor: audit.System, Action: "user.lock", Target: "账户:" + name,
						Detail: fmt.Sprintf("账户 %s 密码连续输错 %d 次，锁定 15 分钟（来自 %s）", name, maxNameFails, addr)})
				}
			}
			return nil
		}
		if _, err := tx.Exec(`INSERT INTO web_login_attempts (at, name, addr, outcome) VALUES (?, ?, ?, 'ok')`, now.Format(time.RFC3339), name, addr); err != nil {
			return err
		}
		tok = rand.Text() + rand.Text() // 2 × 128 bits
		if _, err := tx.Exec(`INSERT INTO web_sessions (token_hash, user_id, created, last_seen, addr, agent) VALUES (?, ?, ?, ?, ?, ?)`,
			hashToken(tok), id, now.Format(time.RFC3339), now.Format(time.RFC3339), addr, truncate(agent, 200)); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE web_users SET last_login = ? WHERE id = ?`, now.Format(time.RFC3339), id); err != nil {
			return err
		}
		var err2 error
		user, err2 = userByID(tx, id)
		return err2
	})
	if err != nil {
		return "", User{}, err
	}
	if verdict != nil {
		return "", User{}, verdict
	}
	return tok, user, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Unlock lifts a lockout of an account (administrator), audited.
func Unlock(tx *storage.Tx, actor, name string) error {
	if _, err := tx.Exec(`INSERT INTO web_login_attempts (at, name, addr, outcome) VALUES (?, ?, '', 'unlock')`, tx.Now().Format(time.RFC3339), name); err != nil {
		return err
	}
	return audit.Record(tx, audit.Entry{Actor: actor, Action: "user.unlock", Target: "账户:" + name, Detail: fmt.Sprintf("解除账户 %s 的登录锁定", name)})
}

// locked reports whether an account is locked out now.
func (s *Server) locked(ctx context.Context, name string) bool {
	var n int
	since := s.now().UTC().Add(-failWindow).Format(time.RFC3339)
	s.db.QueryRow(ctx, `SELECT count(*) FROM web_login_attempts WHERE name = ? AND outcome = 'fail' AND at >= ?
		AND id > ifnull((SELECT max(id) FROM web_login_attempts WHERE name = ? AND outcome IN ('ok', 'unlock')), 0)`, name, since, name).Scan(&n)
	return n >= maxNameFails
}

var errNoSession = errors.New("no session")

// session finds the session of a request's cookie. An expired one (idle or
// absolute timeout) is deleted and not accepted.
func (s *Server) session(r *http.Request) (*Session, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, errNoSession
	}
	ctx := r.Context()
	h := hashToken(c.Value)
	var sess Session
	var created, seen string
	row := s.db.QueryRow(ctx, `SELECT s.created, s.last_seen, `+prefixedUserCols+` FROM web_sessions s JOIN web_users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.disabled = ''`, h)
	var u User
	var role, ucreated, last string
	if err := row.Scan(&created, &seen, &u.ID, &u.Name, &role, &u.MustChange, &u.Disabled, &ucreated, &u.CreatedBy, &last, &u.Rev); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNoSession
		}
		return nil, err
	}
	u.Role = Role(role)
	u.Created, _ = time.Parse(time.RFC3339, ucreated)
	u.LastLogin, _ = time.Parse(time.RFC3339, last)
	sess.hash, sess.User = h, u
	sess.Created, _ = time.Parse(time.RFC3339, created)
	sess.LastSeen, _ = time.Parse(time.RFC3339, seen)
	now := s.now()
	l := s.limits(ctx)
	if now.Sub(sess.LastSeen) > l.Idle || now.Sub(sess.Created) > l.Absolute {
		s.db.Update(ctx, func(tx *storage.Tx) error {
			_, err := tx.Exec(`DELETE FROM web_sessions WHERE token_hash = ?`, h)
			return err
		})
		return nil, errExpired
	}
	if now.Sub(sess.LastSeen) > touchEvery {
		s.touch(h, now)
	}
	return &sess, nil
}

var errExpired = errors.New("session expired")

const prefixedUserCols = `u.id, u.name, u.role, u.must_change, u.disabled, u.created, u.created_by, u.last_login, u.rev`

// touch records a session's activity in the background: the page does not
// wait for the write connection, which a large bundle import may hold for
// seconds. At most one write per session is in flight.
func (s *Server) touch(h []byte, now time.Time) {
	key := string(h)
	if _, busy := s.touching.LoadOrStore(key, true); busy {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.touching.Delete(key)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := s.db.Update(ctx, func(tx *storage.Tx) error {
			_, err := tx.Exec(`UPDATE web_sessions SET last_seen = ? WHERE token_hash = ? AND last_seen < ?`, now.UTC().Format(time.RFC3339), h, now.UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			s.log.Warn("session touch", "err", err)
		}
	}()
}

// logout ends the request's session.
func (s *Server) logout(ctx context.Context, sess *Session) error {
	return s.db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.Exec(`DELETE FROM web_sessions WHERE token_hash = ?`, sess.hash)
		return err
	})
}
