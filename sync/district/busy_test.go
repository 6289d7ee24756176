package district

import (
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/storage"
	"zoufang/survey"
)

// busyTimeout is how long the district under test waits for a lock held
// by another process before it gives up.
const busyTimeout = 300 * time.Millisecond

// lockHolder is another process's connection to the district database.
type lockHolder struct {
	db   *sql.DB
	conn *sql.Conn
}

func newLockHolder(t testing.TB, dir string) *lockHolder {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, storage.FileName)+"?_pragma=busy_timeout(30000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &lockHolder{db: db, conn: conn}
}

// lock takes the write lock (BEGIN IMMEDIATE) and returns its release.
func (h *lockHolder) lock(t testing.TB) func() {
	t.Helper()
	if _, err := h.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	return func() { h.conn.ExecContext(ctx, `ROLLBACK`) }
}

// Finding 3 of issue 10, first half: while another process holds the
// database (SQLITE_BUSY), an upload is answered 503 with Retry-After and a
// Chinese "busy" message, and nothing is stored; the same upload later
// succeeds. Before the fix the laptop was told 400 "its bundle is bad".
func TestBusyDatabaseIsNotTheClientsFault(t *testing.T) {
	dir := t.TempDir()
	d, err := Init(dir, "市南区总工会", "", Options{Now: func() time.Time { return testNow }, BusyTimeout: busyTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := enrol(t, d, "张伟")
	data := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil))
	srv := httptest.NewServer(d.Handler(nil))
	defer srv.Close()
	put := func() (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v1/devices/"+l.id+"/bundles/1", strings.NewReader(string(data)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	before := dump(t, d)
	release := newLockHolder(t, dir).lock(t)
	resp, body := put()
	release()
	var msg struct{ Error string }
	json.Unmarshal([]byte(body), &msg)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("upload while the database is locked: %d (Retry-After %q) %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if !strings.Contains(msg.Error, "忙") || strings.ContainsAny(msg.Error, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("busy answer %q: want a Chinese 'busy, try again' without internals", msg.Error)
	}
	if dump(t, d) != before {
		t.Error("a busy answer stored something")
	}
	if resp, body := put(); resp.StatusCode != http.StatusCreated {
		t.Errorf("same upload once the lock is gone: %d %s, want 201", resp.StatusCode, body)
	}
}

// Finding 3, second half: a database error while the backlog drains (here
// another process holding the write lock past the busy timeout just after
// bundle 1 is applied) leaves bundle 2 waiting; it never quarantines a
// valid bundle. Before the fix any error while draining quarantined the
// bundle for good.
func TestLockedDatabaseWhileDrainingKeepsTheBundleWaiting(t *testing.T) {
	dir := t.TempDir()
	d, err := Init(dir, "市南区总工会", "", Options{Now: func() time.Time { return testNow }, BusyTimeout: busyTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := enrol(t, d, "张伟")
	b1 := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil))
	vs := make([]survey.Version, 3000)
	for i := range vs {
		vs[i] = l.visit(uuid.NewString(), i, survey.SampleVisitAnswers("2026-11-20", 2))
	}
	b2 := l.bundle(t, d, vs...)
	mustImport(t, d, b2, Backlogged)

	// Another process takes the write lock the moment bundle 1 is in,
	// before the drain of bundle 2 can write, and keeps it past the busy
	// timeout.
	h := newLockHolder(t, dir)
	locked := make(chan func())
	go func() {
		for {
			var seq int
			if err := h.conn.QueryRowContext(ctx, `SELECT seq FROM district_devices WHERE id = ?`, l.id).Scan(&seq); err == nil && seq >= 1 {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		if _, err := h.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			t.Error(err)
		}
		release := func() { h.conn.ExecContext(ctx, `ROLLBACK`) }
		time.AfterFunc(busyTimeout+time.Second, release)
		locked <- release
	}()
	res := d.Import(ctx, b1)
	<-locked
	if res.Decision != Applied {
		t.Fatalf("bundle 1: %s %s", res.Decision, res.Message)
	}
	time.Sleep(busyTimeout + 1500*time.Millisecond) // the lock is gone
	state := func() (applied, waiting, quarantined int) {
		d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles WHERE state = 'applied'`).Scan(&applied)
		d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles WHERE state = 'backlog'`).Scan(&waiting)
		d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles WHERE state = 'quarantined'`).Scan(&quarantined)
		return
	}
	if a, w, q := state(); q != 0 || a+w != 2 {
		t.Fatalf("after a locked drain: applied %d, waiting %d, quarantined %d; want bundle 2 applied or waiting, never quarantined", a, w, q)
	} else if w == 0 {
		t.Log("the drain got the lock first; bundle 2 applied")
	}
	// Delivered again (or the next drain): it is applied.
	res = d.Import(ctx, b2)
	if res.Decision != Applied && res.Decision != Duplicate {
		t.Errorf("bundle 2 again: %s %s", res.Decision, res.Message)
	}
	if a, w, q := state(); a != 2 || w != 0 || q != 0 {
		t.Errorf("at the end: applied %d, waiting %d, quarantined %d; want 2, 0, 0", a, w, q)
	}
}

// busyErr is what SQLite returns when another process holds the lock.
type busyErr struct{}

func (busyErr) Error() string { return "database is locked (5) (SQLITE_BUSY)" }
func (busyErr) Code() int     { return 5 }

// The same, deterministic: the merge of every waiting bundle fails once
// with SQLITE_BUSY (and once with an I/O error) while the backlog drains.
// Every bundle stays waiting until a later drain applies it.
func TestTransientErrorWhileDrainingNeverQuarantines(t *testing.T) {
	for _, fault := range []error{busyErr{}, errors.New("disk I/O error")} {
		t.Run(fault.Error(), func(t *testing.T) {
			d := newDistrict(t)
			l := enrol(t, d, "张伟")
			var bs [][]byte
			for i := 0; i < 4; i++ {
				bs = append(bs, l.bundle(t, d, l.visit(uuid.NewString(), i, nil)))
			}
			for _, b := range bs[1:] {
				mustImport(t, d, b, Backlogged)
			}
			merges := 0
			d.afterMerge = func() error {
				if merges++; merges > 1 { // bundle 1 goes in, the drain fails
					return fault
				}
				return nil
			}
			res := mustImport(t, d, bs[0], Applied)
			if res.Drained != 0 {
				t.Errorf("drained %d despite the failure", res.Drained)
			}
			if dv, _ := d.Device(ctx, l.id); dv.Seq != 1 || dv.Backlog != 3 || dv.Quarantined != 0 {
				t.Fatalf("after the failing drain: %+v, want seq 1, 3 waiting, none quarantined", dv)
			}
			d.afterMerge = nil
			rep, err := d.Drain(ctx)
			if err != nil || rep.Applied != 3 || rep.Waiting != 0 {
				t.Errorf("Drain = %+v, %v; want 3 applied", rep, err)
			}
		})
	}
}
