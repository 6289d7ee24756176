package sync

import (
	"errors"
	"fmt"

	"zoufang/survey"
)

// Limits bounds what a parser of outside input accepts. Every limit is
// enforced while reading: a length field larger than its limit is refused
// before anything of that size is allocated or read. A zero field means "use
// the default" (see DefaultLimits), so Limits{} is safe to pass.
type Limits struct {
	// MaxBundle caps the size of a whole bundle file in bytes.
	MaxBundle int64
	// MaxPlain caps the decompressed payload in bytes; this is the
	// decompression-bomb limit.
	MaxPlain int64
	// MaxRecords caps the number of record versions in one bundle.
	MaxRecords int
	// MaxRecordBytes caps one encoded record version (its JSON). One
	// oversized record rejects the whole bundle.
	MaxRecordBytes int
	// MaxAttachments caps the number of attachments in one bundle.
	MaxAttachments int
	// MaxAttachmentBytes caps one attachment's data.
	MaxAttachmentBytes int64
}

// Default limits. A field campaign produces a few thousand visits of 1–20 KB
// each and some photos of signed sheets, so these leave a wide margin while
// keeping a hostile file from exhausting a laptop's memory.
const (
	DefaultMaxBundle          = 256 << 20
	DefaultMaxPlain           = 512 << 20
	DefaultMaxRecords         = 200_000
	DefaultMaxRecordBytes     = survey.MaxRecordBytes // one rule: what storage refuses to store
	DefaultMaxAttachments     = 20_000
	DefaultMaxAttachmentBytes = 32 << 20
)

// MaxSignedFile caps enrolment requests, trust files and receipts (signed JSON
// files). A receipt listing every hash of a long campaign stays far below it.
const MaxSignedFile = 4 << 20

// DefaultLimits returns the limits used when a field of Limits is zero.
func DefaultLimits() Limits {
	return Limits{
		MaxBundle:          DefaultMaxBundle,
		MaxPlain:           DefaultMaxPlain,
		MaxRecords:         DefaultMaxRecords,
		MaxRecordBytes:     DefaultMaxRecordBytes,
		MaxAttachments:     DefaultMaxAttachments,
		MaxAttachmentBytes: DefaultMaxAttachmentBytes,
	}
}

// withDefaults returns l with every zero or negative field replaced by its
// default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBundle <= 0 {
		l.MaxBundle = d.MaxBundle
	}
	if l.MaxPlain <= 0 {
		l.MaxPlain = d.MaxPlain
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = d.MaxRecords
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = d.MaxRecordBytes
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = d.MaxAttachments
	}
	if l.MaxAttachmentBytes <= 0 {
		l.MaxAttachmentBytes = d.MaxAttachmentBytes
	}
	return l
}

// Error classes of this package. Every error returned by a parser or verifier
// here matches exactly one of them with errors.Is, so a caller (the HTTP
// server) can map them to status codes: ErrTooLarge → 413, ErrSignature,
// ErrWrongKey, ErrExpired, ErrRollback → 403, the others → 400. The message of
// the returned error is Chinese and says what was wrong.
var (
	// ErrMalformed: the input does not follow the format.
	ErrMalformed = errors.New("格式错误")
	// ErrUnsupported: unknown magic, format version or kind; there is no
	// fallback to another version.
	ErrUnsupported = errors.New("不支持的格式或版本")
	// ErrTooLarge: a length or count exceeds a Limits field.
	ErrTooLarge = errors.New("超出大小限制")
	// ErrSignature: a signature does not verify.
	ErrSignature = errors.New("签名无效")
	// ErrWrongKey: the data names a key other than the one offered, or a key
	// that is not (or no longer) trusted.
	ErrWrongKey = errors.New("密钥不匹配")
	// ErrNotVerified: Open was called before a successful Verify.
	ErrNotVerified = errors.New("尚未验证签名")
	// ErrDecrypt: the sealed payload cannot be decrypted.
	ErrDecrypt = errors.New("无法解密")
	// ErrInvalidRecord: a record version inside the payload is not sane.
	ErrInvalidRecord = errors.New("记录无效")
	// ErrExpired: trust data is past its expiry.
	ErrExpired = errors.New("信任文件已过期")
	// ErrRollback: trust data is not newer than what is already trusted.
	ErrRollback = errors.New("信任文件版本过旧")
)

// formatError is an error of one class (a sentinel above) with a complete
// Chinese message.
type formatError struct {
	class error
	msg   string
}

func (e *formatError) Error() string { return e.msg }
func (e *formatError) Unwrap() error { return e.class }

// errf returns an error of class with a formatted Chinese message.
func errf(class error, format string, args ...any) error {
	return &formatError{class: class, msg: fmt.Sprintf(format, args...)}
}
