package laptop

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// Fixed identities for the fuzz target, so committed corpus files (a valid
// down bundle, receipt and trust file) verify against them.
const fuzzDevice = "3f0c2a9e-6b1d-4e8f-a7c5-2d9b0e4f6a13"

func fixedKeys(t testing.TB, seed byte) *sync.Keys {
	t.Helper()
	x, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{seed + 1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &sync.Keys{Signing: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)), Sealing: x}
}

// fuzzLaptop is an enrolled laptop with fixed keys and device id.
func fuzzLaptop(t testing.TB) (*Laptop, *storage.DB, *fakeDistrict) {
	t.Helper()
	dir := t.TempDir()
	if err := sync.WriteKeyFile(filepath.Join(dir, KeyFile), fixedKeys(t, 1)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, IDFile), []byte(fuzzDevice+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDistrict{keys: fixedKeys(t, 7)}
	if _, _, err := l.AcceptTrust(d.trustFile(t, 1)); err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenDir(dir, storage.Options{Now: func() time.Time { return testNow }, DeviceID: l.DeviceID(), Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return l, db, d
}

// snapshot is what a refused file must leave unchanged.
type snapshot struct {
	versions, downs, delivered int
	trust                      string
}

func takeSnapshot(t testing.TB, l *Laptop, db *storage.DB) snapshot {
	t.Helper()
	var s snapshot
	for q, dst := range map[string]*int{
		`SELECT count(*) FROM versions`:                                      &s.versions,
		`SELECT count(*) FROM laptop_down`:                                   &s.downs,
		`SELECT count(*) FROM laptop_bundles WHERE delivered_at IS NOT NULL`: &s.delivered,
	} {
		if err := db.QueryRow(ctx, q).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(l.Dir(), TrustFile))
	s.trust = string(b)
	return s
}

// FuzzImport feeds arbitrary files to Import: it must never panic, and a
// refused file must change nothing (no versions, no down bundle, no
// delivery, no trust change).
func FuzzImport(f *testing.F) {
	l, db, d := fuzzLaptop(f)
	addVisits(f, db, 1)
	exp, err := l.Export(ctx, db)
	if err != nil {
		f.Fatal(err)
	}
	v := survey.Version{RecordID: "5a1e3c7d-2b4f-4a6e-8c0d-9e1f2a3b4c5d", VersionID: "7c2d4e6f-8a0b-4c1d-9e3f-5a7b9c1d3e5f",
		Kind: survey.KindEnterprise, DeviceID: districtDevice, Created: testNow,
		Payload: []byte(`{"id":"5a1e3c7d-2b4f-4a6e-8c0d-9e1f2a3b4c5d","name":"青岛港湾机械有限公司","uscc":"","district":"市南区","street":"","industry":"","workers":0,"has_union":false,"contact":"","phone":"","address":""}`)}
	down := d.down(f, l, 1, sync.Hash{}, sync.Payload{Versions: []survey.Version{v}})
	f.Add(down)
	f.Add(d.receipt(f, l.DeviceID(), 1, exp.New[0].Hash))
	f.Add(d.trustFile(f, 2))
	f.Add(down[:sync.HeaderSize])
	f.Add([]byte(`{"type":"zoufang/receipt/v1","signed":{},"signatures":[]}`))
	f.Add([]byte("ZFB1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		before := takeSnapshot(t, l, db)
		_, err := l.Import(ctx, db, data)
		if err == nil {
			return
		}
		if after := takeSnapshot(t, l, db); after != before {
			t.Fatalf("refused file (%v) changed state: %+v → %+v", err, before, after)
		}
	})
}
