package sync

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeyID names a public key: the first 8 bytes of SHA-256 of the public key
// bytes (32 bytes for both Ed25519 and X25519). It is written as 16
// lowercase hex digits. It is an identifier, not a security check: whoever
// looks a key up by id still verifies with the full key.
type KeyID [8]byte

// KeyIDOf returns the key id of a public key's bytes.
func KeyIDOf(pub []byte) KeyID {
	sum := sha256.Sum256(pub)
	var id KeyID
	copy(id[:], sum[:8])
	return id
}

// String returns the id as 16 lowercase hex digits.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id is all zero (no key).
func (id KeyID) IsZero() bool { return id == KeyID{} }

// ParseKeyID parses 16 lowercase hex digits.
func ParseKeyID(s string) (KeyID, error) {
	var id KeyID
	if err := parseHex(id[:], s); err != nil {
		return KeyID{}, errf(ErrMalformed, "密钥编号 %q 无效：应为 16 位小写十六进制", s)
	}
	return id, nil
}

// MarshalText implements encoding.TextMarshaler.
func (id KeyID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts only the
// canonical lowercase form.
func (id *KeyID) UnmarshalText(b []byte) error {
	v, err := ParseKeyID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Hash is a SHA-256 digest, used for bundle chain hashes (Bundle.Hash,
// Header.Prev, receipts). Written as 64 lowercase hex digits.
type Hash [32]byte

// String returns the hash as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero (the Prev of a device's first bundle).
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses 64 lowercase hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if err := parseHex(h[:], s); err != nil {
		return Hash{}, errf(ErrMalformed, "哈希 %q 无效：应为 64 位小写十六进制", s)
	}
	return h, nil
}

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; canonical form only.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// parseHex decodes exactly len(dst) bytes of lowercase hex.
func parseHex(dst []byte, s string) error {
	if len(s) != 2*len(dst) || strings.ToLower(s) != s {
		return errors.New("bad hex")
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

// Keys is a private identity: an Ed25519 key that signs (bundles, requests,
// trust files, receipts) and an X25519 key that bundles are sealed to. Both a
// laptop and the district have one. Keys is never serialised except by
// WriteKeyFile: it refuses json.Marshal and prints as a placeholder, so a
// private key cannot slip into a bundle, request, trust file or log line.
type Keys struct {
	Signing ed25519.PrivateKey
	Sealing *ecdh.PrivateKey
}

// GenerateKeys makes a fresh identity from crypto/rand.
func GenerateKeys() (*Keys, error) {
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	xk, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate sealing key: %w", err)
	}
	return &Keys{Signing: sk, Sealing: xk}, nil
}

// Public returns the public half.
func (k *Keys) Public() PublicKeys {
	return PublicKeys{
		Signing: k.Signing.Public().(ed25519.PublicKey),
		Sealing: k.Sealing.PublicKey(),
	}
}

// String hides the key material.
func (k *Keys) String() string { return "sync.Keys{<private>}" }

// GoString hides the key material from %#v.
func (k *Keys) GoString() string { return k.String() }

// MarshalJSON refuses: private keys are written only by WriteKeyFile.
func (k *Keys) MarshalJSON() ([]byte, error) {
	return nil, errors.New("sync: private keys are never serialised")
}

// MarshalText refuses, like MarshalJSON.
func (k *Keys) MarshalText() ([]byte, error) {
	return nil, errors.New("sync: private keys are never serialised")
}

// PublicKeys is the public half of Keys: what an enrolment request carries
// for a laptop and a trust file carries for the district.
type PublicKeys struct {
	Signing ed25519.PublicKey
	Sealing *ecdh.PublicKey
}

// SigningKeyID returns the key id of the signing key.
func (p PublicKeys) SigningKeyID() KeyID { return KeyIDOf(p.Signing) }

// SealingKeyID returns the key id of the sealing key.
func (p PublicKeys) SealingKeyID() KeyID {
	if p.Sealing == nil {
		return KeyID{}
	}
	return KeyIDOf(p.Sealing.Bytes())
}

// Equal reports whether p and q hold the same keys.
func (p PublicKeys) Equal(q PublicKeys) bool {
	if !bytes.Equal(p.Signing, q.Signing) {
		return false
	}
	if p.Sealing == nil || q.Sealing == nil {
		return p.Sealing == q.Sealing
	}
	return p.Sealing.Equal(q.Sealing)
}

// Fingerprint is a short code people compare on two screens (laptop and
// district) to make sure an enrolment request or trust file was not swapped
// on the way: "ABCD-EFGH-JKLM-NPQR", 16 base32 characters = 80 bits of
// SHA-256 over both public keys. Finding another key pair with the same
// fingerprint costs about 2^80 work.
func (p PublicKeys) Fingerprint() string {
	h := sha256.New()
	h.Write([]byte("zoufang fingerprint v1\x00"))
	h.Write(p.Signing)
	if p.Sealing != nil {
		h.Write(p.Sealing.Bytes())
	}
	s := base32.StdEncoding.EncodeToString(h.Sum(nil))[:16]
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// check reports whether both keys are present and well formed.
func (p PublicKeys) check() error {
	if len(p.Signing) != ed25519.PublicKeySize {
		return errf(ErrMalformed, "签名公钥长度应为 %d 字节", ed25519.PublicKeySize)
	}
	if p.Sealing == nil || p.Sealing.Curve() != ecdh.X25519() {
		return errf(ErrMalformed, "缺少 X25519 加密公钥")
	}
	return nil
}

// publicKeysJSON is the wire form of PublicKeys. The key ids are redundant
// and checked on reading, so a person reading the file sees the same ids the
// programs print.
type publicKeysJSON struct {
	Signing      []byte `json:"signing"`
	SigningKeyID KeyID  `json:"signing_key_id"`
	Sealing      []byte `json:"sealing"`
	SealingKeyID KeyID  `json:"sealing_key_id"`
}

// MarshalJSON writes both keys (standard base64) with their key ids.
func (p PublicKeys) MarshalJSON() ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return json.Marshal(publicKeysJSON{
		Signing: p.Signing, SigningKeyID: p.SigningKeyID(),
		Sealing: p.Sealing.Bytes(), SealingKeyID: p.SealingKeyID(),
	})
}

// UnmarshalJSON reads the form written by MarshalJSON and checks the key ids.
func (p *PublicKeys) UnmarshalJSON(b []byte) error {
	var w publicKeysJSON
	if err := strictJSON(b, &w); err != nil {
		return err
	}
	if len(w.Signing) != ed25519.PublicKeySize {
		return errf(ErrMalformed, "签名公钥长度应为 %d 字节", ed25519.PublicKeySize)
	}
	xk, err := ecdh.X25519().NewPublicKey(w.Sealing)
	if err != nil {
		return errf(ErrMalformed, "X25519 加密公钥无效")
	}
	q := PublicKeys{Signing: ed25519.PublicKey(w.Signing), Sealing: xk}
	if q.SigningKeyID() != w.SigningKeyID || q.SealingKeyID() != w.SealingKeyID {
		return errf(ErrMalformed, "公钥与密钥编号不符")
	}
	*p = q
	return nil
}

// keyFileType is the type tag of a private key file.
const keyFileType = "zoufang/private-keys/v1"

// keyFile is the on-disk form of Keys: the 32-byte Ed25519 seed and the
// 32-byte X25519 scalar, base64.
type keyFile struct {
	Type    string `json:"type"`
	Signing []byte `json:"signing_seed"`
	Sealing []byte `json:"sealing"`
}

// WriteKeyFile writes k to path atomically with mode 0600 (temp file in the
// same directory, fsync, rename). This is the only place private key bytes
// are serialised.
func WriteKeyFile(path string, k *Keys) error {
	if k == nil || len(k.Signing) != ed25519.PrivateKeySize || k.Sealing == nil {
		return errors.New("write key file: incomplete keys")
	}
	data, err := json.Marshal(keyFile{Type: keyFileType, Signing: k.Signing.Seed(), Sealing: k.Sealing.Bytes()})
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	data = append(data, '\n')
	if err := WriteFileAtomic(path, data, 0o600); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}

// ReadKeyFile reads keys written by WriteKeyFile. On Unix it refuses a file
// that group or others may read or write: a private key others can read must
// be treated as leaked, so the user is told to fix the permission (or make a
// new identity) instead of silently continuing.
func ReadKeyFile(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, errf(ErrWrongKey, "私钥文件 %s 的权限为 %04o，其他用户可以读取；请改为 0600（chmod 600）后重试", path, st.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	var kf keyFile
	if err := strictJSON(bytes.TrimSpace(data), &kf); err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if kf.Type != keyFileType {
		return nil, errf(ErrUnsupported, "私钥文件 %s 的类型 %q 不受支持", path, kf.Type)
	}
	if len(kf.Signing) != ed25519.SeedSize {
		return nil, errf(ErrMalformed, "私钥文件 %s 损坏：签名私钥长度错误", path)
	}
	xk, err := ecdh.X25519().NewPrivateKey(kf.Sealing)
	if err != nil {
		return nil, errf(ErrMalformed, "私钥文件 %s 损坏：加密私钥无效", path)
	}
	return &Keys{Signing: ed25519.NewKeyFromSeed(kf.Signing), Sealing: xk}, nil
}

// LoadOrCreateKeys reads the key file at path, or on first run (no file)
// generates keys and writes them. created reports which happened.
func LoadOrCreateKeys(path string) (k *Keys, created bool, err error) {
	k, err = ReadKeyFile(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if k, err = GenerateKeys(); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create key dir: %w", err)
	}
	if err := WriteKeyFile(path, k); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// WriteFileAtomic writes data to path so that a reader (or a crash) sees
// either the old file or the complete new one: temp file in the same
// directory, fsync, chmod perm, rename, fsync of the directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not supported on every OS
		d.Close()
	}
	return nil
}

// strictJSON decodes exactly one JSON value from b into v: unknown fields
// and anything after the value are errors.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var fe *formatError
		if errors.As(err, &fe) {
			return err
		}
		return errf(ErrMalformed, "JSON 无效：%v", err)
	}
	if dec.InputOffset() != int64(len(b)) {
		return errf(ErrMalformed, "JSON 之后有多余内容")
	}
	return nil
}
