package laptop

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"zoufang/assets"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

var ctx = context.Background()

// testNow is the pinned clock of the tests.
var testNow = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// fakeDistrict is the district's side as far as the laptop can see it: its
// keys and the trust files it signs. The real server is in sync/district.
type fakeDistrict struct {
	keys *sync.Keys
	url  string
}

func newFakeDistrict(t testing.TB, url string) *fakeDistrict {
	t.Helper()
	k, err := sync.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	return &fakeDistrict{keys: k, url: url}
}

// trustFile signs a trust file of the given version, valid for a year from
// testNow, with the district key and, for a key rotation, the old key.
func (d *fakeDistrict) trustFile(t testing.TB, version uint64, old ...*sync.Keys) []byte {
	t.Helper()
	tr := sync.Trust{District: "市南区总工会", Keys: d.keys.Public(), ServerURL: d.url, Version: version,
		Issued: testNow.Add(-time.Hour), Expires: testNow.AddDate(1, 0, 0)}
	var also []ed25519.PrivateKey
	for _, k := range old {
		also = append(also, k.Signing)
	}
	data, err := sync.SignTrust(tr, d.keys.Signing, also...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// receipt signs a receipt for dev acknowledging up to seq with head, plus
// accepted hashes.
func (d *fakeDistrict) receipt(t testing.TB, dev string, seq uint64, head sync.Hash, accepted ...sync.Hash) []byte {
	t.Helper()
	data, err := sync.SignReceipt(sync.Receipt{DeviceID: dev, Seq: seq, Head: head, Accepted: accepted, Created: testNow}, d.keys.Signing)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// open verifies and opens an up bundle from the laptop l.
func (d *fakeDistrict) open(t testing.TB, l *Laptop, data []byte) (*sync.Bundle, sync.Payload) {
	t.Helper()
	b, err := sync.ParseBundle(bytes.NewReader(data), sync.Limits{})
	if err != nil {
		t.Fatalf("parse up bundle: %v", err)
	}
	if err := b.Verify(l.Public().Signing); err != nil {
		t.Fatalf("verify up bundle: %v", err)
	}
	p, err := b.Open(d.keys.Sealing, sync.Limits{})
	if err != nil {
		t.Fatalf("open up bundle: %v", err)
	}
	return b, p
}

// down seals a down bundle for device dev.
func (d *fakeDistrict) down(t testing.TB, l *Laptop, seq uint64, prev sync.Hash, p sync.Payload) []byte {
	t.Helper()
	h := sync.Header{Kind: sync.KindDown, DeviceID: l.DeviceID(), Seq: seq, Prev: prev, Created: testNow}
	data, err := sync.Seal(h, p, d.keys.Signing, l.Public().Sealing)
	if err != nil {
		t.Fatalf("seal down bundle: %v", err)
	}
	return data
}

// clock advances one second per reading.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// newLaptop opens a laptop identity and its database in a fresh data dir.
func newLaptop(t testing.TB, opt Options) (*Laptop, *storage.DB) {
	t.Helper()
	dir := t.TempDir()
	if opt.Now == nil {
		opt.Now = func() time.Time { return testNow }
	}
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: testNow}
	db, err := storage.OpenDir(dir, storage.Options{Now: c.now, DeviceID: l.DeviceID(), Author: "李明"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return l, db
}

// enrolled returns a laptop that has imported d's trust file.
func enrolled(t testing.TB, d *fakeDistrict, opt Options) (*Laptop, *storage.DB) {
	t.Helper()
	l, db := newLaptop(t, opt)
	if _, _, err := l.AcceptTrust(d.trustFile(t, 1)); err != nil {
		t.Fatal(err)
	}
	return l, db
}

func visitForm(t testing.TB) *survey.Form {
	t.Helper()
	set, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	f, ok := set.Latest("visit")
	if !ok {
		t.Fatal("no visit form")
	}
	return f
}

// uscc returns a valid USCC built from a 17-character body.
func uscc(t testing.TB, n int) string {
	t.Helper()
	body := fmt.Sprintf("91370200MA%07d", n)
	c, err := survey.USCCCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

var usccN atomic.Int64

// addVisits stores one enterprise and n draft visits to it; it returns the
// visits.
func addVisits(t testing.TB, db *storage.DB, n int) []survey.Visit {
	t.Helper()
	k := int(usccN.Add(1))
	e, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: fmt.Sprintf("青岛海信电器%d厂", k), USCC: uscc(t, k), District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 120})
	if err != nil {
		t.Fatal(err)
	}
	f := visitForm(t)
	out := make([]survey.Visit, 0, n)
	for range n {
		v, err := db.CreateVisit(ctx, e.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
