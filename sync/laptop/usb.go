package laptop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"zoufang/storage"
	"zoufang/sync"
)

// ErrSeveral is returned by ExportTo when several bundles are pending and
// the destination is a file, not a folder.
var ErrSeveral = errors.New("有多个待送达的同步包，请选择一个文件夹（例如U盘）来保存它们")

// ExportTo runs Export and copies every bundle not yet acknowledged to dst:
// into it when dst is an existing directory (file names from
// Bundle.FileName; a dst ending in a path separator is a folder, created if
// missing), or to the file dst when exactly one bundle is pending.
// Each copy is written atomically; the bundles are then marked as handed to
// the district (区总工会尚未确认) until a receipt arrives. It returns the
// files written (none when everything has been delivered). progress, when
// not nil, gets (record versions sealed, versions to seal) while sealing.
func (l *Laptop) ExportTo(ctx context.Context, db *storage.DB, dst string, progress func(done, total int)) (ExportResult, []string, error) {
	res, err := l.export(ctx, db, progress)
	if err != nil {
		return res, nil, err
	}
	if len(res.Pending) == 0 {
		return res, nil, nil
	}
	isDir := false
	if strings.HasSuffix(dst, "/") || strings.HasSuffix(dst, string(os.PathSeparator)) {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return res, nil, fmt.Errorf("无法创建目录 %s：%w", dst, err)
		}
	}
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		isDir = true
	}
	if !isDir && len(res.Pending) > 1 {
		return res, nil, ErrSeveral
	}
	var written []string
	for _, b := range res.Pending {
		data, err := bundleData(ctx, db, b.Seq)
		if err != nil {
			return res, written, err
		}
		path := dst
		if isDir {
			path = filepath.Join(dst, b.FileName(l.id))
		}
		if err := sync.WriteFileAtomic(path, data, 0o644); err != nil {
			return res, written, fmt.Errorf("无法写入 %s（U盘是否已拔出或已满？）：%w", path, err)
		}
		if err := markHanded(ctx, db, b.Seq, "usb", l.now()); err != nil {
			return res, written, err
		}
		written = append(written, path)
	}
	return res, written, nil
}
