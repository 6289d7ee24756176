package sync

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// typeDownRequest is the envelope type (and Ed25519ctx context) of a down
// request: a signature on one can never pass for a signature on an
// enrolment request, a trust file or a receipt.
const typeDownRequest = "zoufang/down-request/v1"

// DownRequest is a laptop asking the district over HTTP for the down
// bundles waiting for it (POST /v1/devices/{id}/down). It is signed by the
// device's enrolled signing key, so only that laptop can ask; what comes back
// is sealed to the laptop anyway, so the signature protects the district's
// work and the stream state, not secrecy. Nonce and Created bound replays:
// the district refuses a request older or newer than its window and a nonce
// it has seen.
type DownRequest struct {
	DeviceID string `json:"device_id"`
	// Have is the highest down seq the laptop has applied (0: none) and
	// Head that bundle's hash (zero when Have is 0): the district answers
	// with bundle Have+1 and refuses a Head that is not what it sent.
	Have uint64 `json:"have"`
	Head Hash   `json:"head"`
	// Nonce is 16 random bytes in hex, new for every request.
	Nonce   string    `json:"nonce"`
	Created time.Time `json:"created"`
}

// DownRequestWindow is how far a down request's time may be from the
// district's clock. A laptop whose clock is further off is told the
// district's time and signs again (laptop.Fetch does).
const DownRequestWindow = 10 * time.Minute

// MaxDownRequest bounds the size of a down request file.
const MaxDownRequest = 4 << 10

// DownHeaderSeq and DownHeaderLast are the HTTP headers of the district's
// answer to a down request: the seq of the bundle in the body, and the
// highest down seq sealed for the device (a laptop with less asks again).
const (
	DownHeaderSeq  = "X-Zoufang-Down-Seq"
	DownHeaderLast = "X-Zoufang-Down-Last"
)

func (r *DownRequest) check() error {
	if !validUUID(r.DeviceID) {
		return errf(ErrMalformed, "下发请求中的设备编号 %q 无效", r.DeviceID)
	}
	if (r.Have == 0) != r.Head.IsZero() {
		return errf(ErrMalformed, "下发请求的序号 %d 与哈希不一致", r.Have)
	}
	if b, err := hex.DecodeString(r.Nonce); err != nil || len(b) != 16 || hex.EncodeToString(b) != r.Nonce {
		return errf(ErrMalformed, "下发请求的随机数无效")
	}
	if r.Created.IsZero() {
		return errf(ErrMalformed, "下发请求缺少时间")
	}
	return nil
}

// NewDownRequest fills in a fresh nonce, stores Created in UTC to the
// second and returns the request signed by the device's signing key.
func NewDownRequest(r DownRequest, k *Keys) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("down request: no keys")
	}
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("down request: %w", err)
	}
	r.Nonce = hex.EncodeToString(nonce[:])
	r.Created = r.Created.UTC().Truncate(time.Second)
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("down request: %w", err)
	}
	return signEnvelope(typeDownRequest, &r, k.Signing)
}

// ParseDownRequest parses a down request strictly, without verifying its
// signature: the district looks the device up by DeviceID first, then calls
// VerifyDownRequest with the device's enrolled key.
func ParseDownRequest(data []byte) (*DownRequest, error) {
	r, _, err := parseDownRequest(data)
	return r, err
}

func parseDownRequest(data []byte) (*DownRequest, *envelope, error) {
	if len(data) > MaxDownRequest {
		return nil, nil, errf(ErrTooLarge, "下发请求有 %d 字节，超过上限 %d 字节", len(data), MaxDownRequest)
	}
	var r DownRequest
	env, err := openEnvelope(data, typeDownRequest, &r)
	if err != nil {
		return nil, nil, err
	}
	if err := r.check(); err != nil {
		return nil, nil, err
	}
	if len(env.Signatures) != 1 {
		return nil, nil, errf(ErrMalformed, "下发请求应只有设备本身的一个签名")
	}
	return &r, env, nil
}

// VerifyDownRequest parses a down request strictly and verifies it was
// signed by device (the enrolled signing key of the device it names) at a
// time within DownRequestWindow of now. Replays inside the window are the
// caller's to refuse (remember the nonce).
func VerifyDownRequest(data []byte, device ed25519.PublicKey, now time.Time) (*DownRequest, error) {
	r, env, err := parseDownRequest(data)
	if err != nil {
		return nil, err
	}
	if !env.verifiedBy(device) {
		return nil, errf(ErrSignature, "下发请求签名无效：不是该设备签发的，或已被改动")
	}
	if d := r.Created.Sub(now); d > DownRequestWindow || d < -DownRequestWindow {
		return nil, &ClockError{Request: r.Created, Server: now.UTC().Truncate(time.Second)}
	}
	return r, nil
}

// ClockError refuses a down request whose time is too far from the
// district's: a replay of an old request, or a laptop whose clock is wrong
// (it can sign again with Server's time).
type ClockError struct {
	Request, Server time.Time
}

func (e *ClockError) Error() string {
	return fmt.Sprintf("下发请求的时间（%s）与区总工会服务器的时间（%s）相差太多：请检查笔记本的日期和时间",
		e.Request.Local().Format("2006-01-02 15:04"), e.Server.Local().Format("2006-01-02 15:04"))
}

// Is makes a ClockError match ErrExpired.
func (e *ClockError) Is(target error) bool { return target == ErrExpired }
