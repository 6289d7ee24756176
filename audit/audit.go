// Package audit keeps the district's audit log: one row for every change a
// person or the server made (who, when, what, which record, why). Rows are
// only inserted, in the same write transaction as the change they describe,
// so a change and its entry are committed or lost together. The district's
// sync decisions and the workbench's account changes both write here; the
// workbench filters and exports it.
package audit

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"zoufang/storage"
)

// System is the actor of changes the server makes by itself.
const System = "系统"

// Entry is one audit row.
type Entry struct {
	ID     int64
	At     time.Time
	Actor  string // account name, or System
	Action string // short code, e.g. "enroll", "revoke", "resolve"
	Target string // record, device or account id; "" when none
	Detail string // what happened, in Chinese
	Reason string // why, in the person's words; "" when none was asked
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or updates the audit table in db.
func Migrate(ctx context.Context, db *storage.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return db.MigrateOwned(ctx, "audit", sub)
}

// Record writes e inside tx. At defaults to the transaction's clock.
func Record(tx *storage.Tx, e Entry) error {
	if strings.TrimSpace(e.Actor) == "" || e.Action == "" {
		return errors.New("audit: entry without actor or action")
	}
	if e.At.IsZero() {
		e.At = tx.Now()
	}
	_, err := tx.Exec(`INSERT INTO audit_log (at, actor, action, target, detail, reason) VALUES (?, ?, ?, ?, ?, ?)`,
		e.At.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Target, e.Detail, e.Reason)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Filter selects entries; zero fields select everything.
type Filter struct {
	Actor  string
	Action string
	Target string
	Text   string    // substring of the detail or reason
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	Limit  int       // 0: no limit
	Offset int
}

// List returns the entries matching f, newest first, and how many match in
// all (for paging).
func List(ctx context.Context, db *storage.DB, f Filter) ([]Entry, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Target != "" {
		add("target = ?", f.Target)
	}
	if f.Text != "" {
		where = append(where, "(instr(detail, ?) > 0 OR instr(reason, ?) > 0)")
		args = append(args, f.Text, f.Text)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UTC().Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UTC().Format(time.RFC3339))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.Query(ctx, `SELECT id, at, actor, action, target, detail, reason FROM audit_log`+cond+
		` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.Reason); err != nil {
			return nil, 0, fmt.Errorf("audit: %w", err)
		}
		e.At, _ = time.Parse(time.RFC3339, at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	return out, total, nil
}
