package app

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestFirstRunSetup(t *testing.T) {
	db := newTestDB(t)
	u := newTestUIWithDB(t, db)
	if got, want := u.nav.current(), "首次使用设置"; got != want {
		t.Fatalf("first page %q, want %q", got, want)
	}
	s := showSetup(u)

	test.Type(s.name, "王建国")
	s.district.SetText("李沧区")
	test.Type(s.team, "第二走访组")
	test.Type(s.pin, "12a4")
	test.Type(s.pin2, "12a4")
	test.Tap(s.saveBtn)
	waitIdle()
	if got, want := s.errLabel.Text, "退出密码只能包含数字"; got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
	s.pin.SetText("135790")
	s.pin2.SetText("135799")
	test.Tap(s.saveBtn)
	if got, want := s.errLabel.Text, "两次输入的退出密码不一致"; got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
	s.pin2.SetText("135790")
	test.Tap(s.saveBtn)
	waitIdle()
	if got, want := u.nav.current(), "首页"; got != want {
		t.Fatalf("after setup page %q, want %q", got, want)
	}
	p, err := loadProfile(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "王建国" || p.District != "李沧区" || p.Team != "第二走访组" {
		t.Errorf("stored profile %+v", p)
	}
	if !p.checkPIN("135790") || p.checkPIN("135791") {
		t.Error("stored PIN hash does not verify the PIN")
	}
	if p.PINHash == "135790" {
		t.Error("PIN stored in clear")
	}
}

func TestValidPIN(t *testing.T) {
	tests := []struct {
		pin string
		ok  bool
	}{
		{"1234", true}, {"123456", true}, {"123", false}, {"1234567", false},
		{"12a4", false}, {"", false}, {"１２３４", false}, {"12 4", false},
	}
	for _, tc := range tests {
		t.Run(tc.pin, func(t *testing.T) {
			if got := validPIN(tc.pin) == nil; got != tc.ok {
				t.Errorf("validPIN(%q) ok = %v, want %v", tc.pin, got, tc.ok)
			}
		})
	}
}

func TestPINHash(t *testing.T) {
	h, err := hashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPIN("2468")
	if h == h2 {
		t.Error("two hashes of one PIN are equal: no salt")
	}
	tests := []struct {
		name   string
		stored string
		pin    string
		want   bool
	}{
		{"right", h, "2468", true},
		{"wrong", h, "2469", false},
		{"empty pin", h, "", false},
		{"empty hash", "", "2468", false},
		{"garbage", "pbkdf2-sha256$x$y$z", "2468", false},
		{"huge iterations", "pbkdf2-sha256$999999999$AAAA$AAAA", "2468", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifyPIN(tc.stored, tc.pin); got != tc.want {
				t.Errorf("verifyPIN = %v, want %v", got, tc.want)
			}
		})
	}
}
