package sync

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

func bfTrust(t *testing.T, version uint64, k *Keys, signers ...ed25519.PrivateKey) []byte {
	t.Helper()
	tr := Trust{District: "和平区总工会", Keys: k.Public(), ServerURL: "https://sync.example.org:8700", Version: version,
		Issued: bfDay, Expires: bfDay.AddDate(1, 0, 0)}
	b, err := SignTrust(tr, k.Signing, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAcceptTrust(t *testing.T) {
	old, next, mallory := bfKeys(t, "district"), bfKeys(t, "district 2027"), bfKeys(t, "mallory")
	now := bfDay.Add(24 * time.Hour)
	v1 := bfTrust(t, 1, old)
	cur, err := AcceptTrust(nil, v1, now)
	if err != nil {
		t.Fatalf("first trust: %v", err)
	}
	if cur.Version != 1 || !cur.Keys.Equal(old.Public()) || cur.ServerURL != "https://sync.example.org:8700" {
		t.Fatalf("first trust: %+v", cur)
	}
	v3, err := AcceptTrust(cur, bfTrust(t, 3, old), now)
	if err != nil {
		t.Fatalf("newer version, same key: %v", err)
	}
	tampered := bytes.Replace(v1, []byte("https://sync.example.org:8700"), []byte("https://evil.example.org:8700"), 1)
	expired := Trust{District: "和平区总工会", Keys: old.Public(), Version: 9, Issued: bfDay.AddDate(-2, 0, 0), Expires: bfDay.AddDate(-1, 0, 0)}
	expiredFile, err := SignTrust(expired, old.Signing)
	if err != nil {
		t.Fatal(err)
	}
	sameVersionDifferent := Trust{District: "和平区总工会", Keys: old.Public(), Version: 3, Issued: bfDay, Expires: bfDay.AddDate(2, 0, 0)}
	sameVersionFile, err := SignTrust(sameVersionDifferent, old.Signing)
	if err != nil {
		t.Fatal(err)
	}
	receipt, err := SignReceipt(Receipt{DeviceID: bfDeviceA, Created: bfDay}, old.Signing)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		current *Trust
		data    []byte
		target  error
	}{
		{"rollback to a lower version", v3, v1, ErrRollback},
		{"same version, different content", v3, sameVersionFile, ErrRollback},
		{"expired", v3, expiredFile, ErrExpired},
		{"expired on first use", nil, expiredFile, ErrExpired},
		{"tampered server URL", nil, tampered, ErrSignature},
		{"new key signed only by itself", v3, bfTrust(t, 4, next), ErrWrongKey},
		{"attacker's key signed by itself", v3, bfTrust(t, 4, mallory), ErrWrongKey},
		{"a receipt is not a trust file", v3, receipt, ErrUnsupported},
		{"garbage", nil, []byte("{"), ErrMalformed},
		{"too large", nil, make([]byte, MaxSignedFile+1), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AcceptTrust(tc.current, tc.data, now)
			if !errors.Is(err, tc.target) || got != nil {
				t.Fatalf("got %v, %v; want %v", got, err, tc.target)
			}
		})
	}

	t.Run("identical re-import is a no-op", func(t *testing.T) {
		got, err := AcceptTrust(v3, bfTrust(t, 3, old), now)
		if err != nil || got != v3 {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("key rotation signed by old and new key", func(t *testing.T) {
		got, err := AcceptTrust(v3, bfTrust(t, 4, next, old.Signing), now)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Keys.Equal(next.Public()) {
			t.Fatalf("rotation did not take the new key")
		}
		// After the rotation the old key alone can no longer issue trust.
		if _, err := AcceptTrust(got, bfTrust(t, 5, old), now); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("old key after rotation: got %v, want ErrWrongKey", err)
		}
	})
	t.Run("expiry of the stored trust", func(t *testing.T) {
		if err := v3.Valid(v3.Expires); !errors.Is(err, ErrExpired) {
			t.Fatalf("Valid at expiry: %v", err)
		}
		if err := v3.Valid(now); err != nil {
			t.Fatalf("Valid: %v", err)
		}
	})
}

func TestSignTrustRefusesBadInput(t *testing.T) {
	k := bfKeys(t, "district")
	base := Trust{District: "和平区总工会", Keys: k.Public(), Version: 1, Issued: bfDay, Expires: bfDay.AddDate(1, 0, 0)}
	tests := map[string]func(*Trust){
		"version 0":          func(tr *Trust) { tr.Version = 0 },
		"no district":        func(tr *Trust) { tr.District = "" },
		"expires before":     func(tr *Trust) { tr.Expires = tr.Issued },
		"ftp server":         func(tr *Trust) { tr.ServerURL = "ftp://x" },
		"server with user":   func(tr *Trust) { tr.ServerURL = "https://u:p@x" },
		"another key's file": func(tr *Trust) { tr.Keys = bfKeys(t, "other").Public() },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			tr := base
			edit(&tr)
			if _, err := SignTrust(tr, k.Signing); err == nil {
				t.Fatal("signed")
			}
		})
	}
}

func TestRevocationList(t *testing.T) {
	key := bfKeys(t, "device A").Public().SigningKeyID()
	l := RevocationList{{DeviceID: bfDeviceB, At: bfDay, By: "王科长", Reason: "笔记本丢失"}, {DeviceID: bfUUID("x"), KeyID: key}}
	if _, ok := l.Revoked(bfDeviceB, KeyID{}); !ok {
		t.Errorf("device B not revoked")
	}
	if _, ok := l.Revoked(bfDeviceA, key); !ok {
		t.Errorf("revoked key still accepted under another device id")
	}
	if _, ok := l.Revoked(bfDeviceA, bfKeys(t, "device A2").Public().SigningKeyID()); ok {
		t.Errorf("device A revoked")
	}
}

// FuzzSignedFiles feeds the same bytes to every signed-file parser (trust
// file, enrolment request, receipt): none may panic, and a changed file
// must never verify under the district or device key.
func FuzzSignedFiles(f *testing.F) {
	dis, dev := bfKeys(f, "district"), bfKeys(f, "device A")
	trust, err := SignTrust(Trust{District: "和平区总工会", Keys: dis.Public(), ServerURL: "http://127.0.0.1:8700", Version: 2, Issued: bfDay, Expires: bfDay.AddDate(1, 0, 0)}, dis.Signing)
	if err != nil {
		f.Fatal(err)
	}
	req, err := NewEnrollRequest(EnrollRequest{DeviceID: bfDeviceA, DeviceName: "李明的笔记本", Investigator: "李明", District: "和平区总工会", Created: bfDay}, dev)
	if err != nil {
		f.Fatal(err)
	}
	receipt, err := SignReceipt(Receipt{DeviceID: bfDeviceA, Seq: 1, Head: Hash{1}, Accepted: []Hash{{1}, {2}}, Created: bfDay}, dis.Signing)
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range [][]byte{trust, req, receipt, []byte(`{"type":"zoufang/trust/v1","signed":{},"signatures":[]}`)} {
		f.Add(b)
	}
	now := bfDay.Add(time.Hour)
	f.Fuzz(func(t *testing.T, data []byte) {
		if tr, err := AcceptTrust(nil, data, now); err == nil && tr.Keys.Equal(dis.Public()) && !bytes.Equal(bytes.TrimSpace(data), bytes.TrimSpace(trust)) {
			// Only the envelope's unsigned whitespace may differ.
			var a, b envelope
			if strictJSON(bytes.TrimSpace(data), &a) != nil || strictJSON(bytes.TrimSpace(trust), &b) != nil || !bytes.Equal(a.Signed, b.Signed) {
				t.Fatalf("a changed trust file verified")
			}
		}
		if r, err := ParseEnrollRequest(data); err == nil && r.Keys.Equal(dev.Public()) {
			var a, b envelope
			if strictJSON(bytes.TrimSpace(data), &a) != nil || strictJSON(bytes.TrimSpace(req), &b) != nil || !bytes.Equal(a.Signed, b.Signed) {
				t.Fatalf("a changed enrolment request verified")
			}
		}
		if _, err := VerifyReceipt(data, dis.Public().Signing); err == nil {
			var a, b envelope
			if strictJSON(bytes.TrimSpace(data), &a) != nil || strictJSON(bytes.TrimSpace(receipt), &b) != nil || !bytes.Equal(a.Signed, b.Signed) {
				t.Fatalf("a changed receipt verified")
			}
		}
	})
}
