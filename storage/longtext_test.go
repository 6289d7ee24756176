package storage

import (
	"errors"
	"strings"
	"testing"

	"zoufang/survey"
)

// An anonymous comment over its limit is refused and nothing is stored.
func TestAddResponseRefusesLongComment(t *testing.T) {
	db := openTest(t)
	e := addEnterprise(t, db, "青岛啤酒股份有限公司", uscc("91370200264579612"))
	r := survey.Response{EnterpriseID: e.ID, VisitID: "v1", FormID: "worker_questionnaire", FormVersion: 1,
		Answers: survey.Answers{"sat_overall": "5", "comment": strings.Repeat("意", survey.MaxLongText+1)}}
	_, err := db.AddResponse(ctx, r)
	if got := ErrorMessage(err); got != "“意见和建议”最多 2000 字，已输入 2001 字，请缩短后再提交；问卷未保存" {
		t.Fatalf("got %q", got)
	}
	if rs, _ := db.Responses(ctx, ResponseFilter{}); len(rs) != 0 {
		t.Errorf("%d responses stored", len(rs))
	}
	r.Answers["comment"] = strings.Repeat("意", survey.MaxLongText)
	if _, err := db.AddResponse(ctx, r); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

// A ledger item whose follow-ups, each within its limit, would make a
// record no bundle can carry: the follow-up that would cross the budget is
// refused naming the longest text, and the item keeps what it had.
func TestLedgerRecordBudget(t *testing.T) {
	db := openTest(t)
	e := addEnterprise(t, db, "青岛啤酒股份有限公司", uscc("91370200264579612"))
	it, err := db.SaveLedgerItem(ctx, survey.LedgerItem{EnterpriseID: e.ID, DemandIndex: -1, Category: "wages", Description: "三月工资延期发放", Status: survey.LedgerToAssess})
	if err != nil {
		t.Fatal(err)
	}
	note := strings.Repeat("跟", survey.MaxLongText)
	var refused error
	n := 0
	for ; n < 100; n++ {
		if _, err := db.AddFollowUp(ctx, it.ID, survey.FollowUp{Status: survey.LedgerNegotiating, Note: note}); err != nil {
			refused = err
			break
		}
	}
	var se *survey.RecordSizeError
	if !errors.As(refused, &se) || !errors.Is(refused, ErrTooLarge) {
		t.Fatalf("after %d follow-ups of 2000 characters: %v", n, refused)
	}
	if msg := ErrorMessage(refused); !strings.Contains(msg, "这条台帐事项共") || !strings.Contains(msg, "超过一条记录能同步的上限 256 KB，未保存。最长的一项是“第 1 条跟进记录”，有 2000 字") {
		t.Errorf("message %q", msg)
	}
	got, err := db.LedgerItem(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Log) != n {
		t.Errorf("%d follow-ups stored, want the %d accepted", len(got.Log), n)
	}
	hist, _ := db.History(ctx, it.ID)
	for _, v := range hist {
		if err := survey.CheckVersionSize(v, nil); err != nil {
			t.Errorf("a stored version is over the budget: %v", err)
		}
	}
}
