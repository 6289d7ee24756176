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

// auditCount counts the audit rows about target.
func auditCount(t *testing.T, e *env, target string) int {
	t.Helper()
	es, _, err := audit.List(bg, e.d.DB(), audit.Filter{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// Text typed in the workbench travels down to laptops: over its limit it
// is refused with a Chinese message saying by how much, nothing is cut,
// stored or audited, and the typed text is shown again.
func TestLedgerTextOverTheLimitIsRefused(t *testing.T) {
	e := newEnv(t)
	e.populate()
	rows, _, _ := e.d.DB().ListLedger(bg, storage.LedgerListQuery{Open: true, Limit: 1})
	id := rows[0].Item.ID
	c := e.loggedIn("审核员乙")
	page := c.get("/ledger/" + id)
	for _, want := range []string{`name="assessment" maxlength="2000"`, `name="department" type="text" maxlength="200"`, `name="note" maxlength="2000"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("ledger page lacks %s", want)
		}
	}
	versions, audits := versionsOf(t, e, id), auditCount(t, e, id)
	followUpToken := func(body string) string { return token(t, body[strings.Index(body, "/followup\""):]) }
	long := strings.Repeat("已约谈企业负责人，", 261) + "再" // 2350 characters
	cases := []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"follow-up", "/followup", url.Values{"note": {long}, "status": {"negotiating"}}, "跟进情况最多 2000 字，已输入 2350 字。未做任何修改。"},
		{"研判结果", "", url.Values{"assessment": {strings.Repeat("属", 2001)}, "department": {"区人社局"}, "status": {"rectifying"}}, "研判结果最多 2000 字，已输入 2001 字。未做任何修改。"},
		{"责任部门", "", url.Values{"assessment": {"属实"}, "department": {strings.Repeat("部", 201)}, "status": {"rectifying"}}, "责任部门最多 200 字，已输入 201 字。未做任何修改。"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := c.get("/ledger/" + id)
			tc.form.Set("base", baseOf(t, p.body))
			if tc.path == "" {
				tc.form.Set("token", token(t, p.body))
			} else {
				tc.form.Set("token", followUpToken(p.body))
			}
			r := c.post("/ledger/"+id+tc.path, tc.form)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.want) {
				t.Fatalf("got %d, want 400 with %q:\n%.2000s", r.status, tc.want, r.body)
			}
			for _, typed := range tc.form {
				if len([]rune(typed[0])) > 100 && !strings.Contains(r.body, typed[0]) {
					t.Error("the refused page does not show the typed text again")
				}
			}
			if got := versionsOf(t, e, id); got != versions {
				t.Errorf("versions %d → %d", versions, got)
			}
			if got := auditCount(t, e, id); got != audits {
				t.Errorf("audit rows %d → %d", audits, got)
			}
		})
	}
	// Exactly at the limit: stored whole, and a 研判 as long as allowed
	// still makes a follow-up entry that fits.
	p := c.get("/ledger/" + id)
	atLimit := strings.Repeat("约", survey.MaxLongText)
	if r := c.post("/ledger/"+id+"/followup", url.Values{"token": {followUpToken(p.body)}, "base": {baseOf(t, p.body)}, "note": {atLimit}, "status": {"negotiating"}}); r.status != http.StatusSeeOther {
		t.Fatalf("follow-up of 2000 characters: %d %.500s", r.status, r.body)
	}
	p = c.get("/ledger/" + id)
	if r := c.post("/ledger/"+id, url.Values{"token": {token(t, p.body)}, "base": {baseOf(t, p.body)}, "assessment": {atLimit}, "department": {strings.Repeat("部", survey.MaxLineText)}, "status": {"rectifying"}}); r.status != http.StatusSeeOther {
		t.Fatalf("研判 of 2000 characters: %d %.500s", r.status, r.body)
	}
	it, err := e.d.DB().LedgerItem(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	n := len(it.Log)
	if it.Assessment != atLimit || n < 2 || it.Log[n-2].Note != atLimit || len([]rune(it.Log[n-1].Note)) != survey.MaxLongText {
		t.Errorf("stored: assessment %d characters, log %d entries", len([]rune(it.Assessment)), n)
	}
}

func TestReviewCommentOverTheLimitIsRefused(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(2)
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
	rev := e.loggedIn("审核员乙")
	page := rev.get("/visits/" + v.ID + "/review")
	audits := auditCount(t, e, v.ID)
	for _, tc := range []struct {
		name  string
		extra url.Values
		want  string
	}{
		{"overall", url.Values{"comment": {strings.Repeat("审", 2350)}}, "审核意见最多 2000 字，已输入 2350 字。未做任何修改。"},
		{"field", url.Values{"comment": {"请修改"}, "c.demands[1].demand_description": {strings.Repeat("改", 2001)}}, "对“六、职工诉求 第 2 项 · 诉求内容”的意见最多 2000 字，已输入 2001 字。未做任何修改。"},
	} {
		r := rev.post("/visits/"+v.ID+"/review", reviewForm(t, page.body, "returned", tc.extra))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: got %d, want 400 with %q\n%s", tc.name, r.status, tc.want, excerpt(r.body))
		}
		if _, ok, _ := e.d.DB().ReviewOf(bg, v.ID); ok {
			t.Fatalf("%s: a review was stored", tc.name)
		}
		if got := auditCount(t, e, v.ID); got != audits {
			t.Errorf("%s: audit rows %d → %d", tc.name, audits, got)
		}
	}
	if !strings.Contains(page.body, `maxlength="2000"`) {
		t.Error("the review page sets no maxlength")
	}
}

// excerpt is the start of a page's main content, for failure messages.
func excerpt(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	return body[:min(len(body), 600)]
}

// TestReasonsOverTheLimitAreRefused: the reasons the district writes into
// its audit log (revoking a laptop, releasing or rejecting a quarantined
// bundle, an account change) are refused when too long, never cut to fit
// (they were cut to 200 or 300 characters without a word).
func TestReasonsOverTheLimitAreRefused(t *testing.T) {
	e := newEnv(t)
	f := e.enrolField("周强")
	admin := e.loggedIn("管理员甲")
	id := f.l.DeviceID()
	long := strings.Repeat("笔记本丢失", 40) + "。" // 201 characters
	page := admin.get("/devices/" + id)
	if !strings.Contains(page.body, `name="reason" placeholder="停用原因（必填）" required maxlength="200"`) {
		t.Error("the revoke form's reason has no maxlength")
	}
	r := admin.post("/devices/"+id+"/revoke", url.Values{"token": {token(t, page.body)}, "reason": {long}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "停用原因最多 200 字，已输入 201 字。未做任何修改。") {
		t.Fatalf("revoke with a long reason: %d\n%.1500s", r.status, r.body)
	}
	if d, err := e.d.Device(bg, id); err != nil || d.Revoked != "" {
		t.Fatalf("the device was revoked anyway: %+v %v", d, err)
	}
	if n := e.auditCount("revoke"); n != 0 {
		t.Errorf("%d revoke entries in the audit log", n)
	}
	page = admin.get("/accounts")
	if !strings.Contains(page.body, `name="reason" placeholder="停用原因" size="8" maxlength="200"`) {
		t.Error("the disable form's reason has no maxlength")
	}
	rev := regexp.MustCompile(`name="rev" value="(\d+)"`).FindStringSubmatch(page.body)
	if rev == nil {
		t.Fatal("accounts page has no rev field")
	}
	r = admin.post("/accounts/督导丙/disable", url.Values{"token": {token(t, page.body)}, "rev": {rev[1]}, "reason": {long}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "原因最多 200 字，已输入 201 字。未做任何修改。") {
		t.Fatalf("disable with a long reason: %d\n%.1500s", r.status, r.body)
	}
	if r := e.loggedIn("督导丙").get("/"); r.status != http.StatusOK {
		t.Errorf("the account was disabled anyway: %d", r.status)
	}
}
