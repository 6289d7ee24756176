package web

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
	"zoufang/sync/district"
)

// Benchmark data set: the size the issue names for one district.
const (
	benchEnterprises = 100_000
	benchVisits      = 20_000
	benchResponses   = 100_000
	benchLedger      = 30_000
	benchDevices     = 20
)

var (
	benchOnce gosync.Once
	benchDir  string
	benchErr  error
	benchKeep string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchDistrict builds (once per test binary) a district database of the
// benchmark's size, written straight through storage in large
// transactions, as merged bundles would leave it.
func benchDistrict(b *testing.B) string {
	benchOnce.Do(func() {
		// ZOUFANG_WEB_BENCH_DATA keeps the data set between runs (it takes
		// about two minutes to build): built there once, reused after.
		if keep := os.Getenv("ZOUFANG_WEB_BENCH_DATA"); keep != "" {
			if _, err := os.Stat(keep); err == nil {
				benchKeep = keep
				return
			}
			if benchErr = os.MkdirAll(keep, 0o700); benchErr != nil {
				return
			}
			benchKeep = keep
			benchErr = fillBench(keep)
			return
		}
		benchDir, benchErr = os.MkdirTemp("", "zoufang-web-bench-")
		if benchErr != nil {
			return
		}
		start := time.Now()
		benchErr = fillBench(benchDir)
		fmt.Fprintf(os.Stderr, "bench data set built in %v\n", time.Since(start).Round(time.Second))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	if benchKeep != "" {
		return benchKeep
	}
	return benchDir
}

func fillBench(dir string) error {
	d, err := district.Init(dir, "市南区总工会", "", district.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	db := d.DB()
	rng := rand.New(rand.NewSource(42))
	var devices []string
	for i := range benchDevices {
		k, err := sync.GenerateKeys()
		if err != nil {
			return err
		}
		id := uuid.NewString()
		req, err := sync.NewEnrollRequest(sync.EnrollRequest{DeviceID: id, DeviceName: fmt.Sprintf("第%d走访组笔记本", i+1), Investigator: fmt.Sprintf("调查员%d", i+1), District: "市南区总工会", Created: time.Now()}, k)
		if err != nil {
			return err
		}
		if _, _, err := d.Enroll(req); err != nil {
			return err
		}
		devices = append(devices, id)
	}
	now := time.Now().UTC()
	mk := func(kind survey.RecordKind, id, dev string, payload any) survey.Version {
		body, _ := json.Marshal(payload)
		return survey.Version{RecordID: id, VersionID: uuid.NewString(), Kind: kind, Author: "调查员", DeviceID: dev, Created: now, Payload: body}
	}
	put := func(vs []survey.Version) error {
		for start := 0; start < len(vs); start += 10_000 {
			part := vs[start:min(start+10_000, len(vs))]
			if err := db.Update(bg, func(tx *storage.Tx) error { _, err := tx.PutVersions(part); return err }); err != nil {
				return err
			}
		}
		return nil
	}
	ents := survey.FakeRoster(benchEnterprises, 1)
	var vs []survey.Version
	for i := range ents {
		ents[i].ID = uuid.NewString()
		if i%5 != 0 {
			ents[i].AssignedTo = devices[i%benchDevices]
		}
		vs = append(vs, mk(survey.KindEnterprise, ents[i].ID, "", ents[i]))
	}
	if err := put(vs); err != nil {
		return err
	}
	statuses := []survey.VisitStatus{survey.VisitDraft, survey.VisitFinalized, survey.VisitFinalized, survey.VisitSigned}
	var visits []survey.Visit
	vs = vs[:0]
	for i := range benchVisits {
		e := ents[(i*5+1)%benchEnterprises]
		day := now.AddDate(0, 0, -rng.Intn(60)).Format("2006-01-02")
		v := survey.Visit{ID: uuid.NewString(), EnterpriseID: e.ID, FormID: "visit", FormVersion: 1, Status: statuses[i%4],
			Answers: survey.SampleVisitAnswers(day, 1+i%3), Investigator: "调查员", CreatedAt: now, UpdatedAt: now}
		visits = append(visits, v)
		vs = append(vs, mk(survey.KindVisit, v.ID, e.AssignedTo, v))
	}
	if err := put(vs); err != nil {
		return err
	}
	vs = vs[:0]
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	for i := range benchResponses {
		v := visits[i%benchVisits]
		r := survey.Response{ID: uuid.NewString(), EnterpriseID: v.EnterpriseID, VisitID: v.ID, FormID: "worker_questionnaire", FormVersion: 1, Kind: survey.RespondentWorker, Date: now.Format("2006-01-02")}
		if i%6 == 5 {
			r.Kind, r.FormID = survey.RespondentManager, "enterprise_questionnaire"
			r.Answers = survey.Answers{"rec_bargaining": pick("5", "4", "3", "2"), "rec_service": pick("5", "4", "3")}
		} else {
			r.Answers = survey.Answers{"awareness": pick("very", "know", "heard", "no"), "participated": pick("yes", "no")}
			for _, f := range survey.SatisfactionFields {
				r.Answers[f] = pick("1", "2", "3", "4", "5", "5", "4")
			}
		}
		ver := mk(survey.KindResponse, r.ID, "", r)
		ver.Author = ""
		ver.Created = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		vs = append(vs, ver)
	}
	if err := put(vs); err != nil {
		return err
	}
	vs = vs[:0]
	for i := range benchLedger {
		v := visits[i%benchVisits]
		it := survey.LedgerItem{ID: uuid.NewString(), EnterpriseID: v.EnterpriseID, VisitID: v.ID, DemandIndex: i / benchVisits, Category: pick("wages", "social_insurance", "hours_overtime"),
			Description: "职工反映加班费计算不清，部分月份未足额发放", WorkersAffected: 1 + rng.Intn(50), Urgency: pick("normal", "pressing", "urgent"),
			Status: survey.LedgerStatuses[rng.Intn(len(survey.LedgerStatuses))], Owner: "调查员", Deadline: now.AddDate(0, 0, rng.Intn(60)-30).Format("2006-01-02"), CreatedAt: now}
		vs = append(vs, mk(survey.KindLedger, it.ID, "", it))
	}
	return put(vs)
}

// benchServer opens the benchmark district with a workbench and a logged
// in administrator's cookie.
func benchServer(b *testing.B) (*Server, *http.Cookie, func()) {
	dir := benchDistrict(b)
	d, err := district.Open(dir, district.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(d, Options{})
	if err != nil {
		b.Fatal(err)
	}
	s.db.Update(bg, func(tx *storage.Tx) error {
		_, err := CreateUser(tx, "测试", "bench", RoleAdmin, testPassword, false)
		return err // already there when the data set is kept between runs
	})
	tok, _, err := s.login(bg, "bench", testPassword, "127.0.0.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := s.db.WarmSearch(bg); err != nil {
		b.Fatal(err)
	}
	return s, &http.Cookie{Name: s.cookieName(), Value: tok}, func() { s.Close(); d.Close() }
}

// BenchmarkPages measures the server time of every workbench page over
// the benchmark data set (100,000 enterprises, 20,000 visits, 100,000
// responses, 30,000 ledger items), reporting p50 and p95 per page. 统计 is
// measured twice: with its figures cache (records unchanged since the
// last view) and cold (recomputed, as after every upload).
func BenchmarkPages(b *testing.B) {
	s, cookie, done := benchServer(b)
	defer done()
	h := s.Handler()
	var visitID, ledgerID, street string
	rows, _, _ := s.db.ListVisits(bg, storage.VisitListQuery{Limit: 1})
	visitID = rows[0].ID
	street = rows[0].Street
	lrows, _, _ := s.db.ListLedger(bg, storage.LedgerListQuery{Limit: 1})
	ledgerID = lrows[0].Item.ID
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"overview-cold", "/"},
		{"devices", "/devices"},
		{"devices-cold", "/devices"},
		{"bundles", "/bundles"},
		{"conflicts", "/conflicts"},
		{"enterprises", "/enterprises"},
		{"enterprises-search", "/enterprises?q=hx"},
		{"enterprises-street", "/enterprises?street=" + street},
		{"visits", "/visits"},
		{"visits-filtered", "/visits?status=finalized&street=" + street},
		{"visit", "/visits/" + visitID},
		{"ledger", "/ledger"},
		{"ledger-overdue", "/ledger?overdue=1&urgency=urgent"},
		{"ledger-item", "/ledger/" + ledgerID},
		{"stats", "/stats"},
		{"stats-after-upload", "/stats"},
		{"stats-industry-after-upload", "/stats?by=industry"},
		{"stats-cold", "/stats"},
		{"stats-industry-cold", "/stats?by=industry"},
		{"stats-enterprise-cold", "/stats?by=enterprise&page=3"},
		{"audit", "/audit"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			// -cold: the caches of figures and progress are off, as right
			// after an upload changed the records, and the questionnaire
			// versions are counted again, as on the first view after start.
			cold := len(p.name) > 5 && p.name[len(p.name)-5:] == "-cold"
			s.figCache.off, s.progCache.off = cold, cold
			defer func() { s.figCache.off, s.progCache.off = false, false }()
			// -after-upload: a new questionnaire is stored before every view,
			// so the figures are brought up to date each time (the cached
			// counts plus the new responses).
			afterUpload := strings.HasSuffix(p.name, "-after-upload")
			ent := rows[0].EnterpriseID
			var times []time.Duration
			for b.Loop() {
				if afterUpload {
					if _, err := s.db.AddResponse(bg, survey.Response{EnterpriseID: ent, FormID: "worker_questionnaire", FormVersion: 1, Kind: survey.RespondentWorker,
						Answers: survey.Answers{"awareness": "know", "participated": "yes", "sat_overall": "5"}}); err != nil {
						b.Fatal(err)
					}
				}
				if cold {
					// Counted from scratch, as on the first view after
					// the server starts: the questionnaire versions too.
					s.verCache.mu.Lock()
					s.verCache.counts, s.verCache.last = nil, 0
					s.verCache.mu.Unlock()
				}
				req := httptest.NewRequest("GET", p.path, nil)
				req.AddCookie(cookie)
				w := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(w, req)
				times = append(times, time.Since(start))
				if w.Code != 200 {
					b.Fatalf("%s: %d %s", p.path, w.Code, w.Body.String())
				}
			}
			reportPercentiles(b, times)
		})
	}
}

func reportPercentiles(b *testing.B, times []time.Duration) {
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	at := func(q float64) float64 {
		return float64(times[min(len(times)-1, int(q*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}
