package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"math/rand"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"zoufang/assets"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
	"zoufang/sync/laptop"
)

var bg = context.Background()

// clock is a test clock the workbench reads; tests move it forward to
// expire sessions.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a district with its workbench behind a test HTTP server, and the
// three test accounts.
type env struct {
	t     testing.TB
	d     *district.District
	s     *Server
	srv   *httptest.Server
	clock *clock
	forms *survey.FormSet
}

const testPassword = "correct-horse-9"

var testUsers = []struct {
	name string
	role Role
}{{"管理员甲", RoleAdmin}, {"审核员乙", RoleReviewer}, {"督导丙", RoleReadonly}}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	d, err := district.Init(dir, "市南区总工会", "", district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c := &clock{t: time.Now()}
	s, err := New(d, Options{Now: c.Now, API: d.Handler(nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	addUsers(t, d)
	return &env{t: t, d: d, s: s, srv: srv, clock: c, forms: mustForms(t)}
}

// addUsers creates the test accounts.
func addUsers(t testing.TB, d *district.District) {
	t.Helper()
	err := d.DB().Update(bg, func(tx *storage.Tx) error {
		for _, u := range testUsers {
			if _, err := CreateUser(tx, "测试", u.name, u.role, testPassword, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustForms(t testing.TB) *survey.FormSet {
	t.Helper()
	forms, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	return forms
}

// client is a browser-like client: a cookie jar, no automatic redirects.
type client struct {
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status int
	body   string
	header http.Header
}

func (c *client) do(req *http.Request) resp {
	c.e.t.Helper()
	r, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, string(b), r.Header}
}

func (c *client) get(path string) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	return c.do(req)
}

// post sends a same-origin form post, as a browser on the page would.
func (c *client) post(path string, form url.Values) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

func (c *client) login(name, password string) resp {
	c.e.t.Helper()
	return c.post("/login", url.Values{"name": {name}, "password": {password}})
}

func (e *env) loggedIn(name string) *client {
	e.t.Helper()
	c := e.client()
	if r := c.login(name, testPassword); r.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", name, r.status, r.body)
	}
	return c
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// token returns the first one-time form token on a page.
func token(t testing.TB, body string) string {
	t.Helper()
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form token on page:\n%s", body)
	}
	return m[1]
}

// upload posts files as a multipart form.
func (c *client) upload(path, field string, files map[string][]byte, extra url.Values) resp {
	c.e.t.Helper()
	body, ctype := multipartBody(field, files, extra)
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", c.e.srv.URL)
	return c.do(req)
}

// field is a laptop in the field: its identity and its own database.
type field struct {
	name string
	l    *laptop.Laptop
	db   *storage.DB
}

// enrolField makes a laptop and enrols it at the district directly.
func (e *env) enrolField(name string) *field {
	e.t.Helper()
	dir := e.t.TempDir()
	l, err := laptop.Open(dir, laptop.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: l.DeviceID(), Author: name})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	req, err := l.Request(laptop.Who{DeviceName: name + "的笔记本", Investigator: name, District: e.d.Name()})
	if err != nil {
		e.t.Fatal(err)
	}
	trust, _, err := e.d.Enroll(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := l.AcceptTrust(trust); err != nil {
		e.t.Fatal(err)
	}
	return &field{name, l, db}
}

// importRoster loads n fictional enterprises into the district.
func (e *env) importRoster(n int) []survey.Enterprise {
	e.t.Helper()
	var buf bytes.Buffer
	if err := survey.WriteRosterCSV(&buf, survey.FakeRoster(n, 7), false); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.d.DB().ImportRoster(bg, &buf, "名录.csv", nil); err != nil {
		e.t.Fatal(err)
	}
	es, err := e.d.DB().SearchEnterprises(bg, storage.EnterpriseQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// sendDown delivers the laptop's down bundle as a USB stick would.
func (e *env) sendDown(f *field) {
	e.t.Helper()
	data, _, err := e.d.ExportDown(bg, f.l.DeviceID())
	if err != nil {
		e.t.Fatal(err)
	}
	if data == nil {
		return
	}
	if _, err := f.l.Import(bg, f.db, data); err != nil {
		e.t.Fatal(err)
	}
}

// exportBundles seals the laptop's pending records into bundle files.
func (e *env) exportBundles(f *field) map[string][]byte {
	e.t.Helper()
	usb := e.t.TempDir() + string(os.PathSeparator)
	_, files, err := f.l.ExportTo(bg, f.db, usb, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		out[p[strings.LastIndex(p, string(os.PathSeparator))+1:]] = b
	}
	return out
}

// syncUp imports the laptop's pending bundles at the district.
func (e *env) syncUp(f *field) {
	e.t.Helper()
	for name, b := range e.exportBundles(f) {
		if res := e.d.Import(bg, b); res.Decision != district.Applied && res.Decision != district.Duplicate {
			e.t.Fatalf("%s: %s %s", name, res.Decision, res.Message)
		}
	}
}

// fieldWork fills a laptop with visits (signed, finalized, draft) of the
// enterprises assigned to it and anonymous questionnaires with varied
// answers (rng), as a visit team would.
func (e *env) fieldWork(f *field, ents []survey.Enterprise, rng *rand.Rand) {
	e.t.Helper()
	visitForm, _ := e.forms.Latest("visit")
	worker, _ := e.forms.Latest("worker_questionnaire")
	manager, _ := e.forms.Latest("enterprise_questionnaire")
	today := time.Now()
	for i, ent := range ents {
		v, err := f.db.CreateVisit(bg, ent.ID, visitForm)
		if err != nil {
			e.t.Fatal(err)
		}
		day := today.AddDate(0, 0, -(i%20)-5).Format("2006-01-02")
		v.Answers = survey.SampleVisitAnswers(day, 1+i%3)
		if i%5 == 4 {
			delete(v.Answers, "risk_level")
			if _, err := f.db.SaveVisit(bg, v); err != nil {
				e.t.Fatal(err)
			}
			continue
		}
		if i%4 == 0 {
			v.Answers["followup_date"] = today.AddDate(0, 0, -2).Format("2006-01-02") // overdue ledger items
		}
		v, problems, err := f.db.FinalizeVisit(bg, v, visitForm)
		if err != nil || len(problems) > 0 {
			e.t.Fatalf("finalize: %v %v", problems, err)
		}
		if i%3 == 0 {
			if _, err := f.db.SignOffVisit(bg, v.ID, survey.SignOff{SignerName: "王强", SignerTitle: "经理", Date: day}, nil, ""); err != nil {
				e.t.Fatal(err)
			}
		}
		pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
		for r := 0; r < 2+rng.Intn(4); r++ {
			a := survey.Answers{"awareness": pick("very", "know", "heard", "no", ""), "participated": pick("yes", "no", "")}
			for _, k := range survey.SatisfactionFields {
				if s := pick("1", "2", "3", "4", "5", "5", "4", ""); s != "" {
					a[k] = s
				}
			}
			for k, x := range a {
				if x == "" {
					delete(a, k)
				}
			}
			if _, err := f.db.AddResponse(bg, survey.Response{EnterpriseID: ent.ID, VisitID: v.ID, FormID: worker.ID, FormVersion: worker.Version, Kind: survey.RespondentWorker, Date: day, Answers: a}); err != nil {
				e.t.Fatal(err)
			}
		}
		a := survey.Answers{"rec_bargaining": pick("5", "4", "3", "2"), "rec_service": pick("5", "4", "3", "1")}
		if _, err := f.db.AddResponse(bg, survey.Response{EnterpriseID: ent.ID, VisitID: v.ID, FormID: manager.ID, FormVersion: manager.Version, Kind: survey.RespondentManager, Date: day, Answers: a}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// populate builds a small district as it looks mid-campaign: a roster of
// 60 enterprises, two enrolled laptops with 12 assigned enterprises each,
// their visits and questionnaires merged, and one hard conflict on a visit
// (both laptops edited it).
func (e *env) populate() (a, b *field, conflictID string) {
	e.t.Helper()
	ents := e.importRoster(60)
	a, b = e.enrolField("张伟"), e.enrolField("李娜")
	ids := func(es []survey.Enterprise) []string {
		out := make([]string, len(es))
		for i, x := range es {
			out[i] = x.ID
		}
		return out
	}
	if _, err := e.d.AssignEnterprises(bg, "测试", a.l.DeviceID(), ids(ents[:12])); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.d.AssignEnterprises(bg, "测试", b.l.DeviceID(), ids(ents[12:24])); err != nil {
		e.t.Fatal(err)
	}
	e.sendDown(a)
	e.sendDown(b)
	rng := rand.New(rand.NewSource(1))
	e.fieldWork(a, ents[:12], rng)
	e.fieldWork(b, ents[12:24], rng)
	e.syncUp(a)
	e.syncUp(b)

	// Hand a's first enterprise (and its visit) to b as well, then both
	// edit the visit: a hard conflict on workers_interviewed.
	if _, err := e.d.AssignEnterprises(bg, "测试", b.l.DeviceID(), []string{ents[0].ID}); err != nil {
		e.t.Fatal(err)
	}
	e.sendDown(b)
	vs, err := a.db.Visits(bg, storage.VisitFilter{EnterpriseID: ents[0].ID})
	if err != nil || len(vs) != 1 {
		e.t.Fatalf("visits of %s: %v %v", ents[0].Name, vs, err)
	}
	for i, f := range []*field{a, b} {
		v, err := f.db.Visit(bg, vs[0].ID)
		if err != nil {
			e.t.Fatal(err)
		}
		v.Answers["workers_interviewed"] = strconv.Itoa(8 + i)
		if i == 1 {
			v.Answers["received_by_name"] = "刘芳"
		}
		v.EditReason = fmt.Sprintf("%s 补充访谈人数", f.name)
		if _, err := f.db.SaveVisit(bg, v); err != nil {
			e.t.Fatal(err)
		}
	}
	e.syncUp(a)
	e.syncUp(b)
	return a, b, vs[0].ID
}

func ledgerQuery() storage.LedgerListQuery { return storage.LedgerListQuery{Limit: 50} }
func visitsQuery() storage.VisitListQuery  { return storage.VisitListQuery{Limit: 50} }

func rngFor(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

type districtDevice = district.Device

// blankImage reports whether every pixel has the same colour.
func blankImage(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 {
				return false
			}
		}
	}
	return true
}
