package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/laptop"
)

// TestStatsMatchIndependentCount recomputes the four figures from the raw
// anonymous responses with the plan's definitions, written out here
// without package survey's code, and compares them with what the 统计
// page shows for the district and for every street.
func TestStatsMatchIndependentCount(t *testing.T) {
	e := newEnv(t)
	a, _, _ := e.populate()
	c := e.loggedIn("督导丙")
	checkStats(t, e, c)
	// More questionnaires arrive: the figures, updated from the cached
	// counts, still equal a count from scratch.
	ents, _ := e.d.DB().SearchEnterprises(bg, storage.EnterpriseQuery{AssignedTo: a.l.DeviceID(), Limit: 3})
	e.fieldWork(a, ents, rngFor(77))
	e.syncUp(a)
	checkStats(t, e, c)
}

func checkStats(t *testing.T, e *env, c *client) {
	t.Helper()
	page := c.get("/stats?by=street")
	if page.status != 200 {
		t.Fatalf("stats: %d", page.status)
	}
	type counts struct{ hits, valid [4]int }
	total := counts{}
	byStreet := map[string]*counts{}
	rs, err := e.d.DB().Responses(bg, storage.ResponseFilter{})
	if err != nil || len(rs) < 50 {
		t.Fatalf("responses: %d %v", len(rs), err)
	}
	for _, r := range rs {
		ent, err := e.d.DB().Enterprise(bg, r.EnterpriseID)
		if err != nil {
			t.Fatal(err)
		}
		st := byStreet[ent.Street]
		if st == nil {
			st = &counts{}
			byStreet[ent.Street] = st
		}
		ans := func(k string) string { s, _ := r.Answers[k].(string); return s }
		count := func(i int, answered, hit bool) {
			for _, c := range []*counts{&total, st} {
				if answered {
					c.valid[i]++
					if hit {
						c.hits[i]++
					}
				}
			}
		}
		if r.Kind == survey.RespondentWorker {
			count(0, ans("participated") != "", ans("participated") == "yes")
			count(1, ans("awareness") != "", ans("awareness") == "very" || ans("awareness") == "know" || ans("awareness") == "heard")
			count(2, ans("sat_overall") != "", ans("sat_overall") == "4" || ans("sat_overall") == "5")
		} else {
			for _, k := range []string{"rec_bargaining", "rec_service"} {
				count(3, ans(k) != "", ans(k) == "4" || ans(k) == "5")
			}
		}
	}
	want := func(c *counts) []string {
		var out []string
		for i := range 4 {
			out = append(out, fmt.Sprintf("%d/%d", c.hits[i], c.valid[i]))
		}
		return out
	}
	rowRE := regexp.MustCompile(`(?s)<tr><td>([^<]*)(?:<div[^>]*>[^<]*</div>)?</td><td class="num">\d+</td><td class="num">\d+</td>(.*?)</tr>`)
	cellRE := regexp.MustCompile(`<div class="small muted">(\d+/\d+)</div>`)
	got := map[string][]string{}
	for _, m := range rowRE.FindAllStringSubmatch(page.body, -1) {
		for _, c := range cellRE.FindAllStringSubmatch(m[2], -1) {
			got[m[1]] = append(got[m[1]], c[1])
		}
	}
	if len(got) != len(byStreet) {
		t.Fatalf("page shows %d streets, responses come from %d", len(got), len(byStreet))
	}
	for st, c := range byStreet {
		if fmt.Sprint(got[st]) != fmt.Sprint(want(c)) {
			t.Errorf("street %s: page %v, independent count %v", st, got[st], want(c))
		}
	}
	i := strings.Index(page.body, "全区：")
	tot := cellRE.FindAllStringSubmatch(page.body[i:], 4)
	var shown []string
	for _, m := range tot {
		shown = append(shown, m[1])
	}
	if fmt.Sprint(shown) != fmt.Sprint(want(&total)) {
		t.Errorf("district total: page %v, independent count %v", shown, want(&total))
	}
}

func TestEnrolImportAssignResolve(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(30)
	admin := e.loggedIn("管理员甲")

	// Enrol by uploading the request: the fingerprint is shown first and
	// nothing is stored until it is confirmed.
	dir := t.TempDir()
	l, err := laptop.Open(dir, laptop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := l.Request(laptop.Who{DeviceName: "王芳的笔记本", Investigator: "王芳", District: e.d.Name()})
	page := admin.get("/devices")
	r := admin.upload("/devices/enroll", "request", map[string][]byte{"申请.zfe": req}, url.Values{"token": {token(t, page.body)}})
	if r.status != 200 || !strings.Contains(r.body, l.Fingerprint()) {
		t.Fatalf("enrol upload: %d, fingerprint %s not shown", r.status, l.Fingerprint())
	}
	if devs, _ := e.d.Devices(bg); len(devs) != 0 {
		t.Fatal("device enrolled before confirmation")
	}
	confirm := url.Values{"token": {token(t, r.body)}, "request": {base64.StdEncoding.EncodeToString(req)}, "fingerprint": {l.Fingerprint()}}
	if r := admin.post("/devices/enroll/confirm", confirm); r.status != http.StatusBadRequest {
		t.Errorf("confirm without ticking 指纹一致: %d", r.status)
	}
	confirm.Set("match", "yes")
	if r := admin.post("/devices/enroll/confirm", confirm); r.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if r := admin.post("/devices/enroll/confirm", confirm); r.status != http.StatusConflict {
		t.Errorf("confirm posted twice: %d", r.status)
	}
	trust := admin.get("/trust.zft")
	if _, _, err := l.AcceptTrust([]byte(trust.body)); err != nil {
		t.Fatalf("laptop refuses the downloaded trust file: %v", err)
	}
	es, _, _ := audit.List(bg, e.d.DB(), audit.Filter{Action: "enroll"})
	if len(es) != 1 || es[0].Actor != "管理员甲" {
		t.Errorf("enrol audit: %+v", es)
	}

	// Bulk assignment by street, then the down bundle.
	street := ents[0].Street
	rev := e.loggedIn("审核员乙")
	page = rev.get("/enterprises?street=" + url.QueryEscape(street))
	r = rev.post("/enterprises/assign", url.Values{"token": {token(t, page.body)}, "device": {l.DeviceID()}, "scope": {"filter"}, "street": {street}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	ids, _ := e.d.DB().SearchEnterpriseIDs(bg, storage.EnterpriseQuery{Street: street})
	mine, _ := e.d.DB().SearchEnterpriseIDs(bg, storage.EnterpriseQuery{AssignedTo: l.DeviceID()})
	if len(mine) != len(ids) || len(ids) == 0 {
		t.Errorf("assigned %d of the %d enterprises of %s", len(mine), len(ids), street)
	}
	page = rev.get("/devices/" + l.DeviceID())
	down := rev.post("/devices/"+l.DeviceID()+"/down", url.Values{"token": {token(t, page.body)}})
	if down.status != 200 || down.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("down bundle: %d %s", down.status, down.body)
	}
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: l.DeviceID(), Author: "王芳"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := l.Import(bg, db, []byte(down.body)); err != nil {
		t.Fatalf("laptop imports the down bundle: %v", err)
	}
	if n, _ := db.EnterpriseCount(bg); n != len(ids) {
		t.Errorf("laptop has %d enterprises, want %d", n, len(ids))
	}

	// Import by upload: a bundle twice and garbage, several at once.
	f := &field{"王芳", l, db}
	e.fieldWork(f, []survey.Enterprise{ents[0]}, rngFor(3))
	files := e.exportBundles(f)
	files["坏文件.zfb"] = []byte("这不是同步包")
	page = rev.get("/bundles")
	r = rev.upload("/bundles/import", "bundles", files, url.Values{"token": {token(t, page.body)}})
	if r.status != 200 || !strings.Contains(r.body, "已合并") || !strings.Contains(r.body, "已拒绝") || !strings.Contains(r.body, "下载回执") {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	before := dumpVersions(t, e)
	r = rev.upload("/bundles/import", "bundles", files, url.Values{"token": {token(t, page.body)}})
	if !strings.Contains(r.body, "重复，未再导入") || dumpVersions(t, e) != before {
		t.Errorf("the same upload twice changed something or was not reported as a duplicate")
	}
	if r := e.loggedIn("督导丙").upload("/bundles/import", "bundles", files, nil); r.status != http.StatusForbidden {
		t.Errorf("read-only upload: %d", r.status)
	}
}

func dumpVersions(t *testing.T, e *env) int {
	var n int
	e.d.DB().QueryRow(bg, `SELECT count(*) FROM versions`).Scan(&n)
	return n
}

func TestResolveConflictByMerge(t *testing.T) {
	e := newEnv(t)
	_, _, id := e.populate()
	rev := e.loggedIn("审核员乙")
	page := rev.get("/conflicts/" + id)
	if page.status != 200 || !strings.Contains(page.body, "differs") {
		t.Fatalf("conflict page: %d", page.status)
	}
	heads, _ := e.d.DB().Heads(bg, id)
	form := url.Values{"token": {token(t, page.body)}, "mode": {"merge"}}
	for _, h := range heads {
		form.Add("head", h.VersionID)
	}
	// Keep one side's interview count and the other's contact person.
	var countFrom, nameFrom int
	for i, h := range heads {
		if strings.Contains(string(h.Payload), `"刘芳"`) {
			nameFrom = i
		} else {
			countFrom = i
		}
	}
	form.Set("f.answers.workers_interviewed", fmt.Sprint(countFrom))
	form.Set("f.answers.received_by_name", fmt.Sprint(nameFrom))
	if r := rev.post("/conflicts/"+id, form); r.status != http.StatusBadRequest || !strings.Contains(r.body, "理由") {
		t.Errorf("without a reason: %d", r.status)
	}
	form.Set("token", token(t, rev.get("/conflicts/"+id).body))
	form.Set("reason", "与企业电话核实")
	if r := rev.post("/conflicts/"+id, form); r.status != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", r.status, r.body)
	}
	v, err := e.d.DB().Visit(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Answers["workers_interviewed"] != "8" || v.Answers["received_by_name"] != "刘芳" {
		t.Errorf("merged visit: interviewed %v, received by %v", v.Answers["workers_interviewed"], v.Answers["received_by_name"])
	}
	if hs, _ := e.d.DB().Heads(bg, id); len(hs) != 1 {
		t.Errorf("%d heads after resolving", len(hs))
	}
	// The same form again: the conflict is gone, nothing changes.
	n := dumpVersions(t, e)
	if r := rev.post("/conflicts/"+id, form); r.status < 400 || dumpVersions(t, e) != n {
		t.Errorf("second post: %d, versions %d → %d", r.status, n, dumpVersions(t, e))
	}
	es, _, _ := audit.List(bg, e.d.DB(), audit.Filter{Action: "resolve"})
	if len(es) != 1 || es[0].Actor != "审核员乙" || es[0].Reason != "与企业电话核实" {
		t.Errorf("audit: %+v", es)
	}
}

func TestTrustRenewalAndDownResend(t *testing.T) {
	e := newEnv(t)
	a, _, _ := e.populate()
	admin := e.loggedIn("管理员甲")
	before, _ := e.d.CurrentTrust(bg)
	page := admin.get("/settings")
	r := admin.post("/settings/trust", url.Values{"token": {token(t, page.body)}, "days": {"200"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("renew: %d %s", r.status, r.body)
	}
	after, _ := e.d.CurrentTrust(bg)
	if after.Version != before.Version+1 || after.IssuedBy != "管理员甲" {
		t.Errorf("trust %d by %q after renewal (was %d)", after.Version, after.IssuedBy, before.Version)
	}
	if r := admin.post("/settings/trust", url.Values{"token": {token(t, page.body)}, "days": {"200"}}); r.status != http.StatusConflict {
		t.Errorf("renewal posted twice: %d", r.status)
	}
	if again, _ := e.d.CurrentTrust(bg); again.Version != after.Version {
		t.Errorf("second post issued version %d", again.Version)
	}
	if _, _, err := a.l.AcceptTrust([]byte(admin.get("/trust.zft").body)); err != nil {
		t.Errorf("laptop refuses the renewed trust file: %v", err)
	}
	// Down bundles were sealed for the laptop by populate; each can be
	// downloaded again byte for byte.
	downs, err := e.d.DownBundles(bg, a.l.DeviceID())
	if err != nil || len(downs) == 0 {
		t.Fatalf("down bundles: %v %v", downs, err)
	}
	want, _ := e.d.DownBundle(bg, a.l.DeviceID(), downs[0].Seq)
	got := e.loggedIn("审核员乙").get(fmt.Sprintf("/devices/%s/down/%d", a.l.DeviceID(), downs[0].Seq))
	if got.status != 200 || got.body != string(want) {
		t.Errorf("resend: %d, %d bytes, want %d", got.status, len(got.body), len(want))
	}
	if r := e.loggedIn("督导丙").get(fmt.Sprintf("/devices/%s/down/%d", a.l.DeviceID(), downs[0].Seq)); r.status != http.StatusForbidden {
		t.Errorf("read-only resend: %d", r.status)
	}
}

func TestQuarantineInspectAndReject(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(10)
	f := e.enrolField("周强")
	if _, err := e.d.AssignEnterprises(bg, "测试", f.l.DeviceID(), []string{ents[0].ID}); err != nil {
		t.Fatal(err)
	}
	e.sendDown(f)
	e.fieldWork(f, ents[:1], rngFor(9))
	if err := e.d.Revoke(f.l.DeviceID(), "测试", "笔记本丢失"); err != nil {
		t.Fatal(err)
	}
	for _, b := range e.exportBundles(f) {
		if res := e.d.Import(bg, b); res.Decision != "quarantined" {
			t.Fatalf("bundle of a revoked device: %s %s", res.Decision, res.Message)
		}
	}
	qs, _ := e.d.Quarantined(bg)
	if len(qs) != 1 {
		t.Fatalf("%d quarantined", len(qs))
	}
	id := qs[0].ID
	ro := e.loggedIn("督导丙")
	if r := ro.get("/quarantine"); r.status != 200 || !strings.Contains(r.body, "周强") {
		t.Errorf("quarantine list: %d", r.status)
	}
	if r := ro.get("/quarantine/" + id); r.status != http.StatusForbidden {
		t.Errorf("read-only inspect: %d", r.status)
	}
	rev := e.loggedIn("审核员乙")
	page := rev.get("/quarantine/" + id)
	if page.status != 200 || !strings.Contains(page.body, "与登记的设备密钥相符") || !strings.Contains(page.body, "走访记录") {
		t.Fatalf("inspect: %d %s", page.status, page.body)
	}
	if r := rev.post("/quarantine/"+id+"/reject", url.Values{"token": {"t1"}, "reason": {"作废"}}); r.status != http.StatusForbidden {
		t.Errorf("reviewer reject: %d", r.status)
	}
	admin := e.loggedIn("管理员甲")
	page = admin.get("/quarantine/" + id)
	tok := token(t, page.body)
	if r := admin.post("/quarantine/"+id+"/reject", url.Values{"token": {tok}}); r.status != http.StatusBadRequest {
		t.Errorf("reject without a reason: %d", r.status)
	}
	if r := admin.post("/quarantine/"+id+"/reject", url.Values{"token": {tok}, "reason": {"笔记本丢失，包作废"}}); r.status != http.StatusSeeOther {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	if r := admin.post("/quarantine/"+id+"/reject", url.Values{"token": {tok}, "reason": {"笔记本丢失，包作废"}}); r.status != http.StatusConflict {
		t.Errorf("reject posted twice: %d", r.status)
	}
	if qs, _ := e.d.Quarantined(bg); len(qs) != 0 {
		t.Errorf("%d still quarantined", len(qs))
	}
	es, _, _ := audit.List(bg, e.d.DB(), audit.Filter{Action: "reject"})
	if len(es) != 1 || es[0].Actor != "管理员甲" || es[0].Reason != "笔记本丢失，包作废" {
		t.Errorf("audit: %+v", es)
	}
}
