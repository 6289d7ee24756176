package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"zoufang/storage"
	"zoufang/survey"
)

// addLedgerItem stores an open item for the first enterprise matching q.
func addLedgerItem(t *testing.T, db *storage.DB, q, desc, deadline string) survey.LedgerItem {
	t.Helper()
	ctx := context.Background()
	ents, err := db.SearchEnterprises(ctx, storage.EnterpriseQuery{Text: q, Limit: 1})
	if err != nil || len(ents) == 0 {
		t.Fatalf("find %q: %v", q, err)
	}
	it, err := db.SaveLedgerItem(ctx, survey.LedgerItem{
		EnterpriseID: ents[0].ID, DemandIndex: -1, Category: "wages", Description: desc,
		WorkersAffected: 12, Urgency: "urgent", Status: survey.LedgerToAssess, Owner: testName,
		Deadline: deadline, CreatedAt: testNow(),
	})
	if err != nil {
		t.Fatalf("save ledger item: %v", err)
	}
	return it
}

func TestLedgerOverdueAndFollowUp(t *testing.T) {
	u := newTestUI(t)
	late := addLedgerItem(t, u.db, "红星纺织", "三月工资延期发放", "2026-04-05")
	addLedgerItem(t, u.db, "顺丰", "快递员社保缴纳不足", "2026-05-30")

	l := showLedger(u)
	waitIdle()
	if got, want := len(l.items), 2; got != want {
		t.Fatalf("%d items listed, want %d", got, want)
	}
	if l.items[0].ID != late.ID {
		t.Errorf("first item %q, want the overdue one first", l.items[0].Description)
	}
	if got, want := deadlineText(l.items[0], u), "2026-04-05　超期10天"; got != want {
		t.Errorf("deadline text %q, want %q", got, want)
	}
	if got, want := l.count.Text, "共 2 项，其中超期 1 项"; got != want {
		t.Errorf("count %q, want %q", got, want)
	}

	l.filter.SetSelected(filterOverdue)
	if len(l.items) != 1 {
		t.Fatalf("overdue filter shows %d items, want 1", len(l.items))
	}

	l.list.Select(0)
	// A follow-up needs a note.
	l.newStatus.SetSelected(survey.LedgerNegotiating.Label())
	test.Tap(l.saveBtn)
	if l.errLabel.Text == "" {
		t.Fatal("no error for a follow-up without a note")
	}
	test.Type(l.note, "已约企业负责人面谈，协商补发方案")
	test.Tap(l.saveBtn)
	if !strings.Contains(l.confirmMsg.Text, "待研判 → 协商中") {
		t.Errorf("confirmation %q lacks the status change", l.confirmMsg.Text)
	}
	// Nothing is stored before confirming.
	items, err := u.db.LedgerItems(context.Background(), storage.LedgerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if len(it.Log) != 0 {
			t.Fatalf("follow-up stored before confirmation: %+v", it.Log)
		}
	}
	test.Tap(l.confirm.ok)
	waitIdle()

	items, err = u.db.LedgerItems(context.Background(), storage.LedgerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got survey.LedgerItem
	for _, it := range items {
		if it.ID == late.ID {
			got = it
		}
	}
	if got.Status != survey.LedgerNegotiating {
		t.Errorf("status %q, want %q", got.Status, survey.LedgerNegotiating)
	}
	if len(got.Log) != 1 {
		t.Fatalf("log %+v, want one follow-up", got.Log)
	}
	fu := got.Log[0]
	if fu.By != testName || fu.Note != "已约企业负责人面谈，协商补发方案" || fu.Status != survey.LedgerNegotiating || !fu.At.Equal(testNow()) {
		t.Errorf("follow-up %+v", fu)
	}
	if !strings.Contains(l.logText.Text, "已约企业负责人面谈") {
		t.Errorf("log on screen %q lacks the note", l.logText.Text)
	}
	if l.note.Text != "" {
		t.Errorf("note entry not cleared: %q", l.note.Text)
	}
}
