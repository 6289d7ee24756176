package laptop

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"zoufang/survey"
	"zoufang/sync"
)

// A down bundle that arrives before an earlier one is refused with the
// missing seqs named, and nothing is written; once the earlier ones are
// in, it imports.
func TestDownBundleGap(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})
	b1 := d.down(t, l, 1, sync.Hash{}, sync.Payload{Versions: []survey.Version{rosterVersion(t, 31, l.DeviceID())}})
	b2 := d.down(t, l, 2, sync.BundleHash(b1), sync.Payload{Versions: []survey.Version{rosterVersion(t, 32, l.DeviceID())}})
	b3 := d.down(t, l, 3, sync.BundleHash(b2), sync.Payload{Versions: []survey.Version{rosterVersion(t, 33, l.DeviceID())}})

	_, err := l.Import(ctx, db, b2)
	var gap *GapError
	if !errors.As(err, &gap) || gap.Seq != 2 || gap.Have != 0 || !strings.Contains(err.Error(), "缺少第 1 号") {
		t.Fatalf("bundle 2 first: %v", err)
	}
	if downs, ents := countDown(t, db); downs != 0 || ents != 0 {
		t.Fatalf("refused gap wrote %d bundles, %d enterprises", downs, ents)
	}
	if _, err := l.Import(ctx, db, b1); err != nil {
		t.Fatal(err)
	}
	_, err = l.Import(ctx, db, b3)
	if !errors.As(err, &gap) || !strings.Contains(err.Error(), "本机只导入到第 1 号") || !strings.Contains(err.Error(), "缺少第 2 号") {
		t.Fatalf("bundle 3 after 1: %v", err)
	}
	for _, b := range [][]byte{b2, b3, b2} {
		if _, err := l.Import(ctx, db, b); err != nil {
			t.Fatal(err)
		}
	}
	if downs, ents := countDown(t, db); downs != 3 || ents != 3 {
		t.Fatalf("after 1, 2, 3 and a duplicate: %d bundles, %d enterprises", downs, ents)
	}
	b5 := d.down(t, l, 5, sync.BundleHash(b3), sync.Payload{Versions: []survey.Version{rosterVersion(t, 35, l.DeviceID())}})
	if _, err := l.Import(ctx, db, b5); err == nil || !strings.Contains(err.Error(), "缺少第 4 号") {
		t.Fatalf("bundle 5 after 3: %v", err)
	}
}

// A down bundle the district sealed before it rotated its key (lost and
// sent again) still imports after the laptop took the new trust file; one
// made after the rotation with the old key does not.
func TestDownBundleFromBeforeKeyRotation(t *testing.T) {
	oldD := newFakeDistrict(t, "")
	l, db := enrolled(t, oldD, Options{Now: func() time.Time { return testNow.AddDate(0, 0, 10) }})
	before := oldD.down(t, l, 1, sync.Hash{}, sync.Payload{Versions: []survey.Version{rosterVersion(t, 41, l.DeviceID())}})

	newD := &fakeDistrict{keys: newFakeDistrict(t, "").keys}
	rot := sync.Trust{District: "市南区总工会", Keys: newD.keys.Public(), Version: 2,
		Issued: testNow.AddDate(0, 0, 1), Expires: testNow.AddDate(1, 0, 0)}
	data, err := sync.SignTrust(rot, newD.keys.Signing, oldD.keys.Signing)
	if err != nil {
		t.Fatal(err)
	}
	if _, changed, err := l.AcceptTrust(data); err != nil || !changed {
		t.Fatalf("rotation: %v", err)
	}
	if _, err := l.Import(ctx, db, before); err != nil {
		t.Fatalf("bundle sealed before the rotation: %v", err)
	}
	// The old key, after the day of the rotation, signs nothing here.
	h := sync.Header{Kind: sync.KindDown, DeviceID: l.DeviceID(), Seq: 2, Prev: sync.BundleHash(before), Created: testNow.AddDate(0, 0, 5)}
	late, err := sync.Seal(h, sync.Payload{Versions: []survey.Version{rosterVersion(t, 42, l.DeviceID())}}, oldD.keys.Signing, l.Public().Sealing)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Import(ctx, db, late); err == nil || !strings.Contains(err.Error(), "新的信任文件") {
		t.Fatalf("old key after the rotation: %v", err)
	}
	next := newD.down(t, l, 2, sync.BundleHash(before), sync.Payload{Versions: []survey.Version{rosterVersion(t, 43, l.DeviceID())}})
	if _, err := l.Import(ctx, db, next); err != nil {
		t.Fatalf("new key: %v", err)
	}
}

func TestTrustWarning(t *testing.T) {
	d := newFakeDistrict(t, "https://sync.example.org")
	tr, err := sync.ParseTrust(d.trustFile(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now  time.Time
		want string
	}{
		{tr.Expires.AddDate(0, 0, -31), ""},
		{tr.Expires.AddDate(0, 0, -30), "还有 30 天"},
		{tr.Expires.Add(-time.Hour), "还有 1 天"},
		{tr.Expires, ""}, // expired: Trust.Valid says so
	}
	for _, tt := range tests {
		got := TrustWarning(tr, tt.now)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) || (got != "" && !strings.Contains(got, "联网上传一次")) {
			t.Errorf("at %s: %q, want %q", tt.now, got, tt.want)
		}
	}
}

// A laptop whose trust file has expired can still push: it first takes the
// renewal the district offers (signed by the key it trusts), then uploads.
// Without a renewal on offer the push stops, saying the file expired.
func TestPushAfterExpiryTakesRenewal(t *testing.T) {
	for _, renewed := range []bool{true, false} {
		fs := &fakeServer{t: t, got: map[uint64][]byte{}}
		srv := httptest.NewServer(fs)
		d := newFakeDistrict(t, srv.URL)
		later := testNow.AddDate(1, 0, 10) // the version-1 file expired 10 days ago
		now := testNow
		l, db := enrolled(t, d, Options{Now: func() time.Time { return now }})
		now = later
		fs.d, fs.l = d, l
		fs.trust = d.trustFile(t, 1)
		if renewed {
			tr := sync.Trust{District: "市南区总工会", Keys: d.keys.Public(), ServerURL: srv.URL, Version: 2,
				Issued: later.AddDate(0, 0, -1), Expires: later.AddDate(1, 0, 0)}
			data, err := sync.SignTrust(tr, d.keys.Signing)
			if err != nil {
				t.Fatal(err)
			}
			fs.trust = data
		}
		fs.answer = func(seq uint64, body []byte) (int, []byte) {
			return http.StatusCreated, d.receipt(t, l.DeviceID(), seq, sync.BundleHash(body))
		}
		addVisits(t, db, 1)
		res, err := l.Push(ctx, db, srv.Client(), nil)
		switch {
		case renewed && (err != nil || !res.TrustUpdated || res.Delivered != 1):
			t.Errorf("with a renewal: %+v %v", res, err)
		case !renewed && (err == nil || !errors.Is(err, sync.ErrExpired)):
			t.Errorf("without a renewal: %v", err)
		}
		srv.Close()
	}
}
