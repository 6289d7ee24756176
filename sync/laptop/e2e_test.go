package laptop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// district is what the end-to-end test needs from the district office.
type district interface {
	// Enroll takes a laptop's request file and returns the signed trust
	// file and the fingerprint shown on the district screen.
	Enroll(req []byte) (trust []byte, fingerprint string, err error)
	// Import takes an up bundle (USB path) and returns the HTTP status it
	// corresponds to and the signed receipt.
	Import(bundle []byte) (status int, receipt []byte, err error)
	// Receipt returns the current receipt of a device.
	Receipt(device string) ([]byte, error)
	Handler() http.Handler
	Conflicts() ([]storage.Conflict, error)
	Resolve(recordID, pickVersion, by, why string) error
	// ExportDown returns the device's next down bundle (nil: nothing new).
	ExportDown(device string) ([]byte, error)
	DB() *storage.DB
}

// field is one investigator's laptop in the test.
type field struct {
	name string
	lap  *Laptop
	db   *storage.DB
}

func newField(t *testing.T, name string) *field {
	t.Helper()
	dir := t.TempDir()
	l, err := Open(dir, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: testNow}
	db, err := storage.OpenDir(dir, storage.Options{Now: c.now, DeviceID: l.DeviceID(), Author: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &field{name: name, lap: l, db: db}
}

func (f *field) importFile(t *testing.T, data []byte) ImportResult {
	t.Helper()
	res, err := f.lap.Import(ctx, f.db, data)
	if err != nil {
		t.Fatalf("%s import %v: %v", f.name, sync.SniffFile(data), err)
	}
	return res
}

func (f *field) down(t *testing.T, d district) {
	t.Helper()
	b, err := d.ExportDown(f.lap.DeviceID())
	if err != nil {
		t.Fatalf("export down for %s: %v", f.name, err)
	}
	if b != nil {
		f.importFile(t, b)
	}
}

func (f *field) allDelivered(t *testing.T) {
	t.Helper()
	st, err := f.lap.State(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Undelivered != 0 || st.Count(StageDelivered) != len(st.Bundles) || st.Summary() != "全部数据已送达区总工会" {
		t.Errorf("%s: %d undelivered, stages %v, %q", f.name, st.Undelivered, stagesOf(st), st.Summary())
	}
}

func stagesOf(st Status) []string {
	var s []string
	for _, b := range st.Bundles {
		s = append(s, b.Stage().Label())
	}
	return s
}

func countVisits(t *testing.T, db *storage.DB) int {
	t.Helper()
	vs, err := db.Visits(context.Background(), storage.VisitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(vs)
}

func TestEndToEnd(t *testing.T) {
	d := newRefDistrict(t, t.TempDir())
	runEndToEnd(t, d, func(url string) { d.url = url })
}

// runEndToEnd: two laptops and one district. Enrol both, hand out the
// roster, collect, deliver by USB and by HTTP (and both for the same
// bundle), edit the same visit on both laptops, see and resolve the
// conflict at the district, send receipts and the resolution back, and end
// with everything delivered and both laptops agreeing.
func runEndToEnd(t *testing.T, d district, setURL func(string)) {
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	setURL(srv.URL)
	client := srv.Client()
	f := visitForm(t)

	// Enrolment: the fingerprints on both screens match.
	li, wang := newField(t, "李明"), newField(t, "王芳")
	for _, fl := range []*field{li, wang} {
		req, err := fl.lap.Request(Who{DeviceName: fl.name + "的笔记本", Investigator: fl.name, District: "市南区总工会"})
		if err != nil {
			t.Fatal(err)
		}
		trust, fp, err := d.Enroll(req)
		if err != nil {
			t.Fatalf("enroll %s: %v", fl.name, err)
		}
		if fp != fl.lap.Fingerprint() {
			t.Errorf("district shows %s, laptop %s", fp, fl.lap.Fingerprint())
		}
		if res := fl.importFile(t, trust); !res.TrustChanged {
			t.Errorf("%s: trust not stored", fl.name)
		}
	}

	// The district's roster with assignments goes down to both laptops.
	var ents []survey.Enterprise
	for i, fl := range []*field{li, wang} {
		e, err := d.DB().SaveEnterprise(ctx, survey.Enterprise{Name: []string{"青岛海信电器股份有限公司", "青岛啤酒第二有限公司"}[i],
			USCC: uscc(t, 700+i), District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 300, AssignedTo: fl.lap.DeviceID()})
		if err != nil {
			t.Fatal(err)
		}
		ents = append(ents, e)
	}
	li.down(t, d)
	wang.down(t, d)
	for _, fl := range []*field{li, wang} {
		if n, _ := fl.db.EnterpriseCount(ctx); n != 2 {
			t.Fatalf("%s has %d enterprises after the down bundle, want 2", fl.name, n)
		}
	}

	// Collect: 李明 finalizes a visit with a demand (→ ledger item) and a
	// worker questionnaire; 王芳 a visit.
	v, err := li.db.CreateVisit(ctx, ents[0].ID, f)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers = survey.SampleVisitAnswers("2026-11-25", 1)
	v, problems, err := li.db.FinalizeVisit(ctx, v, f)
	if err != nil || len(problems) > 0 {
		t.Fatalf("finalize: %v %v", problems, err)
	}
	if _, err := li.db.AddResponse(ctx, survey.Response{EnterpriseID: ents[0].ID, VisitID: v.ID, FormID: "worker_questionnaire", FormVersion: 1,
		Kind: survey.RespondentWorker, Date: "2026-11-25", Answers: survey.Answers{"awareness": "know", "sat_overall": "4"}}); err != nil {
		t.Fatal(err)
	}
	w, err := wang.db.CreateVisit(ctx, ents[1].ID, f)
	if err != nil {
		t.Fatal(err)
	}
	w.Answers = survey.SampleVisitAnswers("2026-11-25", 0)
	if _, err := wang.db.SaveVisit(ctx, w); err != nil {
		t.Fatal(err)
	}

	// 李明 by USB stick; the same bundle also goes up over HTTP before the
	// receipt is imported (USB then HTTP): one copy at the district.
	usb := t.TempDir()
	_, files, err := li.lap.ExportTo(ctx, li.db, usb, nil)
	if err != nil || len(files) != 1 {
		t.Fatalf("USB export: %v %v", files, err)
	}
	up, _ := os.ReadFile(files[0])
	code, receipt, err := d.Import(up)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("district import of 李明's bundle: %d %v", code, err)
	}
	res, err := li.lap.Push(ctx, li.db, client, nil)
	if err != nil || res.Sent != 1 || res.Delivered != 1 {
		t.Fatalf("HTTP resend of the USB bundle: %+v %v", res, err)
	}
	li.importFile(t, receipt) // an older receipt again: a no-op
	visitsAtDistrict := countVisits(t, d.DB())
	if visitsAtDistrict != 1 {
		t.Errorf("district has %d visits, want 1", visitsAtDistrict)
	}
	// And the USB file once more: a duplicate, nothing new.
	if code, _, err := d.Import(up); err != nil || code != http.StatusOK {
		t.Errorf("duplicate import: %d %v, want 200", code, err)
	}
	items, _ := d.DB().LedgerItems(ctx, storage.LedgerFilter{VisitID: v.ID})
	resp, _ := d.DB().Responses(ctx, storage.ResponseFilter{VisitID: v.ID})
	if countVisits(t, d.DB()) != 1 || len(items) != 1 || len(resp) != 1 {
		t.Errorf("district after duplicates: %d visits, %d ledger items, %d responses; want 1 1 1", countVisits(t, d.DB()), len(items), len(resp))
	}

	// 王芳 over HTTP.
	if res, err := wang.lap.Push(ctx, wang.db, client, nil); err != nil || res.Delivered != 1 {
		t.Fatalf("王芳 push: %+v %v", res, err)
	}
	if got := countVisits(t, d.DB()); got != 2 {
		t.Errorf("district has %d visits, want 2", got)
	}
	li.allDelivered(t)
	wang.allDelivered(t)

	// 王芳 receives 李明's visit and both correct the same field.
	wang.down(t, d)
	wv, err := wang.db.Visit(ctx, v.ID)
	if err != nil {
		t.Fatalf("李明's visit on 王芳's laptop: %v", err)
	}
	lv := v
	lv.Answers["workers_on_duty"], lv.EditReason = "95", "企业补报在岗人数"
	if _, err := li.db.SaveVisit(ctx, lv); err != nil {
		t.Fatal(err)
	}
	wv.Answers["workers_on_duty"], wv.EditReason = "88", "复核考勤表"
	if _, err := wang.db.SaveVisit(ctx, wv); err != nil {
		t.Fatal(err)
	}
	for _, fl := range []*field{li, wang} {
		if res, err := fl.lap.Push(ctx, fl.db, client, nil); err != nil || res.Delivered != 1 {
			t.Fatalf("%s push of the edit: %+v %v", fl.name, res, err)
		}
	}
	conflicts, err := d.Conflicts()
	if err != nil {
		t.Fatal(err)
	}
	if len(conflicts) != 1 || conflicts[0].RecordID != v.ID || len(conflicts[0].Heads) != 2 {
		t.Fatalf("district conflicts %+v, want the one visit with two heads", conflicts)
	}
	var pick string
	for _, h := range conflicts[0].Heads {
		if h.DeviceID == li.lap.DeviceID() {
			pick = h.VersionID
		}
	}
	if err := d.Resolve(v.ID, pick, "张科长", "电话核实，以李明记录为准"); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Conflicts(); len(c) != 0 {
		t.Fatalf("conflicts after resolving: %+v", c)
	}

	// The resolution goes down; receipts come back by USB; everything is
	// delivered and both laptops show the same visit.
	for _, fl := range []*field{li, wang} {
		fl.down(t, d)
		r, err := d.Receipt(fl.lap.DeviceID())
		if err != nil {
			t.Fatal(err)
		}
		fl.importFile(t, r)
		fl.allDelivered(t)
		got, err := fl.db.Visit(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Answers["workers_on_duty"] != "95" {
			t.Errorf("%s sees workers_on_duty %v, want 95 (the resolution)", fl.name, got.Answers["workers_on_duty"])
		}
		if c, _ := fl.db.Conflicts(ctx); len(c) != 0 {
			t.Errorf("%s still has conflicts: %+v", fl.name, c)
		}
		// Nothing new to send: the district's resolution is not the laptop's.
		if res, err := fl.lap.Export(ctx, fl.db); err != nil || len(res.New) != 0 {
			t.Errorf("%s export after the resolution: %+v %v", fl.name, res.New, err)
		}
	}
	dv, err := d.DB().Visit(ctx, v.ID)
	if err != nil || dv.Answers["workers_on_duty"] != "95" {
		t.Errorf("district visit %v %v", dv.Answers["workers_on_duty"], err)
	}
}
