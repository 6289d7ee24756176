package district

import (
	"context"
	"fmt"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// ExportDown seals the device's next down bundle: every version it has not
// been sent and did not make itself, of the enterprises assigned to it and
// of the visits and ledger items of those enterprises (roster, assignments,
// ledger follow-ups, resolved conflicts). Questionnaire responses never go
// down. It returns nil when there is nothing new.
func (d *District) ExportDown(ctx context.Context, deviceID string) ([]byte, int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dev, err := d.device(ctx, deviceID)
	if err != nil {
		return nil, 0, fmt.Errorf("设备 %s 未登记", deviceID)
	}
	if dev.revoked != "" {
		return nil, 0, fmt.Errorf("设备 %s 已停用", deviceID)
	}
	rows, err := d.db.Query(ctx, `
		WITH mine AS (SELECT id FROM enterprises WHERE assigned_to = ?),
		     recs AS (SELECT id FROM mine
		              UNION SELECT id FROM ledger_items WHERE enterprise_id IN (SELECT id FROM mine)
		              UNION SELECT id FROM visits WHERE enterprise_id IN (SELECT id FROM mine))
		SELECT v.version_id FROM versions v
		WHERE v.record_id IN (SELECT id FROM recs) AND v.device_id <> ? AND v.kind <> 'response'
		  AND NOT EXISTS (SELECT 1 FROM district_sent s WHERE s.device_id = ? AND s.version_id = v.version_id)
		ORDER BY v.seq`, deviceID, deviceID, deviceID)
	if err != nil {
		return nil, 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		return nil, 0, nil
	}
	var p sync.Payload
	for _, id := range ids {
		v, err := d.db.Version(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		p.Versions = append(p.Versions, v)
	}
	var prev []byte
	var seq uint64
	if err := d.db.QueryRow(ctx, `SELECT down_seq, down_prev FROM district_devices WHERE id = ?`, deviceID).Scan(&seq, &prev); err != nil {
		return nil, 0, err
	}
	h := sync.Header{Kind: sync.KindDown, DeviceID: deviceID, Seq: seq + 1, Created: d.now().UTC()}
	copy(h.Prev[:], prev)
	out, err := sync.Seal(h, p, d.keys.Signing, dev.req.Keys.Sealing)
	if err != nil {
		return nil, 0, err
	}
	hash := sync.BundleHash(out)
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		for _, v := range p.Versions {
			if _, err := tx.Exec(`INSERT OR IGNORE INTO district_sent (device_id, version_id) VALUES (?, ?)`, deviceID, v.VersionID); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`UPDATE district_devices SET down_seq = ?, down_prev = ? WHERE id = ?`, seq+1, hash[:], deviceID)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, len(p.Versions), nil
}

// Assign assigns enterprises (by USCC or id) to a device: new versions of
// the enterprise records, sent down with the next down bundle.
func (d *District) Assign(ctx context.Context, deviceID string, enterprises []string) (int, error) {
	if _, err := d.device(ctx, deviceID); err != nil {
		return 0, fmt.Errorf("设备 %s 未登记", deviceID)
	}
	n := 0
	for _, key := range enterprises {
		e, err := d.db.Enterprise(ctx, key)
		if err != nil {
			found, _ := d.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Text: survey.NormalizeUSCC(key), Limit: 2})
			if len(found) != 1 || found[0].USCC != survey.NormalizeUSCC(key) {
				return n, fmt.Errorf("名录中没有企业 %s", key)
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
