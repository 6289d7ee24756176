package storage

import (
	"context"
	"fmt"
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
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO ?`, abs); err != nil {
		return wrapUser(err, "backup", "备份失败：无法写入 %s", path)
	}
	return nil
}
