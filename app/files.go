package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// fileKind is what a file picker offers: a description and extensions
// (without the dot).
type fileKind struct {
	desc string
	exts []string
}

var (
	rosterFiles  = fileKind{"企业名录（.csv、.xlsx）", []string{"csv", "xlsx"}}
	imageFiles   = fileKind{"图片（.jpg、.png）", []string{"jpg", "jpeg", "png"}}
	syncFiles    = fileKind{"同步文件（信任文件、回执、下发包）", []string{"zft", "zfr", "zfb"}}
	requestFiles = fileKind{"登记申请文件（.zfreq）", []string{"zfreq"}}
)

// matches reports whether name has one of the kind's extensions.
func (k fileKind) matches(name string) bool {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	for _, e := range k.exts {
		if e == ext {
			return true
		}
	}
	return false
}

// readPicked reads a picked file off the UI goroutine, refusing one larger
// than limit bytes.
func readPicked(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("文件 %s 太大（超过 %d MB）", filepath.Base(path), limit>>20)
	}
	return data, nil
}
