// Package profile is the investigator using a laptop: name, district, team,
// the questionnaire-mode exit PIN and the large-font choice. It holds the
// rules for them (what a complete profile is, what a PIN may be, how it is
// hashed) so the setup and settings screens, the demo data and the tests
// apply one set, and it stores the profile in the database's local settings
// in one transaction. It never imports Fyne.
package profile

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

	"zoufang/storage"
)

// Settings keys of the profile, stored in the database so a copied data
// directory carries its profile along. Settings are never synchronised.
const (
	keyName      = "profile.name"
	keyDistrict  = "profile.district"
	keyTeam      = "profile.team"
	keyPINHash   = "profile.pin_hash"
	keyLargeFont = "profile.large_font"
)

// Profile is the investigator using this laptop.
type Profile struct {
	Name      string // 调查员姓名
	District  string // 所属区市
	Team      string // 走访组
	PINHash   string // questionnaire-mode exit PIN, see HashPIN
	LargeFont bool
}

// Complete reports whether first-run setup has been done.
func (p Profile) Complete() bool { return p.Name != "" && p.District != "" && p.PINHash != "" }

// CheckPIN reports whether pin is the investigator's questionnaire-mode PIN.
func (p Profile) CheckPIN(pin string) bool { return VerifyPIN(p.PINHash, pin) }

// Edit is what the setup and settings screens ask for. An empty PIN keeps
// the current one (settings); setup requires one.
type Edit struct {
	Name, District, Team string
	PIN, PINAgain        string
}

// Apply checks e and returns p with e applied. The error is for the user,
// in Chinese; p is unchanged when there is one. needPIN is true at first
// run, when there is no PIN yet.
func (e Edit) Apply(p Profile, needPIN bool) (Profile, error) {
	name, district, team := strings.TrimSpace(e.Name), strings.TrimSpace(e.District), strings.TrimSpace(e.Team)
	switch {
	case name == "":
		return p, errors.New("请填写调查员姓名")
	case district == "":
		return p, errors.New("请选择所属区市")
	}
	hash := p.PINHash
	if needPIN || e.PIN != "" || e.PINAgain != "" {
		if err := ValidPIN(e.PIN); err != nil {
			return p, err
		}
		if e.PIN != e.PINAgain {
			return p, errors.New("两次输入的退出密码不一致")
		}
		h, err := HashPIN(e.PIN)
		if err != nil {
			return p, err
		}
		hash = h
	}
	p.Name, p.District, p.Team, p.PINHash = name, district, team, hash
	return p, nil
}

// Load reads the profile; missing keys are empty.
func Load(ctx context.Context, db *storage.DB) (Profile, error) {
	var p Profile
	for _, f := range []struct {
		key string
		dst *string
	}{{keyName, &p.Name}, {keyDistrict, &p.District}, {keyTeam, &p.Team}, {keyPINHash, &p.PINHash}} {
		v, err := db.Setting(ctx, f.key)
		if err != nil {
			return Profile{}, fmt.Errorf("load profile: %w", err)
		}
		*f.dst = v
	}
	lf, err := db.Setting(ctx, keyLargeFont)
	if err != nil {
		return Profile{}, fmt.Errorf("load profile: %w", err)
	}
	p.LargeFont = lf == "1"
	return p, nil
}

// Save writes every profile field in one transaction, so a power cut never
// leaves half a profile.
func Save(ctx context.Context, db *storage.DB, p Profile) error {
	lf := "0"
	if p.LargeFont {
		lf = "1"
	}
	err := db.Update(ctx, func(tx *storage.Tx) error {
		for _, kv := range [][2]string{{keyName, p.Name}, {keyDistrict, p.District}, {keyTeam, p.Team}, {keyPINHash, p.PINHash}, {keyLargeFont, lf}} {
			if err := tx.SetSetting(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	return nil
}

// SaveLargeFont stores only the font choice (the settings check box).
func SaveLargeFont(ctx context.Context, db *storage.DB, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	return db.SetSetting(ctx, keyLargeFont, v)
}

// ValidPIN checks the questionnaire-mode PIN: 4 to 6 ASCII digits. The
// message is shown to the user.
func ValidPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 6 {
		return errors.New("退出密码应为 4 到 6 位数字")
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return errors.New("退出密码只能包含数字")
		}
	}
	return nil
}

const pinIterations = 60000

// HashPIN derives a salted PBKDF2-SHA256 hash, stored as
// "pbkdf2-sha256$iterations$salt$hash" (base64). A short PIN can still be
// guessed offline; the hash only keeps it from being read off the disk.
func HashPIN(pin string) (string, error) {
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

// VerifyPIN compares pin with a hash made by HashPIN in constant time.
func VerifyPIN(stored, pin string) bool {
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

// Demo is the profile of the demo data (PIN DemoPIN), keeping p's font.
func Demo(p Profile) (Profile, error) {
	h, err := HashPIN(DemoPIN)
	if err != nil {
		return p, err
	}
	p.Name, p.District, p.Team, p.PINHash = "演示调查员", "市南区", "第一走访组", h
	return p, nil
}

// DemoPIN is the questionnaire-mode PIN of the demo profile.
const DemoPIN = "1234"
