package storage

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/assets"
	"zoufang/survey"
)

const (
	testDevice = "8b1f9c3e-2d4a-4f6b-9c1d-0e2f3a4b5c6d"
	testAuthor = "张伟"
)

var ctx = context.Background()

// clock is a test clock that advances one second per reading.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func openTest(t testing.TB) *DB {
	t.Helper()
	c := &clock{t: time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)}
	db, err := OpenDir(t.TempDir(), Options{Now: c.now, DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		t.Fatalf("OpenDir: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func visitForm(t testing.TB) *survey.Form {
	t.Helper()
	set, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	f, ok := set.Latest("visit")
	if !ok {
		t.Fatal("no visit form")
	}
	return f
}

func addEnterprise(t testing.TB, db *DB, name, uscc string) survey.Enterprise {
	t.Helper()
	e, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: name, USCC: uscc, District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 120})
	if err != nil {
		t.Fatalf("SaveEnterprise(%s): %v", name, err)
	}
	return e
}

// uscc returns a valid USCC built from a 17-character body.
func uscc(body string) string {
	c, err := survey.USCCCheckChar(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

func TestOpenSetsPragmasAndMigratesOnce(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		db, err := OpenDir(dir, Options{})
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		var mode string
		var syncMode, fk, pageSize int
		if err := db.write.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		db.write.QueryRow(`PRAGMA synchronous`).Scan(&syncMode)
		db.write.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
		db.read.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
		if mode != "wal" || syncMode != 2 || fk != 1 || pageSize != 16384 {
			t.Errorf("journal_mode=%s synchronous=%d foreign_keys=%d page_size=%d, want wal 2 (FULL) 1 16384", mode, syncMode, fk, pageSize)
		}
		var n int
		db.write.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
		if n == 0 {
			t.Error("no migration recorded")
		}
		db.Close()
	}
}

// A database made with SQLite's default 4 KB pages (by an earlier version)
// keeps them and its data; only new databases get 16 KB pages.
func TestOpenKeepsAnExistingPageSize(t *testing.T) {
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", filepath.Join(dir, "zoufang.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`PRAGMA journal_mode=WAL; CREATE TABLE kept (x INTEGER); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := OpenDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pageSize, x int
	db.read.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	if err := db.read.QueryRow(`SELECT x FROM kept`).Scan(&x); err != nil || x != 42 || pageSize != 4096 {
		t.Errorf("page_size %d, kept row %d (%v); want 4096 and 42", pageSize, x, err)
	}
}

func TestVisitLifecycle(t *testing.T) {
	db := openTest(t)
	f := visitForm(t)
	e := addEnterprise(t, db, "青岛海信电器股份有限公司", uscc("91370200163562681"))

	v, err := db.CreateVisit(ctx, e.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != survey.VisitDraft || v.Investigator != testAuthor {
		t.Fatalf("new visit: status %q investigator %q", v.Status, v.Investigator)
	}

	// An invalid draft is saved but not finalized.
	v.Answers = survey.SampleVisitAnswers("2026-04-15", 2)
	v.Answers["workers_on_duty"] = "500" // more than workers_total
	v, problems, err := db.FinalizeVisit(ctx, v, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) == 0 {
		t.Fatal("FinalizeVisit accepted on-duty workers above the total")
	}
	got, _ := db.Visit(ctx, v.ID)
	if got.Status != survey.VisitDraft || got.Answers["workers_on_duty"] != "500" {
		t.Errorf("after failed finalize: status %q on duty %v, want draft with the answer kept", got.Status, got.Answers["workers_on_duty"])
	}

	// Untick the second demand: only the first reaches the ledger.
	v.Answers["workers_on_duty"] = "80"
	v.Answers["demands"].([]survey.Answers)[1]["demand_to_ledger"] = "no"
	v, problems, err = db.FinalizeVisit(ctx, v, f)
	if err != nil || len(problems) > 0 {
		t.Fatalf("FinalizeVisit: %v %v", problems, err)
	}
	items, err := db.LedgerItems(ctx, LedgerFilter{VisitID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Status != survey.LedgerToAssess || items[0].DemandIndex != 0 || items[0].Deadline != "2026-05-06" {
		t.Fatalf("ledger items = %+v, want one 待研判 item for demand 0 due 2026-05-06", items)
	}

	// A finalized visit is only edited with a reason.
	v.Answers["difficulties_note"] = "订单恢复"
	if _, err := db.SaveVisit(ctx, v); !errors.Is(err, survey.ErrVisitChange) {
		t.Errorf("SaveVisit of a finalized visit without reason: %v, want survey.ErrVisitChange", err)
	}
	v.EditReason = "企业补充说明"
	if v, err = db.SaveVisit(ctx, v); err != nil {
		t.Fatal(err)
	}
	// Finalizing again adds no duplicate ledger item.
	if _, _, err := db.FinalizeVisit(ctx, v, f); err != nil {
		t.Fatal(err)
	}
	if items, _ := db.LedgerItems(ctx, LedgerFilter{VisitID: v.ID}); len(items) != 1 {
		t.Errorf("after second finalize: %d ledger items, want 1", len(items))
	}

	v, err = db.SignOffVisit(ctx, v.ID, survey.SignOff{SignerName: "王强", SignerTitle: "人事经理", Date: "2026-04-16"}, []byte("\x89PNG fake"), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != survey.VisitSigned || v.SignOff.PhotoID == "" {
		t.Errorf("signed visit: %+v", v)
	}
	if data, mt, err := db.Attachment(ctx, v.SignOff.PhotoID); err != nil || mt != "image/png" || string(data) != "\x89PNG fake" {
		t.Errorf("Attachment = %q %q %v", data, mt, err)
	}
	st, _ := db.VisitStatuses(ctx)
	if st[e.ID] != survey.VisitSigned {
		t.Errorf("VisitStatuses[%s] = %q, want signed", e.Name, st[e.ID])
	}

	// Every save is a version; each names the previous one as its parent.
	hist, err := db.History(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) < 5 {
		t.Fatalf("history has %d versions, want at least 5", len(hist))
	}
	for i := 1; i < len(hist); i++ {
		if len(hist[i].Parents) != 1 || hist[i].Parents[0] != hist[i-1].VersionID {
			t.Errorf("version %d parents %v, want [%s]", i, hist[i].Parents, hist[i-1].VersionID)
		}
		if hist[i].Author != testAuthor || hist[i].DeviceID != testDevice {
			t.Errorf("version %d by %q on %q", i, hist[i].Author, hist[i].DeviceID)
		}
	}
	tip, _ := db.Tip(ctx, v.ID)
	if tip.VersionID != hist[len(hist)-1].VersionID {
		t.Errorf("Tip = %s, want the last version", tip.VersionID)
	}
}

func TestResponsesAreAnonymous(t *testing.T) {
	db := openTest(t)
	e := addEnterprise(t, db, "青岛啤酒股份有限公司", uscc("91370200264579612"))
	r, err := db.AddResponse(ctx, survey.Response{EnterpriseID: e.ID, VisitID: "v1", FormID: "worker_questionnaire", FormVersion: 1, Answers: survey.Answers{"sat_overall": "5"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Date != "2026-04-15" || r.Kind != survey.RespondentWorker {
		t.Errorf("response date %q kind %q", r.Date, r.Kind)
	}
	v, err := db.Tip(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Author != "" || v.DeviceID != "" || len(v.Parents) != 0 || !v.Created.Equal(time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("response version carries %q %q %v %v; want no author, device, parents, and the day only", v.Author, v.DeviceID, v.Parents, v.Created)
	}
	// A time-ordered (v7) id would carry the moment of the answer to the
	// millisecond; an anonymous response's ids are random.
	for _, id := range []string{r.ID, v.VersionID} {
		if u, err := uuid.Parse(id); err != nil || u.Version() != 4 {
			t.Errorf("response id %s: version %v, %v; want a random (v4) UUID", id, u.Version(), err)
		}
	}
	// Everything else gets time-ordered ids, which keeps large imports'
	// index inserts at the end of the B-trees.
	if ev, err := db.Tip(ctx, e.ID); err != nil {
		t.Fatal(err)
	} else if u, err := uuid.Parse(ev.VersionID); err != nil || u.Version() != 7 {
		t.Errorf("enterprise version id %s: version %v, %v; want a time-ordered (v7) UUID", ev.VersionID, u.Version(), err)
	}
	rs, _ := db.Responses(ctx, ResponseFilter{VisitID: "v1"})
	if len(rs) != 1 || rs[0].Answers["sat_overall"] != "5" {
		t.Errorf("Responses = %+v", rs)
	}
}

func TestLedgerFollowUp(t *testing.T) {
	db := openTest(t)
	e := addEnterprise(t, db, "青岛港湾建设集团", uscc("91370200MA3C5X7K1"))
	it, err := db.SaveLedgerItem(ctx, survey.LedgerItem{EnterpriseID: e.ID, Description: "拖欠两个月工资", Deadline: "2026-04-20"})
	if err != nil {
		t.Fatal(err)
	}
	if it.DemandIndex != -1 || it.Status != survey.LedgerToAssess {
		t.Errorf("manual item: demand index %d status %q", it.DemandIndex, it.Status)
	}
	if _, err := db.AddFollowUp(ctx, it.ID, survey.FollowUp{Status: survey.LedgerNegotiating}); err == nil {
		t.Error("follow-up without a note accepted")
	}
	it, err = db.AddFollowUp(ctx, it.ID, survey.FollowUp{Status: survey.LedgerNegotiating, Note: "约谈企业负责人"})
	if err != nil {
		t.Fatal(err)
	}
	it, err = db.AddFollowUp(ctx, it.ID, survey.FollowUp{Status: survey.LedgerResolved, Note: "工资已补发"})
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Log) != 2 || it.Status != survey.LedgerResolved || it.Log[0].By != testAuthor {
		t.Errorf("item after follow-ups: %+v", it)
	}
	var n int
	db.read.QueryRow(`SELECT count(*) FROM ledger_follow_ups WHERE item_id = ?`, it.ID).Scan(&n)
	if n != 2 {
		t.Errorf("ledger_follow_ups rows = %d, want 2", n)
	}
	if open, _ := db.LedgerItems(ctx, LedgerFilter{OpenOnly: true}); len(open) != 0 {
		t.Errorf("open items = %d, want 0", len(open))
	}
	if _, err := db.LedgerItem(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LedgerItem(nope) = %v, want ErrNotFound", err)
	}
}

func TestSettings(t *testing.T) {
	db := openTest(t)
	if v, err := db.Setting(ctx, "x"); v != "" || err != nil {
		t.Errorf("unset setting = %q, %v", v, err)
	}
	db.SetSetting(ctx, "x", "一")
	db.SetSetting(ctx, "x", "二")
	if v, _ := db.Setting(ctx, "x"); v != "二" {
		t.Errorf("setting = %q, want 二", v)
	}
}

func TestSaveEnterpriseChecksUSCC(t *testing.T) {
	db := openTest(t)
	addEnterprise(t, db, "甲公司", uscc("91370200163562681"))
	for _, tc := range []struct{ name, uscc string }{
		{"乙公司", "91370200163562680"},       // wrong check character
		{"丙公司", uscc("91370200163562681")}, // duplicate
		{"", uscc("91370200163562682")},
	} {
		if _, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: tc.name, USCC: tc.uscc}); err == nil {
			t.Errorf("SaveEnterprise(%q, %s) accepted", tc.name, tc.uscc)
		} else if ErrorMessage(err) == "" {
			t.Errorf("no Chinese message for %v", err)
		}
	}
}

func TestFillDemo(t *testing.T) {
	db := openTest(t)
	for i := 0; i < 2; i++ { // the second call must change nothing
		if err := FillDemo(ctx, db); err != nil {
			t.Fatalf("FillDemo #%d: %v", i+1, err)
		}
	}
	n, _ := db.EnterpriseCount(ctx)
	if n != len(demoNames) {
		t.Errorf("%d enterprises, want %d", n, len(demoNames))
	}
	mine, _ := db.SearchEnterprises(ctx, EnterpriseQuery{AssignedTo: testDevice})
	if len(mine) != 16 {
		t.Errorf("%d assigned enterprises, want 16", len(mine))
	}
	st, _ := db.VisitStatuses(ctx)
	counts := map[survey.VisitStatus]int{}
	for _, s := range st {
		counts[s]++
	}
	if counts[survey.VisitSigned] != 1 || counts[survey.VisitFinalized] != 1 || counts[survey.VisitDraft] != 1 {
		t.Errorf("visit statuses %v, want one of each", counts)
	}
	items, _ := db.LedgerItems(ctx, LedgerFilter{})
	overdue := 0
	for _, it := range items {
		if it.Overdue(time.Date(2026, 4, 15, 12, 0, 0, 0, time.UTC)) {
			overdue++
		}
	}
	if len(items) != 3 || overdue == 0 {
		t.Errorf("%d ledger items, %d overdue; want 3 with at least one overdue", len(items), overdue)
	}
	if rs, _ := db.Responses(ctx, ResponseFilter{}); len(rs) != 7 {
		t.Errorf("%d responses, want 7", len(rs))
	}
}
