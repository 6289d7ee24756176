package laptop

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// oldLaptop is an enrolled laptop whose database an older version of the
// program wrote (testdata/overlong, with its identity; see mkoverlong.go
// there): three draft
// visits of 青岛红星纺织厂, the second about 300 KB (a 2500-character
// 风险情况说明 and 50 demands of 2000 characters), saved before the third.
func oldLaptop(t *testing.T, d *fakeDistrict) (*Laptop, *storage.DB, []survey.Visit) {
	t.Helper()
	dir := t.TempDir()
	gz, err := os.Open("testdata/overlong/zoufang.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(filepath.Join(dir, "zoufang.db"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"device.id", "device.key"} {
		b, err := os.ReadFile(filepath.Join("testdata/overlong", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Open(dir, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.AcceptTrust(d.trustFile(t, 1)); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: testNow}
	db, err := storage.OpenDir(dir, storage.Options{Now: c.now, DeviceID: l.DeviceID(), Author: "李明"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	vs, err := db.Visits(ctx, storage.VisitFilter{})
	if err != nil || len(vs) != 3 {
		t.Fatalf("visits of the old database: %d, %v", len(vs), err)
	}
	slices.SortFunc(vs, func(a, b survey.Visit) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return l, db, vs
}

// A version stored over the bundle limit by an older version of the
// program: export seals the records before it and then says which record
// and which answer to shorten; once the person has saved a shorter
// version, the next export drops the old one (never sent) and everything
// travels, the shortened version naming the old one's parent.
func TestExportOfARecordStoredOverTheLimit(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db, vs := oldLaptop(t, d)
	before, big, after := vs[0], vs[1], vs[2]
	tip, err := db.Tip(ctx, big.ID)
	if err != nil {
		t.Fatal(err)
	}
	bigID, grandparents := tip.VersionID, tip.Parents
	if err := survey.CheckVersionSize(tip, nil); err == nil {
		t.Fatal("the fixture's visit fits a bundle")
	}

	res, err := l.Export(ctx, db)
	var tooLarge *RecordTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("export: got %v, want a *RecordTooLargeError", err)
	}
	for _, want := range []string{"走访记录（青岛红星纺织厂）", "超过一条记录能同步的上限 256 KB", "“风险情况说明”（现有 2500 字）", "未丢失任何数据"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}
	got := exportedVersions(t, d, l, res)
	if len(got) == 0 || !slices.ContainsFunc(got, func(v survey.Version) bool { return v.RecordID == before.ID }) {
		t.Errorf("the records before it were not exported (%d versions)", len(got))
	}
	// Export again without a change: the same answer, nothing lost.
	if _, err := l.Export(ctx, db); !errors.As(err, &tooLarge) {
		t.Fatalf("second export: %v", err)
	}
	if _, err := db.Version(ctx, bigID); err != nil {
		t.Fatalf("the unsendable version was dropped before it was superseded: %v", err)
	}

	// The person opens the visit: the form shows the problem. A save that
	// still leaves the record too large is refused; one that shortens it
	// makes a new version on top of the old one.
	cur, err := db.Visit(ctx, big.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ps := survey.LengthProblems(visitForm(t), cur.Answers); len(ps) != 1 || ps[0].Path != "risk_explanation" {
		t.Errorf("length problems of the stored visit: %v", ps)
	}
	cur.Answers["risk_explanation"] = "拖欠两个月工资"
	if _, err := db.SaveVisit(ctx, cur); !errors.Is(err, storage.ErrTooLarge) || !strings.Contains(storage.ErrorMessage(err), "最长的一项是“诉求内容（第 1 条）”") {
		t.Fatalf("save with 50 long demands: %v", err)
	}
	cur.Answers["demands"] = cur.Answers["demands"].([]survey.Answers)[:3]
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
	if !slices.ContainsFunc(got, func(v survey.Version) bool {
		return v.RecordID == after.ID && strings.Contains(string(v.Payload), "李娜")
	}) {
		t.Error("the record saved after it was not exported")
	}
	if _, err := db.Version(ctx, bigID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the unsendable version is still stored: %v", err)
	}
	if v, err := db.Visit(ctx, big.ID); err != nil || v.UpdatedAt != short.UpdatedAt {
		t.Errorf("visit after export: %v %v", v.UpdatedAt, err)
	}
}
