package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// PutResult counts what PutVersions did with the versions it was given.
type PutResult struct {
	Applied    int // new versions now in the record history (incl. released from the backlog)
	Duplicate  int // already here with identical content
	Backlogged int // waiting for a parent version that has not arrived
}

// Conflict is a record with more than one tip: concurrent edits that a
// person has to reconcile. Heads are ordered provisional winner first.
type Conflict struct {
	RecordID string
	Kind     survey.RecordKind
	Heads    []survey.Version
}

const versionCols = `version_id, record_id, kind, parents, form_id, form_version, author, device_id, created, deleted, payload`

// scanVersion reads one row selected with versionCols.
func scanVersion(sc interface{ Scan(...any) error }) (survey.Version, error) {
	var (
		v       survey.Version
		parents string
		created string
		deleted int
		payload []byte
		kind    string
	)
	if err := sc.Scan(&v.VersionID, &v.RecordID, &kind, &parents, &v.FormID, &v.FormVersion, &v.Author, &v.DeviceID, &created, &deleted, &payload); err != nil {
		return v, err
	}
	v.Kind = survey.RecordKind(kind)
	if err := json.Unmarshal([]byte(parents), &v.Parents); err != nil {
		return v, fmt.Errorf("version %s parents: %w", v.VersionID, err)
	}
	if len(v.Parents) == 0 {
		v.Parents = nil
	}
	t, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return v, fmt.Errorf("version %s created: %w", v.VersionID, err)
	}
	v.Created = t
	v.Deleted = deleted != 0
	v.Payload = json.RawMessage(payload)
	return v, nil
}

func collectVersions(rows *sql.Rows, err error) ([]survey.Version, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []survey.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// History returns every version of a record, oldest first.
func (db *DB) History(ctx context.Context, recordID string) ([]survey.Version, error) {
	vs, err := collectVersions(db.read.QueryContext(ctx, `SELECT `+versionCols+` FROM versions WHERE record_id = ? ORDER BY seq`, recordID))
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", recordID, err)
	}
	if len(vs) == 0 {
		return nil, notFound("记录", recordID)
	}
	return vs, nil
}

// Version returns one version by its id.
func (db *DB) Version(ctx context.Context, versionID string) (survey.Version, error) {
	v, err := scanVersion(db.read.QueryRowContext(ctx, `SELECT `+versionCols+` FROM versions WHERE version_id = ?`, versionID))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound("版本", versionID)
	}
	return v, err
}

// Heads returns the tips of a record, provisional winner first. More than
// one head means the record is in conflict.
func (db *DB) Heads(ctx context.Context, recordID string) ([]survey.Version, error) {
	vs, err := collectVersions(db.read.QueryContext(ctx, `SELECT `+prefixed("v.", versionCols)+`
		FROM heads h JOIN versions v ON v.version_id = h.version_id WHERE h.record_id = ?`, recordID))
	if err != nil {
		return nil, fmt.Errorf("heads %s: %w", recordID, err)
	}
	if len(vs) == 0 {
		return nil, notFound("记录", recordID)
	}
	sortHeads(vs)
	return vs, nil
}

// Heads is DB.Heads inside the transaction.
func (tx *Tx) Heads(recordID string) ([]survey.Version, error) {
	vs, err := collectVersions(tx.query(`SELECT `+prefixed("v.", versionCols)+`
		FROM heads h JOIN versions v ON v.version_id = h.version_id WHERE h.record_id = ?`, recordID))
	if err != nil {
		return nil, fmt.Errorf("heads %s: %w", recordID, err)
	}
	sortHeads(vs)
	return vs, nil
}

// Version is DB.Version inside the transaction.
func (tx *Tx) Version(versionID string) (survey.Version, error) {
	v, err := scanVersion(tx.queryRow(`SELECT `+versionCols+` FROM versions WHERE version_id = ?`, versionID))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound("版本", versionID)
	}
	return v, err
}

// Tip returns the current version of a record: the provisional winner when
// it is in conflict.
func (db *DB) Tip(ctx context.Context, recordID string) (survey.Version, error) {
	hs, err := db.Heads(ctx, recordID)
	if err != nil {
		return survey.Version{}, err
	}
	return hs[0], nil
}

// sortHeads orders heads deterministically, winner first: latest Created,
// then greatest version id. Every replica picks the same winner from the
// same heads, whatever order the versions arrived in.
func sortHeads(vs []survey.Version) {
	sort.Slice(vs, func(i, j int) bool {
		if !vs[i].Created.Equal(vs[j].Created) {
			return vs[i].Created.After(vs[j].Created)
		}
		return vs[i].VersionID > vs[j].VersionID
	})
}

// Conflicts lists the records with more than one head. The candidates
// come from the projections' conflict flags (partial indexes) and from the
// rare deleted versions (a deletion leaves no projection row to flag), so
// a district of several hundred thousand records is not scanned; each
// candidate's heads are then read and counted.
func (db *DB) Conflicts(ctx context.Context) ([]Conflict, error) {
	ids, err := scanStrings(db.read.QueryContext(ctx, `SELECT id FROM enterprises WHERE conflict = 1
		UNION SELECT id FROM visits WHERE conflict = 1
		UNION SELECT id FROM ledger_items WHERE conflict = 1
		UNION SELECT record_id FROM versions WHERE deleted = 1
		ORDER BY 1`))
	if err != nil {
		return nil, fmt.Errorf("conflicts: %w", err)
	}
	out := make([]Conflict, 0, len(ids))
	for _, id := range ids {
		hs, err := db.Heads(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(hs) > 1 {
			out = append(out, Conflict{RecordID: id, Kind: hs[0].Kind, Heads: hs})
		}
	}
	return out, nil
}

// OutboxCount counts the versions Outbox would return after afterSeq:
// those created here and in no bundle yet.
func (db *DB) OutboxCount(ctx context.Context, afterSeq int64) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM versions WHERE local = 1 AND seq > ?`, afterSeq).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox count: %w", err)
	}
	return n, nil
}

// deviceRecords is the SQL of the ids of the records a device is sent
// down (its one parameter, used in every line, is the device id). Each line
// is one reason a record concerns the device; a new record kind that goes
// down adds its line here, and ExportDown, the HTTP down fetch and the
// workbench's download all carry it.
var deviceRecords = []string{
	// The enterprises assigned to it (the roster, assignments) ...
	`SELECT id FROM enterprises WHERE assigned_to = ?`,
	// ... their visits, ledger items and reviews, whoever made them ...
	`SELECT id FROM visits WHERE enterprise_id IN (SELECT id FROM enterprises WHERE assigned_to = ?)`,
	`SELECT id FROM ledger_items WHERE enterprise_id IN (SELECT id FROM enterprises WHERE assigned_to = ?)`,
	`SELECT id FROM reviews WHERE enterprise_id IN (SELECT id FROM enterprises WHERE assigned_to = ?)`,
	// ... the reviews of the visits it made, whatever their enterprise ...
	`SELECT id FROM reviews WHERE visit_device = ?`,
	// ... and every record it created (the district's 研判 of its ledger
	// items, resolutions of its conflicts).
	`SELECT record_id FROM versions WHERE device_id = ? AND parents = '[]' AND kind <> 'response'`,
}

// AssigneeVersions lists, in storage order, the ids of the versions of
// the records that concern a device (deviceRecords: the enterprises
// assigned to it, their visits, ledger items and reviews, the reviews of
// the visits it made, every record it created) that the device did not
// make itself, except anonymous responses, which never go down: what a
// down bundle to the device may carry. The caller leaves out what it has
// already sent.
func (tx *Tx) AssigneeVersions(deviceID string) ([]string, error) {
	args := make([]any, 0, len(deviceRecords)+1)
	for range deviceRecords {
		args = append(args, deviceID)
	}
	args = append(args, deviceID)
	ids, err := scanStrings(tx.tx.QueryContext(tx.ctx, `
		WITH recs AS (`+strings.Join(deviceRecords, "\n\t\t\tUNION ")+`)
		SELECT v.version_id FROM versions v
		WHERE v.record_id IN (SELECT id FROM recs) AND v.device_id <> ? AND v.kind <> 'response'
		ORDER BY v.seq`, args...))
	if err != nil {
		return nil, fmt.Errorf("assignee versions: %w", err)
	}
	return ids, nil
}

// Outbox returns up to limit versions created in this database (not
// received through PutVersions) with a local sequence number above
// afterSeq, in that order, and the sequence number of the last one (afterSeq
// when there are none). Sync sends them and remembers the last seq.
func (db *DB) Outbox(ctx context.Context, afterSeq int64, limit int) ([]survey.Version, int64, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := db.read.QueryContext(ctx, `SELECT seq, `+versionCols+` FROM versions WHERE local = 1 AND seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, afterSeq, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	last := afterSeq
	var out []survey.Version
	for rows.Next() {
		var seq int64
		var v survey.Version
		var err error
		v, err = scanVersion(seqScanner{rows, &seq})
		if err != nil {
			return nil, afterSeq, fmt.Errorf("outbox: %w", err)
		}
		out = append(out, v)
		last = seq
	}
	if err := rows.Err(); err != nil {
		return nil, afterSeq, fmt.Errorf("outbox: %w", err)
	}
	return out, last, nil
}

// seqScanner scans a leading seq column before the version columns.
type seqScanner struct {
	rows *sql.Rows
	seq  *int64
}

func (s seqScanner) Scan(dst ...any) error {
	return s.rows.Scan(append([]any{s.seq}, dst...)...)
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// PutVersions merges versions made elsewhere (a laptop's bundle at the
// district, a district bundle on the laptop). It is idempotent and its
// result does not depend on the order versions arrive in: a known version
// with the same content is a no-op, the same version id with different
// content fails the whole transaction with ErrVersionMismatch, a version
// whose parent is missing waits in the backlog until the parent arrives, and
// every record's heads and projection follow the parent pointers.
func (tx *Tx) PutVersions(vs []survey.Version) (PutResult, error) {
	var res PutResult
	for _, v := range vs {
		if err := tx.putReceived(v, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (tx *Tx) putReceived(v survey.Version, res *PutResult) error {
	if v.VersionID == "" || v.RecordID == "" {
		return &Error{Code: "invalid_version", Message: "版本缺少编号"}
	}
	v.Payload = compactJSON(v.Payload)
	old, err := tx.Version(v.VersionID)
	switch {
	case err == nil:
		if !sameVersion(old, v) {
			return mismatch(v)
		}
		res.Duplicate++
		return nil
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("put version %s: %w", v.VersionID, err)
	}
	var queued []byte
	err = tx.queryRow(`SELECT version FROM backlog WHERE version_id = ?`, v.VersionID).Scan(&queued)
	switch {
	case err == nil:
		var q survey.Version
		if err := json.Unmarshal(queued, &q); err != nil || !sameVersion(q, v) {
			return mismatch(v)
		}
		res.Duplicate++
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("put version %s: %w", v.VersionID, err)
	}
	for _, p := range v.Parents {
		var rec string
		err := tx.queryRow(`SELECT record_id FROM versions WHERE version_id = ?`, p).Scan(&rec)
		if errors.Is(err, sql.ErrNoRows) {
			body, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("put version %s: %w", v.VersionID, err)
			}
			if err := tx.exec(`INSERT INTO backlog (version_id, missing, version) VALUES (?, ?, ?)`, v.VersionID, p, body); err != nil {
				return fmt.Errorf("backlog version %s: %w", v.VersionID, err)
			}
			res.Backlogged++
			return nil
		}
		if err != nil {
			return fmt.Errorf("put version %s: %w", v.VersionID, err)
		}
		if rec != v.RecordID {
			return &Error{Code: "invalid_version", Message: fmt.Sprintf("版本 %s 的父版本属于另一条记录", v.VersionID)}
		}
	}
	fresh := false
	if len(v.Parents) == 0 {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM heads WHERE record_id = ?`, v.RecordID).Scan(&n); err != nil {
			return fmt.Errorf("put version %s: %w", v.VersionID, err)
		}
		fresh = n == 0
	}
	if err := tx.apply(v, false, fresh, nil); err != nil {
		return err
	}
	res.Applied++
	// Release versions that were waiting for this one.
	rows, err := tx.query(`SELECT version FROM backlog WHERE missing = ? ORDER BY version_id`, v.VersionID)
	if err != nil {
		return fmt.Errorf("drain backlog: %w", err)
	}
	var waiting []survey.Version
	for rows.Next() {
		var body []byte
		var w survey.Version
		if err := rows.Scan(&body); err == nil {
			err = json.Unmarshal(body, &w)
		}
		if err != nil {
			rows.Close()
			return fmt.Errorf("drain backlog: %w", err)
		}
		waiting = append(waiting, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("drain backlog: %w", err)
	}
	if len(waiting) == 0 {
		return nil
	}
	if err := tx.exec(`DELETE FROM backlog WHERE missing = ?`, v.VersionID); err != nil {
		return fmt.Errorf("drain backlog: %w", err)
	}
	for _, w := range waiting {
		before := res.Backlogged
		if err := tx.putReceived(w, res); err != nil {
			return err
		}
		// It was counted as backlogged when it first arrived.
		if res.Backlogged == before {
			continue
		}
		res.Backlogged-- // waits again, for another parent: not a new arrival
	}
	return nil
}

func mismatch(v survey.Version) error {
	return &Error{Code: ErrVersionMismatch.Code, Message: fmt.Sprintf("版本 %s（记录 %s）已存在但内容不同，拒绝导入", v.VersionID, v.RecordID)}
}

// sameVersion reports whether two versions with the same id carry the same
// content, comparing payloads as JSON values (a bundle may re-encode them).
func sameVersion(a, b survey.Version) bool {
	if a.VersionID != b.VersionID || a.RecordID != b.RecordID || a.Kind != b.Kind ||
		a.FormID != b.FormID || a.FormVersion != b.FormVersion || a.Author != b.Author ||
		a.DeviceID != b.DeviceID || !a.Created.Equal(b.Created) || a.Deleted != b.Deleted ||
		len(a.Parents) != len(b.Parents) {
		return false
	}
	for i := range a.Parents {
		if a.Parents[i] != b.Parents[i] {
			return false
		}
	}
	if bytes.Equal(compactJSON(a.Payload), compactJSON(b.Payload)) {
		return true
	}
	var x, y any
	if json.Unmarshal(a.Payload, &x) != nil || json.Unmarshal(b.Payload, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func compactJSON(p []byte) json.RawMessage {
	// Bundles carry payloads already compact (json.Marshal's spelling, which
	// the bundle decoder insists on), and compacting every version of a
	// 10,000-visit bundle again cost a tenth of the district's import. JSON
	// without any whitespace byte is compact as it is.
	if bytes.IndexAny(p, " \t\r\n") < 0 {
		return json.RawMessage(p)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, p); err != nil {
		return json.RawMessage(p)
	}
	return json.RawMessage(buf.Bytes())
}

// apply stores a version whose parents are all present, moves the record's
// heads and refreshes its projection.
// fresh says the record has no versions yet, which saves the heads lookup
// on bulk creation (roster import).
func (tx *Tx) apply(v survey.Version, local, fresh bool, decoded any) error {
	parents, err := json.Marshal(nonNil(v.Parents))
	if err != nil {
		return err
	}
	loc := 0
	if local {
		loc = 1
	}
	del := 0
	if v.Deleted {
		del = 1
	}
	if err := tx.exec(`INSERT INTO versions (`+versionCols+`, local) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.VersionID, v.RecordID, string(v.Kind), string(parents), v.FormID, v.FormVersion, v.Author, v.DeviceID,
		v.Created.UTC().Format(time.RFC3339Nano), del, []byte(v.Payload), loc); err != nil {
		return fmt.Errorf("store version %s: %w", v.VersionID, err)
	}
	tx.stored++
	if v.Kind == survey.KindLedger {
		if tx.ledgers == nil {
			tx.ledgers = map[string]bool{}
		}
		tx.ledgers[v.RecordID] = true
	}
	for _, p := range v.Parents {
		if err := tx.exec(`DELETE FROM heads WHERE record_id = ? AND version_id = ?`, v.RecordID, p); err != nil {
			return fmt.Errorf("move heads: %w", err)
		}
	}
	if err := tx.exec(`INSERT INTO heads (record_id, version_id) VALUES (?, ?)`, v.RecordID, v.VersionID); err != nil {
		return fmt.Errorf("move heads: %w", err)
	}
	if fresh {
		return tx.projectTip(v, false, decoded)
	}
	return tx.project(v.RecordID)
}

// newID returns a new record or version id. Ids of anonymous records are
// random (UUID v4): a v7 id carries its creation time to the millisecond,
// which an anonymous questionnaire must not. Every other id is a UUID v7,
// ordered by time, so that the inserts of a large import land at the end
// of the versions, heads and projection indexes instead of at random
// pages (a 100,000-row roster import spends most of its time in SQLite's
// B-tree inserts). Those records name their author and time anyway.
func newID(anonymous bool) string {
	if !anonymous {
		if id, err := uuid.NewV7(); err == nil {
			return id.String()
		}
	}
	return uuid.NewString()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// create stores a new version of a record made on this database: its
// parent is the record's current tip (if any), so concurrent edits made
// elsewhere stay visible as a conflict rather than being overwritten.
func (tx *Tx) create(kind survey.RecordKind, recordID string, formID string, formVersion int, payload any, anonymous bool) (survey.Version, error) {
	return tx.createVersion(kind, recordID, formID, formVersion, payload, anonymous, false)
}

// createVersion is create; fresh promises that recordID is new.
func (tx *Tx) createVersion(kind survey.RecordKind, recordID string, formID string, formVersion int, payload any, anonymous, fresh bool) (survey.Version, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return survey.Version{}, fmt.Errorf("encode %s %s: %w", kind, recordID, err)
	}
	v := survey.Version{
		RecordID:    recordID,
		VersionID:   newID(anonymous),
		Kind:        kind,
		FormID:      formID,
		FormVersion: formVersion,
		Created:     tx.Now(),
		Payload:     body,
	}
	if anonymous {
		// Anonymous questionnaires carry no person, no device and no
		// time finer than the day.
		y, m, d := v.Created.Date()
		v.Created = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		fresh = true // create-only
	} else {
		v.Author, v.DeviceID = tx.db.opt.Author, tx.db.opt.DeviceID
	}
	if !fresh {
		heads, err := tx.Heads(recordID)
		if err != nil {
			return v, err
		}
		fresh = len(heads) == 0
		if len(heads) > 0 {
			v.Parents = []string{heads[0].VersionID}
			// Keep the record's own versions in causal order even if the
			// clock stepped back.
			if !v.Created.After(heads[0].Created) {
				v.Created = heads[0].Created.Add(time.Microsecond)
			}
		}
		if len(heads) > 1 && kind == survey.KindLedger {
			// The caller edited the merged item it was shown (project):
			// the edit carries the merge, so it names every head.
			if _, ok, err := tx.mergeLedger(recordID, heads); err != nil {
				return v, err
			} else if ok {
				v.Parents = v.Parents[:0]
				for _, h := range heads {
					v.Parents = append(v.Parents, h.VersionID)
					v.Created = survey.MergedAt(v.Created, h.Created)
				}
			}
		}
	}
	// A version that could never travel in a bundle is never stored: the
	// save is refused, and the person shortens the text it names.
	var f *survey.Form
	if formID != "" {
		f, _ = tx.db.opt.Forms.Get(formID, formVersion)
	}
	if err := survey.CheckVersionSize(v, f); err != nil {
		return v, &Error{Code: ErrTooLarge.Code, Message: err.Error(), Err: err}
	}
	if err := tx.apply(v, true, fresh, payload); err != nil {
		return v, err
	}
	return v, nil
}
