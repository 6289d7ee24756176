package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
)

func hidden(t testing.TB, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hidden field %s on page", name)
	}
	return m[1]
}

// reviewForm fills the review page's form: its token and versions, the
// decision, and the given fields.
func reviewForm(t testing.TB, page, decision string, extra url.Values) url.Values {
	t.Helper()
	f := url.Values{"token": {token(t, page)}, "version": {hidden(t, page, "version")}, "base_review": {hidden(t, page, "base_review")}, "decision": {decision}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// The reviewer returns a visit with a comment on one answer, the team
// edits it, the reviewer sees what changed and approves; every refusal
// changes nothing; every decision is audited.
func TestReviewReturnEditApprove(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(5)
	a := e.enrolField("张伟")
	if _, err := e.d.AssignEnterprises(bg, "测试", a.l.DeviceID(), []string{ents[0].ID}); err != nil {
		t.Fatal(err)
	}
	e.sendDown(a)
	form, _ := e.forms.Latest("visit")
	v, err := a.db.CreateVisit(bg, ents[0].ID, form)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers("2026-04-20", 2)
	if v, _, err = a.db.FinalizeVisit(bg, v, form); err != nil {
		t.Fatal(err)
	}
	e.syncUp(a)

	ro, rev := e.loggedIn("督导丙"), e.loggedIn("审核员乙")
	list := ro.get("/reviews")
	if list.status != 200 || !strings.Contains(list.body, "/visits/"+v.ID+"/review") || !strings.Contains(list.body, "待处理（1）") {
		t.Fatalf("waiting list: %d\n%s", list.status, list.body)
	}
	page := ro.get("/visits/" + v.ID + "/review")
	if page.status != 200 || strings.Contains(page.body, `name="c.`) || strings.Contains(page.body, "退回修改</button>") {
		t.Fatalf("read-only page offers the form: %d", page.status)
	}
	if r := ro.post("/visits/"+v.ID+"/review", reviewForm(t, rev.get("/visits/"+v.ID+"/review").body, "approved", nil)); r.status != http.StatusForbidden {
		t.Errorf("read-only account approved: %d", r.status)
	}

	page = rev.get("/visits/" + v.ID + "/review")
	for _, want := range []string{`name="c.workers_interviewed"`, `name="c.demands[1].demand_description"`, "审核结论"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("review page lacks %s", want)
		}
	}
	refusals := []struct {
		name  string
		extra url.Values
		dec   string
		want  string
	}{
		{"no decision", nil, "maybe", "请选择"},
		{"returned without a word", nil, "returned", "请写明审核意见"},
		{"approved with a field comment", url.Values{"c.workers_interviewed": {"再核实"}}, "approved", "审核通过时不写逐项意见"},
		{"comment on a question not on the page", url.Values{"c.no_such_field": {"x"}}, "returned", "不在这份走访记录中"},
	}
	for _, rf := range refusals {
		r := rev.post("/visits/"+v.ID+"/review", reviewForm(t, page.body, rf.dec, rf.extra))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, rf.want) {
			t.Errorf("%s: %d %q", rf.name, r.status, rf.want)
		}
		if _, ok, _ := e.d.DB().ReviewOf(bg, v.ID); ok {
			t.Fatalf("%s stored a review", rf.name)
		}
	}
	ret := reviewForm(t, page.body, "returned", url.Values{"comment": {"谈话人数与访谈记录不符"}, "c.workers_interviewed": {"请核实谈话人数"}})
	if r := rev.post("/visits/"+v.ID+"/review", ret); r.status != http.StatusSeeOther {
		t.Fatalf("return: %d %s", r.status, r.body)
	}
	if r := rev.post("/visits/"+v.ID+"/review", ret); r.status != http.StatusConflict {
		t.Errorf("the same form twice: %d", r.status)
	}
	info, ok, _ := e.d.DB().ReviewOf(bg, v.ID)
	if !ok || info.State != survey.ReviewStateReturn || info.Review.Reviewer != "审核员乙" || info.Review.FieldComment("workers_interviewed") != "请核实谈话人数" {
		t.Fatalf("stored review %+v", info)
	}
	es, _, _ := audit.List(bg, e.d.DB(), audit.Filter{Target: v.ID})
	if len(es) != 1 || es[0].Action != "review.return" || !strings.Contains(es[0].Detail, "谈话人数与访谈记录不符") {
		t.Errorf("audit %+v", es)
	}

	// The team gets it, answers the comment, and sends the visit back.
	e.sendDown(a)
	if st, _, _ := a.db.ReviewOf(bg, v.ID); !st.Review.At.Equal(info.Review.At) {
		t.Fatal("the laptop did not get the review")
	}
	stale := rev.get("/visits/" + v.ID + "/review")
	v, _ = a.db.Visit(bg, v.ID)
	v.Answers["workers_interviewed"] = "3"
	v.EditReason = "按区总工会审核意见修改"
	if _, err := a.db.SaveVisit(bg, v); err != nil {
		t.Fatal(err)
	}
	e.syncUp(a)
	// A decision made on the page from before the edit is refused.
	if r := rev.post("/visits/"+v.ID+"/review", reviewForm(t, stale.body, "approved", nil)); r.status != http.StatusConflict || !strings.Contains(r.body, "已被他人修改") {
		t.Errorf("stale page: %d", r.status)
	}
	page = rev.get("/visits/" + v.ID + "/review")
	if !strings.Contains(page.body, "以来的修改（1 处）") || !strings.Contains(page.body, "上次意见：请核实谈话人数") || !strings.Contains(page.body, "已修改待复审") {
		t.Fatalf("re-review page does not show the change:\n%s", page.body)
	}
	if r := rev.post("/visits/"+v.ID+"/review", reviewForm(t, page.body, "approved", nil)); r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if info, _, _ := e.d.DB().ReviewOf(bg, v.ID); info.State != survey.ReviewStateOK {
		t.Errorf("after approval: %s", info.State)
	}
	list = ro.get("/reviews?state=approved")
	if !strings.Contains(list.body, "/visits/"+v.ID+"/review") || !strings.Contains(list.body, "已通过（1）") {
		t.Errorf("approved list does not show the visit")
	}
	if counts, _ := e.d.DB().ReviewCounts(bg); counts[survey.ReviewStateOK] != 1 {
		t.Errorf("counts %v", counts)
	}
	e.sendDown(a)
	if info, _, _ := a.db.ReviewOf(bg, v.ID); info.State != survey.ReviewStateOK {
		t.Errorf("laptop state %s", info.State)
	}
}

// A draft is not reviewable; a visit that does not exist is 404.
func TestReviewRefusesDraftsAndUnknownVisits(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(2)
	form, _ := e.forms.Latest("visit")
	v, err := e.d.DB().CreateVisit(bg, ents[0].ID, form)
	if err != nil {
		t.Fatal(err)
	}
	rev := e.loggedIn("审核员乙")
	if r := rev.get("/visits/" + v.ID + "/review"); r.status != http.StatusConflict || !strings.Contains(r.body, "草稿") {
		t.Errorf("draft: %d", r.status)
	}
	if r := rev.get("/visits/00000000-0000-4000-8000-000000000000/review"); r.status != http.StatusNotFound {
		t.Errorf("unknown visit: %d", r.status)
	}
}

func reviewQuery(device string) storage.ReviewListQuery {
	return storage.ReviewListQuery{Device: device, State: survey.ReviewPending, Limit: 50}
}
