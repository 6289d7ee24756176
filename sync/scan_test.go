package sync

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// ScanBundle agrees with ParseBundle + Verify on every input: the same
// accept/refuse decision, the same hash, the same signature result.
func FuzzScanBundle(f *testing.F) {
	valid, err := os.ReadFile(filepath.Join("testdata", "bundle", "up-seq1-v1.zfb"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:HeaderSize])
	f.Add(valid[:len(valid)-1])
	f.Add(append(bytes.Clone(valid), 0))
	huge := bytes.Clone(valid)
	binary.BigEndian.PutUint64(huge[90:], 1<<40)
	f.Add(huge)
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 1
	f.Add(flipped)
	pub := bfKeys(f, "device A").Public().Signing
	lim := Limits{MaxBundle: 1 << 20, MaxPlain: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		bu, perr := ParseBundle(bytes.NewReader(data), lim)
		// One byte at a time: the scanner must not depend on read sizes.
		sc, serr := ScanBundle(iotest.OneByteReader(bytes.NewReader(data)), lim, nil)
		if (perr == nil) != (serr == nil) {
			t.Fatalf("ParseBundle: %v, ScanBundle: %v", perr, serr)
		}
		if perr != nil {
			if _, ok := Message(serr); !ok {
				t.Fatalf("scan error without a Chinese message: %v", serr)
			}
			return
		}
		if sc.Hash != bu.Hash() || sc.Size != int64(len(data)) || sc.Header != bu.Header {
			t.Fatalf("scan %+v differs from parse (hash %x)", sc, bu.Hash())
		}
		verr, serr2 := bu.Verify(pub), sc.Verify(pub)
		if (verr == nil) != (serr2 == nil) {
			t.Fatalf("Bundle.Verify: %v, BundleScan.Verify: %v", verr, serr2)
		}
		if pb, err := ParseBundleBytes(data, lim); err != nil || pb.Hash() != sc.Hash {
			t.Fatalf("ParseBundleBytes: %v", err)
		}
	})
}

// The check callback sees the header before the body is read, and its
// error stops the scan there.
func TestScanBundleChecksHeaderFirst(t *testing.T) {
	b := bfSmallBundle(t)
	stop := errors.New("unknown device")
	r := &countingReader{r: bytes.NewReader(b)}
	_, err := ScanBundle(r, Limits{}, func(h Header) error {
		if h.DeviceID != bfDeviceA {
			t.Errorf("header device %s", h.DeviceID)
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the check's error", err)
	}
	if r.n > HeaderSize+512 {
		t.Errorf("read %d bytes before refusing, want about the header", r.n)
	}
}

// A reader that fails (a network timeout) is not reported as a broken
// bundle: the caller must be able to tell "client went away" from "bad file".
func TestScanBundleReaderErrorIsNotAFormatError(t *testing.T) {
	b := bfSmallBundle(t)
	timeout := errors.New("i/o timeout")
	for _, n := range []int64{10, HeaderSize + 5, int64(len(b)) - 3} {
		r := io.MultiReader(io.LimitReader(bytes.NewReader(b), n), iotest.ErrReader(timeout))
		_, err := ScanBundle(r, Limits{}, nil)
		if !errors.Is(err, timeout) {
			t.Errorf("cut at %d: err = %v, want the reader's error", n, err)
		}
		if _, ok := Message(err); ok {
			t.Errorf("cut at %d: reader error reported as a format error: %v", n, err)
		}
	}
}
