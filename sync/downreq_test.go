package sync

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// downReqFixture is a down request signed by the fixed test device key with
// a fixed nonce: its bytes are pinned (testdata/downreq/down-request-v1.json).
func downReqFixture(t testing.TB) []byte {
	t.Helper()
	r := DownRequest{DeviceID: bfDeviceA, Have: 2, Head: Hash{0xab, 0xcd}, Nonce: "00112233445566778899aabbccddeeff", Created: bfDay.Add(9 * time.Hour)}
	data, err := signEnvelope(typeDownRequest, &r, bfKeys(t, "device A").Signing)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDownRequestGolden(t *testing.T) {
	got := downReqFixture(t)
	path := filepath.Join("testdata", "downreq", "down-request-v1.json")
	if *updateFixtures {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("down request encoding changed (-want +got):\n-%s\n+%s", want, got)
	}
	r, err := VerifyDownRequest(want, bfKeys(t, "device A").Public().Signing, bfDay.Add(9*time.Hour+time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if r.DeviceID != bfDeviceA || r.Have != 2 || r.Head != (Hash{0xab, 0xcd}) {
		t.Errorf("fixture reads back as %+v", r)
	}
}

func TestDownRequestVerify(t *testing.T) {
	dev, other, dis := bfKeys(t, "device A"), bfKeys(t, "device B"), bfKeys(t, "district")
	now := bfDay.Add(9 * time.Hour)
	data, err := NewDownRequest(DownRequest{DeviceID: bfDeviceA, Created: now}, dev)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := NewDownRequest(DownRequest{DeviceID: bfDeviceA, Created: now}, dev)
	if bytes.Equal(data, again) {
		t.Error("two requests share a nonce")
	}
	if _, err := VerifyDownRequest(data, dev.Public().Signing, now); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	if _, err := VerifyDownRequest(data, other.Public().Signing, now); !errors.Is(err, ErrSignature) {
		t.Errorf("another device's key: %v", err)
	}
	for _, skew := range []time.Duration{DownRequestWindow + time.Second, -DownRequestWindow - time.Second} {
		_, err := VerifyDownRequest(data, dev.Public().Signing, now.Add(skew))
		var ce *ClockError
		if !errors.As(err, &ce) || !errors.Is(err, ErrExpired) || !ce.Server.Equal(now.Add(skew).Truncate(time.Second)) {
			t.Errorf("skew %v: %v", skew, err)
		}
	}
	// Every single-byte change fails to verify.
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x01
		if r, err := VerifyDownRequest(bad, dev.Public().Signing, now); err == nil && (r.DeviceID != bfDeviceA || r.Have != 0) {
			t.Fatalf("byte %d changed and the request still verifies as %+v", i, r)
		} else if err == nil && !bytes.Equal(bytes.TrimSpace(bad), bytes.TrimSpace(data)) {
			var a, b envelope
			if strictJSON(bytes.TrimSpace(bad), &a) != nil || strictJSON(bytes.TrimSpace(data), &b) != nil || !bytes.Equal(a.Signed, b.Signed) {
				t.Fatalf("byte %d changed the signed content and it still verifies", i)
			}
		}
	}
	// A receipt's signature cannot stand for a down request, even with
	// the same signed bytes: the context differs.
	rc, err := SignReceipt(Receipt{DeviceID: bfDeviceA, Created: now}, dis.Signing)
	if err != nil {
		t.Fatal(err)
	}
	swapped := bytes.Replace(rc, []byte(typeReceipt), []byte(typeDownRequest), 1)
	if _, err := VerifyDownRequest(swapped, dis.Public().Signing, now); err == nil {
		t.Error("a receipt passed as a down request")
	}
	// Two signatures, oversize, inconsistent have/head, bad nonce.
	two, _ := signEnvelope(typeDownRequest, &DownRequest{DeviceID: bfDeviceA, Nonce: "00112233445566778899aabbccddeeff", Created: now}, dev.Signing, other.Signing)
	if _, err := ParseDownRequest(two); err == nil {
		t.Error("a request with two signatures parsed")
	}
	if _, err := ParseDownRequest(make([]byte, MaxDownRequest+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	for name, r := range map[string]DownRequest{
		"have without head": {DeviceID: bfDeviceA, Have: 3, Nonce: "00112233445566778899aabbccddeeff", Created: now},
		"head without have": {DeviceID: bfDeviceA, Head: Hash{1}, Nonce: "00112233445566778899aabbccddeeff", Created: now},
		"short nonce":       {DeviceID: bfDeviceA, Nonce: "0011", Created: now},
		"upper-case nonce":  {DeviceID: bfDeviceA, Nonce: "00112233445566778899AABBCCDDEEFF", Created: now},
		"bad device":        {DeviceID: "A", Nonce: "00112233445566778899aabbccddeeff", Created: now},
	} {
		b, _ := signEnvelope(typeDownRequest, &r, dev.Signing)
		if _, err := ParseDownRequest(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzDownRequest: the parser never panics, and nothing but the signed
// fixture's content verifies under the device key.
func FuzzDownRequest(f *testing.F) {
	fixture := downReqFixture(f)
	f.Add(fixture)
	f.Add([]byte(`{"type":"zoufang/down-request/v1","signed":{},"signatures":[]}`))
	f.Add([]byte(`{"type":"zoufang/down-request/v1","signed":{"device_id":"6f0c2b8e-4a1d-4c3e-9b7a-1d2e3f405162","have":0,"head":"0000000000000000000000000000000000000000000000000000000000000000","nonce":"00112233445566778899aabbccddeeff","created":"2026-11-24T09:00:00Z"},"signatures":[{"key_id":"0000000000000000","sig":""}]}`))
	pub := bfKeys(f, "device A").Public().Signing
	now := bfDay.Add(9 * time.Hour)
	var want envelope
	if err := strictJSON(bytes.TrimSpace(fixture), &want); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseDownRequest(data)
		if _, err := VerifyDownRequest(data, pub, now); err == nil {
			var got envelope
			if strictJSON(bytes.TrimSpace(data), &got) != nil || !bytes.Equal(got.Signed, want.Signed) {
				t.Fatalf("a changed down request verified: %q", data)
			}
		}
	})
}
