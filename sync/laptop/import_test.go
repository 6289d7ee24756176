package laptop

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// districtDevice is the device id the district writes its own versions with.
const districtDevice = "0b2f7c1e-5a0d-4c1e-9f3a-7d2b8e6c4a10"

// rosterVersion is a district-made enterprise version assigned to dev.
func rosterVersion(t *testing.T, n int, dev string) survey.Version {
	t.Helper()
	e := survey.Enterprise{ID: uuid.NewString(), Name: "青岛港湾机械有限公司", USCC: uscc(t, 9000+n), District: "市南区",
		Street: "八大关街道", Industry: "制造业", Workers: 80, AssignedTo: dev}
	p, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return survey.Version{RecordID: e.ID, VersionID: uuid.NewString(), Kind: survey.KindEnterprise,
		Author: "区总工会", DeviceID: districtDevice, Created: testNow, Payload: p}
}

func countDown(t *testing.T, db *storage.DB) (downs, enterprises int) {
	t.Helper()
	if err := db.QueryRow(ctx, `SELECT count(*) FROM laptop_down`).Scan(&downs); err != nil {
		t.Fatal(err)
	}
	n, err := db.EnterpriseCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return downs, n
}

func TestImportDownBundle(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})
	p1 := sync.Payload{Versions: []survey.Version{rosterVersion(t, 1, l.DeviceID()), rosterVersion(t, 2, l.DeviceID())},
		Attachments: []sync.Attachment{{ID: "campaign-note", Mime: "text/plain; charset=utf-8", Data: []byte("走访须知")}}}
	b1 := d.down(t, l, 1, sync.Hash{}, p1)
	res, err := l.Import(ctx, db, b1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Down == nil || res.Down.Put.Applied != 2 || res.Down.Duplicate {
		t.Fatalf("first import %+v", res.Down)
	}
	e, err := db.Enterprise(ctx, p1.Versions[0].RecordID)
	if err != nil || e.AssignedTo != l.DeviceID() {
		t.Fatalf("assigned enterprise %+v, %v", e, err)
	}
	if data, mime, err := db.Attachment(ctx, "campaign-note"); err != nil || string(data) != "走访须知" || !strings.HasPrefix(mime, "text/plain") {
		t.Errorf("attachment %q %q %v", data, mime, err)
	}
	if !strings.Contains(res.Message(), "第 1 号") {
		t.Errorf("message %q", res.Message())
	}
	// Down bundles do not go back up: received versions are not in the outbox.
	if vs, _, err := db.Outbox(ctx, 0, 0); err != nil || len(vs) != 0 {
		t.Errorf("outbox after a down import: %d versions, %v", len(vs), err)
	}

	res, err = l.Import(ctx, db, b1)
	if err != nil || !res.Down.Duplicate {
		t.Fatalf("same bundle again: %+v, %v", res.Down, err)
	}

	b2 := d.down(t, l, 2, sync.BundleHash(b1), sync.Payload{Versions: []survey.Version{rosterVersion(t, 3, l.DeviceID())}})
	if _, err := l.Import(ctx, db, b2); err != nil {
		t.Fatal(err)
	}
	if downs, ents := countDown(t, db); downs != 2 || ents != 3 {
		t.Errorf("after two down bundles: %d bundles, %d enterprises", downs, ents)
	}

	// An attachment the laptop has, again: a no-op. The same id with other
	// bytes: the bundle is refused whole (the import used to ignore the
	// new bytes with raw SQL of its own and apply the rest).
	changed := d.down(t, l, 3, sync.BundleHash(b2), sync.Payload{Versions: []survey.Version{rosterVersion(t, 4, l.DeviceID())},
		Attachments: []sync.Attachment{{ID: "campaign-note", Mime: "text/plain; charset=utf-8", Data: []byte("走访须知（改）")}}})
	if _, err := l.Import(ctx, db, changed); err == nil || !strings.Contains(err.Error(), "附件 campaign-note 已存在但内容不同") {
		t.Errorf("an attachment with other bytes: %v", err)
	}
	if downs, ents := countDown(t, db); downs != 2 || ents != 3 {
		t.Errorf("after a refused bundle: %d bundles, %d enterprises", downs, ents)
	}
	if data, _, _ := db.Attachment(ctx, "campaign-note"); string(data) != "走访须知" {
		t.Errorf("attachment now %q", data)
	}
	same := d.down(t, l, 3, sync.BundleHash(b2), sync.Payload{Versions: []survey.Version{rosterVersion(t, 5, l.DeviceID())}, Attachments: p1.Attachments})
	if _, err := l.Import(ctx, db, same); err != nil {
		t.Errorf("an attachment the laptop has, again: %v", err)
	}
	if downs, ents := countDown(t, db); downs != 3 || ents != 4 {
		t.Errorf("after the third bundle: %d bundles, %d enterprises", downs, ents)
	}
}

func TestImportRefusesAndWritesNothing(t *testing.T) {
	d := newFakeDistrict(t, "")
	other := newFakeDistrict(t, "")
	tests := []struct {
		name string
		file func(t *testing.T, l *Laptop, first []byte) []byte
		want string
	}{
		{"another device's bundle", func(t *testing.T, l *Laptop, first []byte) []byte {
			l2, _ := newLaptop(t, Options{})
			return d.down(t, l2, 2, sync.BundleHash(first), sync.Payload{Versions: []survey.Version{rosterVersion(t, 20, l2.DeviceID())}})
		}, "其他设备"},
		{"signed by another district", func(t *testing.T, l *Laptop, first []byte) []byte {
			return other.down(t, l, 2, sync.BundleHash(first), sync.Payload{Versions: []survey.Version{rosterVersion(t, 21, l.DeviceID())}})
		}, "不是区总工会签发"},
		{"same seq other content", func(t *testing.T, l *Laptop, first []byte) []byte {
			return d.down(t, l, 1, sync.Hash{}, sync.Payload{Versions: []survey.Version{rosterVersion(t, 22, l.DeviceID())}})
		}, "不一致"},
		{"wrong prev", func(t *testing.T, l *Laptop, first []byte) []byte {
			return d.down(t, l, 2, sync.BundleHash([]byte("x")), sync.Payload{Versions: []survey.Version{rosterVersion(t, 23, l.DeviceID())}})
		}, "接不上"},
		{"bit flip", func(t *testing.T, l *Laptop, first []byte) []byte {
			b := d.down(t, l, 2, sync.BundleHash(first), sync.Payload{Versions: []survey.Version{rosterVersion(t, 24, l.DeviceID())}})
			b[len(b)/2] ^= 0x10
			return b
		}, "下发包"},
		{"truncated", func(t *testing.T, l *Laptop, first []byte) []byte {
			b := d.down(t, l, 2, sync.BundleHash(first), sync.Payload{Versions: []survey.Version{rosterVersion(t, 25, l.DeviceID())}})
			return b[:len(b)-1]
		}, "下发包无效"},
		{"own up bundle", func(t *testing.T, l *Laptop, first []byte) []byte {
			h := sync.Header{Kind: sync.KindUp, DeviceID: l.DeviceID(), Seq: 1, Created: testNow}
			v := rosterVersion(t, 26, "")
			v.DeviceID = l.DeviceID()
			b, err := sync.Seal(h, sync.Payload{Versions: []survey.Version{v}}, l.keys.Signing, d.keys.Public().Sealing)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "应交给区总工会"},
		{"enrolment request", func(t *testing.T, l *Laptop, first []byte) []byte {
			b, err := l.Request(Who{DeviceName: "笔记本", Investigator: "李明"})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "登记申请"},
		{"unknown file", func(*testing.T, *Laptop, []byte) []byte { return []byte("PK\x03\x04 spreadsheet") }, "无法识别"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, db := enrolled(t, d, Options{})
			first := d.down(t, l, 1, sync.Hash{}, sync.Payload{Versions: []survey.Version{rosterVersion(t, 10, l.DeviceID())}})
			if _, err := l.Import(ctx, db, first); err != nil {
				t.Fatal(err)
			}
			_, err := l.Import(ctx, db, tt.file(t, l, first))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if downs, ents := countDown(t, db); downs != 1 || ents != 1 {
				t.Errorf("after a refused file: %d down bundles, %d enterprises; want 1, 1", downs, ents)
			}
		})
	}
}

func TestImportTrustFile(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := newLaptop(t, Options{})
	res, err := l.Import(ctx, db, d.trustFile(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !res.TrustChanged || !strings.Contains(res.Message(), d.keys.Public().Fingerprint()) {
		t.Errorf("trust import %+v: %q", res, res.Message())
	}
}

func TestStateCounts(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := newLaptop(t, Options{})
	st, err := l.State(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Trust != nil || !strings.Contains(st.Summary(), "尚未在区总工会登记") {
		t.Errorf("before enrolment: %q", st.Summary())
	}
	if _, _, err := l.AcceptTrust(d.trustFile(t, 1)); err != nil {
		t.Fatal(err)
	}
	addVisits(t, db, 2) // 3 versions
	if _, err := l.Export(ctx, db); err != nil {
		t.Fatal(err)
	}
	addVisits(t, db, 1) // 2 more, not exported
	st, err = l.State(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Unsent != 2 || st.Undelivered != 5 || st.Count(StagePending) != 1 {
		t.Errorf("unsent %d undelivered %d pending %d; want 2 5 1", st.Unsent, st.Undelivered, st.Count(StagePending))
	}
	if got, want := st.Summary(), "还有 5 条记录待送达区总工会"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
