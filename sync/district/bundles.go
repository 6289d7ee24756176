package district

// Table district_bundles: every up bundle the district has decided on, by
// (device, seq, hash). state is one of
//
//	applied      merged; only the hash is kept (the versions are in storage,
//	             and an applied row must not lead from an anonymous
//	             response back to a laptop)
//	backlog      early (an earlier seq is missing); bytes kept until it
//	             can be applied
//	quarantined  kept aside for a person (revoked device, same seq with
//	             other content, wrong prev hash, a record the device may
//	             not write); bytes kept, code and reason say why
//	rejected     a person refused it for good; bytes dropped, the hash
//	             stays so the same file is answered the same way again
//
// size is the length of the bytes kept; backlog and quarantine together are
// bounded per device by the quota. Only this package reads or writes it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"zoufang/storage"
	"zoufang/sync"
)

// Bundle states (column district_bundles.state).
const (
	stateApplied     = "applied"
	stateBacklog     = "backlog"
	stateQuarantined = "quarantined"
	stateRejected    = "rejected"
)

// bundleRow is one row without its bytes.
type bundleRow struct {
	device   string
	seq      uint64
	hash     sync.Hash
	state    string
	code     Code
	reason   string
	size     int64
	received time.Time
	// records and attachments are the header's counts (for lists).
	records, attachments uint32
}

const bundleCols = `device_id, seq, hash, state, code, reason, size, received, records, attachments`

func scanBundle(sc interface{ Scan(...any) error }) (bundleRow, error) {
	var r bundleRow
	var seq int64
	var hash []byte
	var code, received string
	if err := sc.Scan(&r.device, &seq, &hash, &r.state, &code, &r.reason, &r.size, &received, &r.records, &r.attachments); err != nil {
		return r, err
	}
	r.seq, r.code = uint64(seq), Code(code)
	copy(r.hash[:], hash)
	r.received, _ = time.Parse(time.RFC3339, received)
	return r, nil
}

func collectBundles(rows *sql.Rows, err error) ([]bundleRow, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bundleRow
	for rows.Next() {
		r, err := scanBundle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// bundlesAtTx returns every row of a device's seq.
func bundlesAtTx(tx *storage.Tx, device string, seq uint64) ([]bundleRow, error) {
	return collectBundles(tx.Query(`SELECT `+bundleCols+` FROM district_bundles WHERE device_id = ? AND seq = ?`, device, int64(seq)))
}

// insertBundleTx stores a new row; data is kept for backlog and quarantine.
func insertBundleTx(tx *storage.Tx, r bundleRow, data []byte) error {
	var size int64
	if data != nil {
		size = int64(len(data))
	}
	_, err := tx.Exec(`INSERT INTO district_bundles (device_id, seq, hash, state, code, reason, received, size, data, records, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.device, int64(r.seq), r.hash[:], r.state, string(r.code), r.reason, r.received.UTC().Format(time.RFC3339), size, data, r.records, r.attachments)
	return err
}

// moveBundleTx changes a row's state only if it is still in state from:
// of two processes handling the same row, one wins and the other sees
// errStale. Moving to applied or rejected drops the bytes.
func moveBundleTx(tx *storage.Tx, device string, seq uint64, hash sync.Hash, from, to string, code Code, reason string) error {
	q := `UPDATE district_bundles SET state = ?, code = ?, reason = ? WHERE device_id = ? AND seq = ? AND hash = ? AND state = ?`
	if to == stateApplied || to == stateRejected {
		q = `UPDATE district_bundles SET state = ?, code = ?, reason = ?, data = NULL, size = 0 WHERE device_id = ? AND seq = ? AND hash = ? AND state = ?`
	}
	res, err := tx.Exec(q, to, string(code), reason, device, int64(seq), hash[:], from)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errStale
	}
	return nil
}

// errStale: the row was changed by someone else since it was read.
var errStale = &Error{Code: CodeStale, Message: "该同步包已被其他人或其他进程处理，请刷新后再看"}

// storedTx counts a device's bundles stored but not applied and their bytes.
func storedTx(tx *storage.Tx, device string) (int, int64, error) {
	var n int
	var size int64
	err := tx.QueryRow(`SELECT count(*), coalesce(sum(size), 0) FROM district_bundles WHERE device_id = ? AND state IN ('backlog', 'quarantined')`, device).Scan(&n, &size)
	return n, size, err
}

// overQuotaTx reports whether storing size more bytes for the device would
// pass its quota, with the message to answer.
func (d *District) overQuotaTx(tx *storage.Tx, device string, size int64) (*Error, error) {
	n, used, err := storedTx(tx, device)
	if err != nil {
		return nil, err
	}
	if n+1 > d.quota.Bundles || used+size > d.quota.Bytes {
		return errorf(CodeQuota, "设备 %s 在区总工会待处理的同步包已达上限（%d 个，%s；上限 %d 个，%s），本包未保存。请联系区总工会处理等待和隔离中的同步包后再上传",
			device, n, sizeText(used), d.quota.Bundles, sizeText(d.quota.Bytes)), nil
	}
	return nil, nil
}

// sizeText says a byte count for people.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}

// bundleData reads the bytes kept for a row.
func (d *District) bundleData(ctx context.Context, device string, seq uint64, hash sync.Hash) ([]byte, error) {
	var data []byte
	err := d.db.QueryRow(ctx, `SELECT data FROM district_bundles WHERE device_id = ? AND seq = ? AND hash = ?`, device, int64(seq), hash[:]).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && data == nil) {
		return nil, errStale
	}
	return data, err
}

// nextInLine lists backlog rows that are next for their device: the drain
// can apply them now.
func (d *District) nextInLine(ctx context.Context, device string) ([]bundleRow, error) {
	q := `SELECT ` + prefixed("b.", bundleCols) + ` FROM district_bundles b JOIN district_devices d ON d.id = b.device_id
		WHERE b.state = 'backlog' AND b.seq = d.seq + 1`
	args := []any{}
	if device != "" {
		q += ` AND b.device_id = ?`
		args = append(args, device)
	}
	return collectBundles(d.db.Query(ctx, q+` ORDER BY b.device_id, b.hash`, args...))
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i := range parts {
		parts[i] = p + strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ", ")
}

// receiptTx signs the receipt of a device's state as the transaction sees
// it: its contiguous seq and head, and every bundle stored for it
// (applied and backlog).
func (d *District) receiptTx(tx *storage.Tx, dev *deviceRow) ([]byte, error) {
	rows, err := tx.Query(`SELECT hash FROM district_bundles WHERE device_id = ? AND state IN ('applied', 'backlog') ORDER BY seq`, dev.id)
	if err != nil {
		return nil, err
	}
	var acc []sync.Hash
	for rows.Next() {
		var hh []byte
		var x sync.Hash
		if err := rows.Scan(&hh); err != nil {
			rows.Close()
			return nil, err
		}
		copy(x[:], hh)
		acc = append(acc, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var head sync.Hash
	if dev.seq > 0 {
		head = dev.head
	}
	return d.signReceipt(context.Background(), sync.Receipt{DeviceID: dev.id, Seq: dev.seq, Head: head, Accepted: acc, Created: d.now().UTC()})
}

// Receipt returns the signed receipt of a device's current state, for the
// USB path back to the laptop.
func (d *District) Receipt(ctx context.Context, deviceID string) ([]byte, error) {
	var out []byte
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		dev, err := deviceTx(tx, deviceID)
		if errors.Is(err, sql.ErrNoRows) {
			return errorf(CodeNotFound, "设备 %s 未在本区登记", deviceID)
		}
		if err != nil {
			return err
		}
		out, err = d.receiptTx(tx, dev)
		return err
	})
	if err != nil {
		return nil, d.fail(err, "receipt")
	}
	return out, nil
}

// BundleRow is one up bundle the district has received and kept: merged
// (applied), waiting for an earlier one (backlog) or set aside for a person
// (quarantined). Refused bundles are not stored and duplicates are not
// stored again.
type BundleRow struct {
	DeviceID, DeviceName string
	Seq                  uint64
	Hash                 []byte
	State                string // applied | backlog | quarantined | rejected
	Reason               string
	Records, Attachments int
	Received             time.Time
}

// BundleQuery selects received bundles; empty fields do not filter.
type BundleQuery struct {
	Device, State string
	Since         time.Time // received at or after
	Limit, Offset int
}

// Bundles lists received bundles, newest first, and how many match.
func (d *District) Bundles(ctx context.Context, q BundleQuery) ([]BundleRow, int, error) {
	var where []string
	var args []any
	if q.Device != "" {
		where, args = append(where, "b.device_id = ?"), append(args, q.Device)
	}
	if q.State != "" {
		where, args = append(where, "b.state = ?"), append(args, q.State)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "b.received >= ?"), append(args, q.Since.UTC().Format(time.RFC3339))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := d.db.QueryRow(ctx, `SELECT count(*) FROM district_bundles b`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("bundles: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := d.db.Query(ctx, `SELECT b.device_id, ifnull(dv.name, ''), b.seq, b.hash, b.state, b.reason, b.records, b.attachments, b.received
		FROM district_bundles b LEFT JOIN district_devices dv ON dv.id = b.device_id`+cond+
		` ORDER BY b.received DESC, b.device_id, b.seq DESC LIMIT ? OFFSET ?`, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("bundles: %w", err)
	}
	defer rows.Close()
	var out []BundleRow
	for rows.Next() {
		var r BundleRow
		var received string
		if err := rows.Scan(&r.DeviceID, &r.DeviceName, &r.Seq, &r.Hash, &r.State, &r.Reason, &r.Records, &r.Attachments, &received); err != nil {
			return nil, 0, fmt.Errorf("bundles: %w", err)
		}
		r.Received, _ = time.Parse(time.RFC3339, received)
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// LastContact returns, per device, when its latest bundle was received.
func (d *District) LastContact(ctx context.Context) (map[string]time.Time, error) {
	rows, err := d.db.Query(ctx, `SELECT device_id, max(received) FROM district_bundles GROUP BY device_id`)
	if err != nil {
		return nil, fmt.Errorf("last contact: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("last contact: %w", err)
		}
		out[id], _ = time.Parse(time.RFC3339, at)
	}
	return out, rows.Err()
}

// ServerURL is the upload address written into trust files.
func (d *District) ServerURL() string { return d.setting(setURL) }
