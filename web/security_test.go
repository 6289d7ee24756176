package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"zoufang/audit"
	"zoufang/storage"
)

func TestLoginWrongPasswordAndLockout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if r := c.login("审核员乙", "wrong-password"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "账户名或密码不正确") {
		t.Fatalf("wrong password: %d %s", r.status, r.body)
	}
	if r := c.login("无此人", "wrong-password"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "账户名或密码不正确") {
		t.Fatalf("unknown account must look like a wrong password: %d", r.status)
	}
	for i := 0; i < 3; i++ {
		c.login("审核员乙", "wrong-password")
	}
	r := c.login("审核员乙", "wrong-password") // the fifth
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "锁定") {
		t.Fatalf("fifth wrong password: %d %s", r.status, r.body)
	}
	// Locked: even the right password is refused, and nothing is set.
	r = c.login("审核员乙", testPassword)
	if r.status != http.StatusTooManyRequests || r.header.Get("Set-Cookie") != "" && strings.Contains(r.header.Get("Set-Cookie"), "zoufang=") {
		t.Fatalf("locked account logged in: %d %v", r.status, r.header)
	}
	es, _, _ := audit.List(bg, e.d.DB(), audit.Filter{Action: "user.lock"})
	if len(es) != 1 || es[0].Target != "账户:审核员乙" {
		t.Errorf("lockout audit entries: %+v", es)
	}
	// Another account is not affected; an administrator unlocks.
	admin := e.loggedIn("管理员甲")
	page := admin.get("/accounts")
	if !strings.Contains(page.body, "已锁定") {
		t.Errorf("accounts page does not show the lock")
	}
	u, _ := scanUser(e.d.DB().QueryRow(bg, `SELECT `+userCols+` FROM web_users WHERE name = ?`, "审核员乙"))
	if r := admin.post("/accounts/审核员乙/unlock", url.Values{"token": {token(t, page.body)}, "rev": {itoa(u.Rev)}}); r.status != http.StatusSeeOther {
		t.Fatalf("unlock: %d %s", r.status, r.body)
	}
	if r := c.login("审核员乙", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("login after unlock: %d %s", r.status, r.body)
	}
	// The lock lifts by itself after 15 minutes too.
	for i := 0; i < 5; i++ {
		e.client().login("督导丙", "nope-nope-nope")
	}
	if r := e.client().login("督导丙", testPassword); r.status != http.StatusTooManyRequests {
		t.Fatalf("not locked: %d", r.status)
	}
	e.clock.Add(16 * time.Minute)
	if r := e.client().login("督导丙", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("still locked after 16 minutes: %d %s", r.status, r.body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestEveryRouteChecksItsRole posts to every registered POST route and
// gets every GET route directly, as each role, without following links:
// a read-only account's POSTs are refused, and every route needs a
// session.
func TestEveryRouteChecksItsRole(t *testing.T) {
	e := newEnv(t)
	anon := e.client()
	for _, rt := range e.s.routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{id}", "00000000-0000-0000-0000-000000000000", "{name}", "无此人", "{action}", "role", "{$}", "").Replace(path)
		for _, u := range testUsers {
			c := e.loggedIn(u.name)
			var r resp
			if method == "POST" {
				r = c.post(path, url.Values{"token": {"x" + u.name + path}, "rev": {"1"}, "role": {"admin"}, "reason": {"测试"}})
			} else {
				r = c.get(path)
			}
			if !u.role.can(rt.perm) {
				if r.status != http.StatusForbidden || !strings.Contains(r.body, "没有权限") {
					t.Errorf("%s %s as %s: %d, want 403", method, path, u.role, r.status)
				}
			} else if r.status == http.StatusForbidden {
				t.Errorf("%s %s as %s: 403, want allowed", method, path, u.role)
			}
		}
		var r resp
		if method == "POST" {
			r = anon.post(path, url.Values{"token": {"t"}})
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without session: %d, want 401", method, path, r.status)
			}
		} else if r = anon.get(path); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Errorf("%s %s without session: %d, want redirect to /login", method, path, r.status)
		}
	}
	// A read-only account changed nothing: the account it tried to make
	// an administrator is unchanged and no audit entry was written.
	var role string
	e.d.DB().QueryRow(bg, `SELECT role FROM web_users WHERE name = '督导丙'`).Scan(&role)
	if role != "readonly" {
		t.Errorf("role became %s", role)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn("管理员甲")
	page := c.get("/settings")
	form := url.Values{"token": {token(t, page.body)}, "idle": {"200"}, "absolute": {"24"}}
	for _, h := range []map[string]string{
		{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
	} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/settings", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if r := c.do(req); r.status != http.StatusForbidden || !strings.Contains(r.body, "其他网站") {
			t.Errorf("cross-origin post %v: %d", h, r.status)
		}
	}
	if got := e.s.limits(bg); got.Idle != defaultIdle {
		t.Errorf("a cross-origin post changed the idle timeout to %v", got.Idle)
	}
	// The login form is protected too (login CSRF).
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(url.Values{"name": {"管理员甲"}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := e.client().do(req); r.status != http.StatusForbidden {
		t.Errorf("cross-site login: %d", r.status)
	}
}

func TestSessionEndsAtLogoutAndTimeouts(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn("审核员乙")
	var old []*http.Cookie
	u, _ := url.Parse(e.srv.URL)
	old = c.jar.Cookies(u)
	if len(old) == 0 {
		t.Fatal("no session cookie")
	}
	r := c.get("/")
	if r.status != 200 {
		t.Fatalf("overview: %d", r.status)
	}
	if r := c.post("/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	// The old cookie, replayed, is not accepted.
	replay := e.client()
	replay.jar.SetCookies(u, old)
	if r := replay.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("cookie after logout: %d %s", r.status, r.header.Get("Location"))
	}
	if r := replay.post("/settings", url.Values{"token": {"t"}}); r.status != http.StatusUnauthorized {
		t.Errorf("post with cookie after logout: %d", r.status)
	}

	// Idle timeout.
	c = e.loggedIn("审核员乙")
	e.clock.Add(defaultIdle + time.Minute)
	if r := c.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("after the idle timeout: %d", r.status)
	}
	// Activity keeps a session alive, up to the absolute limit.
	c = e.loggedIn("审核员乙")
	for elapsed := time.Duration(0); elapsed < defaultAbsolute-20*time.Minute; elapsed += 20 * time.Minute {
		e.clock.Add(20 * time.Minute)
		if r := c.get("/"); r.status != 200 {
			t.Fatalf("active session ended after %v: %d", elapsed, r.status)
		}
		e.s.bg.Wait() // let the last_seen write land
	}
	e.clock.Add(40 * time.Minute)
	if r := c.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("after the absolute timeout: %d", r.status)
	}
	var n int
	e.d.DB().QueryRow(bg, `SELECT count(*) FROM web_sessions`).Scan(&n)
	if n != 0 {
		t.Errorf("%d sessions left; expired and ended ones must be gone", n)
	}
	// Only the hash of the token is stored.
	c = e.loggedIn("审核员乙")
	var tok string
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == "zoufang" {
			tok = ck.Value
		}
	}
	var hits int
	e.d.DB().QueryRow(bg, `SELECT count(*) FROM web_sessions WHERE token_hash = ? OR hex(token_hash) LIKE ?`, []byte(tok), "%"+tok+"%").Scan(&hits)
	if tok == "" || hits != 0 {
		t.Errorf("token %q stored in clear (%d)", tok, hits)
	}
}

func TestStaleLedgerFormAndDoublePost(t *testing.T) {
	e := newEnv(t)
	e.populate()
	rows, _, _ := e.d.DB().ListLedger(bg, storage.LedgerListQuery{Open: true, Limit: 1})
	id := rows[0].Item.ID
	c1, c2 := e.loggedIn("审核员乙"), e.loggedIn("管理员甲")
	p1, p2 := c1.get("/ledger/"+id), c2.get("/ledger/"+id)
	base := baseOf(t, p1.body)
	form := url.Values{"token": {token(t, p1.body)}, "base": {base}, "assessment": {"属实，企业资金紧张"}, "department": {"区人社局"}, "deadline": {"2026-12-31"}, "status": {"rectifying"}}
	if r := c1.post("/ledger/"+id, form); r.status != http.StatusSeeOther {
		t.Fatalf("assess: %d %s", r.status, r.body)
	}
	before := versionsOf(t, e, id)
	// The same form again (double click): nothing changes.
	if r := c1.post("/ledger/"+id, form); r.status != http.StatusConflict || !strings.Contains(r.body, "已经提交过") {
		t.Errorf("second post: %d %s", r.status, r.body)
	}
	// The other person's page was rendered before the change: refused.
	stale := url.Values{"token": {token(t, p2.body)}, "base": {baseOf(t, p2.body)}, "assessment": {"不属实"}, "department": {""}, "deadline": {""}, "status": {"resolved"}}
	if r := c2.post("/ledger/"+id, stale); r.status != http.StatusConflict || !strings.Contains(r.body, "已被他人修改") {
		t.Errorf("stale post: %d %s", r.status, r.body)
	}
	if after := versionsOf(t, e, id); after != before {
		t.Errorf("versions %d → %d after refused posts", before, after)
	}
	it, _ := e.d.DB().LedgerItem(bg, id)
	if it.Assessment != "属实，企业资金紧张" || it.Department != "区人社局" || it.Status != "rectifying" || it.Deadline != "2026-12-31" {
		t.Errorf("item after assessment: %+v", it)
	}
	es, _, _ := audit.List(bg, e.d.DB(), audit.Filter{Target: id})
	if len(es) != 1 || es[0].Actor != "审核员乙" {
		t.Errorf("audit of the item: %+v", es)
	}
	// A follow-up after reloading the page works.
	p := c2.get("/ledger/" + id)
	i := strings.Index(p.body, `action="/ledger/`+id+`/followup"`)
	fu := url.Values{"token": {token(t, p.body[i:])}, "base": {baseOf(t, p.body)}, "note": {"已约谈企业负责人"}, "status": {"negotiating"}}
	if r := c2.post("/ledger/"+id+"/followup", fu); r.status != http.StatusSeeOther {
		t.Fatalf("follow-up: %d %s", r.status, r.body)
	}
	it, _ = e.d.DB().LedgerItem(bg, id)
	if n := len(it.Log); n < 2 || it.Log[n-1].Note != "已约谈企业负责人" || it.Log[n-1].By != "管理员甲" || it.Status != "negotiating" {
		t.Errorf("log after follow-up: %+v", it.Log)
	}
}

func baseOf(t *testing.T, body string) string {
	t.Helper()
	const marker = `name="base" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatal("no base version on the page")
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

func versionsOf(t *testing.T, e *env, id string) int {
	t.Helper()
	hist, err := e.d.DB().History(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	return len(hist)
}
