package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/sync"
)

func TestEnrollRequestFile(t *testing.T) {
	u := newTestUI(t)
	dir := t.TempDir()
	id, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	u.profile.dataDir, u.profile.DeviceID, u.profile.Fingerprint = dir, id.DeviceID, id.Fingerprint
	s := showSync(u)
	if !strings.Contains(s.device.Text, id.Fingerprint) {
		t.Errorf("device label %q lacks the fingerprint %s", s.device.Text, id.Fingerprint)
	}
	out := filepath.Join(t.TempDir(), "req.zfreq")
	s.saveRequest(out)
	waitIdle()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	req, err := sync.ParseEnrollRequest(data)
	if err != nil {
		t.Fatalf("parse the saved request: %v", err)
	}
	if req.DeviceID != id.DeviceID || req.Investigator != testName || req.District != "市南区" {
		t.Errorf("request %+v", req)
	}
	if got, want := req.Fingerprint(), id.Fingerprint; got != want {
		t.Errorf("request fingerprint %s, want %s (the one on screen)", got, want)
	}

	// The identity is stable: loading it again gives the same device.
	again, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.DeviceID != id.DeviceID || again.Fingerprint != id.Fingerprint {
		t.Errorf("identity changed on reload: %+v vs %+v", again, id)
	}
}
