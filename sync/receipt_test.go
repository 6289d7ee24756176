package sync

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestReceipt(t *testing.T) {
	dis := bfKeys(t, "district")
	h1, h2 := Hash(sha256.Sum256([]byte("b1"))), Hash(sha256.Sum256([]byte("b2")))
	in := Receipt{DeviceID: bfDeviceA, Seq: 2, Head: h2, Accepted: []Hash{h1, h2}, Created: bfDay}
	data, err := SignReceipt(in, dis.Signing)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyReceipt(data, dis.Public().Signing)
	if err != nil {
		t.Fatal(err)
	}
	if got.DeviceID != in.DeviceID || got.Seq != 2 || got.Head != h2 || len(got.Accepted) != 2 || got.Accepted[1] != h2 {
		t.Errorf("round trip: %+v", got)
	}

	mallory := bfKeys(t, "mallory")
	forged, err := SignReceipt(in, mallory.Signing)
	if err != nil {
		t.Fatal(err)
	}
	trust := bfTrust(t, 1, dis)
	tests := []struct {
		name   string
		data   []byte
		target error
	}{
		{"forged: signed by another key", forged, ErrSignature},
		{"seq raised", bytes.Replace(data, []byte(`"seq":2`), []byte(`"seq":9`), 1), ErrSignature},
		{"hash dropped", bytes.Replace(data, []byte(`"`+h1.String()+`",`), nil, 1), ErrSignature},
		{"signature of a trust file", trust, ErrUnsupported},
		{"empty", nil, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := VerifyReceipt(tc.data, dis.Public().Signing); !errors.Is(err, tc.target) || got != nil {
				t.Fatalf("got %v, %v; want %v", got, err, tc.target)
			}
		})
	}
	t.Run("signature made for another file type", func(t *testing.T) {
		// The district key signs trust files and receipts; the context string
		// keeps a signature on one from passing as the other.
		body := mustJSON(t, &in)
		sig, err := dis.Signing.Sign(nil, body, &ed25519.Options{Context: typeTrust})
		if err != nil {
			t.Fatal(err)
		}
		env := envelope{Type: typeReceipt, Signed: body, Signatures: []envelopeSig{{KeyID: dis.Public().SigningKeyID(), Sig: sig}}}
		if _, err := VerifyReceipt(mustJSON(t, env), dis.Public().Signing); !errors.Is(err, ErrSignature) {
			t.Fatalf("got %v, want ErrSignature", err)
		}
		sig, _ = dis.Signing.Sign(nil, body, &ed25519.Options{Context: typeReceipt})
		env.Signatures[0].Sig = sig
		if _, err := VerifyReceipt(mustJSON(t, env), dis.Public().Signing); err != nil {
			t.Fatalf("control with the right context: %v", err)
		}
	})
	bad := map[string]Receipt{
		"seq without head": {DeviceID: bfDeviceA, Seq: 1, Created: bfDay},
		"head without seq": {DeviceID: bfDeviceA, Head: h1, Created: bfDay},
		"duplicate hash":   {DeviceID: bfDeviceA, Seq: 1, Head: h1, Accepted: []Hash{h1, h1}, Created: bfDay},
		"bad device":       {DeviceID: "x", Created: bfDay},
		"no time":          {DeviceID: bfDeviceA},
	}
	for name, r := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := SignReceipt(r, dis.Signing); err == nil {
				t.Fatal("signed")
			}
		})
	}
}

func TestSniffFile(t *testing.T) {
	dis, dev := bfKeys(t, "district"), bfKeys(t, "device A")
	req, err := NewEnrollRequest(EnrollRequest{DeviceID: bfDeviceA, DeviceName: "笔记本", Investigator: "李明", Created: bfDay}, dev)
	if err != nil {
		t.Fatal(err)
	}
	receipt, err := SignReceipt(Receipt{DeviceID: bfDeviceA, Created: bfDay}, dis.Signing)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want FileKind
	}{
		{"bundle", bfSmallBundle(t), FileBundle},
		{"enrolment request", req, FileEnrollRequest},
		{"trust file", bfTrust(t, 1, dis), FileTrust},
		{"receipt", receipt, FileReceipt},
		{"other JSON", []byte(`{"type":"zoufang/other/v1"}`), FileUnknown},
		{"empty", nil, FileUnknown},
		{"PDF", []byte("%PDF-1.7"), FileUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SniffFile(tc.data); got != tc.want {
				t.Errorf("SniffFile = %v, want %v", got, tc.want)
			}
		})
	}
}
