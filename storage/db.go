// Package storage keeps the field kit's records in one SQLite file (pure Go
// driver modernc.org/sqlite). Every record is stored as immutable versions;
// the tables the screens read (enterprises, visits, responses, ledger items)
// are projections of each record's current tip. The same package serves the
// laptop (synchronous=FULL: an acknowledged save survives a dying battery)
// and the district server.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"zoufang/assets"
	"zoufang/survey"
)

// FileName is the name of the database file inside a data directory.
const FileName = "zoufang.db"

// Options configure a database.
type Options struct {
	// Now is the clock (tests pin it); time.Now when nil.
	Now func() time.Time
	// DeviceID and Author are written into every version created here.
	DeviceID, Author string
	// Synchronous is SQLite's synchronous pragma: "FULL" (default; every
	// commit is on disk before it returns) or "NORMAL" (WAL+NORMAL is
	// durable against process crashes only: a power cut may take back the
	// last commits). The laptop and the district both use FULL: the
	// district answers a bundle with a receipt once its transaction
	// commits, and the laptop then drops the bundle's bytes, so a decision
	// the district forgot after a power cut would be lost for good.
	Synchronous string
	// BusyTimeout is how long a statement waits for another connection or
	// process holding the write lock before failing with SQLITE_BUSY;
	// 10 s when zero.
	BusyTimeout time.Duration
	// Forms are the form definitions visits are checked against on every
	// write (survey.CheckVisitChange); the shipped forms when nil.
	Forms *survey.FormSet
	// ReadMmap, when positive, lets the read connections map up to that
	// many bytes of the file (PRAGMA mmap_size) and gives each a 64 MB
	// page cache: the district workbench's lists and counts read tens of
	// megabytes per page, and a read system call per page is dear.
	ReadMmap int64
	// RateRules are the figures whose counts the database keeps per
	// enterprise (ratecounts.go); survey.FigureRules when nil. Tests open
	// a database with other rules to see the counts rebuilt.
	RateRules []survey.RateRule
}

// DB is an open database. It is safe for concurrent use: writes go through
// one connection (SQLite allows one writer), reads through a small pool.
type DB struct {
	path  string
	opt   Options
	write *sql.DB
	read  *sql.DB

	index *searchIndex // roster search, built on first use
	rates *rateSchema  // the counts of the figures (ratecounts.go)
}

// shippedForms parses the forms the binaries ship with, once.
var shippedForms = gosync.OnceValues(func() (*survey.FormSet, error) { return survey.LoadForms(assets.Forms()) })

//go:embed migrations/*.sql
var migrations embed.FS

// OpenDir opens (creating if needed) the database of the data directory dir.
func OpenDir(dir string, opt Options) (*DB, error) {
	if err := MakePrivateDir(dir); err != nil {
		return nil, wrapUser(err, "open", "无法创建数据目录 %s", dir)
	}
	return Open(filepath.Join(dir, FileName), opt)
}

// Open opens (creating and migrating if needed) the SQLite database file at
// path.
func Open(path string, opt Options) (*DB, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Forms == nil {
		forms, err := shippedForms()
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		opt.Forms = forms
	}
	if opt.RateRules == nil {
		opt.RateRules = survey.FigureRules
	}
	rates, err := newRateSchema(opt.RateRules)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	syncMode := strings.ToUpper(opt.Synchronous)
	switch syncMode {
	case "":
		syncMode = "FULL"
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, fmt.Errorf("open %s: unknown synchronous mode %q", path, opt.Synchronous)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := privateDBFiles(abs); err != nil {
		return nil, wrapUser(err, "open", "无法创建数据库文件 %s", abs)
	}
	busy := "busy_timeout(10000)"
	if opt.BusyTimeout > 0 {
		busy = fmt.Sprintf("busy_timeout(%d)", max(1, opt.BusyTimeout.Milliseconds()))
	}
	q := url.Values{}
	for _, p := range []string{
		busy,
		"journal_mode(WAL)",
		"foreign_keys(1)",
		"synchronous(" + syncMode + ")",
		// A roster import touches ~100 MB of pages in one transaction; with
		// the default 8 MB cache they spill to the WAL and are read back.
		"cache_size(-65536)",
		// A REPLACE that removes a row fires its delete triggers only
		// with this on: the figures' counts follow every removed response
		// (ratecounts.go).
		"recursive_triggers(1)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
	if err := createFile(abs); err != nil {
		return nil, err
	}

	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{path: abs, opt: opt, write: write, index: &searchIndex{}, rates: rates}
	if err := db.migrate(context.Background()); err != nil {
		write.Close()
		return nil, err
	}
	if err := db.ensureRateCounts(context.Background()); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	qr := url.Values{}
	for _, p := range []string{busy, "foreign_keys(1)", "query_only(1)"} {
		qr.Add("_pragma", p)
	}
	if opt.ReadMmap > 0 {
		qr.Add("_pragma", fmt.Sprintf("mmap_size(%d)", opt.ReadMmap))
		qr.Add("_pragma", "cache_size(-65536)")
	}
	read, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?"+qr.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(2, runtime.NumCPU()))
	db.read = read
	return db, nil
}

// createFile makes sure the database file exists with its first table,
// creating it with 16 KB pages instead of SQLite's 4 KB when it is new: a
// bulk write (roster import, merging a bundle) then makes a quarter of the
// WAL write calls, which dominate it on machines where system calls are
// dear (district import of 10,000 visits: 3,300 -> 5,990 visits/s; roster
// import 17,500 -> 20,400 rows/s; autosave p99 unchanged). The page size
// only takes effect while the file is empty and not yet in WAL mode, so
// this runs on a connection of its own before the WAL pragma; on an
// existing database it changes nothing. Several processes may run it on
// one new file at once: SQLite's locks order them and the table is
// created once.
func createFile(path string) error {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "page_size(16384)")
	conn, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`); err != nil {
		return wrapUser(err, "open", "无法打开数据库 %s", path)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Dir returns the directory holding the database file.
func (db *DB) Dir() string { return filepath.Dir(db.path) }

// Forms returns the form definitions records are checked against.
func (db *DB) Forms() *survey.FormSet { return db.opt.Forms }

// Path returns the database file name.
func (db *DB) Path() string { return db.path }

// now is the database clock, in UTC with the monotonic reading stripped.
func (db *DB) now() time.Time { return db.opt.Now().UTC().Round(0) }

// migrate applies the embedded migrations that have not been applied yet,
// each in its own transaction, in the order of their number.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return db.applyMigrations(ctx, sub,
		`SELECT count(*) FROM schema_migrations WHERE version = ?`,
		`INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`)
}

// MigrateOwned applies the numbered migrations of a package that owns its
// own tables (the district's sync state, the workbench's accounts): fsys
// holds NNNN_name.sql files at its root, numbered per owner from 1, each
// applied once in its own transaction and recorded under the owner's name.
// Keeping a package's schema beside its code makes the rule "a table
// belongs to one package" visible; storage only runs the files. Safe when
// several processes open the same database at once: each file's check and
// application happen in one write transaction.
func (db *DB) MigrateOwned(ctx context.Context, owner string, fsys fs.FS) error {
	if owner == "" {
		return errors.New("migrate: owner name is empty")
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS owned_migrations (
		owner TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied TEXT NOT NULL,
		PRIMARY KEY (owner, version)) WITHOUT ROWID`); err != nil {
		return fmt.Errorf("migrate %s: %w", owner, err)
	}
	if err := db.applyMigrations(ctx, fsys,
		`SELECT count(*) FROM owned_migrations WHERE owner = `+quoteSQL(owner)+` AND version = ?`,
		`INSERT INTO owned_migrations (owner, version, name, applied) VALUES (`+quoteSQL(owner)+`, ?, ?, ?)`); err != nil {
		return fmt.Errorf("migrate %s: %w", owner, err)
	}
	return nil
}

func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// applyMigrations runs the NNNN_name.sql files at the root of fsys in
// number order. done counts the applied rows for a version; record inserts
// (version, name, applied). The check runs inside the migration's own
// write transaction (BEGIN IMMEDIATE), so two processes opening a new
// database at once cannot both apply a file.
func (db *DB) applyMigrations(ctx context.Context, fsys fs.FS, done, record string) error {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	type mig struct {
		n    int
		name string
	}
	var ms []mig
	seen := map[int]string{}
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n <= 0 {
			return fmt.Errorf("migrate: file %s is not named NNNN_name.sql", name)
		}
		if other, dup := seen[n]; dup {
			return fmt.Errorf("migrate: %s and %s have the same number", other, name)
		}
		seen[n] = name
		ms = append(ms, mig{n, name})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n < ms[j].n })
	for _, m := range ms {
		body, err := fs.ReadFile(fsys, m.name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, done, m.n).Scan(&n); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, record, m.n, m.name, db.now().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// Tx is one write transaction (see DB.Update).
type Tx struct {
	db  *DB
	ctx context.Context
	tx  *sql.Tx
	// touched collects enterprise ids whose projection changed, so the
	// search index is patched after commit. Every write of the enterprises
	// table goes through projectTip, which records it here.
	touched map[string]bool
	stmts   map[string]*sql.Stmt
	// stored counts the versions written, to tell a bulk write.
	stored int
	// ledgers collects the ledger items that got a version, for
	// MergeLedgerHeads.
	ledgers map[string]bool
}

// bulkWrite is the number of versions from which a transaction counts as
// bulk (a roster import, a merged bundle): afterwards the write
// connection hands its page cache back, which such a transaction fills
// up to cache_size (64 MB) and which would otherwise stay for the
// session (a 100,000-row import leaves the GUI 114 MB larger without it).
const bulkWrite = 500

// Update runs fn in one write transaction: committed when fn returns nil,
// rolled back (nothing written) otherwise.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{db: db, ctx: ctx, tx: sqlTx, touched: map[string]bool{}, stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, s := range tx.stmts {
			s.Close()
		}
	}()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	// A transaction that changed the roster counts itself, in the same
	// transaction, so that every process's search index can tell it is
	// stale (roster_changes; searchIndex.build).
	var changes int64
	if len(tx.touched) > 0 {
		if err := sqlTx.QueryRowContext(ctx, `UPDATE roster_changes SET n = n + 1 WHERE id = 1 RETURNING n`).Scan(&changes); err != nil {
			sqlTx.Rollback()
			return fmt.Errorf("count roster change: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	db.index.patch(ctx, db, tx.touched, changes)
	if tx.stored >= bulkWrite {
		// Only memory is at stake; a failure changes nothing stored.
		db.write.ExecContext(ctx, `PRAGMA shrink_memory`)
	}
	return nil
}

// Exec runs a statement inside the transaction.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

// Query runs a query inside the transaction.
func (tx *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

// QueryRow runs a query expected to return at most one row.
func (tx *Tx) QueryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// Now is the database clock.
func (tx *Tx) Now() time.Time { return tx.db.now() }

// stmt returns a statement prepared once per transaction: bulk paths (roster
// import, bundle import) run the same few statements many thousand times.
func (tx *Tx) stmt(query string) (*sql.Stmt, error) {
	if s, ok := tx.stmts[query]; ok {
		return s, nil
	}
	s, err := tx.tx.PrepareContext(tx.ctx, query)
	if err != nil {
		return nil, err
	}
	tx.stmts[query] = s
	return s, nil
}

func (tx *Tx) exec(query string, args ...any) error {
	s, err := tx.stmt(query)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(tx.ctx, args...)
	return err
}

// queryRow is QueryRow through the transaction's prepared statements.
func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	s, err := tx.stmt(query)
	if err != nil {
		return tx.tx.QueryRowContext(tx.ctx, query, args...) // reports err on Scan
	}
	return s.QueryRowContext(tx.ctx, args...)
}

// query is Query through the transaction's prepared statements.
func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	s, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(tx.ctx, args...)
}

// Query runs a read-only query outside any write transaction.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, query, args...)
}

// QueryRow runs a read-only query expected to return at most one row.
// scanStrings reads the one text column of rows (closing them), or
// returns the query's error: the list queries of ids.
func scanStrings(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Synchronous returns the synchronous pragma of the connection that
// writes (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA): what a commit promises about
// a power cut.
func (db *DB) Synchronous(ctx context.Context) (int, error) {
	var mode int
	err := db.write.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode)
	return mode, err
}

func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, query, args...)
}

var _ = gosync.Mutex{}
