package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns a local setting, "" when it was never set. Settings are
// per database and never synchronised.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a local setting.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	return db.Update(ctx, func(tx *Tx) error { return tx.SetSetting(key, value) })
}

// SetSetting stores a local setting inside the transaction.
func (tx *Tx) SetSetting(key, value string) error {
	if _, err := tx.Exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return nil
}

// Setting reads a local setting inside the transaction.
func (tx *Tx) Setting(key string) (string, error) {
	var v string
	err := tx.QueryRow(`SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}
