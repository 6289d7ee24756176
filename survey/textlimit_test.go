package survey

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// problemAt returns the message of the problem at path, or "".
func problemAt(ps []Problem, path string) string {
	for _, p := range ps {
		if p.Path == path {
			return p.Message
		}
	}
	return ""
}

func TestValidateTextLength(t *testing.T) {
	f := shippedForm(t, "visit")
	cases := []struct {
		name, path string
		set        func(a Answers, s string)
		max        int
	}{
		{"one-line", "received_by_name", func(a Answers, s string) { a["received_by_name"] = s }, MaxLineText},
		{"multi-line", "risk_explanation", func(a Answers, s string) { a["risk_level"] = "high"; a["risk_explanation"] = s }, MaxLongText},
		{"multi-line in a repeat", "demands[1].demand_description", func(a Answers, s string) {
			d := demand("wages")
			d["demand_description"] = s
			a["demands"] = []Answers{demand("wages"), d}
		}, MaxLongText},
	}
	for _, c := range cases {
		for _, ch := range []string{"a", "诉", "😀"} { // 1, 3 and 4 bytes in UTF-8: counted as one character each
			t.Run(c.name+"/"+ch, func(t *testing.T) {
				at := validVisit()
				c.set(at, strings.Repeat(ch, c.max))
				if msg := problemAt(Validate(f, at, day), c.path); msg != "" {
					t.Fatalf("exactly %d characters: got problem %q, want none", c.max, msg)
				}
				over := validVisit()
				c.set(over, strings.Repeat(ch, c.max+1))
				got := problemAt(Validate(f, over, day), c.path)
				want := "最多 " + itoa(c.max) + " 字，已输入 " + itoa(c.max+1) + " 字"
				if got != want {
					t.Fatalf("one over: got %q, want %q", got, want)
				}
			})
		}
	}
}

func TestLengthMessage(t *testing.T) {
	if got, want := LengthMessage(strings.Repeat("诉", 2350), 2000), "最多 2000 字，已输入 2350 字"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := LengthMessage(strings.Repeat("诉", 2000), 2000); got != "" {
		t.Errorf("at the limit: got %q, want none", got)
	}
}

// A draft may be incomplete, but not hold text over the limit: the check
// covers answers that are not even relevant (a draft keeps them).
func TestCheckVisitChangeRefusesLongDraftText(t *testing.T) {
	f := shippedForm(t, "visit")
	v := Visit{FormID: f.ID, FormVersion: f.Version, Status: VisitDraft, Answers: Answers{
		"risk_explanation": strings.Repeat("险", MaxLongText+350), // risk_level unanswered: not relevant
	}}
	err := CheckVisitChange(Visit{}, v, f, day)
	var ve *VisitChangeError
	if !errors.As(err, &ve) || !errors.Is(err, ErrVisitChange) {
		t.Fatalf("got %v, want a *VisitChangeError", err)
	}
	if want := "“风险情况说明”最多 2000 字，已输入 2350 字"; !strings.Contains(ve.Message, want) {
		t.Errorf("message %q does not contain %q", ve.Message, want)
	}
	if len(ve.Problems) != 1 || ve.Problems[0].Path != "risk_explanation" {
		t.Errorf("problems = %v, want one at risk_explanation", ve.Problems)
	}
	v.Answers["risk_explanation"] = strings.Repeat("险", MaxLongText)
	if err := CheckVisitChange(Visit{}, v, f, day); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	v.EditReason = strings.Repeat("改", MaxLongText+1)
	if err := CheckVisitChange(Visit{}, v, f, day); err == nil || !strings.Contains(err.Error(), "修改原因最多 2000 字") {
		t.Errorf("long edit reason: got %v", err)
	}
}

func TestCheckSignOffLength(t *testing.T) {
	s := &SignOff{SignerName: strings.Repeat("王", MaxLineText), Date: "2026-04-20"}
	if err := CheckSignOff(s); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	s.SignerTitle = strings.Repeat("经", MaxLineText+1)
	if err := CheckSignOff(s); err == nil || err.Error() != "签字人职务最多 200 字，已输入 201 字" {
		t.Errorf("got %v", err)
	}
}

func TestCheckLedgerText(t *testing.T) {
	long := strings.Repeat("跟", MaxLongText+1)
	prev := LedgerItem{Description: "欠薪", Log: []FollowUp{{By: "张伟", Note: "已联系"}}}
	next := prev
	next.Log = append(append([]FollowUp(nil), prev.Log...), FollowUp{By: "张伟", Note: strings.Repeat("跟", MaxLongText)})
	if err := CheckLedgerText(prev, next); err != nil {
		t.Fatalf("note at the limit: %v", err)
	}
	next.Log[1].Note = long
	err := CheckLedgerText(prev, next)
	if !errors.Is(err, ErrTooLong) || err.Error() != "跟进情况最多 2000 字，已输入 2001 字" {
		t.Fatalf("got %v", err)
	}
	// Text the stored item already holds is not checked again: an item an
	// older version stored over the limit can still be followed up.
	old := LedgerItem{Description: long}
	grown := old
	grown.Log = []FollowUp{{By: "李娜", Note: "已约谈"}}
	if err := CheckLedgerText(old, grown); err != nil {
		t.Errorf("follow-up on an old long item: %v", err)
	}
	grown.Assessment = strings.Repeat("研", MaxLongText+1)
	if err := CheckLedgerText(old, grown); err == nil || !strings.HasPrefix(err.Error(), "研判结果最多") {
		t.Errorf("long assessment: got %v", err)
	}
}

func TestReviewCommentLength(t *testing.T) {
	r := Review{ID: ReviewID("v1"), VisitID: "v1", EnterpriseID: "e1", VisitVersion: "x", Decision: ReviewReturned,
		Comment: strings.Repeat("审", MaxReviewComment), Reviewer: "张伟", At: day}
	if err := r.Check(); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	r.Comment += "审"
	if err := r.Check(); err == nil || err.Error() != "审核意见最多 2000 字，已输入 2001 字" {
		t.Errorf("got %v", err)
	}
}

// A record whose encoding would not fit a bundle is refused, naming its
// longest answer by the form's label.
func TestCheckVersionSize(t *testing.T) {
	f := shippedForm(t, "visit")
	var demands []Answers
	for range 60 { // 60 demands of 2000 characters each: every answer is within its limit
		d := demand("wages")
		d["demand_description"] = strings.Repeat("诉", MaxLongText)
		demands = append(demands, d)
	}
	demands[41]["demand_description"] = strings.Repeat("求", MaxLongText) + "a"
	v := Visit{ID: "v1", FormID: f.ID, FormVersion: f.Version, Status: VisitDraft, Answers: Answers{"demands": demands}}
	ver := func(v Visit) Version {
		body, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return Version{RecordID: v.ID, VersionID: "x", Kind: KindVisit, FormID: f.ID, FormVersion: f.Version, Created: time.Now(), Payload: body}
	}
	err := CheckVersionSize(ver(v), f)
	var se *RecordSizeError
	if !errors.As(err, &se) || !errors.Is(err, ErrTooLong) {
		t.Fatalf("got %v, want a *RecordSizeError", err)
	}
	if se.Biggest != "诉求内容（第 42 条）" || se.Runes != MaxLongText+1 {
		t.Errorf("biggest = %q (%d characters), want 诉求内容（第 42 条） (2001)", se.Biggest, se.Runes)
	}
	if !strings.Contains(err.Error(), "超过一条记录能同步的上限 256 KB") || !strings.Contains(err.Error(), "最长的一项是“诉求内容（第 42 条）”") {
		t.Errorf("message %q", err)
	}
	// At the budget: fits. Shrink the demands until it does.
	for len(v.Answers["demands"].([]Answers)) > 0 {
		if n, _ := VersionBytes(ver(v)); n <= MaxRecordBytes {
			break
		}
		v.Answers["demands"] = v.Answers["demands"].([]Answers)[1:]
	}
	if err := CheckVersionSize(ver(v), f); err != nil {
		t.Errorf("within the budget: %v", err)
	}
}

func TestLongestTextLabels(t *testing.T) {
	it := LedgerItem{Description: "欠薪", Log: []FollowUp{{Note: "短"}, {Note: strings.Repeat("长", 50)}}}
	body, _ := json.Marshal(it)
	if got, n := LongestText(body, nil); got != "第 2 条跟进记录" || n != 50 {
		t.Errorf("got %q %d", got, n)
	}
}

// versionBound never undercounts, whatever the payload's escaping.
func TestVersionBound(t *testing.T) {
	for _, payload := range []string{`{}`, `{"a":"<>&<>&"}`, `{"a":"\u2028诉"}`, `{"a":"` + strings.Repeat("<", 1000) + `"}`} {
		v := Version{RecordID: "r", VersionID: "v", Parents: []string{"p1", "p2"}, Kind: KindVisit, FormID: "visit", FormVersion: 12, Author: "张伟", DeviceID: "d", Created: time.Now(), Deleted: true, Payload: json.RawMessage(payload)}
		n, err := VersionBytes(v)
		if err != nil {
			t.Fatal(err)
		}
		if b := versionBound(v); b < n {
			t.Errorf("payload %.40s: bound %d < encoded %d", payload, b, n)
		}
	}
}
