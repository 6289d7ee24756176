package laptop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"zoufang/storage"
	"zoufang/sync"
)

// Stage is where an up bundle is on its way to the district.
type Stage int

// Stages, in order.
const (
	// StagePending: made on this laptop, not yet copied out or uploaded.
	StagePending Stage = iota
	// StageHanded: copied to a USB stick or uploaded, but no receipt from
	// the district has confirmed it yet.
	StageHanded
	// StageDelivered: a receipt signed by the district acknowledges it.
	StageDelivered
)

// Label returns the plain-language Chinese name shown to the investigator.
func (s Stage) Label() string {
	switch s {
	case StageDelivered:
		return "已送达"
	case StageHanded:
		return "区总工会尚未确认"
	}
	return "待送达"
}

// Bundle is one up bundle this laptop sealed.
type Bundle struct {
	Seq         uint64
	Hash        sync.Hash
	Prev        sync.Hash
	Path        string // absolute path of the file in the outbox
	Versions    int    // record versions inside
	Attachments int
	Size        int64
	Created     time.Time
	HandedAt    time.Time // zero until first copied out or uploaded
	HandedVia   string    // "usb" or "http"
	DeliveredAt time.Time // zero until a verified receipt
}

// Stage returns where the bundle is.
func (b Bundle) Stage() Stage {
	switch {
	case !b.DeliveredAt.IsZero():
		return StageDelivered
	case !b.HandedAt.IsZero():
		return StageHanded
	}
	return StagePending
}

// FileName is the name the bundle gets on a USB stick: the device's short id
// and the seq, so a district clerk can tell files apart.
func (b Bundle) FileName(deviceID string) string {
	return fmt.Sprintf("zoufang-%s-%06d.zfb", deviceID[:8], b.Seq)
}

const bundleCols = `seq, hash, prev, path, versions, attachments, size, created, handed_at, handed_via, delivered_at`

type scanner interface{ Scan(...any) error }

func (l *Laptop) scanBundle(sc scanner) (Bundle, error) {
	var (
		b                         Bundle
		seq                       int64
		hash, prev, path, created string
		handed, delivered         sql.NullString
	)
	if err := sc.Scan(&seq, &hash, &prev, &path, &b.Versions, &b.Attachments, &b.Size, &created, &handed, &b.HandedVia, &delivered); err != nil {
		return Bundle{}, err
	}
	b.Seq = uint64(seq)
	var err error
	if b.Hash, err = sync.ParseHash(hash); err != nil {
		return Bundle{}, fmt.Errorf("bundle %d: %w", seq, err)
	}
	if b.Prev, err = sync.ParseHash(prev); err != nil {
		return Bundle{}, fmt.Errorf("bundle %d: %w", seq, err)
	}
	b.Path = l.abs(path)
	b.Created, _ = time.Parse(time.RFC3339, created)
	if handed.Valid {
		b.HandedAt, _ = time.Parse(time.RFC3339, handed.String)
	}
	if delivered.Valid {
		b.DeliveredAt, _ = time.Parse(time.RFC3339, delivered.String)
	}
	return b, nil
}

// Bundles lists every up bundle, oldest first.
func (l *Laptop) Bundles(ctx context.Context, db *storage.DB) ([]Bundle, error) {
	return l.queryBundles(ctx, db, `SELECT `+bundleCols+` FROM laptop_bundles ORDER BY seq`)
}

// Undelivered lists the bundles no receipt has acknowledged yet, oldest
// first.
func (l *Laptop) Undelivered(ctx context.Context, db *storage.DB) ([]Bundle, error) {
	return l.queryBundles(ctx, db, `SELECT `+bundleCols+` FROM laptop_bundles WHERE delivered_at IS NULL ORDER BY seq`)
}

func (l *Laptop) queryBundles(ctx context.Context, db *storage.DB, q string, args ...any) ([]Bundle, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list bundles: %w", err)
	}
	defer rows.Close()
	var out []Bundle
	for rows.Next() {
		b, err := l.scanBundle(rows)
		if err != nil {
			return nil, fmt.Errorf("list bundles: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list bundles: %w", err)
	}
	return out, nil
}

// bundleData returns the sealed bytes kept for an undelivered bundle.
func bundleData(ctx context.Context, db *storage.DB, seq uint64) ([]byte, error) {
	var data []byte
	err := db.QueryRow(ctx, `SELECT data FROM laptop_bundles WHERE seq = ?`, int64(seq)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("找不到第 %d 号同步包", seq)
	}
	if err != nil {
		return nil, fmt.Errorf("bundle %d: %w", seq, err)
	}
	if data == nil {
		return nil, fmt.Errorf("第 %d 号同步包已送达，本机不再保留其内容", seq)
	}
	return data, nil
}

// markHanded records the first time a bundle left the laptop.
func markHanded(ctx context.Context, db *storage.DB, seq uint64, via string, at time.Time) error {
	return db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.Exec(`UPDATE laptop_bundles SET handed_at = ?, handed_via = ? WHERE seq = ? AND handed_at IS NULL`,
			at.UTC().Format(time.RFC3339), via, int64(seq))
		if err != nil {
			return fmt.Errorf("mark bundle %d handed: %w", seq, err)
		}
		return nil
	})
}
