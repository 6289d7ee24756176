package sync

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"
)

// maxReceiptHashes bounds Receipt.Accepted.
const maxReceiptHashes = 50_000

// Receipt is the district's signed acknowledgement to one device. A laptop
// marks data as delivered only after VerifyReceipt succeeds with the trusted
// district key: everything in bundles up to Seq (whose hash is Head) and in
// the Accepted bundles has arrived and been stored.
type Receipt struct {
	DeviceID string `json:"device_id"`
	// Seq is the highest seq up to which every bundle of the device has been
	// accepted (0: none yet); Head is that bundle's hash (zero when Seq is 0).
	Seq  uint64 `json:"seq"`
	Head Hash   `json:"head"`
	// Accepted lists the hashes of the bundles this receipt acknowledges,
	// including ones held in the backlog beyond Seq.
	Accepted []Hash    `json:"accepted"`
	Created  time.Time `json:"created"`
}

// check validates the fields of r.
func (r *Receipt) check() error {
	if !validUUID(r.DeviceID) {
		return errf(ErrMalformed, "回执中的设备编号 %q 无效", r.DeviceID)
	}
	if (r.Seq == 0) != r.Head.IsZero() {
		return errf(ErrMalformed, "回执序号 %d 与头部哈希不一致", r.Seq)
	}
	if len(r.Accepted) > maxReceiptHashes {
		return errf(ErrTooLarge, "回执列出 %d 个同步包，超过上限 %d", len(r.Accepted), maxReceiptHashes)
	}
	seen := make(map[Hash]bool, len(r.Accepted))
	for _, h := range r.Accepted {
		if h.IsZero() || seen[h] {
			return errf(ErrMalformed, "回执中的同步包哈希重复或为空")
		}
		seen[h] = true
	}
	if r.Created.IsZero() {
		return errf(ErrMalformed, "回执缺少时间")
	}
	return nil
}

// SignReceipt returns the receipt file signed by the district's signing key
// and, after a key rotation, by earlier keys still in use (also), so that a
// laptop that has not yet taken the new trust file verifies it too. Created
// is stored in UTC to the second; a nil Accepted is written as [].
func SignReceipt(r Receipt, district ed25519.PrivateKey, also ...ed25519.PrivateKey) ([]byte, error) {
	r.Created = r.Created.UTC().Truncate(time.Second)
	if r.Accepted == nil {
		r.Accepted = []Hash{}
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	return signEnvelope(typeReceipt, &r, append([]ed25519.PrivateKey{district}, also...)...)
}

// VerifyReceipt parses a receipt strictly and verifies it was signed by
// district (the signing key from the laptop's trust file). A receipt for
// another device must be refused by the caller (compare DeviceID).
func VerifyReceipt(data []byte, district ed25519.PublicKey) (*Receipt, error) {
	var r Receipt
	env, err := openEnvelope(data, typeReceipt, &r)
	if err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if !env.verifiedBy(district) {
		return nil, errf(ErrSignature, "回执签名无效：不是区总工会签发的，或已被改动")
	}
	return &r, nil
}

// FileKind says what a sync file is, so one import command can take bundles,
// receipts and trust files alike.
type FileKind int

// File kinds recognised by SniffFile.
const (
	FileUnknown FileKind = iota
	FileBundle
	FileEnrollRequest
	FileTrust
	FileReceipt
)

// String returns the Chinese name of the kind, for messages.
func (k FileKind) String() string {
	switch k {
	case FileBundle:
		return "同步包"
	case FileEnrollRequest:
		return "设备登记申请"
	case FileTrust:
		return "区总工会信任文件"
	case FileReceipt:
		return "回执"
	}
	return "未知文件"
}

// SniffFile guesses what data is from its first bytes (a bundle's magic) or
// its envelope type. It only routes the file to the right parser, which then
// checks everything; it trusts nothing.
func SniffFile(data []byte) FileKind {
	if bytes.HasPrefix(data, []byte(Magic)) {
		return FileBundle
	}
	if len(data) > MaxSignedFile {
		return FileUnknown
	}
	var env struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(data, &env) != nil {
		return FileUnknown
	}
	switch env.Type {
	case typeEnrollRequest:
		return FileEnrollRequest
	case typeTrust:
		return FileTrust
	case typeReceipt:
		return FileReceipt
	}
	return FileUnknown
}
