package sync

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
)

// BundleScan is what ScanBundle learns from a bundle while it streams past:
// the checked header, the chain hash, the size, and what the signature
// check needs. The bytes themselves are not kept, so a receiver can take a
// 256 MiB upload into a file with a few kilobytes of memory and still
// refuse a forged one before anything is decrypted.
type BundleScan struct {
	Header Header
	// Hash is the SHA-256 of the whole file, as Bundle.Hash.
	Hash Hash
	// Size is the length of the whole file in bytes.
	Size int64

	digest   []byte // SHA-512 of magic..ciphertext: the Ed25519ph prehash
	sig      []byte
	verified bool
}

// ScanBundle reads one bundle from r to its end without keeping it. The
// header is checked as ParseBundle checks it, then check (when not nil) is
// called with it before a byte of the body is read, so a receiver can
// refuse an unknown device or a wrong destination after 98 bytes; check's
// error is returned as is. The body is hashed as it arrives and the input
// must end exactly after the signature. An error of r other than ending
// early (a network timeout) is returned wrapped, not as a format error.
func ScanBundle(r io.Reader, lim Limits, check func(Header) error) (*BundleScan, error) {
	lim = lim.withDefaults()
	hb, h, err := readHeader(r, lim)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(h); err != nil {
			return nil, err
		}
	}
	pre, whole := sha512.New(), sha256.New()
	pre.Write(hb)
	whole.Write(hb)
	n, err := io.CopyN(io.MultiWriter(pre, whole), r, int64(h.SealedLen))
	if err != nil {
		return nil, truncated(err, HeaderSize+n, h)
	}
	sig := make([]byte, SignatureSize)
	if k, err := io.ReadFull(r, sig); err != nil {
		return nil, truncated(err, HeaderSize+n+int64(k), h)
	}
	whole.Write(sig)
	var one [1]byte
	if k, err := io.ReadFull(r, one[:]); k != 0 {
		return nil, errf(ErrMalformed, "同步包签名之后有多余数据")
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	s := &BundleScan{Header: h, Size: int64(HeaderSize) + int64(h.SealedLen) + SignatureSize, digest: pre.Sum(nil), sig: sig}
	copy(s.Hash[:], whole.Sum(nil))
	return s, nil
}

// truncated reports an input that ended (or failed) after got bytes.
func truncated(err error, got int64, h Header) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		total := int64(HeaderSize) + int64(h.SealedLen) + SignatureSize
		return errf(ErrMalformed, "同步包不完整：应有 %d 字节，只有 %d 字节", total, got)
	}
	return fmt.Errorf("read bundle: %w", err)
}

// Verify checks the signature with pub, which must be the key named by
// Header.SenderKeyID, exactly as Bundle.Verify does over the same bytes.
func (s *BundleScan) Verify(pub ed25519.PublicKey) error {
	s.verified = false
	if len(pub) != ed25519.PublicKeySize {
		return errf(ErrWrongKey, "验证同步包：公钥无效")
	}
	if KeyIDOf(pub) != s.Header.SenderKeyID {
		return errf(ErrWrongKey, "同步包由密钥 %s 签名，而不是预期的 %s", s.Header.SenderKeyID, KeyIDOf(pub))
	}
	if err := ed25519.VerifyWithOptions(pub, s.digest, s.sig, &ed25519.Options{Hash: crypto.SHA512, Context: bundleSigCtx}); err != nil {
		return errf(ErrSignature, "同步包签名无效：文件被改动或不是该设备发出的")
	}
	s.verified = true
	return nil
}

// Verified reports whether Verify has succeeded.
func (s *BundleScan) Verified() bool { return s.verified }

// ParseBundleBytes is ParseBundle over a bundle already in memory, without
// copying it: the returned Bundle keeps data, which the caller must not
// modify afterwards.
func ParseBundleBytes(data []byte, lim Limits) (*Bundle, error) {
	lim = lim.withDefaults()
	if len(data) < HeaderSize {
		_, _, err := readHeader(bytes.NewReader(data), lim)
		return nil, err
	}
	h, err := parseHeader(data[:HeaderSize], lim)
	if err != nil {
		return nil, err
	}
	total := uint64(HeaderSize) + h.SealedLen + SignatureSize
	switch {
	case uint64(len(data)) < total:
		return nil, errf(ErrMalformed, "同步包不完整：应有 %d 字节，只有 %d 字节", total, len(data))
	case uint64(len(data)) > total:
		return nil, errf(ErrMalformed, "同步包签名之后有多余数据")
	}
	return &Bundle{Header: h, raw: data}, nil
}

// Message returns the Chinese message of an error made by this package's
// parsers and verifiers (every class above), and false for any other error
// (an I/O error, a wrapped internal failure), whose text is not for users.
func Message(err error) (string, bool) {
	var fe *formatError
	if errors.As(err, &fe) {
		return fe.msg, true
	}
	return "", false
}
