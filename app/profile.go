package app

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"zoufang/storage"
)

// Settings keys of the investigator profile, stored in the database so a
// copied data directory carries its profile along.
const (
	keyName      = "profile.name"
	keyDistrict  = "profile.district"
	keyTeam      = "profile.team"
	keyPINHash   = "profile.pin_hash"
	keyLargeFont = "profile.large_font"
)

// profile is the investigator using this laptop.
type profile struct {
	Name      string // 调查员姓名
	District  string // 所属区市
	Team      string // 走访组
	PINHash   string // questionnaire-mode exit PIN, see hashPIN
	LargeFont bool
	// DeviceID and Fingerprint come from the device identity files (see
	// identity.go), not from settings.
	DeviceID    string
	Fingerprint string
	// dataDir is the data directory (device key, sync files); set by Run.
	dataDir string
}

// complete reports whether first-run setup has been done.
func (p profile) complete() bool { return p.Name != "" && p.District != "" && p.PINHash != "" }

// checkPIN reports whether pin is the investigator's questionnaire-mode PIN.
func (p profile) checkPIN(pin string) bool { return verifyPIN(p.PINHash, pin) }

// loadProfile reads the profile from the settings table; missing keys are
// empty.
func loadProfile(ctx context.Context, db *storage.DB) (profile, error) {
	get := func(k string) (string, error) {
		v, err := db.Setting(ctx, k)
		if errors.Is(err, storage.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("load profile %s: %w", k, err)
		}
		return v, nil
	}
	var p profile
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{keyName, &p.Name}, {keyDistrict, &p.District}, {keyTeam, &p.Team}, {keyPINHash, &p.PINHash}} {
		if *f.dst, err = get(f.key); err != nil {
			return profile{}, err
		}
	}
	lf, err := get(keyLargeFont)
	if err != nil {
		return profile{}, err
	}
	p.LargeFont = lf == "1"
	return p, nil
}

// saveProfile writes every profile field.
func saveProfile(ctx context.Context, db *storage.DB, p profile) error {
	lf := "0"
	if p.LargeFont {
		lf = "1"
	}
	for _, kv := range [][2]string{{keyName, p.Name}, {keyDistrict, p.District}, {keyTeam, p.Team}, {keyPINHash, p.PINHash}, {keyLargeFont, lf}} {
		if err := db.SetSetting(ctx, kv[0], kv[1]); err != nil {
			return fmt.Errorf("save profile %s: %w", kv[0], err)
		}
	}
	return nil
}

// validPIN checks the questionnaire-mode PIN: 4 to 6 digits. The message is
// shown to the user.
func validPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 6 {
		return errors.New("退出密码应为 4 到 6 位数字")
	}
	for _, r := range pin {
		if !unicode.IsDigit(r) || r > '9' {
			return errors.New("退出密码只能包含数字")
		}
	}
	return nil
}

const pinIterations = 60000

// hashPIN derives a salted PBKDF2-SHA256 hash, stored as
// "pbkdf2-sha256$iterations$salt$hash" (base64). A short PIN can still be
// guessed offline; the hash only keeps it from being read off the disk.
func hashPIN(pin string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash pin: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, pinIterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash pin: %w", err)
	}
	enc := base64.RawStdEncoding
	return "pbkdf2-sha256$" + strconv.Itoa(pinIterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

// verifyPIN compares pin with a hash made by hashPIN in constant time.
func verifyPIN(stored, pin string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pin, salt, iter, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}
