package storage

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path (which must not
// exist) with VACUUM INTO: a snapshot as of one moment, including what is
// still in the write-ahead log, taken while the server keeps running. A
// plain file copy of a database in WAL mode can miss committed changes or
// tear; this cannot.
func (db *DB) Backup(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(abs); err == nil {
		return &Error{Code: "exists", Message: fmt.Sprintf("备份文件 %s 已存在，请换一个文件名", path)}
	}
	// A connection of its own: the read pool is query_only, which refuses
	// VACUUM, and the write connection must stay free for the server. In
	// WAL mode this reader does not block writers.
	conn, err := sql.Open("sqlite", "file:"+(&url.URL{Path: db.path}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, abs); err != nil {
		os.Remove(abs)
		return wrapUser(err, "backup", "备份失败：无法写入 %s", path)
	}
	return nil
}
