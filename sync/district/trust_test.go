package district

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
	"zoufang/sync"
)

// sealTo seals the laptop's next bundle to a given district sealing key.
func (l *laptop) sealTo(t testing.TB, to sync.PublicKeys, vs ...survey.Version) []byte {
	t.Helper()
	l.seq++
	h := sync.Header{Kind: sync.KindUp, DeviceID: l.id, Seq: l.seq, Prev: l.prev, Created: testNow}
	out, err := sync.Seal(h, sync.Payload{Versions: vs}, l.keys.Signing, to.Sealing)
	if err != nil {
		t.Fatal(err)
	}
	l.prev = sync.BundleHash(out)
	return out
}

func TestTrustFileIsStableUntilRenewed(t *testing.T) {
	d := newDistrict(t)
	a, err := d.TrustFile()
	if err != nil {
		t.Fatal(err)
	}
	d.now = func() time.Time { return testNow.AddDate(0, 3, 0) }
	b, _ := d.TrustFile()
	if !bytes.Equal(a, b) {
		t.Fatal("the same version was signed again with other dates")
	}
	info, renewed, err := d.Renew(ctx, RenewOptions{Valid: 400 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sync.AcceptTrustChain(mustParse(t, a), [][]byte{renewed}, d.now())
	if err != nil || tr.Version != 2 || info.Version != 2 || !tr.Expires.Equal(d.now().UTC().Truncate(time.Second).Add(400*24*time.Hour)) {
		t.Fatalf("renewed trust %+v %v", tr, err)
	}
	if latest, _ := d.TrustFile(); !bytes.Equal(latest, renewed) {
		t.Error("TrustFile does not serve the renewal")
	}
	if v1, _ := d.TrustVersion(ctx, 1); !bytes.Equal(v1, a) {
		t.Error("version 1 not kept byte for byte")
	}
}

func mustParse(t testing.TB, data []byte) *sync.Trust {
	t.Helper()
	tr, err := sync.ParseTrust(data)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// A key rotation keeps bundles sealed to the old key importable until the
// old key is retired; then they are refused (403) and nothing is written.
func TestRotationAndRetirement(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	oldPub := d.keys.Public()
	if _, _, err := d.Renew(ctx, RenewOptions{RotateKey: true, By: "王科长"}); err != nil {
		t.Fatal(err)
	}
	newKeys, err := d.currentKeys(ctx)
	if err != nil || newKeys.Public().Equal(oldPub) {
		t.Fatalf("rotation kept the key: %v", err)
	}
	if err := d.RetireKey(ctx, newKeys.Public().SigningKeyID().String(), "王科长", "试试"); err == nil {
		t.Error("the current key was retired")
	}
	res := mustImport(t, d, l.sealTo(t, oldPub, l.visit(uuid.NewString(), 0, survey.Answers{"a": "1"})), Applied)
	r, err := sync.VerifyReceipt(res.Receipt, oldPub.Signing)
	if err != nil {
		t.Fatalf("receipt does not verify with the old key: %v", err)
	}
	if _, err := sync.VerifyReceipt(res.Receipt, newKeys.Public().Signing); err != nil || r.Seq != 1 {
		t.Fatalf("receipt does not verify with the new key: %v", err)
	}
	mustImport(t, d, l.sealTo(t, newKeys.Public(), l.visit(uuid.NewString(), 1, survey.Answers{"a": "2"})), Applied)

	// Bundle 4 arrives early, sealed to the old key: retiring that key is
	// refused while it waits.
	early := &laptop{id: l.id, keys: l.keys, seq: l.seq + 1}
	b3 := l.sealTo(t, oldPub, l.visit(uuid.NewString(), 2, nil))
	early.prev = l.prev
	b4 := early.sealTo(t, oldPub, early.visit(uuid.NewString(), 3, nil))
	mustImport(t, d, b4, Backlogged)
	if err := d.RetireKey(ctx, oldPub.SigningKeyID().String(), "王科长", "全部送达"); err == nil {
		t.Fatal("retired a key a backlog bundle was sealed to")
	}
	mustImport(t, d, b3, Applied)
	if err := d.RetireKey(ctx, oldPub.SealingKeyID().String(), "王科长", "全部送达"); err != nil {
		t.Fatal(err)
	}
	before := dump(t, d)
	l.seq, l.prev = early.seq, early.prev
	res = d.Import(ctx, l.sealTo(t, oldPub, l.visit(uuid.NewString(), 4, nil)))
	if res.Decision != Refused || res.Status != 403 || !bytes.Contains([]byte(res.Message), []byte("已停用")) {
		t.Fatalf("bundle sealed to the retired key: %s %d %s", res.Decision, res.Status, res.Message)
	}
	if dump(t, d) != before {
		t.Error("a refused bundle changed the district")
	}
	if _, err := d.sealingKey(ctx, sync.KeyID{1}); !errors.Is(err, sync.ErrWrongKey) {
		t.Errorf("unknown key: %v", err)
	}
}

// A rotation whose KeyFile write was cut short (the database already names
// the new key) is finished by the next Open; another process's handle
// picks the new key up without reopening.
func TestRotationSurvivesCrashAndOtherProcesses(t *testing.T) {
	dir := t.TempDir()
	opt := Options{Now: func() time.Time { return testNow }}
	d, err := Init(dir, "市南区总工会", "", opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	other, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	oldFile, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	if _, _, err := d.Renew(ctx, RenewOptions{RotateKey: true}); err != nil {
		t.Fatal(err)
	}
	if other.Fingerprint() != d.Fingerprint() {
		t.Error("the other handle still uses the old key")
	}
	// Simulate the crash: KeyFile still holds the old key.
	if err := os.WriteFile(filepath.Join(dir, KeyFile), oldFile, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Fingerprint() != d.Fingerprint() {
		t.Error("Open did not take the key the database names")
	}
	k, err := sync.ReadKeyFile(filepath.Join(dir, KeyFile))
	if err != nil || k.Public().Fingerprint() != d.Fingerprint() {
		t.Errorf("KeyFile not repaired: %v", err)
	}
}

// Two renewals at once (two processes on one data dir) give two
// consecutive versions.
func TestConcurrentRenewals(t *testing.T) {
	dir := t.TempDir()
	opt := Options{Now: func() time.Time { return testNow }}
	d, err := Init(dir, "市南区总工会", "", opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var wg gosync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		h, err := Open(dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = h.Renew(ctx, RenewOptions{RotateKey: i%2 == 0})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	ts, _ := d.Trusts(ctx)
	if len(ts) != 5 || ts[0].Version != 5 {
		t.Fatalf("%d trust files, newest %d; want 5", len(ts), ts[0].Version)
	}
	// Each version is signed by the key the one before declared.
	var files [][]byte
	for v := uint64(2); v <= 5; v++ {
		b, _ := d.TrustVersion(ctx, v)
		files = append(files, b)
	}
	v1, _ := d.TrustVersion(ctx, 1)
	if _, err := sync.AcceptTrustChain(mustParse(t, v1), files, testNow); err != nil {
		t.Fatalf("the chain of concurrent renewals does not verify: %v", err)
	}
	keys, _ := d.Keys(ctx)
	current := 0
	for _, k := range keys {
		if k.State == keyCurrent {
			current++
		}
	}
	if current != 1 || len(keys) != 3 {
		t.Errorf("keys after two rotations: %+v", keys)
	}
}

// Every down bundle is kept; two exports at once never seal the same seq
// twice; resending gives the same bytes.
func TestDownBundlesKept(t *testing.T) {
	dir := t.TempDir()
	opt := Options{Now: func() time.Time { return testNow }}
	d, err := Init(dir, "市南区总工会", "", opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := enrol(t, d, "张伟")
	if got, err := d.DownBundle(ctx, l.id, 1); err == nil || got != nil {
		t.Fatalf("bundle before any export: %v", err)
	}
	ents := survey.FakeRoster(6, 3)
	var sent [][]byte
	for _, e := range ents[:2] {
		e.AssignedTo = l.id
		if _, err := d.db.SaveEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
		b, _, err := d.ExportDown(ctx, l.id)
		if err != nil || b == nil {
			t.Fatalf("ExportDown: %v", err)
		}
		sent = append(sent, b)
	}
	// Two handles (two processes) export at once, each with something new.
	other, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, e := range ents[2:] {
		e.AssignedTo = l.id
		d.db.SaveEnterprise(ctx, e)
	}
	var wg gosync.WaitGroup
	for _, h := range []*District{d, other, d, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := h.ExportDown(ctx, l.id); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	list, err := d.DownBundles(ctx, l.id)
	if err != nil {
		t.Fatal(err)
	}
	prev := sync.Hash{}
	for i, di := range list {
		data, err := d.DownBundle(ctx, l.id, di.Seq)
		if err != nil || !di.Kept || di.Seq != uint64(i+1) {
			t.Fatalf("bundle %d: %+v %v", i+1, di, err)
		}
		b, err := sync.ParseBundle(bytes.NewReader(data), sync.Limits{})
		if err != nil || b.Header.Seq != di.Seq || b.Header.Prev != prev || b.Hash() != di.Hash {
			t.Fatalf("kept bundle %d does not chain: %v", di.Seq, err)
		}
		if i < len(sent) && !bytes.Equal(data, sent[i]) {
			t.Errorf("kept bundle %d differs from the one sent", di.Seq)
		}
		prev = b.Hash()
	}
	if len(list) < 3 {
		t.Errorf("%d down bundles, want at least 3", len(list))
	}
}
