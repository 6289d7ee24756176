package web

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

// Follow-up of issue 12: `zoufang-server roster` and `assign` run as
// processes of their own beside `serve`, on the same data dir (here: a
// second District handle). Before, the workbench's roster list and search
// answered from the index it had built at its first search until it was
// restarted: the new enterprises and the assignment below were missing.
func TestRosterListSeesOtherProcesses(t *testing.T) {
	e := newEnv(t)
	e.importRoster(3)
	f := e.enrolField("王芳")
	rev := e.loggedIn("审核员乙")
	total := func(query string) string {
		t.Helper()
		r := rev.get("/enterprises?" + query)
		if r.status != 200 {
			t.Fatalf("/enterprises?%s: %d", query, r.status)
		}
		i := strings.Index(r.body, `value="filter"> 符合当前条件的全部 `)
		if i < 0 {
			t.Fatalf("no total on the page:\n%s", r.body)
		}
		rest := r.body[i+len(`value="filter"> 符合当前条件的全部 `):]
		return rest[:strings.Index(rest, " ")]
	}
	if n := total(""); n != "3" {
		t.Fatalf("%s enterprises listed", n)
	}
	other, err := district.Open(e.d.Dir(), district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var roster bytes.Buffer
	survey.WriteRosterCSV(&roster, survey.FakeRoster(20, 99), false)
	if _, err := other.DB().ImportRoster(bg, &roster, "名录.csv", nil); err != nil {
		t.Fatal(err)
	}
	if n := total(""); n != "23" {
		t.Errorf("after a roster import by another process: %s enterprises listed, want 23", n)
	}
	ids, err := other.DB().SearchEnterpriseIDs(bg, storage.EnterpriseQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.AssignEnterprises(bg, "测试", f.l.DeviceID(), ids); err != nil {
		t.Fatal(err)
	}
	if n := total(url.Values{"device": {f.l.DeviceID()}}.Encode()); n != "5" {
		t.Errorf("after an assignment by another process: %s enterprises of the device listed, want 5", n)
	}
	if n := total("device=none"); n != "18" {
		t.Errorf("after an assignment by another process: %s unassigned listed, want 18", n)
	}
}
