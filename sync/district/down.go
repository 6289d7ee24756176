package district

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// ExportDown seals the device's next down bundle: every version it has not
// been sent and did not make itself: every published form and campaign
// revision, which all devices receive, first; then the versions of the
// records that concern it (storage.Tx.AssigneeVersions: its enterprises
// with their visits, ledger items and reviews, the reviews of the visits
// it made, and every record it created: roster, assignments, 研判 and
// follow-ups, resolved conflicts). Questionnaire responses never go down.
// It returns nil when there is nothing new. The bundle is kept
// (DownBundle) so a lost file can be sent again as the same bytes. The
// choice of versions, the seal and every write happen in one write
// transaction: two processes exporting for one device at once give seqs
// n and n+1, never two different bundles numbered n.
func (d *District) ExportDown(ctx context.Context, deviceID string) ([]byte, int, error) {
	keys, err := d.currentKeys(ctx)
	if err != nil {
		return nil, 0, err
	}
	var (
		out []byte
		n   int
	)
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		var err error
		out, n, _, err = d.exportDownTx(tx, keys, deviceID)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, n, nil
}

// exportDownTx is ExportDown inside the caller's write transaction; it
// also returns the seq of the bundle sealed (0 when there was nothing new).
func (d *District) exportDownTx(tx *storage.Tx, keys *sync.Keys, deviceID string) ([]byte, int, uint64, error) {
	var (
		req, prev []byte
		revoked   string
		seq       uint64
	)
	err := tx.QueryRow(`SELECT request, revoked, down_seq, down_prev FROM district_devices WHERE id = ?`, deviceID).Scan(&req, &revoked, &seq, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, 0, errorf(CodeNotFound, "设备 %s 未在本区登记", deviceID)
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("export down: %w", err)
	}
	if revoked != "" {
		return nil, 0, 0, errorf(CodeRevoked, "设备 %s 已停用", deviceID)
	}
	r, err := sync.ParseEnrollRequest(req)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("export down: device request: %w", err)
	}
	ids, err := unsentVersions(tx, deviceID)
	if err != nil || len(ids) == 0 {
		return nil, 0, 0, err
	}
	var p sync.Payload
	for _, id := range ids {
		v, err := tx.Version(id)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("export down: %w", err)
		}
		p.Versions = append(p.Versions, v)
	}
	h := sync.Header{Kind: sync.KindDown, DeviceID: deviceID, Seq: seq + 1, Created: d.now().UTC()}
	copy(h.Prev[:], prev)
	data, err := sync.Seal(h, p, keys.Signing, r.Keys.Sealing)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("export down: %w", err)
	}
	hash := sync.BundleHash(data)
	for _, v := range p.Versions {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO district_sent (device_id, version_id) VALUES (?, ?)`, deviceID, v.VersionID); err != nil {
			return nil, 0, 0, fmt.Errorf("export down: %w", err)
		}
	}
	res, err := tx.Exec(`UPDATE district_devices SET down_seq = ?, down_prev = ? WHERE id = ? AND down_seq = ?`, seq+1, hash[:], deviceID, seq)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("export down: %w", err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return nil, 0, 0, fmt.Errorf("export down: device %s moved on during the export", deviceID)
	}
	if _, err := tx.Exec(`INSERT INTO district_down (device_id, seq, hash, created, versions, data) VALUES (?, ?, ?, ?, ?, ?)`,
		deviceID, seq+1, hash[:], d.now().UTC().Format(time.RFC3339), len(p.Versions), data); err != nil {
		return nil, 0, 0, fmt.Errorf("export down: %w", err)
	}
	return data, len(p.Versions), seq + 1, nil
}

// unsentVersions lists the versions a device is owed and has not been
// sent: first every published form version and campaign revision, in the
// order they were published (all devices get all of them), then those of
// its records (storage decides which), in storage order.
func unsentVersions(tx *storage.Tx, deviceID string) ([]string, error) {
	published, err := tx.PublishedVersions()
	if err != nil {
		return nil, fmt.Errorf("export down: %w", err)
	}
	recs, err := tx.AssigneeVersions(deviceID)
	if err != nil {
		return nil, fmt.Errorf("export down: %w", err)
	}
	all := append(published, recs...)
	if len(all) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(`SELECT version_id FROM district_sent WHERE device_id = ?`, deviceID)
	if err != nil {
		return nil, fmt.Errorf("export down: %w", err)
	}
	defer rows.Close()
	sent := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("export down: %w", err)
		}
		sent[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export down: %w", err)
	}
	ids := all[:0]
	for _, id := range all {
		if !sent[id] {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// DownInfo describes a down bundle the district sealed for a device.
type DownInfo struct {
	DeviceID string
	Seq      uint64
	Hash     sync.Hash
	Created  time.Time
	Versions int
	Size     int64
	// Kept is false for bundles sealed before the district kept them
	// (their bytes cannot be sent again).
	Kept bool
}

// DownBundles lists every down bundle sealed for the device, oldest
// first, including early ones whose bytes were not kept.
func (d *District) DownBundles(ctx context.Context, deviceID string) ([]DownInfo, error) {
	var last uint64
	err := d.db.QueryRow(ctx, `SELECT down_seq FROM district_devices WHERE id = ?`, deviceID).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(CodeNotFound, "设备 %s 未在本区登记", deviceID)
	}
	if err != nil {
		return nil, fmt.Errorf("down bundles: %w", err)
	}
	rows, err := d.db.Query(ctx, `SELECT seq, hash, created, versions, length(data) FROM district_down WHERE device_id = ? ORDER BY seq`, deviceID)
	if err != nil {
		return nil, fmt.Errorf("down bundles: %w", err)
	}
	defer rows.Close()
	kept := map[uint64]DownInfo{}
	for rows.Next() {
		di := DownInfo{DeviceID: deviceID, Kept: true}
		var hash []byte
		var created string
		if err := rows.Scan(&di.Seq, &hash, &created, &di.Versions, &di.Size); err != nil {
			return nil, fmt.Errorf("down bundles: %w", err)
		}
		copy(di.Hash[:], hash)
		di.Created, _ = time.Parse(time.RFC3339, created)
		kept[di.Seq] = di
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("down bundles: %w", err)
	}
	out := make([]DownInfo, 0, last)
	for seq := uint64(1); seq <= last; seq++ {
		di, ok := kept[seq]
		if !ok {
			di = DownInfo{DeviceID: deviceID, Seq: seq}
		}
		out = append(out, di)
	}
	return out, nil
}

// DownBundle returns the bytes of the device's down bundle seq exactly as
// they were first sent, to send them again (a file lost on the way, a
// laptop that reports a gap).
func (d *District) DownBundle(ctx context.Context, deviceID string, seq uint64) ([]byte, error) {
	var data []byte
	err := d.db.QueryRow(ctx, `SELECT data FROM district_down WHERE device_id = ? AND seq = ?`, deviceID, seq).Scan(&data)
	if err == nil {
		return data, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("down bundle %d: %w", seq, err)
	}
	var last uint64
	switch err := d.db.QueryRow(ctx, `SELECT down_seq FROM district_devices WHERE id = ?`, deviceID).Scan(&last); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, errorf(CodeNotFound, "设备 %s 未在本区登记", deviceID)
	case err != nil:
		return nil, fmt.Errorf("down bundle %d: %w", seq, err)
	case last == 0:
		return nil, errorf(CodeNotFound, "还没有为设备 %s 生成过下发包", deviceID)
	case seq == 0 || seq > last:
		return nil, errorf(CodeNotFound, "设备 %s 没有第 %d 号下发包（已生成第 1 至 %d 号）", deviceID, seq, last)
	}
	return nil, errorf(CodeNotFound, "设备 %s 的第 %d 号下发包生成于保留副本之前，无法重发；请用 export-down 生成新的下发包", deviceID, seq)
}

// Assign assigns enterprises (by USCC or id) to a device: new versions of
// the enterprise records, sent down with the next down bundle.
func (d *District) Assign(ctx context.Context, deviceID string, enterprises []string) (int, error) {
	if _, err := d.device(ctx, deviceID); err != nil {
		return 0, errorf(CodeNotFound, "设备 %s 未在本区登记", deviceID)
	}
	n := 0
	for _, key := range enterprises {
		e, err := d.db.Enterprise(ctx, key)
		if err != nil {
			found, _ := d.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Text: survey.NormalizeUSCC(key), Limit: 2})
			if len(found) != 1 || found[0].USCC != survey.NormalizeUSCC(key) {
				return n, errorf(CodeNotFound, "名录中没有企业 %s", key)
			}
			e = found[0]
		}
		if e.AssignedTo == deviceID {
			continue
		}
		e.AssignedTo = deviceID
		if _, err := d.db.SaveEnterprise(ctx, e); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
