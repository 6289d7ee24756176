package laptop

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// exportedVersions exports and returns the record versions of the new
// bundles as the district opens them.
func exportedVersions(t *testing.T, d *fakeDistrict, l *Laptop, res ExportResult) []survey.Version {
	t.Helper()
	var out []survey.Version
	for _, b := range res.New {
		data, err := os.ReadFile(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		_, p := d.open(t, l, data)
		out = append(out, p.Versions...)
	}
	return out
}

// A document pasted into an answer is refused when the draft is saved:
// the stored visit keeps what it had, the caller still holds the typed
// text, and the other visits, saved after it, export as usual.
func TestPastedDocumentIsRefusedAndDoesNotBlockExport(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})
	vs := addVisits(t, db, 3)
	pasted := strings.Repeat("复工后加班费未按规定计算。", 30_000) // about 360,000 characters
	v := vs[0]
	v.Answers["demands"] = []survey.Answers{{"demand_category": "wages", "demand_description": pasted}}
	_, err := db.SaveVisit(ctx, v)
	if err == nil {
		t.Fatal("a visit holding a 360,000-character answer was stored")
	}
	msg := storage.ErrorMessage(err)
	if !strings.Contains(msg, "“诉求内容”最多 2000 字，已输入 390000 字") {
		t.Errorf("message %q does not name the field and the limit", msg)
	}
	if got := v.Answers["demands"].([]survey.Answers)[0]["demand_description"]; got != pasted {
		t.Error("the caller's answers lost the typed text")
	}
	stored, err := db.Visit(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := stored.Answers["demands"]; ok {
		t.Error("the refused answer was stored")
	}
	// The other visits change after it and travel.
	for _, w := range vs[1:] {
		w.Answers["team_members"] = "张伟、李娜"
		if _, err := db.SaveVisit(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	res, err := l.Export(ctx, db)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	got := exportedVersions(t, d, l, res)
	saved := 0
	for _, x := range got {
		if strings.Contains(string(x.Payload), "张伟、李娜") {
			saved++
		}
	}
	if saved != 2 {
		t.Errorf("%d of the 2 later saves were exported", saved)
	}
}

// inflate overwrites the stored current version of visit v with answers
// an older version of the program could store: one answer of n characters.
func inflate(t *testing.T, db *storage.DB, v survey.Visit, n int) string {
	t.Helper()
	v.Answers["risk_level"] = "high"
	v.Answers["risk_explanation"] = strings.Repeat("险", n)
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	err = db.Update(ctx, func(tx *storage.Tx) error {
		if err := tx.QueryRow(`SELECT version_id FROM visits WHERE id = ?`, v.ID).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE versions SET payload = ? WHERE version_id = ?`, body, id); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE visits SET body = ? WHERE id = ?`, body, v.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A version stored over the bundle limit by an older version of the
// program: export seals the records before it and then says which record
// and which answer to shorten; once the person has saved a shorter
// version, the next export drops the old one (never sent) and everything
// travels, the shortened version naming the old one's parent.
func TestExportOfARecordStoredOverTheLimit(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})
	before := addVisits(t, db, 2)
	big := addVisits(t, db, 1)[0]
	parents := func(id string) []string {
		t.Helper()
		v, err := db.Version(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return v.Parents
	}
	big.Answers["team_members"] = "张伟"
	big, err := db.SaveVisit(ctx, big)
	if err != nil {
		t.Fatal(err)
	}
	bigID := inflate(t, db, big, 100_000) // 300 KB of UTF-8
	grandparents := parents(bigID)
	after := addVisits(t, db, 1)

	res, err := l.Export(ctx, db)
	var tooLarge *RecordTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("export: got %v, want a *RecordTooLargeError", err)
	}
	for _, want := range []string{"走访记录（青岛海信电器", "超过一条记录能同步的上限 256 KB", "“风险情况说明”（现有 100000 字）", "未丢失任何数据"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}
	got := exportedVersions(t, d, l, res)
	if len(got) == 0 || !slices.ContainsFunc(got, func(v survey.Version) bool { return v.RecordID == before[1].ID }) {
		t.Errorf("the records before it were not exported (%d versions)", len(got))
	}
	// Export again without a change: the same answer, nothing lost.
	if _, err := l.Export(ctx, db); !errors.As(err, &tooLarge) {
		t.Fatalf("second export: %v", err)
	}
	if _, err := db.Version(ctx, bigID); err != nil {
		t.Fatalf("the unsendable version was dropped before it was superseded: %v", err)
	}

	// The person opens the visit: the form shows the problem; saving a
	// shortened text makes a new version on top of the old one.
	cur, err := db.Visit(ctx, big.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ps := survey.LengthProblems(visitForm(t), cur.Answers); len(ps) != 1 || ps[0].Path != "risk_explanation" {
		t.Errorf("length problems of the stored visit: %v", ps)
	}
	cur.Answers["risk_explanation"] = "拖欠两个月工资"
	short, err := db.SaveVisit(ctx, cur)
	if err != nil {
		t.Fatalf("save the shortened visit: %v", err)
	}
	res, err = l.Export(ctx, db)
	if err != nil {
		t.Fatalf("export after shortening: %v", err)
	}
	got = exportedVersions(t, d, l, res)
	var shortV *survey.Version
	for i, v := range got {
		if v.VersionID == bigID {
			t.Fatal("the unsendable version was exported")
		}
		if n, _ := sync.VersionSize(v); n > sync.DefaultMaxRecordBytes {
			t.Errorf("exported a %d-byte version", n)
		}
		if v.RecordID == big.ID {
			shortV = &got[i]
		}
	}
	if shortV == nil || !strings.Contains(string(shortV.Payload), "拖欠两个月工资") {
		t.Fatal("the shortened visit was not exported")
	}
	if !slices.Equal(shortV.Parents, grandparents) {
		t.Errorf("shortened version's parents = %v, want the dropped version's %v", shortV.Parents, grandparents)
	}
	if !slices.ContainsFunc(got, func(v survey.Version) bool { return v.RecordID == after[0].ID }) {
		t.Error("the record made after it was not exported")
	}
	if _, err := db.Version(ctx, bigID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the unsendable version is still stored: %v", err)
	}
	if v, err := db.Visit(ctx, big.ID); err != nil || v.UpdatedAt != short.UpdatedAt {
		t.Errorf("visit after export: %v %v", v.UpdatedAt, err)
	}
}
