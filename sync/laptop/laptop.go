// Package laptop is the field laptop's side of sync: the device identity in
// the data directory, the enrolment request, the district's trust file, and
// the up bundles the laptop sends (export to a USB stick or upload over
// HTTP) until a signed receipt from the district says they arrived. It also
// imports receipts and the district's down bundles (roster, assignments,
// ledger follow-ups). It never imports Fyne: the CLI and the GUI share it.
package laptop

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"zoufang/storage"
	"zoufang/sync"
)

// Files of the device identity and sync state inside the data directory.
// The key file is written 0600 and never leaves the laptop; the GUI
// (app/identity.go) uses the same names.
const (
	KeyFile   = "device.key"
	IDFile    = "device.id"
	TrustFile = "trust.zft"
	OutboxDir = "outbox"
)

// Options configure a Laptop.
type Options struct {
	// Now is the clock (tests pin it); time.Now when nil.
	Now func() time.Time
	// Limits bound what Import accepts; zero fields take the defaults.
	Limits sync.Limits
	// MaxBundleVersions and MaxBundleBytes cap one up bundle (its number
	// of versions, and the size of the sealed file); a larger outbox is
	// split. Zero takes DefaultMaxBundleVersions and DefaultMaxBundleBytes.
	MaxBundleVersions, MaxBundleBytes int
}

// Laptop is this device's sync identity in one data directory.
type Laptop struct {
	dir  string
	id   string
	keys *sync.Keys
	now  func() time.Time
	opt  Options
}

// Open loads the device identity of the data directory dir, creating it on
// first run: an Ed25519 + X25519 key file (0600) and a device id (UUID).
func Open(dir string, opt Options) (*Laptop, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := storage.MakePrivateDir(dir); err != nil {
		return nil, fmt.Errorf("无法创建数据目录 %s：%w", dir, err)
	}
	keys, _, err := sync.LoadOrCreateKeys(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("device identity: %w", err)
	}
	id, err := loadDeviceID(filepath.Join(dir, IDFile))
	if err != nil {
		return nil, err
	}
	return &Laptop{dir: dir, id: id, keys: keys, now: opt.Now, opt: opt}, nil
}

// loadDeviceID reads the device id file, creating it with a fresh UUID when
// missing. Bundles carry the id in canonical lowercase form, so any other
// spelling is refused rather than silently changed.
func loadDeviceID(path string) (string, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		u, perr := uuid.Parse(id)
		if perr != nil || u.String() != id {
			return "", fmt.Errorf("设备编号文件 %s 已损坏（%q 不是有效的设备编号）", path, id)
		}
		return id, nil
	case errors.Is(err, os.ErrNotExist):
		id := uuid.NewString()
		if err := sync.WriteFileAtomic(path, []byte(id+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("device identity: %w", err)
		}
		return id, nil
	default:
		return "", fmt.Errorf("device identity: %w", err)
	}
}

// Dir returns the data directory.
func (l *Laptop) Dir() string { return l.dir }

// DeviceID returns the device id (canonical UUID).
func (l *Laptop) DeviceID() string { return l.id }

// Public returns the device's public keys.
func (l *Laptop) Public() sync.PublicKeys { return l.keys.Public() }

// Fingerprint returns the short code compared with the district's screen at
// enrolment (ABCD-EFGH-JKLM-NPQR).
func (l *Laptop) Fingerprint() string { return l.keys.Public().Fingerprint() }

// Who describes the laptop and its user in an enrolment request.
type Who struct {
	DeviceName   string // e.g. 张三的笔记本
	Investigator string // the person using the laptop
	District     string // the district it asks to join
}

// Request returns the signed enrolment request file for this laptop, to be
// handed to the district on a USB stick. The district compares its
// fingerprint with Fingerprint on this screen.
func (l *Laptop) Request(w Who) ([]byte, error) {
	if strings.TrimSpace(w.DeviceName) == "" {
		return nil, errors.New("请填写设备名称")
	}
	data, err := sync.NewEnrollRequest(sync.EnrollRequest{
		DeviceID: l.id, DeviceName: w.DeviceName, Investigator: w.Investigator, District: w.District,
		Created: l.now(),
	}, l.keys)
	if err != nil {
		return nil, fmt.Errorf("生成登记申请失败：%w", err)
	}
	return data, nil
}

// Now returns the laptop's clock reading.
func (l *Laptop) Now() time.Time { return l.now() }
