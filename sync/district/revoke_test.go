package district

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/storage"
	"zoufang/sync"
)

// enrolRequest makes an enrolment request for keys under a device id.
func enrolRequest(t testing.TB, id string, k *sync.Keys) []byte {
	t.Helper()
	req, err := sync.NewEnrollRequest(sync.EnrollRequest{DeviceID: id, DeviceName: "找回的笔记本", Investigator: "张伟", District: "市南区总工会", Created: testNow}, k)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// Finding 5 of issue 10: a revoked laptop's key was enrolled again under a
// new device id (same fingerprint, no warning) and its bundles merged.
// Revocation is by key: the same keys, or the same signing key with a new
// sealing key, are refused with a Chinese explanation, and nothing is
// enrolled.
func TestRevokedKeyCannotEnrolAgain(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	if err := d.Revoke(l.id, "王主任", "笔记本丢失"); err != nil {
		t.Fatal(err)
	}
	sealing, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]*sync.Keys{
		"same keys, new device id":                  l.keys,
		"same signing key, new sealing key, new id": {Signing: l.keys.Signing, Sealing: sealing},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := d.Enroll(enrolRequest(t, uuid.NewString(), k))
			var de *Error
			if err == nil || !errors.As(err, &de) || de.Code != CodeKeyRevoked {
				t.Fatalf("enrolment of a revoked key: %v, want refused (%s)", err, CodeKeyRevoked)
			}
			if !strings.Contains(err.Error(), "停用") || !strings.Contains(err.Error(), "笔记本丢失") {
				t.Errorf("message %q does not say the key was revoked and why", err)
			}
		})
	}
	if devs, _ := d.Devices(ctx); len(devs) != 1 {
		t.Errorf("%d devices enrolled, want only the revoked one", len(devs))
	}
	// An active key cannot be enrolled under a second id either.
	m := enrol(t, d, "李娜")
	if _, _, err := d.Enroll(enrolRequest(t, uuid.NewString(), m.keys)); err == nil {
		t.Error("an enrolled key was enrolled again under another id")
	}
}

// Finding 5: bundles signed by a revoked key are quarantined whatever
// device id they carry. Before the fix a key enrolled under a second id
// (possible then) kept merging after the first id was revoked.
func TestBundlesSignedByARevokedKeyAreQuarantined(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	// The state the old code allowed: the same key under a second id.
	twin := &laptop{id: uuid.NewString(), keys: l.keys}
	req := enrolRequest(t, twin.id, l.keys)
	if err := d.db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.Exec(`INSERT INTO district_devices (id, name, investigator, request, fingerprint, enrolled) VALUES (?, ?, ?, ?, ?, ?)`,
			twin.id, "找回的笔记本", "张伟", req, l.keys.Public().Fingerprint(), testNow.Format(time.RFC3339))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.Revoke(l.id, "王主任", "笔记本丢失"); err != nil {
		t.Fatal(err)
	}
	res := d.Import(ctx, twin.bundle(t, d, twin.visit(uuid.NewString(), 0, nil)))
	if res.Decision != Quarantined || res.Status != http.StatusForbidden {
		t.Fatalf("bundle signed by a revoked key under another id: %s %d %q, want quarantined 403", res.Decision, res.Status, res.Message)
	}
	if n := countRows(t, d, `SELECT count(*) FROM versions`); n != 0 {
		t.Errorf("%d versions merged from a revoked key", n)
	}
}

// Revocation is permanent (docs/bundle-format.md, Revocation): a revoked
// device cannot be revoked "again" or brought back, its key is refused
// under any id with a message that says so and how to come back, and the
// same person's laptop with a new identity (a new data directory: new
// device id, new keys) enrols and merges as a new device.
func TestRevocationIsPermanent(t *testing.T) {
	d := newDistrict(t)
	old := enrol(t, d, "张伟")
	if err := d.Revoke(old.id, "王主任", "笔记本丢失"); err != nil {
		t.Fatal(err)
	}
	if err := d.Revoke(old.id, "王主任", "再次停用"); err == nil {
		t.Error("a revoked device was revoked again")
	}
	_, _, err := d.Enroll(enrolRequest(t, old.id, old.keys))
	if err == nil || !strings.Contains(err.Error(), "停用不能撤销") || !strings.Contains(err.Error(), "新的数据目录") {
		t.Fatalf("the found laptop with its old identity: %v", err)
	}
	if res := d.Import(ctx, old.bundle(t, d, old.visit(uuid.NewString(), 0, nil))); res.Decision != Quarantined {
		t.Errorf("a bundle of the revoked identity: %s %s", res.Decision, res.Message)
	}
	fresh := enrol(t, d, "张伟")
	if res := d.Import(ctx, fresh.bundle(t, d, fresh.visit(uuid.NewString(), 0, nil))); res.Decision != Applied {
		t.Errorf("a bundle of the new identity: %s %s", res.Decision, res.Message)
	}
	devs, err := d.Devices(ctx)
	if err != nil || len(devs) != 2 {
		t.Fatalf("devices %v %v", devs, err)
	}
	for _, dv := range devs {
		if (dv.ID == old.id) != (dv.Revoked != "") {
			t.Errorf("device %s revoked %q", dv.ID, dv.Revoked)
		}
	}
}
