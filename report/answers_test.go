package report

import (
	"strings"
	"testing"

	"zoufang/survey"
)

func TestVisitAnswerRows(t *testing.T) {
	rec := richRecord(t, 2)
	rows := VisitAnswerRows(&rec)
	byPath := map[string]AnswerRow{}
	for _, r := range rows {
		if _, dup := byPath[r.Path]; dup {
			t.Errorf("path %s twice", r.Path)
		}
		byPath[r.Path] = r
	}
	if r := byPath["workers_interviewed"]; r.Value != "6" || r.Section == "" || !r.Input {
		t.Errorf("workers_interviewed row %+v", r)
	}
	if r := byPath["demands[1].demand_description"]; !strings.HasPrefix(r.Value, "诉求甲02") || !strings.Contains(r.Label, "第 2 项") {
		t.Errorf("second demand row %+v", r)
	}
	if r := byPath["risk_kinds"]; !strings.Contains(r.Value, "、") {
		t.Errorf("a multiple choice prints its labels: %+v", r)
	}
	// Every path is one a review comment may name.
	for _, r := range rows {
		c := survey.Review{ID: survey.ReviewID("v"), VisitID: "v", EnterpriseID: "e", VisitVersion: "x", Decision: survey.ReviewReturned,
			Fields: []survey.FieldComment{{Path: r.Path, Comment: "x"}}, Reviewer: "王", At: testToday}
		if err := c.Check(); err != nil {
			t.Errorf("path %s: %v", r.Path, err)
		}
	}
}

func TestAnswerChanges(t *testing.T) {
	old := richRecord(t, 2)
	cur := richRecord(t, 1)
	cur.Visit.Answers = survey.NormalizeAnswers(cur.Visit.Answers)
	cur.Visit.Answers["workers_interviewed"] = "9"
	cur.Visit.Answers["demands"].([]survey.Answers)[0]["demand_description"] = "改写的诉求"
	got := AnswerChanges(&old, &cur)
	want := map[string][2]string{"workers_interviewed": {"6", "9"}, "demands[0].demand_description": {"", "改写的诉求"}}
	found := map[string]bool{}
	for _, c := range got {
		if w, ok := want[c.Path]; ok {
			found[c.Path] = true
			if c.New != w[1] || (w[0] != "" && c.Old != w[0]) {
				t.Errorf("%s: %q → %q", c.Path, c.Old, c.New)
			}
		}
	}
	for p := range want {
		if !found[p] {
			t.Errorf("change of %s not found in %+v", p, got)
		}
	}
	removed := false
	for _, c := range got {
		if strings.HasPrefix(c.Path, "demands[1].") && c.New == emptyAnswer {
			removed = true
		}
	}
	if !removed {
		t.Error("the removed second demand is not listed")
	}
	if n := len(AnswerChanges(&old, &old)); n != 0 {
		t.Errorf("a version compared with itself has %d changes", n)
	}
}
