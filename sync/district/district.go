// Package district is the district side of sync: it enrols laptops, takes
// their bundles (USB file or HTTP upload) through one decision function,
// merges the versions into the district's storage, answers with signed
// receipts, shows conflicts for a person to resolve, keeps quarantined
// bundles for a person to release or reject, and seals down bundles
// (roster, assignments, ledger follow-ups, published forms and campaign)
// for each laptop. It never
// imports Fyne and builds without cgo.
//
// # Tables
//
// The district_* tables (storage migration 0002 and this package's own
// migrations/) belong to this package alone: other packages,
// cmd/zoufang-server and the workbench included, call its methods and never
// name these tables in SQL (TestTableOwnership fails if they do). One file
// per table group:
//
//	district_devices  devices.go  enrolled laptops, keys, revocation, stream state
//	district_bundles  bundles.go  every up bundle seen: applied (hash only),
//	                              backlog, quarantined (bytes kept), rejected
//	district_sent     down.go     versions already sent down to each device
//	district_down     down.go     every down bundle sealed, kept to be resent
//	district_trust    trust.go    every trust file issued
//	district_keys     trust.go    the district's key pairs and their state
//
// Decisions (enrolment, revocation, quarantine, release, rejection,
// resolution) are recorded in the audit log (package audit) in the same
// transaction as the change.
//
// Every check that guards a write to them runs inside the same write
// transaction (storage.DB.Update, BEGIN IMMEDIATE) with conditional
// updates, so any number of processes on one data directory (serve, import,
// drain, the workbench) decide as if one at a time.
package district

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
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

// District is an opened district data directory. Its methods are safe for
// concurrent use, and other processes may use the same directory at once.
type District struct {
	dir   string
	db    *storage.DB
	now   func() time.Time
	lim   sync.Limits
	quota Quota
	// registry is the forms and campaign in force: built in and
	// published here (publish.go); responses are checked against it.
	registry *storage.Registry
	log      *slog.Logger

	// keys is the current key pair as last read (currentKeys checks the
	// database, which another process may have changed by a rotation);
	// ring caches key files of KeysDir by signing key id.
	keyMu gosync.Mutex
	keys  *sync.Keys
	ring  map[string]*sync.Keys

	// opening bounds how many bundles are held in memory to be decrypted
	// and merged at once: the memory of an import grows with the bundle,
	// so the server's peak does not grow with the number of clients.
	opening chan struct{}

	// afterMerge, for tests, runs inside the import transaction after a
	// bundle's versions are merged; an error aborts the transaction as a
	// database failure would (a power cut, SQLITE_BUSY, a full disk).
	afterMerge func() error

	// mu serialises work within this process that does not need to be
	// serialised across processes.
	mu gosync.Mutex
}

// Options configure Open.
type Options struct {
	Now    func() time.Time // time.Now when nil
	Limits sync.Limits      // sync.DefaultLimits when zero
	// Quota bounds what one device may have stored but not applied
	// (backlog and quarantine); DefaultQuota when zero.
	Quota Quota
	// Logger receives the internals behind user-facing errors; discarded
	// when nil.
	Logger *slog.Logger
	// BusyTimeout is how long a write waits for another process's
	// transaction before the operation is answered "busy, try again";
	// 10 s when zero.
	BusyTimeout time.Duration
	// Parallel is how many bundles may be decrypted and merged at once in
	// this process; 1 when zero (writes are serial in SQLite anyway).
	Parallel int
}

// Quota bounds the bundles of one device that are stored but not applied.
// A laptop honestly waiting for a lost earlier bundle uses a few; a device
// that floods the district with conflicting or early bundles stops at it
// (HTTP 429) instead of filling the disk.
type Quota struct {
	Bundles int   // backlog + quarantined bundles
	Bytes   int64 // their total size
}

// DefaultQuota is 200 bundles and 2 GiB per device: eight bundles of the
// largest size, or a campaign's worth of ordinary ones.
var DefaultQuota = Quota{Bundles: 200, Bytes: 2 << 30}

// Init creates a district in dir: its key pair, its id and name, and the
// server URL laptops upload to (may be empty: USB only).
func Init(dir, name, serverURL string, opt Options) (*District, error) {
	if name == "" {
		return nil, errorf(CodeInvalidArgument, "请填写区市总工会名称")
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		return nil, errorf(CodeAlreadyEnrolled, "目录 %s 已初始化过区级数据", dir)
	}
	if err := storage.MakePrivateDir(dir); err != nil {
		return nil, &Error{Code: CodeUnreadable, Message: fmt.Sprintf("无法创建目录 %s", dir), Err: err}
	}
	if _, _, err := sync.LoadOrCreateKeys(filepath.Join(dir, KeyFile)); err != nil {
		return nil, &Error{Code: CodeInternal, Message: fmt.Sprintf("无法在 %s 生成区级密钥", dir), Err: err}
	}
	db, err := storage.OpenDir(dir, storage.Options{BusyTimeout: opt.BusyTimeout})
	if err != nil {
		return nil, asError(err, "init district")
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
		return nil, asError(err, "init district")
	}
	return Open(dir, opt)
}

// Open opens an initialised district directory.
func Open(dir string, opt Options) (*District, error) {
	keys, err := sync.ReadKeyFile(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, &Error{Code: CodeNotFound, Message: fmt.Sprintf("目录 %s 不是区级数据目录（先运行 init），或区级密钥文件无法读取", dir), Err: err}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Limits == (sync.Limits{}) {
		opt.Limits = sync.DefaultLimits()
	}
	if opt.Quota == (Quota{}) {
		opt.Quota = DefaultQuota
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 1
	}
	if _, _, err := storage.Builtin(); err != nil {
		return nil, fmt.Errorf("open district: %w", err)
	}
	// The district's own versions (resolutions) need a device id and an
	// author; read them before opening the real handle.
	probe, err := storage.OpenDir(dir, storage.Options{BusyTimeout: opt.BusyTimeout})
	if err != nil {
		return nil, asError(err, "open district")
	}
	id, _ := probe.Setting(context.Background(), setID)
	name, _ := probe.Setting(context.Background(), setName)
	probe.Close()
	if id == "" {
		return nil, errorf(CodeNotFound, "目录 %s 的区级设置不完整（init 没有完成？）", dir)
	}
	db, err := storage.OpenDir(dir, storage.Options{Now: opt.Now, DeviceID: id, Author: name, BusyTimeout: opt.BusyTimeout, ReadMmap: 1 << 30})
	if err != nil {
		return nil, asError(err, "open district")
	}
	ctx := context.Background()
	if err := audit.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, asError(err, "open district: audit tables")
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, asError(err, "open district: district tables")
	}
	d := &District{
		dir: dir, db: db, keys: keys, now: opt.Now, lim: opt.Limits, quota: opt.Quota,
		registry: storage.NewRegistry(db), log: opt.Logger, opening: make(chan struct{}, opt.Parallel),
	}
	if err := d.setupTrust(ctx); err != nil {
		db.Close()
		return nil, d.fail(err, "open district: trust")
	}
	if err := d.fillKeyIDs(ctx); err != nil {
		db.Close()
		return nil, d.fail(err, "open district: key ids")
	}
	return d, nil
}

// Logger is where the district logs internals (Options.Logger).
func (d *District) Logger() *slog.Logger { return d.log }

// fail logs an error's internals and returns its user-facing form.
func (d *District) fail(err error, what string) *Error {
	e := asError(err, what)
	if e.Err != nil {
		d.log.Error(what, "code", string(e.Code), "err", e.Err)
	}
	return e
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

// Log returns the recorded decisions, oldest first (the workbench reads
// the audit log with filters through package audit).
func (d *District) Log(ctx context.Context) ([]audit.Entry, error) {
	es, _, err := audit.List(ctx, d.db, audit.Filter{})
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es, err
}
