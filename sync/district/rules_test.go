package district

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha512"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
	"zoufang/sync"
)

// response makes an anonymous questionnaire response version.
func response(rec string, created time.Time, answers survey.Answers) survey.Version {
	p, _ := json.Marshal(survey.Response{ID: rec, EnterpriseID: "e1", VisitID: "v1", FormID: "worker_questionnaire", FormVersion: 1,
		Kind: survey.RespondentWorker, Date: "2026-11-25", Answers: answers})
	return survey.Version{RecordID: rec, VersionID: uuid.NewString(), Kind: survey.KindResponse, FormID: "worker_questionnaire", FormVersion: 1,
		Created: created, Payload: p}
}

// deletion is a version deleting rec after parent.
func (l *laptop) deletion(rec, parent string) survey.Version {
	v := l.visit(rec, 30, nil, parent)
	v.Deleted, v.Payload = true, json.RawMessage("null")
	return v
}

func countRows(t testing.TB, d *District, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Finding 6 of issue 10: a signed bundle could delete another device's
// visit. One such version quarantines the whole bundle: nothing of it is
// merged, not even its valid records, and the reason says why.
func TestDeviceCannotDeleteAnotherDevicesVisit(t *testing.T) {
	d := newDistrict(t)
	a, b := enrol(t, d, "张伟"), enrol(t, d, "李娜")
	rec := uuid.NewString()
	v := a.visit(rec, 0, survey.Answers{"x": "1"})
	mustImport(t, d, a.bundle(t, d, v), Applied)
	own := uuid.NewString()
	res := mustImport(t, d, b.bundle(t, d, b.visit(own, 1, nil), b.deletion(rec, v.VersionID)), Quarantined)
	if res.Status != http.StatusUnprocessableEntity || res.Code != CodeRule || !strings.Contains(res.Message, "只能删除自己建立的记录") {
		t.Errorf("deleting another device's visit: %d %s %q", res.Status, res.Code, res.Message)
	}
	if _, err := d.db.Visit(ctx, rec); err != nil {
		t.Errorf("the visit was deleted: %v", err)
	}
	if n := countRows(t, d, `SELECT count(*) FROM versions WHERE record_id = ?`, own); n != 0 {
		t.Error("the bundle's valid record was merged although the bundle was rejected")
	}
	if dv, _ := d.Device(ctx, b.id); dv.Seq != 0 || dv.Quarantined != 1 {
		t.Errorf("device after the rejected bundle: %+v", dv)
	}
	// Its own visit it may delete.
	w := a.visit(uuid.NewString(), 2, nil)
	mustImport(t, d, a.bundle(t, d, w), Applied)
	mustImport(t, d, a.bundle(t, d, a.deletion(w.RecordID, w.VersionID)), Applied)
}

// A device may edit records it made or that belong to an enterprise
// assigned to it; a version of someone else's visit waits in quarantine
// until the enterprise is assigned and a person releases it.
func TestDeviceEditsOnlyItsOwnOrAssignedRecords(t *testing.T) {
	d := newDistrict(t)
	a, b := enrol(t, d, "张伟"), enrol(t, d, "李娜")
	e, err := d.db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G"})
	if err != nil {
		t.Fatal(err)
	}
	a.ent, b.ent = e.ID, e.ID
	rec := uuid.NewString()
	v := a.visit(rec, 0, survey.Answers{"x": "1"})
	mustImport(t, d, a.bundle(t, d, v), Applied)
	res := mustImport(t, d, b.bundle(t, d, b.visit(rec, 1, survey.Answers{"x": "B"}, v.VersionID)), Quarantined)
	if res.Code != CodeRule || !strings.Contains(res.Message, "无权修改") {
		t.Errorf("editing another device's visit: %s %q", res.Code, res.Message)
	}
	if _, err := d.Assign(ctx, b.id, []string{e.USCC}); err != nil {
		t.Fatal(err)
	}
	q, err := d.Quarantined(ctx)
	if err != nil || len(q) != 1 {
		t.Fatalf("quarantine: %+v %v", q, err)
	}
	rel, err := d.ReleaseQuarantined(ctx, q[0].ID[:12], "王主任", "企业已改派给李娜")
	if err != nil || rel.Decision != Applied {
		t.Fatalf("release after assignment: %+v %v", rel, err)
	}
	if got, _ := d.db.Visit(ctx, rec); got.Answers["x"] != "B" {
		t.Errorf("visit after release: %v", got.Answers)
	}
	// A laptop does not reassign an enterprise, even one assigned to it.
	tip, _ := d.db.Tip(ctx, e.ID)
	var ent survey.Enterprise
	json.Unmarshal(tip.Payload, &ent)
	ent.AssignedTo, ent.Contact = a.id, "王经理"
	p, _ := json.Marshal(ent)
	grab := survey.Version{RecordID: e.ID, VersionID: uuid.NewString(), Parents: []string{tip.VersionID}, Kind: survey.KindEnterprise,
		Author: "李娜", DeviceID: b.id, Created: testNow.Add(time.Hour), Payload: p}
	res = mustImport(t, d, b.bundle(t, d, grab), Quarantined)
	if !strings.Contains(res.Message, "不能更改企业分配") {
		t.Errorf("reassignment by a laptop: %q", res.Message)
	}
}

// Finding 6: anonymous responses are create-only (no deletion, no second
// version), dated to the day, and answer only what their form asks; names
// and phone numbers are refused. Before the fix all of these were merged.
func TestAnonymousResponseRules(t *testing.T) {
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		v    func() survey.Version
	}{
		{"deleted", func() survey.Version {
			v := response(uuid.NewString(), day, nil)
			v.Deleted, v.Payload = true, json.RawMessage("null")
			return v
		}},
		{"created with a time of day", func() survey.Version { return response(uuid.NewString(), day.Add(10*time.Hour+31*time.Minute), nil) }},
		{"created to the nanosecond", func() survey.Version { return response(uuid.NewString(), day.Add(1), nil) }},
		{"a name as an answer", func() survey.Version {
			return response(uuid.NewString(), day, survey.Answers{"sat_overall": "5", "姓名": "张三"})
		}},
		{"a phone number as an answer", func() survey.Version {
			return response(uuid.NewString(), day, survey.Answers{"sat_overall": "5", "phone": "13800000000"})
		}},
		{"a phone number in a comment", func() survey.Version {
			return response(uuid.NewString(), day, survey.Answers{"sat_overall": "5", "comment": "有事打我电话 138 1234 5678"})
		}},
		{"a key the form does not ask", func() survey.Version {
			return response(uuid.NewString(), day, survey.Answers{"sat_overall": "5", "workshop": "三车间"})
		}},
		{"an unknown form", func() survey.Version {
			v := response(uuid.NewString(), day, nil)
			v.FormVersion = 9
			return v
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDistrict(t)
			l := enrol(t, d, "张伟")
			v := tc.v()
			h := sync.Header{Kind: sync.KindUp, DeviceID: l.id, Seq: 1, Created: testNow}
			data, err := sync.Seal(h, sync.Payload{Versions: []survey.Version{v}}, l.keys.Signing, d.keys.Public().Sealing)
			if err != nil {
				// Seal runs the format's own checks: the laptop cannot
				// even make this bundle. Make it anyway, as a hostile
				// device would.
				data = sealUnchecked(t, h, v, l.keys, d.keys.Public().Sealing)
			}
			before := dump(t, d)
			res := d.Import(ctx, data)
			if res.Decision != Refused || res.Status != http.StatusBadRequest {
				t.Errorf("%s: %s %d %q, want refused 400", tc.name, res.Decision, res.Status, res.Message)
			}
			if dump(t, d) != before {
				t.Errorf("%s: a refused response changed the database", tc.name)
			}
		})
	}
	// A second version of an existing response (a new root with the same
	// record id) is an edit: quarantined. The device's next bundle waits
	// behind it until a person rejects it; then the stream goes on.
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	rec := uuid.NewString()
	mustImport(t, d, l.bundle(t, d, response(rec, day, survey.Answers{"sat_overall": "5"})), Applied)
	edit := l.bundle(t, d, response(rec, day, survey.Answers{"sat_overall": "1"}))
	res := mustImport(t, d, edit, Quarantined)
	if !strings.Contains(res.Message, "只能新建") {
		t.Errorf("second version of a response: %q", res.Message)
	}
	next := response(uuid.NewString(), day, survey.Answers{"sat_overall": "4", "awareness": "know"})
	mustImport(t, d, l.bundle(t, d, next), Backlogged)
	q, _ := d.Quarantined(ctx)
	if len(q) != 1 {
		t.Fatalf("quarantined %d", len(q))
	}
	if err := d.RejectQuarantined(ctx, q[0].ID, "王主任", "问卷不能修改"); err != nil {
		t.Fatal(err)
	}
	if dv, _ := d.Device(ctx, l.id); dv.Seq != 3 || dv.Backlog != 0 {
		t.Errorf("after rejecting the edit: %+v, want seq 3, nothing waiting", dv)
	}
	if n := countRows(t, d, `SELECT count(*) FROM versions WHERE record_id = ?`, rec); n != 1 {
		t.Errorf("response has %d versions, want the first only", n)
	}
	// The laptop sends the rejected bundle again: acknowledged, not merged.
	res = mustImport(t, d, edit, Duplicate)
	if res.Code != CodeRejected || res.Receipt == nil || !strings.Contains(res.Message, "拒收") {
		t.Errorf("rejected bundle again: %+v", res)
	}
}

// Finding 6: a device could store unbounded bundles. Early and
// conflicting bundles count against its quota; past it they are refused
// (429) and nothing more is stored, while its next bundle in line is
// still applied.
func TestDeviceQuota(t *testing.T) {
	d, err := Init(t.TempDir(), "市南区总工会", "", Options{Now: func() time.Time { return testNow }, Quota: Quota{Bundles: 3, Bytes: 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := enrol(t, d, "张伟")
	first := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil))
	var early [][]byte
	for i := 0; i < 6; i++ {
		early = append(early, l.bundle(t, d, l.visit(uuid.NewString(), i+1, nil)))
	}
	mustImport(t, d, first, Applied)
	for i, b := range early[1:] { // seq 3..7 while 2 is missing
		res := d.Import(ctx, b)
		want := Backlogged
		if i >= 3 {
			want = Refused
		}
		if res.Decision != want || (want == Refused && (res.Status != http.StatusTooManyRequests || !strings.Contains(res.Message, "上限"))) {
			t.Errorf("early bundle %d: %s %d %q, want %s", i+3, res.Decision, res.Status, res.Message, want)
		}
	}
	if dv, _ := d.Device(ctx, l.id); dv.Backlog != 3 {
		t.Errorf("backlog %d, want 3", dv.Backlog)
	}
	// Conflicting copies of seq 1 are refused too once the quota is full.
	other := &laptop{id: l.id, keys: l.keys}
	res := d.Import(ctx, other.bundle(t, d, other.visit(uuid.NewString(), 9, nil)))
	if res.Decision != Refused || res.Code != CodeQuota {
		t.Errorf("conflict over quota: %s %s", res.Decision, res.Code)
	}
	// The bundle in line still goes in, and frees the quota as they drain.
	res = mustImport(t, d, early[0], Applied)
	if res.Drained != 3 {
		t.Errorf("drained %d, want 3", res.Drained)
	}
	for _, b := range early[4:] {
		if res := d.Import(ctx, b); res.Decision != Applied && res.Decision != Backlogged {
			t.Errorf("after the drain: %s %q", res.Decision, res.Message)
		}
	}
	if dv, _ := d.Device(ctx, l.id); dv.Seq != 7 {
		t.Errorf("seq %d, want 7", dv.Seq)
	}
}

// sealUnchecked builds a bundle the way docs/bundle-format.md specifies,
// without sync.Seal's content checks: what a hostile enrolled device can
// send. (Seal refuses to make such a bundle, so honest laptops cannot.)
func sealUnchecked(t testing.TB, h sync.Header, v survey.Version, signer *sync.Keys, to *ecdh.PublicKey) []byte {
	t.Helper()
	rec, err := json.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	var plain []byte
	plain = binary.BigEndian.AppendUint32(plain, 1)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(rec)))
	plain = append(plain, rec...)
	plain = binary.BigEndian.AppendUint32(plain, 0)
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestSpeed)
	fw.Write(plain)
	fw.Close()
	pk, err := hpke.NewDHKEMPublicKey(to)
	if err != nil {
		t.Fatal(err)
	}
	enc, sender, err := hpke.NewSender(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), []byte("zoufang bundle v1"))
	if err != nil {
		t.Fatal(err)
	}
	devID, _ := uuid.Parse(h.DeviceID)
	hdr := []byte("ZFB1")
	hdr = append(hdr, 1, byte(sync.KindUp))
	hdr = append(hdr, devID[:]...)
	sk := sync.KeyIDOf(signer.Signing.Public().(ed25519.PublicKey))
	rk := sync.KeyIDOf(to.Bytes())
	hdr = append(hdr, sk[:]...)
	hdr = append(hdr, rk[:]...)
	hdr = binary.BigEndian.AppendUint64(hdr, h.Seq)
	hdr = append(hdr, h.Prev[:]...)
	hdr = binary.BigEndian.AppendUint32(hdr, 1)
	hdr = binary.BigEndian.AppendUint32(hdr, 0)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(h.Created.Unix()/86400))
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(len(enc)+z.Len()+16))
	ct, err := sender.Seal(hdr, z.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	out := append(append(append([]byte(nil), hdr...), enc...), ct...)
	digest := sha512.Sum512(out)
	sig, err := signer.Signing.Sign(nil, digest[:], &ed25519.Options{Hash: crypto.SHA512, Context: "zoufang bundle v1"})
	if err != nil {
		t.Fatal(err)
	}
	return append(out, sig...)
}
