package district_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"zoufang/assets"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
	"zoufang/sync/laptop"
)

var ctx = context.Background()

type field struct {
	l  *laptop.Laptop
	db *storage.DB
}

func newField(t *testing.T, d *district.District, name string) field {
	t.Helper()
	dir := t.TempDir()
	l, err := laptop.Open(dir, laptop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: l.DeviceID(), Author: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	req, err := l.Request(laptop.Who{DeviceName: name + "的笔记本", Investigator: name, District: d.Name()})
	if err != nil {
		t.Fatal(err)
	}
	trust, fp, err := d.Enroll(req)
	if err != nil {
		t.Fatal(err)
	}
	if fp != l.Fingerprint() {
		t.Fatalf("district shows fingerprint %s, laptop %s", fp, l.Fingerprint())
	}
	if _, _, err := l.AcceptTrust(trust); err != nil {
		t.Fatal(err)
	}
	return field{l, db}
}

// exportUSB exports the laptop's pending bundles to a folder and imports
// them at the district, returning the receipts written for the laptop.
func exportUSB(t *testing.T, d *district.District, f field) [][]byte {
	t.Helper()
	usb := t.TempDir() + string(os.PathSeparator)
	_, files, err := f.l.ExportTo(ctx, f.db, usb, nil)
	if err != nil {
		t.Fatal(err)
	}
	var receipts [][]byte
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res := d.Import(ctx, data)
		if res.Receipt == nil {
			t.Fatalf("%s: %s %s", filepath.Base(p), res.Decision, res.Message)
		}
		receipts = append(receipts, res.Receipt)
	}
	return receipts
}

func delivered(t *testing.T, f field) {
	t.Helper()
	st, err := f.l.State(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Undelivered != 0 {
		t.Errorf("laptop %s: %d versions not delivered", f.l.DeviceID()[:8], st.Undelivered)
	}
}

// Two laptops, one district: enrol, collect, send by USB and by HTTP,
// duplicates, the same visit edited on both laptops, the conflict resolved
// at the district, receipts back, everything delivered.
func TestEndToEnd(t *testing.T) {
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
	forms, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	visitForm, _ := forms.Latest("visit")

	// Laptop A visits an enterprise and sends it by USB stick.
	e, err := a.db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G", District: "市南区"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.db.CreateVisit(ctx, e.ID, visitForm)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers(time.Now().Format("2006-01-02"), 2)
	if v, _, err = a.db.FinalizeVisit(ctx, v, visitForm); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.AddResponse(ctx, survey.Response{EnterpriseID: e.ID, VisitID: v.ID, FormID: "worker_questionnaire", FormVersion: 1, Answers: survey.Answers{"sat_overall": "5"}}); err != nil {
		t.Fatal(err)
	}
	receipts := exportUSB(t, d, a)
	// The same bundle again (USB and then HTTP): a duplicate, nothing new.
	before := countVersions(t, d.DB())
	// Before the receipt came back by USB, the laptop also uploads: the
	// district answers 200 with the receipt.
	if _, err := a.l.Push(ctx, a.db, srv.Client(), nil); err != nil {
		t.Fatalf("push of an already imported bundle: %v", err)
	}
	for _, r := range receipts {
		if _, err := a.l.ApplyReceipt(ctx, a.db, r); err != nil {
			t.Fatal(err)
		}
	}
	delivered(t, a)
	if after := countVersions(t, d.DB()); after != before {
		t.Errorf("re-sent bundle added %d versions", after-before)
	}
	if got, err := d.DB().Visit(ctx, v.ID); err != nil || got.Status != survey.VisitFinalized {
		t.Fatalf("district visit: %+v %v", got.Status, err)
	}

	// Laptop B is assigned the enterprise and receives its records.
	b := newField(t, d, "李娜")
	if _, err := d.Assign(ctx, b.l.DeviceID(), []string{e.USCC}); err != nil {
		t.Fatal(err)
	}
	down, n, err := d.ExportDown(ctx, b.l.DeviceID())
	if err != nil || down == nil {
		t.Fatalf("ExportDown: %d %v", n, err)
	}
	if _, err := b.l.Import(ctx, b.db, down); err != nil {
		t.Fatal(err)
	}
	vb, err := b.db.Visit(ctx, v.ID)
	if err != nil {
		t.Fatalf("laptop B did not receive the visit: %v", err)
	}

	// Both laptops edit the same field of the same visit.
	v.EditReason, vb.EditReason = "补充", "补充"
	v.Answers["difficulties_note"] = "订单恢复七成（张伟）"
	vb.Answers["difficulties_note"] = "订单恢复五成（李娜）"
	if _, err := a.db.SaveVisit(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.SaveVisit(ctx, vb); err != nil {
		t.Fatal(err)
	}
	// A by USB, B over HTTP.
	for _, r := range exportUSB(t, d, a) {
		a.l.ApplyReceipt(ctx, a.db, r)
	}
	if _, err := b.l.Push(ctx, b.db, srv.Client(), nil); err != nil {
		t.Fatalf("push: %v", err)
	}
	cs, err := d.Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].RecordID != v.ID || !cs[0].Hard {
		t.Fatalf("conflicts %+v, want one hard conflict on the visit", cs)
	}
	var pick string
	for _, h := range cs[0].Heads {
		if h.DeviceID == b.l.DeviceID() {
			pick = h.VersionID
		}
	}
	if _, err := d.Resolve(ctx, v.ID, pick, nil, "王主任", "电话核实，以李娜记录为准"); err != nil {
		t.Fatal(err)
	}
	if cs, _ := d.Conflicts(ctx); len(cs) != 0 {
		t.Errorf("conflict still open: %+v", cs)
	}
	got, _ := d.DB().Visit(ctx, v.ID)
	if got.Answers["difficulties_note"] != "订单恢复五成（李娜）" {
		t.Errorf("resolved visit says %v", got.Answers["difficulties_note"])
	}
	// The resolution travels down to B.
	down, _, err = d.ExportDown(ctx, b.l.DeviceID())
	if err != nil || down == nil {
		t.Fatalf("second ExportDown: %v", err)
	}
	if _, err := b.l.Import(ctx, b.db, down); err != nil {
		t.Fatal(err)
	}
	if hs, _ := b.db.Heads(ctx, v.ID); len(hs) != 1 {
		t.Errorf("laptop B still has %d heads after the resolution came down", len(hs))
	}
	delivered(t, a)
	delivered(t, b)
	// The anonymous response reached the district without a device.
	rs, _ := d.DB().Responses(ctx, storage.ResponseFilter{VisitID: v.ID})
	if len(rs) != 1 {
		t.Errorf("%d responses at the district, want 1", len(rs))
	}
}

func countVersions(t *testing.T, db *storage.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM versions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue 10, finding 3 (laptop side): a district that answers 503 (busy)
// is tried again after its Retry-After, and a push whose first receipt
// already acknowledges later bundles (they reached the district by USB)
// treats them as done instead of failing on them.
func TestPushRetriesBusyAndSkipsAcknowledgedBundles(t *testing.T) {
	var handler http.Handler
	busy := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && busy > 0 {
			busy--
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"区总工会服务器忙，请稍后再试","code":"busy"}`, http.StatusServiceUnavailable)
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

	dir := t.TempDir()
	l, err := laptop.Open(dir, laptop.Options{MaxBundleVersions: 1})
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: l.DeviceID(), Author: "张伟"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	req, _ := l.Request(laptop.Who{DeviceName: "张伟的笔记本", Investigator: "张伟", District: d.Name()})
	trust, _, err := d.Enroll(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.AcceptTrust(trust); err != nil {
		t.Fatal(err)
	}
	for _, e := range survey.FakeRoster(3, 1) {
		if _, err := db.SaveEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	usb := t.TempDir() + string(os.PathSeparator)
	_, files, err := l.ExportTo(ctx, db, usb, nil)
	if err != nil || len(files) != 3 {
		t.Fatalf("export: %d files, %v; want 3 bundles", len(files), err)
	}
	// Bundles 2 and 3 reach the district by USB; their receipt never
	// comes back to the laptop.
	for _, p := range files[1:] {
		if res := d.ImportFile(ctx, p); res.Decision != district.Backlogged {
			t.Fatalf("%s: %s %s", filepath.Base(p), res.Decision, res.Message)
		}
	}
	res, err := l.Push(ctx, db, srv.Client(), nil)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if res.Sent != 1 || res.Delivered != 3 || busy != 0 {
		t.Errorf("push sent %d, delivered %d (503 answers left %d); want 1 sent after two 503s, 3 delivered", res.Sent, res.Delivered, busy)
	}
	if dv, _ := d.Device(ctx, l.DeviceID()); dv.Seq != 3 {
		t.Errorf("district has seq %d, want 3", dv.Seq)
	}
	delivered(t, field{l, db})
}

// A form version published at the district reaches a laptop in its down
// bundle (USB file), becomes the version the laptop's registry offers for
// new records, and responses filled on it and on the old version are both
// accepted back at the district.
func TestPublishedFormReachesLaptop(t *testing.T) {
	d, err := district.Init(t.TempDir(), "市南区总工会", "", district.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a := newField(t, d, "张伟")
	data, err := os.ReadFile("../../survey/testdata/forms/worker_questionnaire.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := survey.ParseForm(data)
	if err != nil {
		t.Fatal(err)
	}
	reg := storage.NewRegistry(a.db)
	forms, err := reg.Forms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := forms.Latest("worker_questionnaire")
	e, err := a.db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G", District: "市南区"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.AddResponse(ctx, survey.Response{EnterpriseID: e.ID, FormID: v1.ID, FormVersion: v1.Version, Answers: survey.Answers{"sat_services": "4"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PublishForm(ctx, v2, "王主任", "职工问卷.xlsx"); err != nil {
		t.Fatal(err)
	}
	down, n, err := d.ExportDown(ctx, a.l.DeviceID())
	if err != nil || n != 2 {
		t.Fatalf("ExportDown = %d versions, %v", n, err)
	}
	usb := filepath.Join(t.TempDir(), "下发-1.zfb")
	if err := os.WriteFile(usb, down, 0o600); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(usb)
	res, err := a.l.Import(ctx, a.db, file)
	if err != nil {
		t.Fatal(err)
	}
	if res.Down.Put.Applied != 2 {
		t.Errorf("laptop applied %d versions, want 2", res.Down.Put.Applied)
	}
	forms, _ = reg.Forms(ctx)
	camp, _ := reg.Campaign(ctx)
	newest, _ := forms.Latest(camp.Forms.Worker.ID)
	if newest.Version != 2 || camp.Forms.Worker.Version != 2 {
		t.Fatalf("laptop: newest worker questionnaire v%d, campaign names v%d", newest.Version, camp.Forms.Worker.Version)
	}
	if _, err := a.db.AddResponse(ctx, survey.Response{EnterpriseID: e.ID, FormID: newest.ID, FormVersion: newest.Version, Answers: survey.Answers{"sat_skills": "5"}}); err != nil {
		t.Fatal(err)
	}
	// The laptop never sends the form back: only its own two responses.
	exportUSB(t, d, a)
	rs, err := d.DB().Responses(ctx, storage.ResponseFilter{EnterpriseID: e.ID})
	if err != nil || len(rs) != 2 {
		t.Fatalf("district has %d responses (%v), want 2", len(rs), err)
	}
	vs, _ := d.DB().ResponseVersions(ctx)
	if vs[survey.FormRef{ID: "worker_questionnaire", Version: 1}] != 1 || vs[survey.FormRef{ID: "worker_questionnaire", Version: 2}] != 1 {
		t.Errorf("district response versions: %v", vs)
	}
	// The same down bundle again changes nothing.
	if res, err := a.l.Import(ctx, a.db, file); err != nil || !res.Down.Duplicate {
		t.Errorf("second import of the down bundle: %+v %v", res.Down, err)
	}
}
