package district_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoufang/assets"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
	"zoufang/sync/laptop"
)

// laptopDump is a digest of what a laptop's sync and records hold, to
// prove a refused down bundle changed nothing.
func laptopDump(t *testing.T, db *storage.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT version_id, record_id FROM versions ORDER BY seq`,
		`SELECT record_id, version_id FROM heads ORDER BY 1, 2`,
		`SELECT version_id FROM backlog ORDER BY 1`,
		`SELECT id, version_id, state FROM reviews ORDER BY 1`,
	} {
		rows, err := db.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintln(h, vals...)
		}
		rows.Close()
	}
	seq, head, err := laptop.DownState(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(h, seq, head)
	return fmt.Sprintf("%x", h.Sum(nil)[:8])
}

// visitOn makes and finishes a visit on the laptop.
func visitOn(t *testing.T, f field, name, uscc string) survey.Visit {
	t.Helper()
	forms, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	form, _ := forms.Latest("visit")
	e, err := f.db.SaveEnterprise(ctx, survey.Enterprise{Name: name, USCC: uscc, District: "市南区"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.db.CreateVisit(ctx, e.ID, form)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers(time.Now().Format("2006-01-02"), 1)
	v, problems, err := f.db.FinalizeVisit(ctx, v, form)
	if err != nil || len(problems) > 0 {
		t.Fatalf("finalize: %v %v", problems, err)
	}
	return v
}

func decide(t *testing.T, d *district.District, visitID string, dec survey.ReviewDecision, comment string, fields ...survey.FieldComment) {
	t.Helper()
	tip, err := d.DB().Tip(ctx, visitID)
	if err != nil {
		t.Fatal(err)
	}
	info, _, _ := d.DB().ReviewOf(ctx, visitID)
	if err := d.DB().Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.SaveReview(storage.ReviewInput{VisitID: visitID, VisitVersion: tip.VersionID, BaseReview: info.VersionID,
			Decision: dec, Comment: comment, Fields: fields, Reviewer: "王科长"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func stateOn(t *testing.T, db *storage.DB, visitID string) (survey.ReviewState, survey.Review) {
	t.Helper()
	info, ok, err := db.ReviewOf(ctx, visitID)
	if err != nil || !ok {
		t.Fatalf("no review of %s: %v", visitID, err)
	}
	return info.State, info.Review
}

// The review loop at the library level, both ways: laptop A syncs over
// HTTP (push also fetches), laptop B by USB files; the district returns
// each visit with a comment on one answer, the team edits it, the district
// sees the change and approves. Down bundles that are for another laptop,
// damaged, repeated or out of order change nothing on a laptop, whether
// they come by USB or from a server.
func TestReviewLoop(t *testing.T) {
	var handler http.Handler
	var swap []byte // when set, every down fetch is answered with these bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if swap != nil && strings.HasSuffix(r.URL.Path, "/down") {
			w.Write(swap)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	d, err := district.Init(t.TempDir(), "市南区总工会", srv.URL, district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	handler = d.Handler(nil)
	a, b := newField(t, d, "张伟"), newField(t, d, "李娜")
	va := visitOn(t, a, "青岛海信电器股份有限公司", "91370200163562681G")
	vb := visitOn(t, b, "青岛啤酒股份有限公司", "91370200264582785K")

	if res, err := a.l.Push(ctx, a.db, srv.Client(), nil); err != nil || res.Delivered != 1 || len(res.Fetched.Bundles) != 0 {
		t.Fatalf("first push: %+v %v", res, err)
	}
	for _, r := range exportUSB(t, d, b) {
		b.l.ApplyReceipt(ctx, b.db, r)
	}
	for _, v := range []survey.Visit{va, vb} {
		if info, ok, _ := d.DB().ReviewOf(ctx, v.ID); ok {
			t.Fatalf("reviewed before anyone looked: %+v", info)
		}
		decide(t, d, v.ID, survey.ReviewReturned, "谈话人数与记录不符", survey.FieldComment{Path: "workers_interviewed", Comment: "请核实谈话人数"})
	}

	// A: one push brings the return back.
	res, err := a.l.Push(ctx, a.db, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Fetched.Summary; len(res.Fetched.Bundles) != 1 || s.Returned != 1 || !strings.Contains(res.Message(), "退回修改的走访记录 1 条") {
		t.Errorf("push brought back %+v: %s", res.Fetched, res.Message())
	}
	if st, r := stateOn(t, a.db, va.ID); st != survey.ReviewStateReturn || r.FieldComment("workers_interviewed") != "请核实谈话人数" {
		t.Errorf("laptop A: %s %+v", st, r)
	}

	// B: a down bundle file from the district.
	usbB, _, err := d.ExportDown(ctx, b.l.DeviceID())
	if err != nil || usbB == nil {
		t.Fatal(err)
	}
	// The files of the wrong laptop, damaged or for someone else change
	// nothing on B.
	before := laptopDump(t, b.db)
	usbA, _, _ := d.ExportDown(ctx, a.l.DeviceID()) // nothing new for A
	if usbA != nil {
		t.Fatalf("A was sent the return twice")
	}
	for name, bad := range map[string][]byte{
		"flipped byte":  flip(usbB, len(usbB)/2),
		"flipped sig":   flip(usbB, len(usbB)-3),
		"truncated":     usbB[:len(usbB)-10],
		"trailing data": append(bytes.Clone(usbB), 0),
	} {
		if _, err := b.l.Import(ctx, b.db, bad); err == nil {
			t.Errorf("%s: imported", name)
		}
		if laptopDump(t, b.db) != before {
			t.Errorf("%s changed laptop B", name)
		}
	}
	dir := t.TempDir()
	kept, err := d.DownBundle(ctx, a.l.DeviceID(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.l.Import(ctx, b.db, kept); err == nil || !strings.Contains(err.Error(), "其他设备") {
		t.Errorf("A's down bundle on B: %v", err)
	}
	if laptopDump(t, b.db) != before {
		t.Error("A's down bundle changed laptop B")
	}
	path := filepath.Join(dir, "下发.zfb")
	os.WriteFile(path, usbB, 0o600)
	got, err := b.l.Import(ctx, b.db, usbB)
	if err != nil || got.Down.Summary.Returned != 1 {
		t.Fatalf("B import: %+v %v", got.Down, err)
	}
	if st, _ := stateOn(t, b.db, vb.ID); st != survey.ReviewStateReturn {
		t.Errorf("laptop B: %s", st)
	}
	after := laptopDump(t, b.db)
	if got, err := b.l.Import(ctx, b.db, usbB); err != nil || !got.Down.Duplicate || laptopDump(t, b.db) != after {
		t.Errorf("the same file twice: %+v %v", got.Down, err)
	}

	// Both teams answer the comment.
	for _, f := range []field{a, b} {
		v := va
		if f.db == b.db {
			v = vb
		}
		v, _ = f.db.Visit(ctx, v.ID)
		v.Answers["workers_interviewed"] = "3"
		v.EditReason = "按区总工会审核意见修改"
		if _, err := f.db.SaveVisit(ctx, v); err != nil {
			t.Fatal(err)
		}
		if st, _ := stateOn(t, f.db, v.ID); st != survey.ReviewResubmitted {
			t.Errorf("after the edit: %s", st)
		}
	}
	if _, err := a.l.Push(ctx, a.db, srv.Client(), nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range exportUSB(t, d, b) {
		b.l.ApplyReceipt(ctx, b.db, r)
	}
	for _, v := range []survey.Visit{va, vb} {
		if st, _ := stateOn(t, d.DB(), v.ID); st != survey.ReviewResubmitted {
			t.Errorf("district sees %s", st)
		}
		decide(t, d, v.ID, survey.ReviewApproved, "")
	}

	// B gets two down bundles: the approval, then a ledger 研判.
	approval, _, _ := d.ExportDown(ctx, b.l.DeviceID())
	items, _ := d.DB().LedgerItems(ctx, storage.LedgerFilter{VisitID: vb.ID})
	if len(items) != 1 {
		t.Fatalf("ledger items of B's visit: %d", len(items))
	}
	_, ver, _, _ := d.DB().LedgerItemVersion(ctx, items[0].ID)
	if err := d.DB().Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.EditLedgerItem(items[0].ID, ver, func(x *survey.LedgerItem) error {
			x.Assessment, x.Route, x.AssessedBy, x.AssessedAt = "属实", survey.RouteInternal, "王科长", tx.Now()
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	assessed, _, _ := d.ExportDown(ctx, b.l.DeviceID())
	before = laptopDump(t, b.db)
	if _, err := b.l.Import(ctx, b.db, assessed); err == nil || laptopDump(t, b.db) != before {
		t.Errorf("bundle 3 before 2: %v", err)
	}
	for _, f := range [][]byte{approval, assessed, approval} {
		if _, err := b.l.Import(ctx, b.db, f); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := stateOn(t, b.db, vb.ID); st != survey.ReviewStateOK {
		t.Errorf("laptop B after the approval: %s", st)
	}
	if it, _ := b.db.LedgerItem(ctx, items[0].ID); it.Route != survey.RouteInternal {
		t.Errorf("laptop B ledger item: %+v", it)
	}

	// A server that answers A's fetch with B's bundle changes nothing on A.
	before = laptopDump(t, a.db)
	swap = approval
	if _, err := a.l.Fetch(ctx, a.db, srv.Client()); err == nil || !strings.Contains(err.Error(), "其他设备") {
		t.Errorf("B's bundle fetched by A: %v", err)
	}
	swap = flip(approval, 200)
	if _, err := a.l.Fetch(ctx, a.db, srv.Client()); err == nil {
		t.Error("a damaged fetched bundle was applied")
	}
	if laptopDump(t, a.db) != before {
		t.Error("bad answers changed laptop A")
	}
	swap = nil
	res, err = a.l.Push(ctx, a.db, srv.Client(), nil)
	if err != nil || res.Fetched.Summary.Approved != 1 {
		t.Fatalf("A's last push: %+v %v", res.Fetched, err)
	}
	if st, _ := stateOn(t, a.db, va.ID); st != survey.ReviewStateOK {
		t.Errorf("laptop A after the approval: %s", st)
	}
	delivered(t, a)
	delivered(t, b)
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x10
	return c
}

// A laptop offline for weeks: the district sealed three down bundles
// meanwhile (an assignment, a return, a 研判), none delivered. One push
// brings them all, in order, and what the district decided since; asking
// again brings nothing.
func TestOfflineLaptopCatchesUpInOrder(t *testing.T) {
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	d, err := district.Init(t.TempDir(), "市南区总工会", srv.URL, district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	handler = d.Handler(nil)
	a := newField(t, d, "张伟")
	v := visitOn(t, a, "青岛海信电器股份有限公司", "91370200163562681G")
	if _, err := a.l.Push(ctx, a.db, srv.Client(), nil); err != nil {
		t.Fatal(err)
	}
	// Weeks without network: the district goes on.
	e, err := d.DB().SaveEnterprise(ctx, survey.Enterprise{Name: "青岛啤酒股份有限公司", USCC: "91370200264582785K", District: "市北区"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Assign(ctx, a.l.DeviceID(), []string{e.ID}); err != nil {
		t.Fatal(err)
	}
	sealed := func() {
		t.Helper()
		if data, _, err := d.ExportDown(ctx, a.l.DeviceID()); err != nil || data == nil {
			t.Fatalf("export down: %v", err)
		}
	}
	sealed()
	decide(t, d, v.ID, survey.ReviewReturned, "请补充诉求")
	sealed()
	items, _ := d.DB().LedgerItems(ctx, storage.LedgerFilter{VisitID: v.ID})
	_, ver, _, _ := d.DB().LedgerItemVersion(ctx, items[0].ID)
	if err := d.DB().Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.EditLedgerItem(items[0].ID, ver, func(x *survey.LedgerItem) error {
			x.Assessment, x.Route, x.AssessedBy, x.AssessedAt = "属实", survey.RouteCollective, "王科长", tx.Now()
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	sealed()
	decide(t, d, v.ID, survey.ReviewReturned, "另请写明涉及人数") // not sealed yet: FetchDown seals it

	res, err := a.l.Push(ctx, a.db, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, b := range res.Fetched.Bundles {
		seqs = append(seqs, b.Seq)
	}
	if fmt.Sprint(seqs) != "[1 2 3 4]" || res.Fetched.Summary.Assigned != 1 || res.Fetched.Summary.Returned < 1 || res.Fetched.Summary.Assessed != 1 {
		t.Fatalf("fetched %v, %+v", seqs, res.Fetched.Summary)
	}
	if _, r := stateOn(t, a.db, v.ID); r.Comment != "另请写明涉及人数" {
		t.Errorf("the latest return is %q", r.Comment)
	}
	if it, _ := a.db.LedgerItem(ctx, items[0].ID); it.Route != survey.RouteCollective {
		t.Errorf("研判 not applied: %+v", it)
	}
	res, err = a.l.Push(ctx, a.db, srv.Client(), nil)
	if err != nil || len(res.Fetched.Bundles) != 0 || !strings.Contains(res.Message(), "区总工会没有新的下发内容") {
		t.Errorf("second push: %+v %v", res.Fetched, err)
	}
}

// Down bundles that carry reviews and 研判 but are damaged, for another
// laptop, from another district, out of order or a replay change nothing
// on the laptop, whether they come by USB (Import) or from a server that
// lies (Fetch); the same bundles in order then apply once.
func TestBadDownBundlesChangeNothing(t *testing.T) {
	var handler http.Handler
	var swap []byte // when set, every down fetch is answered with these bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if swap != nil && strings.HasSuffix(r.URL.Path, "/down") {
			w.Write(swap)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	d, err := district.Init(t.TempDir(), "市南区总工会", srv.URL, district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	handler = d.Handler(nil)
	a, b := newField(t, d, "张伟"), newField(t, d, "李娜")
	v := visitOn(t, a, "青岛海信电器股份有限公司", "91370200163562681G")
	if _, err := a.l.Push(ctx, a.db, srv.Client(), nil); err != nil {
		t.Fatal(err)
	}

	// Three down bundles for A: a return, a 研判, a second return.
	seal := func(device string) []byte {
		t.Helper()
		data, _, err := d.ExportDown(ctx, device)
		if err != nil || data == nil {
			t.Fatalf("export down: %v", err)
		}
		return data
	}
	decide(t, d, v.ID, survey.ReviewReturned, "请补充诉求", survey.FieldComment{Path: "workers_interviewed", Comment: "请核实谈话人数"})
	b1 := seal(a.l.DeviceID())
	items, _ := d.DB().LedgerItems(ctx, storage.LedgerFilter{VisitID: v.ID})
	if len(items) == 0 {
		t.Fatal("no ledger item")
	}
	_, ver, _, _ := d.DB().LedgerItemVersion(ctx, items[0].ID)
	if err := d.DB().Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.EditLedgerItem(items[0].ID, ver, func(x *survey.LedgerItem) error {
			x.Assessment, x.Route, x.AssessedBy, x.AssessedAt = "属实", survey.RouteLegalAid, "王科长", tx.Now()
			return nil
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b2 := seal(a.l.DeviceID())
	decide(t, d, v.ID, survey.ReviewReturned, "另请写明涉及人数")
	b3 := seal(a.l.DeviceID())

	// B's bundle (an assignment), and one from another district that
	// enrolled A's key too: sealed to A, signed by a key A does not trust.
	e, err := d.DB().SaveEnterprise(ctx, survey.Enterprise{Name: "青岛啤酒股份有限公司", USCC: "91370200264582785K", District: "市北区"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Assign(ctx, b.l.DeviceID(), []string{e.USCC}); err != nil {
		t.Fatal(err)
	}
	forB := seal(b.l.DeviceID())
	other, err := district.Init(t.TempDir(), "市北区总工会", "", district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	req, err := a.l.Request(laptop.Who{DeviceName: "张伟的笔记本", Investigator: "张伟", District: "市北区总工会"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Enroll(req); err != nil {
		t.Fatal(err)
	}
	oe, err := other.DB().SaveEnterprise(ctx, survey.Enterprise{Name: "青岛港湾机械有限公司", USCC: "91370200163562681G", District: "市北区"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Assign(ctx, a.l.DeviceID(), []string{oe.USCC}); err != nil {
		t.Fatal(err)
	}
	foreign, _, err := other.ExportDown(ctx, a.l.DeviceID())
	if err != nil || foreign == nil {
		t.Fatalf("the other district's down bundle: %v", err)
	}

	bad := []struct {
		name, want string
		data       []byte
	}{
		{"flipped byte", "下发包", flip(b1, len(b1)/2)},
		{"flipped signature", "下发包", flip(b1, len(b1)-3)},
		{"truncated", "下发包", b1[:len(b1)-10]},
		{"for laptop B", "其他设备", forB},
		{"from another district", "不是区总工会签发", foreign},
		{"second before first", "缺少第 1 号", b2},
		{"third before first", "缺少第 1 至 2 号", b3},
	}
	before := laptopDump(t, a.db)
	for _, tt := range bad {
		if _, err := a.l.Import(ctx, a.db, tt.data); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("USB, %s: %v, want an error with %q", tt.name, err, tt.want)
		}
		if laptopDump(t, a.db) != before {
			t.Errorf("USB, %s: changed the laptop", tt.name)
		}
		swap = tt.data
		if res, err := a.l.Fetch(ctx, a.db, srv.Client()); err == nil || len(res.Bundles) != 0 {
			t.Errorf("server answering %s: %+v %v", tt.name, res, err)
		}
		if laptopDump(t, a.db) != before {
			t.Errorf("server answering %s: changed the laptop", tt.name)
		}
	}

	// The first, then the third skipping the second: refused either way.
	swap = nil
	if _, err := a.l.Import(ctx, a.db, b1); err != nil {
		t.Fatal(err)
	}
	before = laptopDump(t, a.db)
	if _, err := a.l.Import(ctx, a.db, b3); err == nil || laptopDump(t, a.db) != before {
		t.Errorf("USB, third after first: %v", err)
	}
	swap = b3
	if _, err := a.l.Fetch(ctx, a.db, srv.Client()); err == nil || laptopDump(t, a.db) != before {
		t.Errorf("server answering the third after the first: %v", err)
	}

	// A real fetch brings the rest in order, once.
	swap = nil
	res, err := a.l.Fetch(ctx, a.db, srv.Client())
	if err != nil || len(res.Bundles) != 2 || res.Bundles[0].Seq != 2 || res.Bundles[1].Seq != 3 {
		t.Fatalf("fetch: %+v %v", res, err)
	}
	if _, r := stateOn(t, a.db, v.ID); r.Comment != "另请写明涉及人数" {
		t.Errorf("the latest return is %q", r.Comment)
	}
	if it, _ := a.db.LedgerItem(ctx, items[0].ID); it.Route != survey.RouteLegalAid {
		t.Errorf("研判 not applied: %+v", it)
	}

	// Replays, by USB and from the server: nothing changes again.
	before = laptopDump(t, a.db)
	for i, old := range [][]byte{b1, b2, b3} {
		if got, err := a.l.Import(ctx, a.db, old); err != nil || !got.Down.Duplicate {
			t.Errorf("USB, bundle %d again: %+v %v", i+1, got.Down, err)
		}
		if laptopDump(t, a.db) != before {
			t.Errorf("USB, bundle %d again: changed the laptop", i+1)
		}
		swap = old
		if _, err := a.l.Fetch(ctx, a.db, srv.Client()); err == nil || !strings.Contains(err.Error(), "重复") {
			t.Errorf("server replaying bundle %d: %v", i+1, err)
		}
		if laptopDump(t, a.db) != before {
			t.Errorf("server replaying bundle %d: changed the laptop", i+1)
		}
	}
	if _, r := stateOn(t, a.db, v.ID); r.Comment != "另请写明涉及人数" {
		t.Errorf("a replay brought back the first return: %q", r.Comment)
	}
}
