package district

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

var ctx = context.Background()

var testNow = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func newDistrict(t testing.TB) *District {
	t.Helper()
	d, err := Init(t.TempDir(), "市南区总工会", "", Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// laptop is a test device: keys, id and its bundle stream.
type laptop struct {
	id   string
	keys *sync.Keys
	seq  uint64
	prev sync.Hash
	// ent is the enterprise the laptop's visits are of ("e1" when empty,
	// an enterprise the district does not have).
	ent string
}

func enrol(t testing.TB, d *District, name string) *laptop {
	t.Helper()
	k, err := sync.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	l := &laptop{id: uuid.NewString(), keys: k}
	req, err := sync.NewEnrollRequest(sync.EnrollRequest{DeviceID: l.id, DeviceName: name + "的笔记本", Investigator: name, District: "市南区总工会", Created: testNow}, k)
	if err != nil {
		t.Fatal(err)
	}
	trust, fp, err := d.Enroll(req)
	if err != nil {
		t.Fatal(err)
	}
	if fp != k.Public().Fingerprint() {
		t.Errorf("fingerprint %s, want %s", fp, k.Public().Fingerprint())
	}
	if _, err := sync.AcceptTrust(nil, trust, testNow); err != nil {
		t.Fatalf("trust file: %v", err)
	}
	return l
}

// bundle seals the laptop's next bundle.
func (l *laptop) bundle(t testing.TB, d *District, vs ...survey.Version) []byte {
	t.Helper()
	l.seq++
	h := sync.Header{Kind: sync.KindUp, DeviceID: l.id, Seq: l.seq, Prev: l.prev, Created: testNow}
	out, err := sync.Seal(h, sync.Payload{Versions: vs}, l.keys.Signing, d.keys.Public().Sealing)
	if err != nil {
		t.Fatal(err)
	}
	l.prev = sync.BundleHash(out)
	return out
}

// visit makes a visit version by the laptop.
func (l *laptop) visit(rec string, minute int, answers survey.Answers, parents ...string) survey.Version {
	ent := l.ent
	if ent == "" {
		ent = "e1"
	}
	p, _ := json.Marshal(survey.Visit{ID: rec, EnterpriseID: ent, FormID: "visit", FormVersion: 1, Status: survey.VisitDraft, Answers: answers})
	return survey.Version{RecordID: rec, VersionID: uuid.NewString(), Parents: parents, Kind: survey.KindVisit, FormID: "visit", FormVersion: 1,
		Author: "张伟", DeviceID: l.id, Created: testNow.Add(time.Duration(minute) * time.Minute), Payload: p}
}

// dump is a digest of every table, to prove a refusal wrote nothing.
func dump(t testing.TB, d *District) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT version_id, record_id FROM versions ORDER BY seq`,
		`SELECT record_id, version_id FROM heads ORDER BY 1, 2`,
		`SELECT version_id FROM backlog ORDER BY 1`,
		`SELECT id, version_id FROM visits ORDER BY 1`,
		`SELECT device_id, seq, hex(hash), state FROM district_bundles ORDER BY 1, 2, 3`,
		`SELECT id, seq, hex(head), revoked FROM district_devices ORDER BY 1`,
		`SELECT id FROM attachments ORDER BY 1`,
	} {
		rows, err := d.db.Query(ctx, q)
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
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	sum := sha256.Sum256([]byte(b.String()))
	return fmt.Sprintf("%x", sum[:8])
}

func mustImport(t testing.TB, d *District, data []byte, want Decision) Result {
	t.Helper()
	res := d.Import(ctx, data)
	if res.Decision != want {
		t.Fatalf("Import = %s (%d %s), want %s", res.Decision, res.Status, res.Message, want)
	}
	return res
}

func TestImportAppliesAndReceiptVerifies(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	rec := uuid.NewString()
	b1 := l.bundle(t, d, l.visit(rec, 0, survey.Answers{"a": "1"}))
	res := mustImport(t, d, b1, Applied)
	if res.Status != http.StatusCreated {
		t.Errorf("status %d, want 201", res.Status)
	}
	r, err := sync.VerifyReceipt(res.Receipt, d.keys.Public().Signing)
	if err != nil {
		t.Fatal(err)
	}
	if r.Seq != 1 || r.Head != sync.BundleHash(b1) || r.DeviceID != l.id {
		t.Errorf("receipt %+v", r)
	}
	if _, err := d.db.Visit(ctx, rec); err != nil {
		t.Errorf("visit not merged: %v", err)
	}
	before := dump(t, d)
	if res := mustImport(t, d, b1, Duplicate); res.Status != http.StatusOK {
		t.Errorf("duplicate status %d", res.Status)
	}
	if dump(t, d) != before {
		t.Error("duplicate import changed the database")
	}
}

func TestRefusedBundlesWriteNothing(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	other := enrol(t, d, "李娜")
	good := l.bundle(t, d, l.visit(uuid.NewString(), 0, survey.Answers{"a": "1"}))
	before := dump(t, d)

	check := func(name string, data []byte, status int) {
		t.Helper()
		res := d.Import(ctx, data)
		if res.Decision != Refused {
			t.Errorf("%s: decision %s, want refused", name, res.Decision)
		}
		if status != 0 && res.Status != status {
			t.Errorf("%s: status %d, want %d (%s)", name, res.Status, status, res.Message)
		}
		if dump(t, d) != before {
			t.Fatalf("%s: refused bundle changed the database", name)
		}
	}
	for i := 0; i < len(good); i += 61 {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(good)
			bad[i] ^= bit
			check(fmt.Sprintf("bit flip at %d", i), bad, 0)
		}
	}
	for _, n := range []int{0, 4, 50, 98, len(good) / 2, len(good) - 1} {
		check(fmt.Sprintf("truncated to %d", n), good[:n], 0)
	}
	check("trailing garbage", append(bytes.Clone(good), 0), 0)

	// Another enrolled device re-signs a bundle under its own key but
	// claims to be the first laptop.
	forged := &laptop{id: l.id, keys: other.keys}
	check("re-signed by another device", forged.bundle(t, d, l.visit(uuid.NewString(), 1, nil)), http.StatusForbidden)

	stranger := &laptop{id: uuid.NewString(), keys: l.keys}
	check("unknown device", stranger.bundle(t, d), http.StatusForbidden)

	d.lim.MaxBundle = 64
	check("too large", good, http.StatusRequestEntityTooLarge)
	d.lim = sync.DefaultLimits()

	mustImport(t, d, good, Applied)
	before = dump(t, d)
	// A second seq 1 from another device's key is refused, not stored.
	check("next seq signed by another device", (&laptop{id: l.id, keys: other.keys, seq: 1, prev: sync.BundleHash(good)}).bundle(t, d), http.StatusForbidden)
}

// The next seq with a prev hash that is not the stored head is signed by
// the device: it is kept aside for a person, not merged.
func TestWrongPrevIsQuarantined(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	mustImport(t, d, l.bundle(t, d, l.visit(uuid.NewString(), 0, nil)), Applied)
	wrongPrev := &laptop{id: l.id, keys: l.keys, seq: 1, prev: sync.Hash{1}}
	res := mustImport(t, d, wrongPrev.bundle(t, d, l.visit(uuid.NewString(), 3, nil)), Quarantined)
	if res.Status != http.StatusConflict || res.Code != CodePrevMismatch {
		t.Errorf("status %d code %s, want 409 %s", res.Status, res.Code, CodePrevMismatch)
	}
	var n int
	d.db.QueryRow(ctx, `SELECT count(*) FROM versions`).Scan(&n)
	if dv, _ := d.Device(ctx, l.id); n != 1 || dv.Seq != 1 || dv.Quarantined != 1 {
		t.Errorf("versions %d, device %+v", n, dv)
	}
}

func TestBacklogThenBothApply(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	rec := uuid.NewString()
	v1 := l.visit(rec, 0, survey.Answers{"a": "1"})
	b1 := l.bundle(t, d, v1)
	b2 := l.bundle(t, d, l.visit(rec, 1, survey.Answers{"a": "2"}, v1.VersionID))
	res := mustImport(t, d, b2, Backlogged)
	if res.Status != http.StatusAccepted {
		t.Errorf("status %d, want 202", res.Status)
	}
	if _, err := d.db.Visit(ctx, rec); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("backlogged bundle merged early: %v", err)
	}
	mustImport(t, d, b2, Backlogged) // again: still waiting, no duplicate
	res = mustImport(t, d, b1, Applied)
	r, _ := sync.VerifyReceipt(res.Receipt, d.keys.Public().Signing)
	if r.Seq != 2 {
		t.Errorf("receipt seq %d, want 2", r.Seq)
	}
	v, _ := d.db.Visit(ctx, rec)
	if v.Answers["a"] != "2" {
		t.Errorf("tip answers %v, want a=2", v.Answers)
	}
	// An old bundle replayed never rolls back newer versions.
	mustImport(t, d, b1, Duplicate)
	if v, _ := d.db.Visit(ctx, rec); v.Answers["a"] != "2" {
		t.Errorf("replay rolled back to %v", v.Answers)
	}
}

func TestSameSeqDifferentContentIsQuarantined(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	b1 := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil))
	mustImport(t, d, b1, Applied)
	l.seq, l.prev = 0, sync.Hash{}
	b1x := l.bundle(t, d, l.visit(uuid.NewString(), 1, nil))
	var versions int
	d.db.QueryRow(ctx, `SELECT count(*) FROM versions`).Scan(&versions)
	if res := mustImport(t, d, b1x, Quarantined); res.Status != http.StatusConflict {
		t.Errorf("status %d, want 409", res.Status)
	}
	var after int
	d.db.QueryRow(ctx, `SELECT count(*) FROM versions`).Scan(&after)
	devs, _ := d.Devices(ctx)
	if after != versions || devs[0].Quarantined != 1 {
		t.Errorf("versions %d -> %d, quarantined %d", versions, after, devs[0].Quarantined)
	}
}

func TestRevokedDeviceIsQuarantined(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	if err := d.Revoke(l.id, "王主任", "笔记本丢失"); err != nil {
		t.Fatal(err)
	}
	res := mustImport(t, d, l.bundle(t, d, l.visit(uuid.NewString(), 0, nil)), Quarantined)
	if res.Status != http.StatusForbidden {
		t.Errorf("status %d, want 403", res.Status)
	}
	var n int
	d.db.QueryRow(ctx, `SELECT count(*) FROM versions`).Scan(&n)
	if n != 0 {
		t.Errorf("%d versions merged from a revoked device", n)
	}
}

// A failure inside the merge transaction leaves nothing partial, and is
// answered "try again", not "your bundle is bad".
func TestImportKilledMidwayLeavesNothing(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	data := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil), l.visit(uuid.NewString(), 1, nil))
	before := dump(t, d)
	d.afterMerge = func() error { return errors.New("power cut") }
	res := d.Import(ctx, data)
	if res.Decision != Retry || res.Status != http.StatusServiceUnavailable {
		t.Fatalf("failed merge answered %s %d %q, want retry 503", res.Decision, res.Status, res.Message)
	}
	if strings.Contains(res.Message, "power cut") {
		t.Errorf("internal error shown to the user: %q", res.Message)
	}
	if dump(t, d) != before {
		t.Error("failed merge left rows behind")
	}
	d.afterMerge = nil
	mustImport(t, d, data, Applied)
}

func TestConflictsAndResolution(t *testing.T) {
	d := newDistrict(t)
	a, b := enrol(t, d, "张伟"), enrol(t, d, "李娜")
	// Both may edit the visits: a made them, the enterprise is b's.
	e, err := d.db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Assign(ctx, b.id, []string{e.USCC}); err != nil {
		t.Fatal(err)
	}
	a.ent, b.ent = e.ID, e.ID
	rec, rec2 := uuid.NewString(), uuid.NewString()
	root := a.visit(rec, 0, survey.Answers{"x": "1", "y": "1"})
	root2 := a.visit(rec2, 0, survey.Answers{"x": "1", "y": "1"})
	mustImport(t, d, a.bundle(t, d, root, root2), Applied)
	// The same visit edited on both laptops: rec the same field (hard),
	// rec2 different fields (soft).
	mustImport(t, d, a.bundle(t, d, a.visit(rec, 5, survey.Answers{"x": "A", "y": "1"}, root.VersionID), a.visit(rec2, 5, survey.Answers{"x": "A", "y": "1"}, root2.VersionID)), Applied)
	mustImport(t, d, b.bundle(t, d, b.visit(rec, 6, survey.Answers{"x": "B", "y": "1"}, root.VersionID), b.visit(rec2, 6, survey.Answers{"x": "1", "y": "B"}, root2.VersionID)), Applied)
	cs, err := d.Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hard := map[string]bool{}
	for _, c := range cs {
		hard[c.RecordID] = c.Hard
	}
	if len(cs) != 2 || !hard[rec] || hard[rec2] {
		t.Fatalf("conflicts %+v, want rec hard and rec2 soft", cs)
	}
	if _, err := d.Resolve(ctx, rec, cs[0].Heads[0].VersionID, nil, "", ""); err == nil {
		t.Error("resolution without who and why accepted")
	}
	var pick string
	for _, c := range cs {
		if c.RecordID == rec {
			pick = c.Heads[1].VersionID
		}
	}
	v, err := d.Resolve(ctx, rec, pick, nil, "王主任", "与企业核实后以李娜记录为准")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Parents) != 2 {
		t.Errorf("resolution parents %v, want both heads", v.Parents)
	}
	if cs, _ := d.Conflicts(ctx); len(cs) != 1 || cs[0].RecordID != rec2 {
		t.Errorf("after resolve: %+v", cs)
	}
	log, _ := d.Log(ctx)
	if last := log[len(log)-1]; last.Actor != "王主任" || last.Target != rec || !strings.Contains(last.Reason, "李娜记录为准") {
		t.Errorf("log %+v", last)
	}
	// The resolution goes down to the laptops that work on the enterprise:
	// the enterprise's two versions, a's visits and their edits, and the
	// resolution.
	down, n, err := d.ExportDown(ctx, b.id)
	if err != nil || n != 7 {
		t.Fatalf("ExportDown = %d records, %v; want 7", n, err)
	}
	db, err := sync.ParseBundle(bytes.NewReader(down), sync.DefaultLimits())
	if err != nil || db.Verify(d.keys.Public().Signing) != nil {
		t.Fatalf("down bundle: %v", err)
	}
	if _, err := db.Open(b.keys.Sealing, sync.DefaultLimits()); err != nil {
		t.Errorf("laptop cannot open its down bundle: %v", err)
	}
	if again, _, _ := d.ExportDown(ctx, b.id); again != nil {
		t.Error("second ExportDown resent the same versions")
	}
}

func TestAnonymousResponsesStayAnonymous(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	resp := uuid.NewString()
	p, _ := json.Marshal(survey.Response{ID: resp, EnterpriseID: "e1", VisitID: "v1", FormID: "worker_questionnaire", FormVersion: 1, Kind: survey.RespondentWorker, Date: "2026-11-25", Answers: survey.Answers{"sat_overall": "5"}})
	v := survey.Version{RecordID: resp, VersionID: uuid.NewString(), Kind: survey.KindResponse, FormID: "worker_questionnaire", FormVersion: 1, Created: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Payload: p}
	mustImport(t, d, l.bundle(t, d, v), Applied)
	var n int
	d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles WHERE data IS NOT NULL`).Scan(&n)
	got, _ := d.db.Tip(ctx, resp)
	if n != 0 || got.DeviceID != "" || got.Author != "" {
		t.Errorf("response linked to a device: bundles with data %d, version device %q author %q", n, got.DeviceID, got.Author)
	}
}

// Twenty laptops upload 1 MB bundles at once; none is lost (those over the
// server's cap on simultaneous uploads are told to retry).
func TestConcurrentHTTPUploads(t *testing.T) {
	d := newDistrict(t)
	srv := httptest.NewServer(d.Handler(nil))
	defer srv.Close()
	const n = 20
	var wg gosync.WaitGroup
	errs := make(chan error, n)
	bodies := make([][]byte, n)
	lps := make([]*laptop, n)
	for i := range lps {
		lps[i] = enrol(t, d, fmt.Sprintf("调查员%d", i))
		var vs []survey.Version
		for j := 0; j < 40; j++ {
			noise := make([]byte, 25<<10) // incompressible, like photos
			rand.Read(noise)
			vs = append(vs, lps[i].visit(uuid.NewString(), j, survey.Answers{"note": hex.EncodeToString(noise)}))
		}
		bodies[i] = lps[i].bundle(t, d, vs...)
	}
	if len(bodies[0]) < 1<<20 {
		t.Fatalf("bundle is %d bytes, want ≥ 1 MB", len(bodies[0]))
	}
	for i := range lps {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// More than ServerOptions.MaxUploads at once are told to
			// come back (503 + Retry-After), as a laptop's push does.
			for {
				req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v1/devices/%s/bundles/1", srv.URL, lps[i].id), bytes.NewReader(bodies[i]))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				if resp.StatusCode != http.StatusCreated {
					errs <- fmt.Errorf("device %d: status %d", i, resp.StatusCode)
				}
				return
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var visits int
	d.db.QueryRow(ctx, `SELECT count(*) FROM visits`).Scan(&visits)
	if visits != n*40 {
		t.Errorf("%d visits merged, want %d", visits, n*40)
	}
	// Status codes of the API.
	put := func(dev string, seq int, body []byte) int {
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v1/devices/%s/bundles/%d", srv.URL, dev, seq), bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := put(lps[0].id, 1, bodies[0]); c != http.StatusOK {
		t.Errorf("duplicate upload: %d, want 200", c)
	}
	if c := put(lps[0].id, 1, []byte("garbage")); c != http.StatusBadRequest {
		t.Errorf("garbage upload: %d, want 400", c)
	}
}
