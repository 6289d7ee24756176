package app

import (
	"fmt"

	"zoufang/sync/laptop"
)

// identity is this laptop's device identity: its UUID and the fingerprint
// of its sync keys, which the district compares at enrolment. The key file
// (0600, never in a bundle) and the id file are sync/laptop's; the CLI reads
// the same ones.
type identity struct {
	DeviceID    string
	Fingerprint string
}

// loadIdentity reads the device identity from dir, creating it on first
// run.
func loadIdentity(dir string) (identity, error) {
	l, err := laptop.Open(dir, laptop.Options{})
	if err != nil {
		return identity{}, fmt.Errorf("device identity: %w", err)
	}
	return identity{DeviceID: l.DeviceID(), Fingerprint: l.Fingerprint()}, nil
}
