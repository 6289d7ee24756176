package district

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// finished makes a finalized visit version by the laptop.
func (l *laptop) finished(rec string, minute int, answers survey.Answers, parents ...string) survey.Version {
	v := l.visit(rec, minute, answers, parents...)
	var p survey.Visit
	json.Unmarshal(v.Payload, &p)
	p.Status = survey.VisitFinalized
	v.Payload, _ = json.Marshal(p)
	return v
}

// ledger makes a ledger item version by the laptop.
func (l *laptop) ledger(it survey.LedgerItem, minute int, parents ...string) survey.Version {
	p, _ := json.Marshal(it)
	return survey.Version{RecordID: it.ID, VersionID: uuid.NewString(), Parents: parents, Kind: survey.KindLedger,
		Author: "张伟", DeviceID: l.id, Created: testNow.Add(time.Duration(minute) * time.Minute), Payload: p}
}

// review records a reviewer's decision at the district.
func review(t testing.TB, d *District, visitID string, dec survey.ReviewDecision, comment string, fields ...survey.FieldComment) survey.Review {
	t.Helper()
	tip, err := d.db.Tip(ctx, visitID)
	if err != nil {
		t.Fatal(err)
	}
	info, _, _ := d.db.ReviewOf(ctx, visitID)
	var r survey.Review
	if err := d.db.Update(ctx, func(tx *storage.Tx) error {
		var err error
		r, err = tx.SaveReview(storage.ReviewInput{VisitID: visitID, VisitVersion: tip.VersionID, BaseReview: info.VersionID,
			Decision: dec, Comment: comment, Fields: fields, Reviewer: "王科长"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return r
}

func downPayload(t testing.TB, d *District, l *laptop, data []byte) sync.Payload {
	t.Helper()
	b, err := sync.ParseBundleBytes(data, sync.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(d.keys.Public().Signing); err != nil {
		t.Fatal(err)
	}
	p, err := b.Open(l.keys.Sealing, sync.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func kinds(p sync.Payload) map[survey.RecordKind]int {
	out := map[survey.RecordKind]int{}
	for _, v := range p.Versions {
		out[v.Kind]++
	}
	return out
}

// Reviews are the district's: a laptop's bundle carrying one (a new review
// or an edit of the district's) is quarantined and nothing of it merged.
func TestLaptopCannotWriteReviews(t *testing.T) {
	d := newDistrict(t)
	a := enrol(t, d, "张伟")
	visit := uuid.NewString()
	v := a.finished(visit, 0, survey.Answers{"workers_talked": "1"})
	mustImport(t, d, a.bundle(t, d, v), Applied)
	r := review(t, d, visit, survey.ReviewReturned, "请补充")
	tip, _ := d.db.Tip(ctx, survey.ReviewID(visit))

	own := r
	own.Decision, own.Comment, own.Reviewer = survey.ReviewApproved, "", "张伟"
	body, _ := json.Marshal(own)
	forged := survey.Version{RecordID: r.ID, VersionID: uuid.NewString(), Parents: []string{tip.VersionID}, Kind: survey.KindReview,
		Author: "张伟", DeviceID: a.id, Created: testNow.Add(time.Hour), Payload: body}
	other := a.finished(uuid.NewString(), 1, nil)
	res := mustImport(t, d, a.bundle(t, d, other, forged), Quarantined)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Message, "审核意见只能由区总工会填写") {
		t.Errorf("laptop's review: %d %q", res.Status, res.Message)
	}
	if info, _, _ := d.db.ReviewOf(ctx, visit); info.Review.Decision != survey.ReviewReturned || info.VersionID != tip.VersionID {
		t.Errorf("the review changed: %+v", info)
	}
	if _, err := d.db.Visit(ctx, other.RecordID); err == nil {
		t.Error("the quarantined bundle's visit was merged")
	}
	// A review the laptop makes up from scratch, for a visit of its own.
	b := enrol(t, d, "李娜")
	mine := uuid.NewString()
	mv := b.finished(mine, 0, nil)
	fresh := survey.Review{ID: survey.ReviewID(mine), VisitID: mine, EnterpriseID: "e1", VisitVersion: mv.VersionID, Decision: survey.ReviewApproved, Reviewer: "李娜", At: testNow}
	body, _ = json.Marshal(fresh)
	res = mustImport(t, d, b.bundle(t, d, mv, survey.Version{RecordID: fresh.ID, VersionID: uuid.NewString(), Kind: survey.KindReview,
		Author: "李娜", DeviceID: b.id, Created: testNow, Payload: body}), Quarantined)
	if res.Code != CodeRule {
		t.Errorf("self-approval: %s %q", res.Code, res.Message)
	}
}

// The 研判 is the district's: a laptop may not write it into a new item
// nor change it in an edit; carrying the district's 研判 along is fine.
func TestLaptopCannotWriteAssessment(t *testing.T) {
	d := newDistrict(t)
	a := enrol(t, d, "张伟")
	it := survey.LedgerItem{ID: uuid.NewString(), EnterpriseID: "e1", DemandIndex: -1, Description: "欠薪", Status: survey.LedgerToAssess, CreatedAt: testNow}
	self := it
	self.Assessment, self.Route = "已解决，无需处理", survey.RouteInternal
	res := mustImport(t, d, a.bundle(t, d, a.ledger(self, 0)), Quarantined)
	if !strings.Contains(res.Message, "只能由区总工会填写") {
		t.Errorf("new item with a 研判: %q", res.Message)
	}
	// The quarantined bundle holds seq 1 aside; start a fresh device.
	a = enrol(t, d, "张伟2")
	root := a.ledger(it, 0)
	mustImport(t, d, a.bundle(t, d, root), Applied)
	// District: 研判.
	_, ver, _, _ := d.db.LedgerItemVersion(ctx, it.ID)
	if err := d.db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.EditLedgerItem(it.ID, ver, func(x *survey.LedgerItem) error {
			x.Assessment, x.Department, x.Route, x.AssessedBy, x.AssessedAt = "属实", "区人社局", survey.RouteLegalAid, "王科长", testNow
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	dtip, _ := d.db.Tip(ctx, it.ID)
	var assessed survey.LedgerItem
	json.Unmarshal(dtip.Payload, &assessed)
	// The laptop changes the route: refused.
	changed := assessed
	changed.Route = survey.RouteInternal
	res = mustImport(t, d, a.bundle(t, d, a.ledger(changed, 5, dtip.VersionID)), Quarantined)
	if !strings.Contains(res.Message, "只能由区总工会填写") {
		t.Errorf("edited route: %q", res.Message)
	}
}

// A team's follow-up and the district's 研判 of the same day merge at the
// import into one version, recorded in the audit log, which goes down.
func TestImportMergesLedgerFollowUpAndAssessment(t *testing.T) {
	d := newDistrict(t)
	a := enrol(t, d, "张伟")
	it := survey.LedgerItem{ID: uuid.NewString(), EnterpriseID: "e1", DemandIndex: -1, Description: "欠薪", Status: survey.LedgerToAssess, CreatedAt: testNow}
	root := a.ledger(it, 0)
	mustImport(t, d, a.bundle(t, d, root), Applied)
	_, ver, _, _ := d.db.LedgerItemVersion(ctx, it.ID)
	if err := d.db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.EditLedgerItem(it.ID, ver, func(x *survey.LedgerItem) error {
			x.Assessment, x.Department, x.Route, x.Deadline, x.AssessedBy, x.AssessedAt = "属实", "区人社局", survey.RouteCollective, "2026-12-10", "王科长", testNow.Add(time.Hour)
			x.Log = append(x.Log, survey.FollowUp{At: testNow.Add(time.Hour), By: "王科长", Status: survey.LedgerRectifying, Note: "区总工会研判：属实"})
			x.Status = survey.LedgerRectifying
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	follow := it
	follow.Log = []survey.FollowUp{{At: testNow.Add(3 * time.Hour), By: "张伟", Status: survey.LedgerNegotiating, Note: "企业同意协商"}}
	follow.Status = survey.LedgerNegotiating
	mustImport(t, d, a.bundle(t, d, a.ledger(follow, 180, root.VersionID)), Applied)

	heads, _ := d.db.Heads(ctx, it.ID)
	if len(heads) != 1 || len(heads[0].Parents) != 2 {
		t.Fatalf("heads after the import: %+v", heads)
	}
	got, _ := d.db.LedgerItem(ctx, it.ID)
	if got.Route != survey.RouteCollective || got.Deadline != "2026-12-10" || len(got.Log) != 2 || got.Status != survey.LedgerNegotiating {
		t.Errorf("merged item %+v", got)
	}
	es, _, _ := audit.List(ctx, d.db, audit.Filter{Target: it.ID})
	if len(es) != 1 || es[0].Action != "ledger.merge" {
		t.Errorf("audit %+v", es)
	}
	if cs, _ := d.Conflicts(ctx); len(cs) != 0 {
		t.Errorf("conflicts %+v", cs)
	}
	data, _, err := d.ExportDown(ctx, a.id)
	if err != nil || data == nil {
		t.Fatal(err)
	}
	p := downPayload(t, d, a, data)
	if len(p.Versions) != 2 || p.Versions[1].VersionID != heads[0].VersionID {
		t.Errorf("down bundle %+v, want the 研判 and the merge", p.Versions)
	}
}

// Reviews go down to the laptop that made the visit, also for an
// enterprise assigned to nobody, and to the laptop the enterprise is
// assigned to; never to others.
func TestReviewsGoDownToTheirLaptops(t *testing.T) {
	d := newDistrict(t)
	a, b, c := enrol(t, d, "张伟"), enrol(t, d, "李娜"), enrol(t, d, "王强")
	e, err := d.db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Assign(ctx, b.id, []string{e.ID}); err != nil {
		t.Fatal(err)
	}
	a.ent = e.ID
	visit := uuid.NewString()
	mustImport(t, d, a.bundle(t, d, a.finished(visit, 0, nil)), Applied)
	lone := uuid.NewString()
	a.ent = ""
	mustImport(t, d, a.bundle(t, d, a.finished(lone, 1, nil)), Applied)
	review(t, d, visit, survey.ReviewReturned, "请补充")
	review(t, d, lone, survey.ReviewApproved, "")

	data, _, _ := d.ExportDown(ctx, a.id)
	if k := kinds(downPayload(t, d, a, data)); k[survey.KindReview] != 2 {
		t.Errorf("the visits' maker gets %v", k)
	}
	data, _, _ = d.ExportDown(ctx, b.id)
	if k := kinds(downPayload(t, d, b, data)); k[survey.KindReview] != 1 || k[survey.KindVisit] != 1 || k[survey.KindEnterprise] == 0 {
		t.Errorf("the assignee gets %v", k)
	}
	if data, _, _ := d.ExportDown(ctx, c.id); data != nil {
		t.Errorf("an unrelated laptop gets %v", kinds(downPayload(t, d, c, data)))
	}
}

// downRequest signs a down request by keys for device dev.
func downRequest(t testing.TB, dev string, keys *sync.Keys, have uint64, head sync.Hash, at time.Time) []byte {
	t.Helper()
	data, err := sync.NewDownRequest(sync.DownRequest{DeviceID: dev, Have: have, Head: head, Created: at}, keys)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// downState is every row of the down stream state, to prove a refusal
// changed none.
func downState(t testing.TB, d *District) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, down_seq, hex(down_prev) FROM district_devices ORDER BY id`,
		`SELECT device_id, seq, hex(hash) FROM district_down ORDER BY 1, 2`,
		`SELECT device_id, version_id, '' FROM district_sent ORDER BY 1, 2`,
	} {
		rows, err := d.db.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var x, y, z any
			if err := rows.Scan(&x, &y, &z); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v %v %v\n", x, y, z)
		}
		rows.Close()
	}
	return b.String()
}

func TestFetchDown(t *testing.T) {
	d := newDistrict(t)
	a, b := enrol(t, d, "张伟"), enrol(t, d, "李娜")
	visit := uuid.NewString()
	mustImport(t, d, a.bundle(t, d, a.finished(visit, 0, nil)), Applied)
	review(t, d, visit, survey.ReviewReturned, "请补充", survey.FieldComment{Path: "workers_talked", Comment: "人数？"})

	// Nothing sent yet: the request seals bundle 1.
	req := downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow)
	ans, err := d.FetchDown(ctx, a.id, req)
	if err != nil || ans.Seq != 1 || ans.Last != 1 || ans.Versions != 1 {
		t.Fatalf("first fetch: %+v %v", ans, err)
	}
	if k := kinds(downPayload(t, d, a, ans.Bundle)); k[survey.KindReview] != 1 {
		t.Errorf("bundle 1 carries %v", k)
	}
	first := ans.Bundle
	state := downState(t, d)

	refused := func(name string, body []byte, path string, code Code) {
		t.Helper()
		_, err := d.FetchDown(ctx, path, body)
		var e *Error
		if !errors.As(err, &e) || e.Code != code {
			t.Errorf("%s: %v, want %s", name, err, code)
		}
		if got := downState(t, d); got != state {
			t.Errorf("%s changed the down state", name)
		}
	}
	// The same request again: a replay.
	refused("replay", req, a.id, CodeReplay)
	// Another device's key signing for a.
	refused("foreign signature", downRequest(t, a.id, b.keys, 0, sync.Hash{}, testNow), a.id, CodeBadSignature)
	refused("wrong path", downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow), b.id, CodeWrongPlace)
	refused("unknown device", downRequest(t, uuid.NewString(), a.keys, 0, sync.Hash{}, testNow), "", CodeUnknownDevice)
	refused("clock ahead", downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow.Add(time.Hour)), a.id, CodeClock)
	refused("old request", downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow.Add(-time.Hour)), a.id, CodeClock)
	refused("claims more", downRequest(t, a.id, a.keys, 3, sync.Hash{1}, testNow), a.id, CodeDownMismatch)
	refused("other bundle 1", downRequest(t, a.id, a.keys, 1, sync.Hash{1}, testNow), a.id, CodeDownMismatch)
	tampered := bytes.Replace(downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow), []byte(`"have":0`), []byte(`"have":1`), 1)
	if _, err := d.FetchDown(ctx, a.id, tampered); err == nil {
		t.Error("tampered request answered")
	}
	refused("garbage", []byte("{}"), a.id, CodeMalformed)

	// Lost on the way: asking again from 0 resends the same bytes.
	ans, err = d.FetchDown(ctx, a.id, downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow))
	if err != nil || ans.Seq != 1 || !bytes.Equal(ans.Bundle, first) {
		t.Fatalf("resend: %+v %v", ans.Seq, err)
	}
	// With bundle 1 in hand and nothing new: nothing.
	ans, err = d.FetchDown(ctx, a.id, downRequest(t, a.id, a.keys, 1, sync.BundleHash(first), testNow))
	if err != nil || ans.Bundle != nil || ans.Last != 1 {
		t.Fatalf("nothing new: %+v %v", ans, err)
	}
	if got := downState(t, d); got != state {
		t.Error("asking with nothing new changed the down state")
	}
	// A revoked laptop gets nothing.
	if err := d.Revoke(a.id, "王主任", "笔记本丢失"); err != nil {
		t.Fatal(err)
	}
	refused("revoked", downRequest(t, a.id, a.keys, 1, sync.BundleHash(first), testNow), a.id, CodeRevoked)
}

// The endpoint over HTTP: statuses, headers, and a body size cap before
// anything is parsed.
func TestDownEndpoint(t *testing.T) {
	d := newDistrict(t)
	a := enrol(t, d, "张伟")
	visit := uuid.NewString()
	mustImport(t, d, a.bundle(t, d, a.finished(visit, 0, nil)), Applied)
	review(t, d, visit, survey.ReviewApproved, "")
	srv := httptest.NewServer(d.Handler(nil))
	defer srv.Close()
	post := func(body []byte) *http.Response {
		t.Helper()
		resp, err := srv.Client().Post(srv.URL+"/v1/devices/"+a.id+"/down", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	req := downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow)
	resp := post(req)
	if resp.StatusCode != 200 || resp.Header.Get(sync.DownHeaderSeq) != "1" || resp.Header.Get(sync.DownHeaderLast) != "1" {
		t.Fatalf("fetch: %d %v", resp.StatusCode, resp.Header)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if _, err := sync.ParseBundleBytes(buf.Bytes(), sync.Limits{}); err != nil {
		t.Fatalf("body is not a bundle: %v", err)
	}
	if resp := post(req); resp.StatusCode != http.StatusConflict {
		t.Errorf("replay: %d", resp.StatusCode)
	}
	if resp := post(downRequest(t, a.id, a.keys, 1, sync.BundleHash(buf.Bytes()), testNow)); resp.StatusCode != http.StatusNoContent || resp.Header.Get(sync.DownHeaderLast) != "1" {
		t.Errorf("nothing new: %d", resp.StatusCode)
	}
	if resp := post(bytes.Repeat([]byte("x"), sync.MaxDownRequest+1)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize: %d", resp.StatusCode)
	}
	resp = post(downRequest(t, a.id, a.keys, 0, sync.Hash{}, testNow.Add(time.Hour)))
	var e struct{ Code, Error string }
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 400 || e.Code != string(CodeClock) || !strings.Contains(e.Error, "时间") {
		t.Errorf("clock: %d %+v", resp.StatusCode, e)
	}
}
