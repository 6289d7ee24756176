// Package district is the district side of sync: it enrols laptops, takes
// their bundles (USB file or HTTP upload) through one decision function,
// merges the versions into the district's storage, answers with signed
// receipts, shows conflicts for a person to resolve, and seals down bundles
// (roster, assignments, ledger follow-ups) for each laptop. It never
// imports Fyne and builds without cgo.
package district

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"github.com/google/uuid"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/sync"
)

// migrations are the tables this package owns beyond storage's original
// district schema (storage/migrations/0002_district.sql): trust files,
// district keys, kept down bundles.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate creates or updates the district's own tables in db.
func migrate(ctx context.Context, db *storage.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return db.MigrateOwned(ctx, "district", sub)
}

// Files and settings of a district data directory.
const (
	// KeyFile holds the district's current key pair (see KeysDir for
	// earlier ones).
	KeyFile = "district.key"

	setName   = "district.name"
	setURL    = "district.url"
	setID     = "district.id"
	setTrustV = "district.trust_version"
)

// District is an opened district data directory.
type District struct {
	dir string
	db  *storage.DB
	now func() time.Time
	lim sync.Limits

	// keys is the current key pair as last read (currentKeys checks the
	// database, which another process may have changed by a rotation);
	// ring caches key files of KeysDir by signing key id.
	keyMu gosync.Mutex
	keys  *sync.Keys
	ring  map[string]*sync.Keys

	// mu serialises bundle decisions: seq and head checks and the write
	// that advances them must not interleave between two uploads.
	mu gosync.Mutex
}

// Options configure Open.
type Options struct {
	Now    func() time.Time // time.Now when nil
	Limits sync.Limits      // sync.DefaultLimits when zero
}

// Init creates a district in dir: its key pair, its id and name, and the
// server URL laptops upload to (may be empty: USB only).
func Init(dir, name, serverURL string, opt Options) (*District, error) {
	if name == "" {
		return nil, errors.New("请填写区市总工会名称")
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		return nil, fmt.Errorf("目录 %s 已初始化过区级数据", dir)
	}
	if err := storage.MakePrivateDir(dir); err != nil {
		return nil, err
	}
	if _, _, err := sync.LoadOrCreateKeys(filepath.Join(dir, KeyFile)); err != nil {
		return nil, err
	}
	db, err := storage.OpenDir(dir, storage.Options{Synchronous: "NORMAL"})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	err = db.Update(ctx, func(tx *storage.Tx) error {
		for k, v := range map[string]string{setName: name, setURL: serverURL, setID: uuid.NewString(), setTrustV: "1"} {
			if err := tx.SetSetting(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		return nil, err
	}
	return Open(dir, opt)
}

// Open opens an initialised district directory.
func Open(dir string, opt Options) (*District, error) {
	keys, err := sync.ReadKeyFile(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("目录 %s 不是区级数据目录（先运行 init）：%w", dir, err)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Limits == (sync.Limits{}) {
		opt.Limits = sync.DefaultLimits()
	}
	// The district's own versions (resolutions) need a device id and an
	// author; read them before opening the real handle.
	probe, err := storage.OpenDir(dir, storage.Options{Synchronous: "NORMAL"})
	if err != nil {
		return nil, err
	}
	id, _ := probe.Setting(context.Background(), setID)
	name, _ := probe.Setting(context.Background(), setName)
	probe.Close()
	if id == "" {
		return nil, fmt.Errorf("目录 %s 的区级设置不完整", dir)
	}
	db, err := storage.OpenDir(dir, storage.Options{Now: opt.Now, Synchronous: "NORMAL", DeviceID: id, Author: name})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := audit.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	d := &District{dir: dir, db: db, keys: keys, now: opt.Now, lim: opt.Limits}
	if err := d.setupTrust(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the district's database.
func (d *District) Close() error { return d.db.Close() }

// Dir is the district's data directory.
func (d *District) Dir() string { return d.dir }

// DB is the district's storage (merged records).
func (d *District) DB() *storage.DB { return d.db }

// Fingerprint is the fingerprint of the district's current key.
func (d *District) Fingerprint() string {
	k, err := d.currentKeys(context.Background())
	if err != nil {
		return "（无法读取区总工会密钥）"
	}
	return k.Public().Fingerprint()
}

func (d *District) setting(k string) string {
	v, _ := d.db.Setting(context.Background(), k)
	return v
}

// Name is the district's name.
func (d *District) Name() string { return d.setting(setName) }

// Device is an enrolled laptop as district staff see it.
type Device struct {
	ID, Name, Investigator, Fingerprint string
	Enrolled                            time.Time
	Revoked                             string // time of revocation, "" while active
	RevokeReason                        string
	Seq                                 uint64 // highest contiguous bundle applied
	Backlog, Quarantined                int
}

// Enroll takes a laptop's enrolment request file. It returns the signed
// trust file for the laptop and the request's fingerprint, which staff
// compare with the one on the laptop's screen.
func (d *District) Enroll(req []byte) ([]byte, string, error) {
	return d.EnrollAs(context.Background(), "区总工会", req)
}

// EnrollAs is Enroll by a named person (the workbench's logged-in
// account), who is recorded in the audit log.
func (d *District) EnrollAs(ctx context.Context, actor string, req []byte) ([]byte, string, error) {
	r, err := sync.ParseEnrollRequest(req)
	if err != nil {
		return nil, "", fmt.Errorf("登记申请文件无效：%w", err)
	}
	now := d.now().UTC()
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		var old []byte
		err := tx.QueryRow(`SELECT request FROM district_devices WHERE id = ?`, r.DeviceID).Scan(&old)
		switch {
		case err == nil:
			prev, perr := sync.ParseEnrollRequest(old)
			if perr != nil || !prev.Keys.Equal(r.Keys) {
				return fmt.Errorf("设备 %s 已用另一把密钥登记过；如确属换机，请先停用旧设备", r.DeviceID)
			}
			return nil // the same request again: same trust file
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(`INSERT INTO district_devices (id, name, investigator, request, fingerprint, enrolled) VALUES (?, ?, ?, ?, ?, ?)`,
			r.DeviceID, r.DeviceName, r.Investigator, req, r.Fingerprint(), now.Format(time.RFC3339)); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{At: now, Actor: actor, Action: "enroll", Target: r.DeviceID,
			Detail: fmt.Sprintf("登记设备 %s（%s，%s），指纹 %s", r.DeviceID, r.DeviceName, r.Investigator, r.Fingerprint())})
	})
	if err != nil {
		return nil, "", err
	}
	trust, err := d.TrustFile()
	return trust, r.Fingerprint(), err
}

// Revoke stops accepting bundles from a lost or retired laptop; anything it
// sends later is quarantined.
func (d *District) Revoke(deviceID, who, reason string) error {
	now := d.now().UTC()
	return d.db.Update(context.Background(), func(tx *storage.Tx) error {
		res, err := tx.Exec(`UPDATE district_devices SET revoked = ?, revoke_reason = ? WHERE id = ? AND revoked = ''`, now.Format(time.RFC3339), reason, deviceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("没有在用的设备 %s", deviceID)
		}
		return audit.Record(tx, audit.Entry{At: now, Actor: who, Action: "revoke", Target: deviceID,
			Detail: fmt.Sprintf("停用设备 %s", deviceID), Reason: reason})
	})
}

// Devices lists the enrolled devices with their sync state.
func (d *District) Devices(ctx context.Context) ([]Device, error) {
	rows, err := d.db.Query(ctx, `SELECT id, name, investigator, fingerprint, enrolled, revoked, revoke_reason, seq,
		(SELECT count(*) FROM district_bundles b WHERE b.device_id = d.id AND b.state = 'backlog'),
		(SELECT count(*) FROM district_bundles b WHERE b.device_id = d.id AND b.state = 'quarantined')
		FROM district_devices d ORDER BY enrolled, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var dv Device
		var enrolled string
		if err := rows.Scan(&dv.ID, &dv.Name, &dv.Investigator, &dv.Fingerprint, &enrolled, &dv.Revoked, &dv.RevokeReason, &dv.Seq, &dv.Backlog, &dv.Quarantined); err != nil {
			return nil, err
		}
		dv.Enrolled, _ = time.Parse(time.RFC3339, enrolled)
		out = append(out, dv)
	}
	return out, rows.Err()
}

// Log returns the recorded decisions, oldest first (the workbench reads
// the audit log with filters through package audit).
func (d *District) Log(ctx context.Context) ([]audit.Entry, error) {
	es, _, err := audit.List(ctx, d.db, audit.Filter{})
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es, err
}
