package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"zoufang/sync"
)

// identity is this laptop's device identity: a UUID and the sync key pair
// (Ed25519 signing, X25519 sealing) whose fingerprint the district compares
// at enrolment.
type identity struct {
	DeviceID    string
	Fingerprint string
	Keys        *sync.Keys
}

// Files of the device identity inside the data directory. The key file is
// written 0600 by the sync package and never leaves the laptop.
const (
	deviceKeyFile = "device.key"
	deviceIDFile  = "device.id"
)

// loadIdentity reads the device identity from dir, creating it on first
// run.
func loadIdentity(dir string) (identity, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return identity{}, fmt.Errorf("device identity: %w", err)
	}
	keys, _, err := sync.LoadOrCreateKeys(filepath.Join(dir, deviceKeyFile))
	if err != nil {
		return identity{}, fmt.Errorf("device identity: %w", err)
	}
	idPath := filepath.Join(dir, deviceIDFile)
	b, err := os.ReadFile(idPath)
	var id string
	switch {
	case err == nil:
		id = strings.TrimSpace(string(b))
		if _, perr := uuid.Parse(id); perr != nil {
			return identity{}, fmt.Errorf("device identity: bad %s: %w", deviceIDFile, perr)
		}
	case errors.Is(err, os.ErrNotExist):
		id = uuid.NewString()
		if err := sync.WriteFileAtomic(idPath, []byte(id+"\n"), 0o600); err != nil {
			return identity{}, fmt.Errorf("device identity: %w", err)
		}
	default:
		return identity{}, fmt.Errorf("device identity: %w", err)
	}
	return identity{DeviceID: id, Fingerprint: keys.Public().Fingerprint(), Keys: keys}, nil
}
