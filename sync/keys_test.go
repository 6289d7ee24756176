package sync

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"
)

func TestKeyIDAndFingerprint(t *testing.T) {
	k := bfKeys(t, "device A").Public()
	sum := sha256.Sum256(k.Signing)
	if got, want := k.SigningKeyID().String(), hex.EncodeToString(sum[:8]); got != want {
		t.Errorf("SigningKeyID = %s, want %s", got, want)
	}
	fp := k.Fingerprint()
	if !regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`).MatchString(fp) {
		t.Errorf("fingerprint %q is not 4 groups of 4 base32 characters", fp)
	}
	if other := bfKeys(t, "device B").Public().Fingerprint(); other == fp {
		t.Errorf("two identities share fingerprint %s", fp)
	}
	for _, s := range []string{"", "0011", "00112233445566778", "00112233445566GG", "00112233445566AA"} {
		if _, err := ParseKeyID(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseKeyID(%q): got %v, want ErrMalformed", s, err)
		}
	}
	id, err := ParseKeyID(k.SigningKeyID().String())
	if err != nil || id != k.SigningKeyID() {
		t.Errorf("ParseKeyID round trip: %v, %v", id, err)
	}
}

func TestPublicKeysJSON(t *testing.T) {
	k := bfKeys(t, "district").Public()
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var back PublicKeys
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(k) {
		t.Errorf("round trip changed the keys")
	}
	other := bfKeys(t, "device B").Public()
	tests := map[string]string{
		"signing key id of another key": string(bytes.Replace(b, []byte(k.SigningKeyID().String()), []byte(other.SigningKeyID().String()), 1)),
		"short signing key":             fmt.Sprintf(`{"signing":"AAAA","signing_key_id":"%s","sealing":"%s","sealing_key_id":"%s"}`, k.SigningKeyID(), base64.StdEncoding.EncodeToString(k.Sealing.Bytes()), k.SealingKeyID()),
		"unknown field":                 string(bytes.Replace(b, []byte(`{`), []byte(`{"x":1,`), 1)),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			var p PublicKeys
			if err := json.Unmarshal([]byte(in), &p); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "device.key")
	k, created, err := LoadOrCreateKeys(path)
	if err != nil || !created {
		t.Fatalf("first run: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	again, created, err := LoadOrCreateKeys(path)
	if err != nil || created {
		t.Fatalf("second run: created=%v err=%v", created, err)
	}
	if !again.Public().Equal(k.Public()) || !bytes.Equal(again.Signing, k.Signing) || !again.Sealing.Equal(k.Sealing) {
		t.Errorf("reloaded keys differ")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadKeyFile(path); !errors.Is(err, ErrWrongKey) {
			t.Errorf("world-readable key file: got %v, want refusal", err)
		}
		if _, _, err := LoadOrCreateKeys(path); err == nil {
			t.Errorf("LoadOrCreateKeys replaced or accepted a world-readable key")
		}
		os.Chmod(path, 0o600)
	}
	for name, content := range map[string]string{
		"garbage":      "not json",
		"other type":   `{"type":"zoufang/private-keys/v9","signing_seed":"","sealing":""}`,
		"short seed":   `{"type":"zoufang/private-keys/v1","signing_seed":"AAAA","sealing":"AAAA"}`,
		"extra fields": `{"type":"zoufang/private-keys/v1","signing_seed":"","sealing":"","x":1}`,
	} {
		p := filepath.Join(dir, name+".key")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadKeyFile(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKeysNeverPrinted(t *testing.T) {
	k := bfKeys(t, "device A")
	if _, err := json.Marshal(k); err == nil {
		t.Errorf("json.Marshal(*Keys) succeeded")
	}
	if _, err := json.Marshal(struct{ K *Keys }{k}); err == nil {
		t.Errorf("json.Marshal of a struct holding *Keys succeeded")
	}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		assertNoPrivate(t, "formatted keys", []byte(s), k)
	}
}

// assertNoPrivate fails if out contains k's private key material in raw,
// hex or base64 form (whole or the first 16 bytes).
func assertNoPrivate(t *testing.T, what string, out []byte, k *Keys) {
	t.Helper()
	secrets := map[string][]byte{
		"signing seed":   k.Signing.Seed(),
		"signing key":    k.Signing,
		"sealing scalar": k.Sealing.Bytes(),
	}
	for name, s := range secrets {
		for _, form := range [][]byte{s, s[:16], []byte(hex.EncodeToString(s[:16])),
			[]byte(base64.StdEncoding.EncodeToString(s)[:20]), []byte(base64.URLEncoding.EncodeToString(s)[:20])} {
			if bytes.Contains(out, form) {
				t.Errorf("%s contains the %s", what, name)
			}
		}
	}
}

// TestPrivateKeysNeverInOutputs checks every file this package produces.
func TestPrivateKeysNeverInOutputs(t *testing.T) {
	dev, dis := bfKeys(t, "device A"), bfKeys(t, "district")
	bundle, err := Seal(bfHeader(1, Hash{}), bfPayload(t, 3, 500), dev.Signing, dis.Sealing.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	req, err := NewEnrollRequest(EnrollRequest{DeviceID: bfDeviceA, DeviceName: "李明的笔记本", Investigator: "李明", District: "和平区总工会", Created: bfDay}, dev)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := SignTrust(Trust{District: "和平区总工会", Keys: dis.Public(), Version: 1, Issued: bfDay, Expires: bfDay.AddDate(1, 0, 0)}, dis.Signing)
	if err != nil {
		t.Fatal(err)
	}
	receipt, err := SignReceipt(Receipt{DeviceID: bfDeviceA, Seq: 1, Head: sha256.Sum256(bundle), Accepted: []Hash{sha256.Sum256(bundle)}, Created: time.Now()}, dis.Signing)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string][]byte{"bundle": bundle, "enrolment request": req, "trust file": trust, "receipt": receipt} {
		assertNoPrivate(t, name, out, dev)
		assertNoPrivate(t, name, out, dis)
	}
}
