package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestEnrollRequest(t *testing.T) {
	dev := bfKeys(t, "device A")
	in := EnrollRequest{DeviceID: bfDeviceA, DeviceName: "李明的笔记本", Investigator: "李明", District: "和平区总工会", Created: bfDay.Add(90 * 60e9)}
	data, err := NewEnrollRequest(in, dev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseEnrollRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.DeviceID != in.DeviceID || got.DeviceName != in.DeviceName || got.Investigator != in.Investigator ||
		!got.Created.Equal(in.Created) || !got.Keys.Equal(dev.Public()) {
		t.Errorf("round trip: got %+v", got)
	}
	if got.Fingerprint() != dev.Public().Fingerprint() {
		t.Errorf("fingerprint differs from the laptop's")
	}
	if d := got.Device(bfDay); d.ID != bfDeviceA || !d.Keys.Equal(dev.Public()) {
		t.Errorf("Device: %+v", d)
	}

	// Another key, claiming the same device and name.
	mallory := bfKeys(t, "mallory")
	swapped := bytes.Replace(data, mustJSON(t, dev.Public()), mustJSON(t, mallory.Public()), 1)
	tests := map[string][]byte{
		"tampered name":          bytes.Replace(data, []byte("李明的笔记本"), []byte("王芳的笔记本"), 1),
		"keys swapped":           swapped,
		"signed JSON reindented": bytes.Replace(data, []byte(`{"device_id"`), []byte(`{ "device_id"`), 1),
		"unknown field":          bytes.Replace(data, []byte(`{"device_id"`), []byte(`{"admin":true,"device_id"`), 1),
		"two signatures":         bytes.Replace(data, []byte(`"signatures":[`), []byte(`"signatures":[{"key_id":"0000000000000000","sig":"`+string(bytes.Repeat([]byte("A"), 86))+`=="},`), 1),
		"trailing garbage":       append(bytes.Clone(data), []byte("{}")...),
		"not JSON":               []byte("ZFB1"),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(in, data) {
				t.Fatal("test input unchanged")
			}
			if _, err := ParseEnrollRequest(in); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	t.Run("tampered name is a signature error", func(t *testing.T) {
		if _, err := ParseEnrollRequest(tests["tampered name"]); !errors.Is(err, ErrSignature) {
			t.Fatalf("got %v, want ErrSignature", err)
		}
	})
	t.Run("bad fields refused when creating", func(t *testing.T) {
		bad := in
		bad.DeviceID = "laptop"
		if _, err := NewEnrollRequest(bad, dev); err == nil {
			t.Fatal("created")
		}
		bad = in
		bad.Investigator = ""
		if _, err := NewEnrollRequest(bad, dev); err == nil {
			t.Fatal("created")
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
