// Package sync moves survey data between laptops and the district office:
// device keys and enrolment, signed trust files, the bundle file format
// (signed, sealed, chained per device), receipts, and the district's merge
// of immutable record versions. The byte layout of bundles is documented in
// docs/bundle-format.md; the canonical header is covered by a golden test.
package sync

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Bundle file constants. A version other than FormatVersion is refused; there
// is no fallback to any other layout or cipher suite.
const (
	Magic         = "ZFB1"
	FormatVersion = 1
	// HeaderSize is the size of magic + version + the fixed header: the
	// bytes that are the HPKE associated data.
	HeaderSize = 98
	// SignatureSize is the trailing Ed25519 signature.
	SignatureSize = ed25519.SignatureSize
	// minSealed is the HPKE encapsulated key (32) plus the AEAD tag (16)
	// plus at least one byte of compressed payload.
	minSealed = 32 + 16 + 1
	maxInt    = int(^uint(0) >> 1)
)

// Domain-separation strings: the HPKE info of bundle encryption and the
// Ed25519ph context of bundle signatures. Changing either is a new format
// version.
const (
	hpkeInfo      = "zoufang bundle v1"
	bundleSigCtx  = "zoufang bundle v1"
	maxCreatedDay = 365 * 300 // days since 1970: anything later is garbage
)

// Kind says which way a bundle travels.
type Kind uint8

// Bundle kinds. The values are on the wire; never renumber.
const (
	// KindUp is laptop → district: the sender is the device.
	KindUp Kind = 1
	// KindDown is district → laptop: the district sends to the device.
	KindDown Kind = 2
)

// String returns "up" or "down".
func (k Kind) String() string {
	switch k {
	case KindUp:
		return "up"
	case KindDown:
		return "down"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Header is the clear-text, signed part of a bundle. Everything in it is
// readable without the district's private key, so it holds only what is
// needed to route and order bundles before decrypting: no names, no
// enterprise data, and the creation time only to the day.
type Header struct {
	Kind Kind
	// DeviceID is the device whose stream this bundle belongs to: the sender
	// of an up bundle, the recipient of a down bundle. Canonical UUID.
	DeviceID string
	// SenderKeyID and RecipientKeyID name the Ed25519 key that signed the
	// bundle and the X25519 key it is sealed to. Seal fills both from the
	// keys it is given.
	SenderKeyID    KeyID
	RecipientKeyID KeyID
	// Seq numbers the bundles of one stream (device and kind), from 1.
	Seq uint64
	// Prev is the Hash of the stream's previous bundle; zero when Seq is 1.
	Prev Hash
	// Records and Attachments count the payload's versions and attachments;
	// Seal fills them, Open checks them.
	Records     uint32
	Attachments uint32
	// Created is the day the bundle was made (UTC midnight after parsing).
	Created time.Time
	// SealedLen is the length of the HPKE-sealed payload; Seal fills it.
	SealedLen uint64
}

// appendHeader appends magic, version and the fixed header (HeaderSize bytes
// in all) to b. See docs/bundle-format.md for the layout.
func appendHeader(b []byte, h Header) ([]byte, error) {
	id, err := uuidBytes(h.DeviceID)
	if err != nil {
		return nil, err
	}
	day, err := dayNumber(h.Created)
	if err != nil {
		return nil, err
	}
	b = append(b, Magic...)
	b = append(b, FormatVersion, byte(h.Kind))
	b = append(b, id[:]...)
	b = append(b, h.SenderKeyID[:]...)
	b = append(b, h.RecipientKeyID[:]...)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = append(b, h.Prev[:]...)
	b = binary.BigEndian.AppendUint32(b, h.Records)
	b = binary.BigEndian.AppendUint32(b, h.Attachments)
	b = binary.BigEndian.AppendUint32(b, day)
	b = binary.BigEndian.AppendUint64(b, h.SealedLen)
	return b, nil
}

// parseHeader decodes exactly HeaderSize bytes (magic first) and checks every
// field that can be checked without the payload.
func parseHeader(b []byte, lim Limits) (Header, error) {
	if len(b) != HeaderSize {
		return Header{}, errf(ErrMalformed, "同步包头部不完整")
	}
	if string(b[0:4]) != Magic {
		return Header{}, errf(ErrUnsupported, "不是走访同步包（文件标识错误）")
	}
	if b[4] != FormatVersion {
		return Header{}, errf(ErrUnsupported, "同步包格式版本 %d 不受支持（本程序只支持版本 %d）", b[4], FormatVersion)
	}
	var h Header
	h.Kind = Kind(b[5])
	if h.Kind != KindUp && h.Kind != KindDown {
		return Header{}, errf(ErrUnsupported, "同步包类型 %d 未知", b[5])
	}
	var id [16]byte
	copy(id[:], b[6:22])
	if id == ([16]byte{}) {
		return Header{}, errf(ErrMalformed, "同步包头部缺少设备编号")
	}
	h.DeviceID = formatUUID(id)
	copy(h.SenderKeyID[:], b[22:30])
	copy(h.RecipientKeyID[:], b[30:38])
	h.Seq = binary.BigEndian.Uint64(b[38:46])
	copy(h.Prev[:], b[46:78])
	h.Records = binary.BigEndian.Uint32(b[78:82])
	h.Attachments = binary.BigEndian.Uint32(b[82:86])
	day := binary.BigEndian.Uint32(b[86:90])
	h.SealedLen = binary.BigEndian.Uint64(b[90:98])
	if err := h.check(); err != nil {
		return Header{}, err
	}
	if day > maxCreatedDay {
		return Header{}, errf(ErrMalformed, "同步包日期无效")
	}
	h.Created = time.Unix(int64(day)*86400, 0).UTC()
	lim = lim.withDefaults()
	if uint64(h.Records) > uint64(lim.MaxRecords) {
		return Header{}, errf(ErrTooLarge, "同步包声明 %d 条记录，超过上限 %d", h.Records, lim.MaxRecords)
	}
	if uint64(h.Attachments) > uint64(lim.MaxAttachments) {
		return Header{}, errf(ErrTooLarge, "同步包声明 %d 个附件，超过上限 %d", h.Attachments, lim.MaxAttachments)
	}
	if h.SealedLen < minSealed {
		return Header{}, errf(ErrMalformed, "同步包加密内容长度 %d 过短", h.SealedLen)
	}
	if h.SealedLen > uint64(lim.MaxBundle) || uint64(HeaderSize+SignatureSize)+h.SealedLen > uint64(lim.MaxBundle) {
		return Header{}, errf(ErrTooLarge, "同步包声明加密内容 %d 字节，超过上限 %d 字节", h.SealedLen, lim.MaxBundle)
	}
	return h, nil
}

// check validates the fields Seal and parseHeader share.
func (h Header) check() error {
	if h.Kind != KindUp && h.Kind != KindDown {
		return errf(ErrUnsupported, "同步包类型 %d 未知", uint8(h.Kind))
	}
	if !validUUID(h.DeviceID) {
		return errf(ErrMalformed, "设备编号 %q 不是规范的 UUID", h.DeviceID)
	}
	if h.Seq == 0 {
		return errf(ErrMalformed, "同步包序号必须从 1 开始")
	}
	if (h.Seq == 1) != h.Prev.IsZero() {
		return errf(ErrMalformed, "同步包序号 %d 与前一包哈希不一致（只有第 1 包的前一包哈希为零）", h.Seq)
	}
	return nil
}

// dayNumber returns the days since 1970-01-01 of t's UTC date.
func dayNumber(t time.Time) (uint32, error) {
	if t.IsZero() {
		return 0, errf(ErrMalformed, "同步包缺少日期")
	}
	d := t.UTC().Unix() / 86400
	if t.UTC().Unix() < 0 || d > maxCreatedDay {
		return 0, errf(ErrMalformed, "同步包日期 %s 超出范围", t.UTC().Format("2006-01-02"))
	}
	return uint32(d), nil
}

// hpkeSuite returns the one cipher suite of format version 1:
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
func hpkeSuite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.ChaCha20Poly1305() }

// Seal builds a bundle: it encodes and compresses p, seals it with HPKE to
// recipient with the header as associated data, and signs everything with
// signer (Ed25519ph, context "zoufang bundle v1"). It fills h.SenderKeyID,
// h.RecipientKeyID, h.Records, h.Attachments and h.SealedLen; the caller sets
// Kind, DeviceID, Seq, Prev and Created. The payload is checked with the same
// rules as Open (DefaultLimits), so Seal never produces a bundle that a
// receiver would refuse for its content.
//
// Sealing is randomised (a fresh HPKE encapsulation each time): sealing the
// same payload twice gives two different files. A sender must therefore keep
// the bytes of every bundle it made and resend that same file for a seq,
// never seal a seq again, or the receiver sees "same seq, different content".
func Seal(h Header, p Payload, signer ed25519.PrivateKey, recipient *ecdh.PublicKey) ([]byte, error) {
	if len(signer) != ed25519.PrivateKeySize {
		return nil, errors.New("seal bundle: bad signing key")
	}
	if recipient == nil || recipient.Curve() != ecdh.X25519() {
		return nil, errors.New("seal bundle: recipient must be an X25519 key")
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	lim := DefaultLimits()
	if err := checkPayload(h, p, lim); err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	plain, err := encodePayload(p, lim)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	return sealPlain(h, plain, uint32(len(p.Versions)), uint32(len(p.Attachments)), signer, recipient)
}

// sealPlain compresses, seals and signs an encoded payload. It does not look
// inside plain; Seal has checked it. Tests use it to build hostile bundles.
func sealPlain(h Header, plain []byte, records, attachments uint32, signer ed25519.PrivateKey, recipient *ecdh.PublicKey) ([]byte, error) {
	lim := DefaultLimits()
	compressed, err := compress(plain)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	h.SenderKeyID = KeyIDOf(signer.Public().(ed25519.PublicKey))
	h.RecipientKeyID = KeyIDOf(recipient.Bytes())
	h.Records = records
	h.Attachments = attachments
	pk, err := hpke.NewDHKEMPublicKey(recipient)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	kdf, aead := hpkeSuite()
	enc, sender, err := hpke.NewSender(pk, kdf, aead, []byte(hpkeInfo))
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	// The AEAD adds a 16-byte tag; the header (the AAD) must carry the final
	// sealed length, so compute it before sealing.
	h.SealedLen = uint64(len(enc) + len(compressed) + 16)
	if h.SealedLen+HeaderSize+SignatureSize > uint64(lim.MaxBundle) {
		return nil, errf(ErrTooLarge, "同步包 %d 字节，超过上限 %d 字节；请分批导出", h.SealedLen+HeaderSize+SignatureSize, lim.MaxBundle)
	}
	out := make([]byte, 0, HeaderSize+int(h.SealedLen)+SignatureSize)
	if out, err = appendHeader(out, h); err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	aad := out[:HeaderSize:HeaderSize]
	ct, err := sender.Seal(aad, compressed)
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	out = append(out, enc...)
	out = append(out, ct...)
	if uint64(len(out)) != HeaderSize+h.SealedLen {
		return nil, fmt.Errorf("seal bundle: sealed length %d, header says %d", len(out)-HeaderSize, h.SealedLen)
	}
	sig, err := signer.Sign(nil, bundleDigest(out), &ed25519.Options{Hash: crypto.SHA512, Context: bundleSigCtx})
	if err != nil {
		return nil, fmt.Errorf("seal bundle: %w", err)
	}
	return append(out, sig...), nil
}

// bundleDigest is the Ed25519ph pre-hash of magic..ciphertext.
func bundleDigest(signed []byte) []byte {
	d := sha512.Sum512(signed)
	return d[:]
}

// Bundle is a parsed but not yet trusted bundle: ParseBundle has checked its
// structure and limits; nothing has been verified or decrypted. Call Verify
// with the sender's public key, then Open.
type Bundle struct {
	Header   Header
	raw      []byte // the whole file
	verified bool
}

// ParseBundle reads one bundle from r, enforcing lim while reading: the
// header's length and count fields are checked against lim before the body
// is read, the body is read incrementally (memory grows with the bytes that
// actually arrive, never with what a header claims), and the input must end
// exactly after the signature. Unknown magic, version or kind are refused.
// The returned bundle is neither verified nor decrypted.
func ParseBundle(r io.Reader, lim Limits) (*Bundle, error) {
	lim = lim.withDefaults()
	hb, h, err := readHeader(r, lim)
	if err != nil {
		return nil, err
	}
	total := int64(HeaderSize) + int64(h.SealedLen) + SignatureSize
	var buf bytes.Buffer
	// Grow by what arrives, capped by the first 1 MiB of the claim, so a
	// lying header costs nothing.
	buf.Grow(int(min(total, 1<<20)))
	buf.Write(hb)
	n, err := io.Copy(&buf, io.LimitReader(r, total-HeaderSize))
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if n != total-HeaderSize {
		return nil, errf(ErrMalformed, "同步包不完整：应有 %d 字节，只有 %d 字节", total, HeaderSize+n)
	}
	var one [1]byte
	if k, err := io.ReadFull(r, one[:]); k != 0 || !errors.Is(err, io.EOF) {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("read bundle: %w", err)
		}
		return nil, errf(ErrMalformed, "同步包签名之后有多余数据")
	}
	return &Bundle{Header: h, raw: buf.Bytes()}, nil
}

// readHeader reads and checks the HeaderSize bytes at the start of a
// bundle. A reader that fails for another reason than ending early (a
// network error) is reported wrapped, not as a format error.
func readHeader(r io.Reader, lim Limits) ([]byte, Header, error) {
	hb := make([]byte, HeaderSize)
	if n, err := io.ReadFull(r, hb); err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, Header{}, fmt.Errorf("read bundle: %w", err)
		}
		// Report a wrong magic or version before "too short".
		if n >= 4 && string(hb[:4]) != Magic {
			return nil, Header{}, errf(ErrUnsupported, "不是走访同步包（文件标识错误）")
		}
		if n >= 5 && hb[4] != FormatVersion {
			return nil, Header{}, errf(ErrUnsupported, "同步包格式版本 %d 不受支持（本程序只支持版本 %d）", hb[4], FormatVersion)
		}
		return nil, Header{}, errf(ErrMalformed, "同步包不完整：头部只有 %d 字节", n)
	}
	h, err := parseHeader(hb, lim)
	if err != nil {
		return nil, Header{}, err
	}
	return hb, h, nil
}

// Hash returns the SHA-256 of the whole bundle file: the chain hash that the
// next bundle of the stream names as Prev and receipts acknowledge.
func (b *Bundle) Hash() Hash { return sha256.Sum256(b.raw) }

// BundleHash returns the chain hash of a bundle file's bytes, as Hash does
// after parsing: what a sender records as the Prev of its next bundle right
// after Seal.
func BundleHash(file []byte) Hash { return sha256.Sum256(file) }

// Bytes returns the whole bundle file as read (for storing or quarantining
// it). The caller must not modify it.
func (b *Bundle) Bytes() []byte { return b.raw }

// Verified reports whether Verify has succeeded.
func (b *Bundle) Verified() bool { return b.verified }

// Verify checks the signature over magic..ciphertext with pub, which must
// be the key named by Header.SenderKeyID. It must succeed before Open.
func (b *Bundle) Verify(pub ed25519.PublicKey) error {
	b.verified = false
	// Work from the bytes, not the exported (mutable) Header field.
	h, err := parseHeader(b.raw[:HeaderSize], Limits{MaxBundle: int64(len(b.raw)), MaxRecords: maxInt, MaxAttachments: maxInt})
	if err != nil {
		return err
	}
	if len(pub) != ed25519.PublicKeySize {
		return errf(ErrWrongKey, "验证同步包：公钥无效")
	}
	if KeyIDOf(pub) != h.SenderKeyID {
		return errf(ErrWrongKey, "同步包由密钥 %s 签名，而不是预期的 %s", h.SenderKeyID, KeyIDOf(pub))
	}
	n := len(b.raw) - SignatureSize
	if err := ed25519.VerifyWithOptions(pub, bundleDigest(b.raw[:n]), b.raw[n:], &ed25519.Options{Hash: crypto.SHA512, Context: bundleSigCtx}); err != nil {
		return errf(ErrSignature, "同步包签名无效：文件被改动或不是该设备发出的")
	}
	b.verified = true
	return nil
}

// Open decrypts the payload with priv (the recipient's X25519 key, named by
// Header.RecipientKeyID), decompresses it within lim.MaxPlain, parses it
// strictly and checks every record (see ValidateVersion) and, for up
// bundles, that every record comes from the header's device (CheckSender).
// Open refuses to run before a successful Verify.
func (b *Bundle) Open(priv *ecdh.PrivateKey, lim Limits) (Payload, error) {
	if !b.verified {
		return Payload{}, errf(ErrNotVerified, "同步包尚未验证签名，不能解密")
	}
	if priv == nil || priv.Curve() != ecdh.X25519() {
		return Payload{}, errf(ErrWrongKey, "解密同步包需要 X25519 私钥")
	}
	lim = lim.withDefaults()
	// Work from the signed bytes, not the exported (mutable) Header field.
	h, err := parseHeader(b.raw[:HeaderSize], lim)
	if err != nil {
		return Payload{}, err
	}
	if KeyIDOf(priv.PublicKey().Bytes()) != h.RecipientKeyID {
		return Payload{}, errf(ErrWrongKey, "同步包是发给密钥 %s 的，不是本机密钥 %s（可能是已更换的旧密钥）", h.RecipientKeyID, KeyIDOf(priv.PublicKey().Bytes()))
	}
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return Payload{}, fmt.Errorf("open bundle: %w", err)
	}
	sealed := b.raw[HeaderSize : len(b.raw)-SignatureSize]
	const encLen = 32
	kdf, aead := hpkeSuite()
	rcp, err := hpke.NewRecipient(sealed[:encLen], sk, kdf, aead, []byte(hpkeInfo))
	if err != nil {
		return Payload{}, errf(ErrDecrypt, "同步包无法解密：%v", err)
	}
	compressed, err := rcp.Open(b.raw[:HeaderSize], sealed[encLen:])
	if err != nil {
		return Payload{}, errf(ErrDecrypt, "同步包无法解密：内容被改动或不是发给本机的")
	}
	p, err := decompressPayload(compressed, h, lim)
	if err != nil {
		return Payload{}, err
	}
	if err := checkPayload(h, p, lim); err != nil {
		return Payload{}, err
	}
	return p, nil
}
