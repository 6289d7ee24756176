package survey

import (
	"strings"
	"testing"
	"time"
)

func TestReviewIDIsStableAndDistinct(t *testing.T) {
	a := ReviewID("3f2b8c1e-0d4a-4e8b-9c7d-1a2b3c4d5e6f")
	if a != ReviewID("3f2b8c1e-0d4a-4e8b-9c7d-1a2b3c4d5e6f") {
		t.Fatal("ReviewID is not deterministic")
	}
	// Pinned: a review written by an earlier build must still be found.
	if want := "56661a0a-68c7-54b0-ab1d-91a436e437ab"; a != want {
		t.Errorf("ReviewID = %s, want %s (the namespace changed?)", a, want)
	}
	if a == ReviewID("3f2b8c1e-0d4a-4e8b-9c7d-1a2b3c4d5e60") {
		t.Error("two visits share a review id")
	}
}

func validReview() Review {
	v := "3f2b8c1e-0d4a-4e8b-9c7d-1a2b3c4d5e6f"
	return Review{ID: ReviewID(v), VisitID: v, EnterpriseID: "e1", VisitVersion: "v1", Decision: ReviewReturned,
		Comment: "请补充", Fields: []FieldComment{{Path: "workers_talked", Comment: "人数偏少"}, {Path: "demands[1].demand_description", Comment: "写清楚"}},
		Reviewer: "王科长", At: time.Date(2026, 5, 3, 9, 0, 0, 0, time.UTC)}
}

func TestReviewCheck(t *testing.T) {
	if err := validReview().Check(); err != nil {
		t.Fatalf("valid review refused: %v", err)
	}
	cases := map[string]func(*Review){
		"id of another visit":     func(r *Review) { r.ID = ReviewID("other") },
		"no visit version":        func(r *Review) { r.VisitVersion = "" },
		"unknown decision":        func(r *Review) { r.Decision = "maybe" },
		"returned without reason": func(r *Review) { r.Comment, r.Fields = " ", nil },
		"no reviewer":             func(r *Review) { r.Reviewer = "" },
		"no time":                 func(r *Review) { r.At = time.Time{} },
		"long comment":            func(r *Review) { r.Comment = strings.Repeat("长", MaxReviewComment+1) },
		"bad path":                func(r *Review) { r.Fields[0].Path = "姓名" },
		"path with space":         func(r *Review) { r.Fields[0].Path = "demands[1]. x" },
		"empty field comment":     func(r *Review) { r.Fields[0].Comment = "  " },
		"same path twice":         func(r *Review) { r.Fields[1].Path = r.Fields[0].Path },
		"too many field comments": func(r *Review) {
			r.Fields = nil
			for i := 0; i <= MaxFieldComments; i++ {
				r.Fields = append(r.Fields, FieldComment{Path: "demands[" + itoa(i) + "].x", Comment: "x"})
			}
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			r := validReview()
			r.Fields = append([]FieldComment(nil), r.Fields...)
			mod(&r)
			if err := r.Check(); err == nil {
				t.Error("accepted")
			}
		})
	}
	ok := validReview()
	ok.Decision, ok.Comment, ok.Fields = ReviewApproved, "", nil
	if err := ok.Check(); err != nil {
		t.Errorf("approval without comment refused: %v", err)
	}
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}

func TestReviewStateOf(t *testing.T) {
	reviewed := Visit{Status: VisitFinalized, Answers: Answers{"workers_talked": "3", "notes": ""}}
	same := Visit{Status: VisitSigned, Answers: Answers{"workers_talked": "3"}}
	edited := Visit{Status: VisitFinalized, Answers: Answers{"workers_talked": "8"}}
	ret := &Review{Decision: ReviewReturned, VisitVersion: "v1"}
	ok := &Review{Decision: ReviewApproved, VisitVersion: "v1"}
	for _, c := range []struct {
		name     string
		cur      Visit
		version  string
		r        *Review
		reviewed *Visit
		want     ReviewState
	}{
		{"draft", Visit{Status: VisitDraft}, "v0", nil, nil, ""},
		{"finished, not reviewed", reviewed, "v1", nil, nil, ReviewPending},
		{"returned", reviewed, "v1", ret, &reviewed, ReviewStateReturn},
		{"returned, then edited", edited, "v2", ret, &reviewed, ReviewResubmitted},
		{"returned, then signed without change", same, "v2", ret, &reviewed, ReviewStateReturn},
		{"approved", reviewed, "v1", ok, &reviewed, ReviewStateOK},
		{"approved, then signed", same, "v2", ok, &reviewed, ReviewStateOK},
		{"approved, then edited", edited, "v2", ok, &reviewed, ReviewPending},
		{"reviewed version unknown", same, "v2", ret, nil, ReviewResubmitted},
	} {
		if got := ReviewStateOf(c.cur, c.version, c.r, c.reviewed); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAnswersChangedInRepeats(t *testing.T) {
	a := Answers{"demands": []any{map[string]any{"demand_description": "欠薪", "demand_note": ""}}}
	b := Answers{"demands": []Answers{{"demand_description": "欠薪"}}}
	if AnswersChanged(a, b) {
		t.Error("a blank answer inside a repeat counts as a change")
	}
	c := Answers{"demands": []Answers{{"demand_description": "欠薪两个月"}}}
	if !AnswersChanged(a, c) {
		t.Error("a changed answer inside a repeat is not a change")
	}
}
