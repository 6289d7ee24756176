package sync

import (
	"fmt"
	"time"
)

// EnrollRequest is what a laptop hands the district (by USB stick) to be
// enrolled: who it is and its public keys, signed by its own signing key.
// The self-signature proves possession of the key, not identity: identity is
// established by district staff comparing Fingerprint with the laptop's
// screen.
type EnrollRequest struct {
	DeviceID     string     `json:"device_id"`    // canonical UUID
	DeviceName   string     `json:"device_name"`  // e.g. 张三的笔记本
	Investigator string     `json:"investigator"` // the person using it
	District     string     `json:"district"`     // the district it asks to join
	Keys         PublicKeys `json:"keys"`
	Created      time.Time  `json:"created"`
}

// check validates the fields of r.
func (r *EnrollRequest) check() error {
	if !validUUID(r.DeviceID) {
		return errf(ErrMalformed, "设备编号 %q 不是规范的 UUID", r.DeviceID)
	}
	if r.DeviceName == "" || !shortText(r.DeviceName) {
		return errf(ErrMalformed, "设备名称无效")
	}
	if r.Investigator == "" || !shortText(r.Investigator) {
		return errf(ErrMalformed, "走访人员姓名无效")
	}
	if !shortText(r.District) {
		return errf(ErrMalformed, "区总工会名称无效")
	}
	if r.Created.IsZero() {
		return errf(ErrMalformed, "申请缺少创建时间")
	}
	return r.Keys.check()
}

// Fingerprint is the code both screens show (see PublicKeys.Fingerprint).
func (r *EnrollRequest) Fingerprint() string { return r.Keys.Fingerprint() }

// NewEnrollRequest fills r.Keys from k, stores Created in UTC to the second,
// and returns the signed request file.
func NewEnrollRequest(r EnrollRequest, k *Keys) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("enroll request: no keys")
	}
	r.Keys = k.Public()
	r.Created = r.Created.UTC().Truncate(time.Second)
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("enroll request: %w", err)
	}
	return signEnvelope(typeEnrollRequest, &r, k.Signing)
}

// ParseEnrollRequest parses a request file strictly and verifies its
// self-signature.
func ParseEnrollRequest(data []byte) (*EnrollRequest, error) {
	var r EnrollRequest
	env, err := openEnvelope(data, typeEnrollRequest, &r)
	if err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if len(env.Signatures) != 1 || !env.verifiedBy(r.Keys.Signing) {
		return nil, errf(ErrSignature, "登记申请签名无效：文件被改动过")
	}
	return &r, nil
}

// Device is an enrolled laptop as the district keeps it.
type Device struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Investigator string     `json:"investigator"`
	Keys         PublicKeys `json:"keys"`
	Enrolled     time.Time  `json:"enrolled"`
}

// Device returns the enrolled device for an accepted request.
func (r *EnrollRequest) Device(enrolled time.Time) Device {
	return Device{ID: r.DeviceID, Name: r.DeviceName, Investigator: r.Investigator, Keys: r.Keys, Enrolled: enrolled}
}
