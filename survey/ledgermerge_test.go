package survey

import (
	"reflect"
	"testing"
	"time"
)

var mday = time.Date(2026, 5, 12, 0, 0, 0, 0, time.UTC)

func baseItem() LedgerItem {
	return LedgerItem{ID: "i1", EnterpriseID: "e1", DemandIndex: -1, Description: "欠薪两个月", Status: LedgerToAssess,
		Owner: "张伟", Deadline: "2026-05-20", CreatedAt: mday,
		Log: []FollowUp{{At: mday.Add(8 * time.Hour), By: "张伟", Status: LedgerToAssess, Note: "登记"}}}
}

// The district's 研判 and a team's follow-up made the same mday both
// survive; the status follows the later log entry.
func TestMergeAssessmentAndFollowUp(t *testing.T) {
	base := baseItem()
	district := baseItem()
	district.Assessment, district.Department, district.Route = "属实，协调分期支付", "区人社局劳动监察大队", RouteInternal
	district.AssessedBy, district.AssessedAt, district.Deadline = "王科长", mday.Add(10*time.Hour), "2026-05-31"
	district.Log = append(district.Log, FollowUp{At: mday.Add(10 * time.Hour), By: "王科长", Status: LedgerRectifying, Note: "区总工会研判"})
	district.Status = LedgerRectifying
	team := baseItem()
	team.Log = append(team.Log, FollowUp{At: mday.Add(15 * time.Hour), By: "张伟", Status: LedgerNegotiating, Note: "企业同意下周协商"})
	team.Status = LedgerNegotiating

	for _, order := range [][]LedgerItem{{district, team}, {team, district}} {
		got, conflicts, err := MergeLedgerItems(base, order...)
		if err != nil || conflicts != nil {
			t.Fatalf("merge: %v %v", conflicts, err)
		}
		if got.Assessment != district.Assessment || got.Department != district.Department || got.Route != RouteInternal ||
			got.AssessedBy != "王科长" || !got.AssessedAt.Equal(district.AssessedAt) || got.Deadline != "2026-05-31" {
			t.Errorf("the 研判 is lost: %+v", got)
		}
		if len(got.Log) != 3 || got.Log[1].Note != "区总工会研判" || got.Log[2].Note != "企业同意下周协商" {
			t.Errorf("log = %+v", got.Log)
		}
		if got.Status != LedgerNegotiating {
			t.Errorf("status = %s, want the later entry's 协商中", got.Status)
		}
		if got.Description != base.Description || got.ID != "i1" || !got.CreatedAt.Equal(mday) {
			t.Errorf("unchanged fields changed: %+v", got)
		}
	}
}

func TestMergeSameFieldIsAConflict(t *testing.T) {
	base := baseItem()
	a, b := baseItem(), baseItem()
	a.Deadline, b.Deadline = "2026-05-25", "2026-06-01"
	_, conflicts, err := MergeLedgerItems(base, a, b)
	if err != nil || !reflect.DeepEqual(conflicts, []string{"deadline"}) {
		t.Errorf("conflicts = %v, %v; want [deadline]", conflicts, err)
	}
	// The same change on both sides is no conflict.
	b.Deadline = a.Deadline
	got, conflicts, _ := MergeLedgerItems(base, a, b)
	if conflicts != nil || got.Deadline != "2026-05-25" {
		t.Errorf("same change: %v %s", conflicts, got.Deadline)
	}
}

func TestMergeRefusesARewrittenLog(t *testing.T) {
	base := baseItem()
	a, b := baseItem(), baseItem()
	a.Log = []FollowUp{{At: mday, By: "张伟", Status: LedgerToAssess, Note: "改过的登记"}}
	b.Log = append(b.Log, FollowUp{At: mday.Add(time.Hour), By: "李", Status: LedgerToAssess, Note: "x"})
	if _, conflicts, _ := MergeLedgerItems(base, a, b); !reflect.DeepEqual(conflicts, []string{"log"}) {
		t.Errorf("conflicts = %v, want [log]", conflicts)
	}
}

func TestMergeStatusWithoutLogIsAConflict(t *testing.T) {
	base := baseItem()
	a, b := baseItem(), baseItem()
	a.Status, b.Status = LedgerResolved, LedgerReported // no log entries say so
	if _, conflicts, _ := MergeLedgerItems(base, a, b); !reflect.DeepEqual(conflicts, []string{"status"}) {
		t.Errorf("conflicts = %v, want [status]", conflicts)
	}
}

// The same entry added on two branches (a follow-up relayed both ways) is
// kept once.
func TestMergeKeepsAnEntryOnce(t *testing.T) {
	base := baseItem()
	f := FollowUp{At: mday.Add(9 * time.Hour), By: "张伟", Status: LedgerNegotiating, Note: "约谈"}
	a, b := baseItem(), baseItem()
	a.Log, a.Status = append(a.Log, f), LedgerNegotiating
	b.Log, b.Status = append(b.Log, f), LedgerNegotiating
	b.Owner = "李娜"
	got, conflicts, _ := MergeLedgerItems(base, a, b)
	if conflicts != nil || len(got.Log) != 2 || got.Owner != "李娜" {
		t.Errorf("got %v %+v", conflicts, got)
	}
}

func TestMergedAt(t *testing.T) {
	now := mday
	later := mday.Add(time.Hour)
	if got := MergedAt(now, later, mday.Add(-time.Hour)); !got.After(later) {
		t.Errorf("MergedAt = %v, not after %v", got, later)
	}
	if got := MergedAt(later, now); !got.Equal(later) {
		t.Errorf("MergedAt = %v, want now", got)
	}
}
