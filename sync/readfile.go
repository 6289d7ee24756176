package sync

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ReadLimited reads r whole, refusing with a Chinese error of class
// ErrTooLarge as soon as more than limit bytes arrive: a 2 GB file handed
// to an import costs at most limit bytes of memory, never its size. name
// is the file name for the message.
func ReadLimited(r io.Reader, limit int64, name string) ([]byte, error) {
	size := int64(bytes.MinRead)
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			if fi.Size() > limit {
				return nil, tooLarge(name, fi.Size(), limit)
			}
			size += fi.Size()
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, limit+1)))
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(buf.Len()) > limit {
		return nil, tooLarge(name, -1, limit)
	}
	return buf.Bytes(), nil
}

func tooLarge(name string, size, limit int64) error {
	if size >= 0 {
		return errf(ErrTooLarge, "文件太大：%s 有 %s，这类文件最多 %s", name, byteSize(size), byteSize(limit))
	}
	return errf(ErrTooLarge, "文件太大：%s 超过 %s，这类文件最多 %s", name, byteSize(limit), byteSize(limit))
}

// byteSize writes n bytes for people: 4 MB, 256 MB, 2.0 GB, 512 字节.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// ReadSyncFile reads a file handed to a sync import (a bundle, receipt,
// trust file or enrolment request) with the size limit of its kind: a
// bundle (it starts with the bundle magic) up to lim.MaxBundle, any other
// file up to MaxSignedFile. Nothing larger is read into memory.
func ReadSyncFile(path string, lim Limits) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("找不到文件 %s", path)
		}
		return nil, fmt.Errorf("无法打开文件 %s：%w", path, err)
	}
	defer f.Close()
	return ReadSync(f, path, lim)
}

// ReadSync is ReadSyncFile for a stream (a file chosen in the GUI).
func ReadSync(r io.Reader, name string, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	br := bufio.NewReaderSize(r, 16)
	head, _ := br.Peek(len(Magic))
	limit := int64(MaxSignedFile)
	if string(head) == Magic {
		limit = lim.MaxBundle
	}
	var src io.Reader = br
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		src = statReader{br, st}
	}
	return ReadLimited(src, limit, name)
}

// statReader passes the Stat of the underlying file through a buffered
// reader, so ReadLimited can refuse an oversized file before reading it.
type statReader struct {
	io.Reader
	st interface{ Stat() (fs.FileInfo, error) }
}

func (s statReader) Stat() (fs.FileInfo, error) { return s.st.Stat() }

// PeekHeader reads and checks the header of the bundle file at path
// without reading the rest: to sort several bundles by seq before importing
// them one at a time. Nothing in it is verified yet.
func PeekHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	b := make([]byte, HeaderSize)
	if _, err := io.ReadFull(f, b); err != nil {
		return Header{}, errf(ErrMalformed, "同步包头部不完整")
	}
	return parseHeader(b, Limits{})
}
