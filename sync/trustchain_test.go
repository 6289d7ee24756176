package sync

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

// chainTrust signs version v declaring key k, valid from issued for a
// year, with k and the extra signers.
func chainTrust(t testing.TB, v uint64, k *Keys, issued time.Time, signers ...ed25519.PrivateKey) []byte {
	t.Helper()
	tr := Trust{District: "和平区总工会", Keys: k.Public(), ServerURL: "https://sync.example.org:8700", Version: v,
		Issued: issued, Expires: issued.AddDate(1, 0, 0)}
	b, err := SignTrust(tr, k.Signing, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A laptop that slept through two key rotations follows the chain of trust
// files, each signed by the key of the one before, as a TUF client updates
// its root metadata; any break in the chain refuses the lot.
func TestAcceptTrustChain(t *testing.T) {
	a, b, c, mallory := bfKeys(t, "district A"), bfKeys(t, "district B"), bfKeys(t, "district C"), bfKeys(t, "mallory")
	day := bfDay
	v1 := chainTrust(t, 1, a, day)
	cur, err := AcceptTrust(nil, v1, day)
	if err != nil {
		t.Fatal(err)
	}
	v2 := chainTrust(t, 2, b, day.AddDate(0, 6, 0), a.Signing) // rotation A → B
	v3 := chainTrust(t, 3, b, day.AddDate(1, 1, 0))            // renewal, B alone
	v4 := chainTrust(t, 4, c, day.AddDate(1, 2, 0), b.Signing) // rotation B → C
	later := day.AddDate(1, 3, 0)                              // v1 and v2 have expired by now

	got, err := AcceptTrustChain(cur, [][]byte{v2, v3, v4}, later)
	if err != nil {
		t.Fatalf("chain v2..v4: %v", err)
	}
	if got.Version != 4 || !got.Keys.Equal(c.Public()) {
		t.Fatalf("chain ended at %d with another key", got.Version)
	}
	// A renewal that kept the key may be skipped: only key changes need
	// their link.
	got, err = AcceptTrustChain(cur, [][]byte{v2, v4}, later)
	if err != nil {
		t.Fatalf("chain v2, v4: %v", err)
	}
	if got.Version != 4 || !got.Keys.Equal(c.Public()) {
		t.Fatalf("chain ended at %d with another key", got.Version)
	}
	if _, err := AcceptTrust(cur, v4, later); !errors.Is(err, ErrWrongKey) || !bytes.Contains([]byte(err.Error()), []byte("第 2 至 4 版")) {
		t.Errorf("v4 alone over v1: %v, want ErrWrongKey naming versions 2 to 4", err)
	}
	forged := chainTrust(t, 3, mallory, day.AddDate(1, 1, 0))
	tests := []struct {
		name   string
		files  [][]byte
		now    time.Time
		target error
	}{
		{"the rotation left out", [][]byte{v3, v4}, later, ErrWrongKey},
		{"attacker's link", [][]byte{v2, forged, v4}, later, ErrWrongKey},
		{"out of order", [][]byte{v2, v4, v3}, later, ErrRollback},
		{"last one expired", [][]byte{v2, v3}, day.AddDate(2, 2, 0), ErrExpired},
		{"empty", nil, later, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := AcceptTrustChain(cur, tc.files, tc.now); !errors.Is(err, tc.target) || got != nil {
				t.Fatalf("got %v, %v; want %v", got, err, tc.target)
			}
		})
	}
	t.Run("the file held already, then newer ones", func(t *testing.T) {
		got, err := AcceptTrustChain(cur, [][]byte{v1, v2, v3}, later.AddDate(0, -1, 0))
		if err != nil || got.Version != 3 {
			t.Fatalf("got %v, %v", got, err)
		}
	})
}

// After a rotation the district signs receipts with the new key and the
// old one, so a laptop on either trust file verifies them.
func TestReceiptSignedByOldAndNewKey(t *testing.T) {
	oldKey, newKey := bfKeys(t, "district A"), bfKeys(t, "district B")
	r, err := SignReceipt(Receipt{DeviceID: bfDeviceA, Seq: 1, Head: Hash{7}, Accepted: []Hash{{7}}, Created: bfDay}, newKey.Signing, oldKey.Signing)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*Keys{oldKey, newKey} {
		if _, err := VerifyReceipt(r, k.Public().Signing); err != nil {
			t.Errorf("receipt does not verify with %s: %v", k.Public().SigningKeyID(), err)
		}
	}
	if _, err := VerifyReceipt(r, bfKeys(t, "mallory").Public().Signing); !errors.Is(err, ErrSignature) {
		t.Errorf("receipt verified with a stranger's key: %v", err)
	}
}

// FuzzTrustChain puts an arbitrary file into a chain of trust files around
// a key rotation: whatever it is, the laptop never ends up trusting a key
// that the key it held did not vouch for, nor an older version.
func FuzzTrustChain(f *testing.F) {
	a, b, mallory := bfKeys(f, "district A"), bfKeys(f, "district B"), bfKeys(f, "mallory")
	v1 := chainTrust(f, 1, a, bfDay)
	v2 := chainTrust(f, 2, b, bfDay, a.Signing)
	v3 := chainTrust(f, 3, b, bfDay)
	cur, err := AcceptTrust(nil, v1, bfDay)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{v1, v2, v3, chainTrust(f, 3, mallory, bfDay), chainTrust(f, 2, mallory, bfDay, a.Signing), []byte("{}")} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(1))
		f.Add(seed, uint8(2))
	}
	now := bfDay.Add(time.Hour)
	f.Fuzz(func(t *testing.T, data []byte, pos uint8) {
		chain := [][]byte{v2, v3}
		i := int(pos) % (len(chain) + 1)
		chain = append(chain[:i], append([][]byte{data}, chain[i:]...)...)
		got, err := AcceptTrustChain(cur, chain, now)
		if err != nil {
			return
		}
		if got.Version <= cur.Version {
			t.Fatalf("accepted version %d over %d", got.Version, cur.Version)
		}
		if !got.Keys.Equal(a.Public()) && !got.Keys.Equal(b.Public()) {
			t.Fatalf("accepted key %s that neither A nor B vouched for", got.Keys.SigningKeyID())
		}
	})
}
