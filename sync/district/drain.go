package district

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zoufang/sync"
)

// DrainReport says what a drain did.
type DrainReport struct {
	// Applied counts backlog bundles merged; Quarantined those that could
	// not be (they now wait for a person, with the reason).
	Applied, Quarantined int
	// Waiting counts bundles still in the backlog: an earlier bundle of
	// their device has not arrived.
	Waiting int
}

// Drain applies every waiting bundle that is next in line for its device,
// for every device, until none is. It runs after each apply, when serve
// and import start, on a timer while serving, and as the `drain` command;
// several processes may drain at once (each decision is its own
// transaction). A database error stops it with the bundle left waiting:
// a valid bundle is never quarantined because the server had trouble.
func (d *District) Drain(ctx context.Context) (DrainReport, error) {
	var rep DrainReport
	var firstErr error
	for {
		next, err := d.nextInLine(ctx, "")
		if err != nil {
			return rep, d.fail(err, "drain: list")
		}
		progress := false
		for _, r := range next {
			res, err := d.drainOne(ctx, r)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			switch res.Decision {
			case Applied:
				rep.Applied++
				progress = true
			case Quarantined:
				rep.Quarantined++
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	var waiting int
	if err := d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles WHERE state = 'backlog'`).Scan(&waiting); err != nil && firstErr == nil {
		firstErr = d.fail(err, "drain: count")
	}
	rep.Waiting = waiting
	return rep, firstErr
}

// drainDevice is Drain for one device; it returns how many bundles it
// applied.
func (d *District) drainDevice(ctx context.Context, device string) (int, error) {
	n := 0
	for {
		next, err := d.nextInLine(ctx, device)
		if err != nil || len(next) == 0 {
			return n, err
		}
		res, err := d.drainOne(ctx, next[0])
		if err != nil {
			return n, err
		}
		if res.Decision != Applied {
			return n, nil
		}
		n++
	}
}

// drainOne runs the import decision again on a stored backlog bundle. A
// result that says "try again" is returned as an error and changes
// nothing.
func (d *District) drainOne(ctx context.Context, r bundleRow) (Result, error) {
	data, err := d.bundleData(ctx, r.device, r.seq, r.hash)
	if errors.Is(err, errStale) {
		return Result{}, nil // applied or moved by another process meanwhile
	}
	if err != nil {
		return Result{}, d.fail(err, "drain: read bundle")
	}
	in := &incoming{data: data, stored: true}
	sc, err := sync.ScanBundle(bytes.NewReader(data), d.lim, nil)
	if err == nil && sc.Hash != r.hash {
		err = errors.New("stored bytes do not match their hash")
	}
	if err == nil {
		dev, derr := d.device(ctx, r.device)
		if derr != nil {
			return Result{}, d.fail(derr, "drain: read device")
		}
		err = sc.Verify(dev.req.Keys.Signing)
	}
	if err != nil {
		// The bytes were checked when they arrived; if they no longer
		// scan or verify, keep them for a person.
		in.scan = &sync.BundleScan{Header: sync.Header{DeviceID: r.device, Seq: r.seq}, Hash: r.hash}
		res := d.quarantineStored(ctx, in, &Error{Code: CodeDamaged, Message: "区总工会保存的同步包已损坏", Err: err})
		return res, nil
	}
	in.scan = sc
	res := d.decide(ctx, in)
	if res.Decision == Retry {
		return res, &Error{Code: res.Code, Message: res.Message}
	}
	return res, nil
}

// Recover is what serve, import and drain run when they start: it removes
// upload files left by a process that was killed, and drains the backlog.
// A district killed at any point is whole again after it, with no person
// involved: every decision was one transaction, so only the drain that was
// cut short and temporary files remain.
func (d *District) Recover(ctx context.Context) (DrainReport, error) {
	d.removeStaleUploads(time.Hour)
	return d.Drain(ctx)
}

// uploadDir holds uploads while they arrive (HTTP, the workbench) before
// their decision.
const uploadDir = "incoming"

// UploadFile creates an empty file (0600) for an upload in the data
// directory's incoming/ folder (0700): an upload is written to disk as it
// arrives instead of being held in memory, on the same disk as the
// database rather than in /tmp, and a file left behind by a process that
// died is removed by the next start (Recover). kind goes into the name
// (bundle, roster); the caller closes and removes the file when done.
func (d *District) UploadFile(kind string) (*os.File, error) {
	dir := filepath.Join(d.dir, uploadDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload file: %w", err)
	}
	f, err := os.CreateTemp(dir, "upload-"+kind+"-*")
	if err != nil {
		return nil, fmt.Errorf("upload file: %w", err)
	}
	return f, nil
}

// removeStaleUploads deletes upload files not written to for olderThan: an
// upload in progress writes at least every bodyIdle, and one waiting for
// its decision is younger than olderThan; anything older was left by a
// process that died.
func (d *District) removeStaleUploads(olderThan time.Duration) {
	dir := filepath.Join(d.dir, uploadDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "upload-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > olderThan {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				d.log.Warn("remove stale upload", "file", e.Name(), "err", err)
			}
		}
	}
}
