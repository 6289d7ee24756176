package district

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// BundleRow is one up bundle the district has received and kept: merged
// (applied), waiting for an earlier one (backlog) or set aside for a person
// (quarantined). Refused bundles are not stored and duplicates are not
// stored again.
type BundleRow struct {
	DeviceID, DeviceName string
	Seq                  uint64
	Hash                 []byte
	State                string // applied | backlog | quarantined
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
