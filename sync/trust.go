package sync

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Signed JSON files (enrolment requests, trust files, receipts) share one
// envelope:
//
//	{"type":"zoufang/trust/v1","signed":{...},"signatures":[{"key_id":"…","sig":"…"}]}
//
// "signed" is the canonical JSON of the content (exactly what json.Marshal
// writes for it; checked on reading), and each signature is Ed25519ctx over
// those bytes with the type string as context, so a signature on one kind of
// file can never be replayed as another kind.
type envelope struct {
	Type       string          `json:"type"`
	Signed     json.RawMessage `json:"signed"`
	Signatures []envelopeSig   `json:"signatures"`
}

type envelopeSig struct {
	KeyID KeyID  `json:"key_id"`
	Sig   []byte `json:"sig"`
}

// maxSignatures bounds the signatures on one file (key rotation needs two).
const maxSignatures = 4

// Envelope types. Part of the file formats; never change one.
const (
	typeEnrollRequest = "zoufang/enroll-request/v1"
	typeTrust         = "zoufang/trust/v1"
	typeReceipt       = "zoufang/receipt/v1"
)

// signEnvelope marshals content and signs it with every signer.
func signEnvelope(typ string, content any, signers ...ed25519.PrivateKey) ([]byte, error) {
	body, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	env := envelope{Type: typ, Signed: body}
	for _, k := range signers {
		if len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("sign %s: bad key", typ)
		}
		sig, err := k.Sign(nil, body, &ed25519.Options{Context: typ})
		if err != nil {
			return nil, fmt.Errorf("sign %s: %w", typ, err)
		}
		id := KeyIDOf(k.Public().(ed25519.PublicKey))
		for _, s := range env.Signatures {
			if s.KeyID == id {
				return nil, fmt.Errorf("sign %s: key %s given twice", typ, id)
			}
		}
		env.Signatures = append(env.Signatures, envelopeSig{KeyID: id, Sig: sig})
	}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// openEnvelope parses a signed file of type typ strictly and decodes its
// content into v (strictly and canonically). It does not verify signatures;
// the caller decides which keys must have signed (verifiedBy).
func openEnvelope(data []byte, typ string, v any) (*envelope, error) {
	if len(data) > MaxSignedFile {
		return nil, errf(ErrTooLarge, "文件有 %d 字节，超过上限 %d 字节", len(data), MaxSignedFile)
	}
	var env envelope
	if err := strictJSON(bytes.TrimSpace(data), &env); err != nil {
		return nil, err
	}
	if env.Type != typ {
		return nil, errf(ErrUnsupported, "文件类型是 %q，应为 %q", env.Type, typ)
	}
	if len(env.Signatures) == 0 || len(env.Signatures) > maxSignatures {
		return nil, errf(ErrMalformed, "文件应有 1 至 %d 个签名，实有 %d 个", maxSignatures, len(env.Signatures))
	}
	for i, s := range env.Signatures {
		if len(s.Sig) != ed25519.SignatureSize {
			return nil, errf(ErrMalformed, "第 %d 个签名长度错误", i+1)
		}
		for _, t := range env.Signatures[:i] {
			if t.KeyID == s.KeyID {
				return nil, errf(ErrMalformed, "密钥 %s 的签名重复", s.KeyID)
			}
		}
	}
	if err := strictJSON(env.Signed, v); err != nil {
		return nil, err
	}
	again, err := json.Marshal(v)
	if err != nil || !bytes.Equal(again, env.Signed) {
		return nil, errf(ErrMalformed, "签名内容不是规范编码")
	}
	return &env, nil
}

// verifiedBy reports whether the envelope carries a valid signature by pub.
func (e *envelope) verifiedBy(pub ed25519.PublicKey) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	id := KeyIDOf(pub)
	for _, s := range e.Signatures {
		if s.KeyID == id {
			return ed25519.VerifyWithOptions(pub, e.Signed, s.Sig, &ed25519.Options{Context: e.Type}) == nil
		}
	}
	return false
}

// Trust is the district's signed statement of its keys, sent to a laptop at
// enrolment and whenever it changes (TUF-style root metadata): the laptop
// seals bundles to Keys.Sealing, accepts down bundles and receipts signed by
// Keys.Signing, and uploads to ServerURL when set.
type Trust struct {
	// District is the district's name (e.g. 某某区总工会).
	District string `json:"district"`
	// Keys are the district's current public keys.
	Keys PublicKeys `json:"keys"`
	// ServerURL is where `zoufang sync push` uploads; empty for USB only.
	ServerURL string `json:"server_url,omitempty"`
	// Version increases with every new trust file; a laptop never accepts
	// a version lower than, or equal to but different from, the one it has.
	Version uint64 `json:"version"`
	// Issued and Expires bound the validity; an expired trust file is
	// refused, so a stolen old district key stops being trusted.
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`
}

// check validates the fields of t.
func (t *Trust) check() error {
	if t.District == "" || !shortText(t.District) {
		return errf(ErrMalformed, "信任文件缺少区总工会名称")
	}
	if err := t.Keys.check(); err != nil {
		return err
	}
	if t.ServerURL != "" {
		u, err := url.Parse(t.ServerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return errf(ErrMalformed, "服务器地址 %q 无效，应为 http:// 或 https:// 开头", t.ServerURL)
		}
	}
	if t.Version == 0 {
		return errf(ErrMalformed, "信任文件版本必须从 1 开始")
	}
	if t.Issued.IsZero() || !t.Expires.After(t.Issued) {
		return errf(ErrMalformed, "信任文件的有效期无效")
	}
	return nil
}

// Valid reports an error of class ErrExpired when t is not valid at now.
func (t *Trust) Valid(now time.Time) error {
	if !now.Before(t.Expires) {
		return errf(ErrExpired, "区总工会信任文件已于 %s 过期，请向区总工会索取新的信任文件", t.Expires.Local().Format("2006-01-02"))
	}
	return nil
}

// SignTrust signs t with the district's signing key and returns the trust
// file. Times are stored in UTC to the second. When the district rotates its
// signing key, pass the old key too (SignTrust(t, newKey, oldKey)): laptops
// accept the new key only if the key they already trust signed for it.
func SignTrust(t Trust, signing ed25519.PrivateKey, also ...ed25519.PrivateKey) ([]byte, error) {
	t.Issued = t.Issued.UTC().Truncate(time.Second)
	t.Expires = t.Expires.UTC().Truncate(time.Second)
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("sign trust: %w", err)
	}
	if len(signing) != ed25519.PrivateKeySize || !bytes.Equal(signing.Public().(ed25519.PublicKey), t.Keys.Signing) {
		return nil, fmt.Errorf("sign trust: signing key is not the key the file declares")
	}
	return signEnvelope(typeTrust, &t, append([]ed25519.PrivateKey{signing}, also...)...)
}

// ParseTrust parses a trust file strictly and checks that it is signed by
// the signing key it declares. It checks neither expiry nor whether the key
// is the one already trusted: AcceptTrust does.
func ParseTrust(data []byte) (*Trust, error) {
	t, _, err := parseTrust(data)
	return t, err
}

func parseTrust(data []byte) (*Trust, *envelope, error) {
	var t Trust
	env, err := openEnvelope(data, typeTrust, &t)
	if err != nil {
		return nil, nil, err
	}
	if err := t.check(); err != nil {
		return nil, nil, err
	}
	if !env.verifiedBy(t.Keys.Signing) {
		return nil, nil, errf(ErrSignature, "信任文件签名无效：文件被改动或不是该区总工会签发的")
	}
	return &t, env, nil
}

// AcceptTrust decides whether a laptop takes a trust file, given the one it
// has (nil on first enrolment, when the user must compare
// Trust.Keys.Fingerprint with the district's screen). A trust file is
// accepted when it parses, is signed by the key it declares, is not expired
// at now, and — if there is a current one — has a higher Version and is also
// signed by the current signing key (a key rotation needs both signatures).
// Re-importing the identical current file is accepted as a no-op. The
// returned trust is what to store.
func AcceptTrust(current *Trust, data []byte, now time.Time) (*Trust, error) {
	return AcceptTrustChain(current, [][]byte{data}, now)
}

// AcceptTrustChain is AcceptTrust for a laptop several versions behind, as
// TUF updates root metadata: files are the district's trust files in
// increasing version order, each one signed by the signing key of the one
// before it (the first by current's), so a laptop that slept through two key
// rotations follows both. Only the last file must be unexpired at now: an
// intermediate version only vouches for the next key. A version equal to
// the one already held is skipped when it is the identical file. The
// returned trust is the last file's, to be stored with the last file's
// bytes.
func AcceptTrustChain(current *Trust, files [][]byte, now time.Time) (*Trust, error) {
	if len(files) == 0 {
		return nil, errf(ErrMalformed, "没有信任文件")
	}
	cur := current
	for i, data := range files {
		t, env, err := parseTrust(data)
		if err != nil {
			return nil, err
		}
		if i == len(files)-1 {
			if err := t.Valid(now); err != nil {
				return nil, err
			}
		}
		if cur == nil {
			cur = t
			continue
		}
		if t.Version == cur.Version {
			a, _ := json.Marshal(t)
			b, _ := json.Marshal(cur)
			if bytes.Equal(a, b) {
				continue
			}
		}
		if t.Version <= cur.Version {
			return nil, errf(ErrRollback, "信任文件版本 %d 不比已有的版本 %d 新，拒绝导入（防止回退）", t.Version, cur.Version)
		}
		if !env.verifiedBy(cur.Keys.Signing) {
			if t.Version > cur.Version+1 {
				return nil, errf(ErrWrongKey, "第 %d 版信任文件更换了区总工会密钥，没有由本机信任的第 %d 版的密钥 %s 签名：请同时导入第 %d 至 %d 版信任文件",
					t.Version, cur.Version, cur.Keys.SigningKeyID(), cur.Version+1, t.Version)
			}
			return nil, errf(ErrWrongKey, "新的信任文件没有由当前信任的区总工会密钥 %s 签名，拒绝导入", cur.Keys.SigningKeyID())
		}
		cur = t
	}
	return cur, nil
}

// Revocation records that the district stopped trusting a device (a lost or
// retired laptop). Anything the device sends afterwards is quarantined, not
// merged. The revocation list itself is district state.
type Revocation struct {
	DeviceID string `json:"device_id"`
	// KeyID is the revoked signing key; a device that re-enrols gets a new
	// key, so revoking by key id too keeps the old key dead.
	KeyID  KeyID     `json:"key_id"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

// RevocationList is the district's set of revocations.
type RevocationList []Revocation

// Revoked reports whether the device or the key has been revoked, and the
// first matching revocation.
func (l RevocationList) Revoked(deviceID string, key KeyID) (Revocation, bool) {
	for _, r := range l {
		if r.DeviceID == deviceID || (!r.KeyID.IsZero() && r.KeyID == key) {
			return r, true
		}
	}
	return Revocation{}, false
}
