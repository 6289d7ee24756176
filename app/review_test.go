package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"zoufang/assets"
	"zoufang/profile"
	"zoufang/storage"
	"zoufang/survey"
)

const testDistrict = "d15d1c70-0000-4000-8000-0000000000aa"

// districtStore is a district's storage for GUI tests: the reviews and
// 研判 that come down to the laptop are written there and relayed as a
// down bundle would carry them (the real bundle path is tested in
// sync/district and TestReviewLoopEndToEnd).
func districtStore(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.OpenDir(t.TempDir(), storage.Options{DeviceID: testDistrict, Author: "市南区总工会"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// relay copies every version of the records from src to dst.
func relay(t *testing.T, src, dst *storage.DB, records ...string) {
	t.Helper()
	ctx := context.Background()
	var vs []survey.Version
	for _, id := range records {
		h, err := src.History(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, h...)
	}
	if err := dst.Update(ctx, func(tx *storage.Tx) error { _, err := tx.PutVersions(vs); return err }); err != nil {
		t.Fatal(err)
	}
}

// decideReview records a reviewer's decision at the district.
func decideReview(t *testing.T, dis *storage.DB, visitID string, dec survey.ReviewDecision, comment string, fields ...survey.FieldComment) {
	t.Helper()
	ctx := context.Background()
	tip, err := dis.Tip(ctx, visitID)
	if err != nil {
		t.Fatal(err)
	}
	info, _, _ := dis.ReviewOf(ctx, visitID)
	if err := dis.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.SaveReview(storage.ReviewInput{VisitID: visitID, VisitVersion: tip.VersionID, BaseReview: info.VersionID,
			Decision: dec, Comment: comment, Fields: fields, Reviewer: "王科长"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// The laptop's side of the review loop: a returned visit leads the home
// list with the comment, opens with the comments beside their fields, is
// edited without being asked for a reason, and after 完成修改 waits for the
// district (已修改待复审); an approved visit is marked 已通过; a ledger item
// shows the district's 研判 and deadline.
func TestReturnedVisitOnTheLaptop(t *testing.T) {
	u := newTestUI(t)
	ctx := context.Background()
	s, ent := openNewVisit(t, u, "顺丰")
	finalizeWithOneDemand(t, s)
	dis := districtStore(t)
	relay(t, u.db, dis, ent.ID, s.v.ID)
	decideReview(t, dis, s.v.ID, survey.ReviewReturned, "谈话人数偏少，请核实",
		survey.FieldComment{Path: "workers_interviewed", Comment: "只谈了 6 人？请写实际人数"},
		survey.FieldComment{Path: "demands[0].demand_description", Comment: "写明涉及哪个车间"})
	relay(t, dis, u.db, survey.ReviewID(s.v.ID))

	// Home: the returned visit first, with the comment.
	u.nav.back()
	u.showHome()
	waitIdle()
	h := u.home
	if len(h.data.rows) == 0 || h.data.rows[0].ent.ID != ent.ID || h.data.rows[0].review != survey.ReviewStateReturn {
		t.Fatalf("home rows: %+v", h.data.rows)
	}
	if h.data.rows[0].comment != "谈话人数偏少，请核实" || !strings.Contains(h.counts.Text, "区总工会退回修改 1") {
		t.Errorf("home shows %q / %q", h.data.rows[0].comment, h.counts.Text)
	}
	h.mine.Select(0)
	waitIdle()
	s = visitOnTop(t, u)
	if !strings.Contains(s.status.Text, "退回修改") || !s.reviewBox.Visible() || !strings.Contains(s.reviewBox.Text, "谈话人数偏少，请核实") {
		t.Fatalf("visit screen: %q / %q", s.status.Text, s.reviewBox.Text)
	}
	// The comment is beside its field, in the field's section.
	f := filler{t: t, fv: s.fv}
	f.goTo("workers_interviewed")
	if c := s.fv.commentLabels["workers_interviewed"]; c == nil || !strings.Contains(c.Text, "只谈了 6 人？请写实际人数") {
		t.Fatalf("no comment beside workers_interviewed: %v", s.fv.commentLabels)
	}
	if txt, _ := s.fv.sectionState(s.fv.sectionIndex("workers_interviewed")); !strings.Contains(txt, "意见1条") {
		t.Errorf("section list says %q", txt)
	}
	f.goTo("demands")
	if c := s.fv.commentLabels["demands[0].demand_description"]; c == nil || !strings.Contains(c.Text, "写明涉及哪个车间") {
		t.Errorf("no comment beside the demand")
	}

	// 按审核意见修改: no dialog, the reason is the comments.
	if s.editBtn.Text != "按审核意见修改" {
		t.Errorf("edit button says %q", s.editBtn.Text)
	}
	// 完成修改 without changing anything sends nothing back and says so.
	test.Tap(s.editBtn)
	waitIdle()
	test.Tap(s.doneEditBtn)
	waitIdle()
	if !strings.Contains(s.message.Text, "没有改动任何内容") || !strings.Contains(s.status.Text, "退回修改") {
		t.Errorf("完成修改 without a change: %q / %q", s.message.Text, s.status.Text)
	}
	test.Tap(s.editBtn)
	waitIdle()
	if s.fv.readOnly || s.editReason != reviewEditReason || len(u.dialogs) != 0 {
		t.Fatalf("edit of a returned visit: read-only %v, reason %q, dialogs %d", s.fv.readOnly, s.editReason, len(u.dialogs))
	}
	f.text("workers_interviewed", "9")
	f.text("demands[0].demand_description", "装配车间节后连续加班未安排调休")
	waitIdle()
	test.Tap(s.doneEditBtn)
	waitIdle()
	if !strings.Contains(s.message.Text, "已修改待复审") || !strings.Contains(s.status.Text, "已修改待复审") {
		t.Fatalf("after 完成修改: %q / %q", s.message.Text, s.status.Text)
	}
	v, _ := u.db.Visit(ctx, s.v.ID)
	if v.Answers["workers_interviewed"] != "9" || v.EditReason != reviewEditReason || v.Status != survey.VisitFinalized {
		t.Errorf("stored visit: %v %q %s", v.Answers["workers_interviewed"], v.EditReason, v.Status)
	}

	// The district approves; the laptop marks it.
	relay(t, u.db, dis, s.v.ID)
	if info, _, _ := dis.ReviewOf(ctx, s.v.ID); info.State != survey.ReviewResubmitted {
		t.Fatalf("district sees %s", info.State)
	}
	decideReview(t, dis, s.v.ID, survey.ReviewApproved, "")
	relay(t, dis, u.db, survey.ReviewID(s.v.ID))
	u.nav.back()
	u.showHome()
	waitIdle()
	if r := u.home.data.rows[len(u.home.data.rows)-1]; r.review == survey.ReviewStateReturn {
		t.Error("an approved visit is still listed as returned")
	}
	found := false
	for _, r := range u.home.data.rows {
		if r.ent.ID == ent.ID {
			found = r.review == survey.ReviewStateOK
		}
	}
	if !found {
		t.Error("home does not mark the visit 已通过")
	}
	s = openVisit(u, ent, v)
	waitIdle()
	if !strings.Contains(s.status.Text, "已通过") || !strings.Contains(s.reviewBox.Text, "已审核通过") || len(s.fv.commentLabels) != 0 {
		t.Errorf("approved visit: %q / %q / %d comments", s.status.Text, s.reviewBox.Text, len(s.fv.commentLabels))
	}

	// The district's 研判 of the visit's ledger item.
	items, _ := dis.LedgerItems(ctx, storage.LedgerFilter{VisitID: v.ID})
	if len(items) != 1 {
		relay(t, u.db, dis, mustLedgerIDs(t, u.db, v.ID)...)
		items, _ = dis.LedgerItems(ctx, storage.LedgerFilter{VisitID: v.ID})
	}
	_, ver, _, _ := dis.LedgerItemVersion(ctx, items[0].ID)
	if err := dis.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.EditLedgerItem(items[0].ID, ver, func(x *survey.LedgerItem) error {
			x.Assessment, x.Department, x.Route, x.Deadline = "属实，需协商调休", "区人社局劳动监察大队", survey.RouteInternal, "2026-05-10"
			x.AssessedBy, x.AssessedAt = "王科长", time.Date(2026, 4, 16, 9, 0, 0, 0, testZone)
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	relay(t, dis, u.db, items[0].ID)
	l := showLedger(u)
	waitIdle()
	l.selectItem(items[0].ID)
	waitIdle()
	if got := l.fields["区总工会研判"].Text; !strings.Contains(got, "属实，需协商调休") || !strings.Contains(got, "企业内部协商") || !strings.Contains(got, "王科长") {
		t.Errorf("ledger shows 研判 %q", got)
	}
	if got := l.fields["期限"].Text; !strings.Contains(got, "2026-05-10") {
		t.Errorf("ledger shows deadline %q", got)
	}
}

func mustLedgerIDs(t *testing.T, db *storage.DB, visitID string) []string {
	t.Helper()
	items, err := db.LedgerItems(context.Background(), storage.LedgerFilter{VisitID: visitID})
	if err != nil || len(items) == 0 {
		t.Fatalf("ledger items of %s: %v", visitID, err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestReturnedVisitScreenshot renders a visit the district returned, in
// the real program (GL driver, embedded font) at 1024x600, at the section
// with the reviewer's first field comment, and checks the image is not
// blank. With ZOUFANG_UPDATE_SCREENSHOTS=1 it writes
// docs/screenshots/visit-returned.png.
func TestReturnedVisitScreenshot(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Skip("no DISPLAY: run under Xvfb (make test does)")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	id, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: id.DeviceID, Author: "张伟"})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := profile.HashPIN(testPIN)
	if err := profile.Save(ctx, db, profile.Profile{Name: "张伟", District: "市南区", Team: "第一走访组", PINHash: h}); err != nil {
		t.Fatal(err)
	}
	body := "91370200MA3C5678"
	c, _ := survey.USCCCheckChar(body + "9")
	e, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海川精密机械有限公司", USCC: body + "9" + string(c), District: "市南区", Street: "八大关街道", Industry: "制造业", Workers: 120, AssignedTo: id.DeviceID})
	if err != nil {
		t.Fatal(err)
	}
	forms, _ := survey.LoadForms(assets.Forms())
	form, _ := forms.Latest("visit")
	v, err := db.CreateVisit(ctx, e.ID, form)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers(time.Now().Format("2006-01-02"), 2)
	v.Answers["workers_interviewed"] = "1"
	if v, _, err = db.FinalizeVisit(ctx, v, form); err != nil {
		t.Fatal(err)
	}
	dis := districtStore(t)
	relay(t, db, dis, e.ID, v.ID)
	decideReview(t, dis, v.ID, survey.ReviewReturned, "访谈人数与记录不符，诉求写得不够具体，请核实后补充",
		survey.FieldComment{Path: "team_members", Comment: "请写全组成员姓名，含人社局同志"},
		survey.FieldComment{Path: "workers_interviewed", Comment: "只与 1 名职工交谈？请写实际面对面交流的人数"})
	relay(t, dis, db, survey.ReviewID(v.ID))
	db.Close()

	out := filepath.Join(t.TempDir(), "returned.png")
	img, _ := runScreenshot(t, bin, dir, "returned", out, false, "--window", "1024x600")
	if blankImage(img) {
		t.Fatal("screenshot is blank")
	}
	if r := inkRatio(img); r < 0.004 {
		t.Errorf("only %.2f%% dark pixels: text missing?", r*100)
	}
	if os.Getenv("ZOUFANG_UPDATE_SCREENSHOTS") == "1" {
		dst := filepath.Join("..", "docs", "screenshots", "visit-returned.png")
		if err := writePNG(dst, img); err != nil {
			t.Fatal(err)
		}
		fmt.Println("wrote", dst)
	}
}
