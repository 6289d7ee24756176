package laptop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"zoufang/storage"
	"zoufang/sync"
)

// ApplyReceipt verifies a receipt file with the district's signing key from
// the trust file and marks the bundles it acknowledges as delivered: every
// seq up to the receipt's contiguous seq (whose hash must be the one this
// laptop sent) and every bundle whose hash it lists as accepted. It returns
// how many bundles became delivered. A delivered bundle's outbox file and
// kept bytes are removed; only its record stays.
func (l *Laptop) ApplyReceipt(ctx context.Context, db *storage.DB, data []byte) (int, error) {
	trust, err := l.ValidTrust()
	if err != nil {
		return 0, err
	}
	r, err := sync.VerifyReceipt(data, trust.Keys.Signing)
	if err != nil {
		return 0, fmt.Errorf("回执无效：%w", err)
	}
	if r.DeviceID != l.id {
		return 0, fmt.Errorf("这是其他设备（%s）的回执，不是本机的", r.DeviceID)
	}
	accepted := make(map[string]bool, len(r.Accepted))
	for _, h := range r.Accepted {
		accepted[h.String()] = true
	}
	var removed []string
	n := 0
	now := l.now().UTC().Format(time.RFC3339)
	err = db.Update(ctx, func(tx *storage.Tx) error {
		if r.Seq > 0 {
			var hash string
			err := tx.QueryRow(`SELECT hash FROM laptop_bundles WHERE seq = ?`, int64(r.Seq)).Scan(&hash)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("回执确认了第 %d 号同步包，但本机没有发出过这个同步包（本机数据是否从备份恢复过？请联系区总工会）", r.Seq)
			}
			if err != nil {
				return fmt.Errorf("apply receipt: %w", err)
			}
			if hash != r.Head.String() {
				return fmt.Errorf("区总工会收到的第 %d 号同步包与本机发出的不一致，请联系区总工会核对", r.Seq)
			}
		}
		rows, err := tx.Query(`SELECT seq, hash, path FROM laptop_bundles WHERE delivered_at IS NULL ORDER BY seq`)
		if err != nil {
			return fmt.Errorf("apply receipt: %w", err)
		}
		var seqs []int64
		for rows.Next() {
			var (
				seq        int64
				hash, path string
			)
			if err := rows.Scan(&seq, &hash, &path); err != nil {
				rows.Close()
				return fmt.Errorf("apply receipt: %w", err)
			}
			if uint64(seq) <= r.Seq || accepted[hash] {
				seqs = append(seqs, seq)
				removed = append(removed, l.abs(path))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("apply receipt: %w", err)
		}
		for _, seq := range seqs {
			if _, err := tx.Exec(`UPDATE laptop_bundles SET delivered_at = ?, receipt = ?, data = NULL,
				handed_at = coalesce(handed_at, ?) WHERE seq = ?`, now, data, now, seq); err != nil {
				return fmt.Errorf("apply receipt: %w", err)
			}
		}
		n = len(seqs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, p := range removed {
		os.Remove(p) // delivered: the district has it; a leftover file is harmless
	}
	return n, nil
}
