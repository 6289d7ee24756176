package profile

import (
	"context"
	"testing"
	"time"

	"zoufang/storage"
)

func TestValidPIN(t *testing.T) {
	tests := []struct {
		pin string
		ok  bool
	}{
		{"1234", true}, {"123456", true}, {"123", false}, {"1234567", false},
		{"12a4", false}, {"", false}, {"１２３４", false}, {"12 4", false}, {"١٢٣٤", false},
	}
	for _, tc := range tests {
		t.Run(tc.pin, func(t *testing.T) {
			if got := ValidPIN(tc.pin) == nil; got != tc.ok {
				t.Errorf("ValidPIN(%q) ok = %v, want %v", tc.pin, got, tc.ok)
			}
		})
	}
}

func TestPINHash(t *testing.T) {
	h, err := HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPIN("2468")
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
			if got := VerifyPIN(tc.stored, tc.pin); got != tc.want {
				t.Errorf("VerifyPIN = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEditApply(t *testing.T) {
	old, err := Demo(Profile{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    Edit
		needPIN bool
		wantErr string
		newPIN  string // "" = PIN unchanged
	}{
		{name: "no name", edit: Edit{District: "市南区"}, wantErr: "请填写调查员姓名"},
		{name: "no district", edit: Edit{Name: "王建国"}, wantErr: "请选择所属区市"},
		{name: "setup needs a pin", edit: Edit{Name: "王建国", District: "市南区"}, needPIN: true, wantErr: "退出密码应为 4 到 6 位数字"},
		{name: "letters", edit: Edit{Name: "王建国", District: "市南区", PIN: "12a4", PINAgain: "12a4"}, wantErr: "退出密码只能包含数字"},
		{name: "mismatch", edit: Edit{Name: "王建国", District: "市南区", PIN: "135790", PINAgain: "135799"}, wantErr: "两次输入的退出密码不一致"},
		{name: "keep pin", edit: Edit{Name: " 王建国 ", District: "李沧区", Team: "第二组"}},
		{name: "new pin", edit: Edit{Name: "王建国", District: "李沧区", PIN: "135790", PINAgain: "135790"}, newPIN: "135790"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.edit.Apply(old, tc.needPIN)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if p != old {
					t.Errorf("profile changed on error: %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "王建国" {
				t.Errorf("name %q, want trimmed 王建国", p.Name)
			}
			want := DemoPIN
			if tc.newPIN != "" {
				want = tc.newPIN
			}
			if !p.CheckPIN(want) {
				t.Errorf("PIN %s does not verify", want)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	db, err := storage.OpenDir(t.TempDir(), storage.Options{Now: func() time.Time { return time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	p, err := Load(ctx, db)
	if err != nil || p.Complete() {
		t.Fatalf("fresh profile %+v, %v: want empty", p, err)
	}
	want, err := Demo(Profile{LargeFont: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(ctx, db, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || !got.Complete() {
		t.Errorf("loaded %+v, want %+v", got, want)
	}
	if err := SaveLargeFont(ctx, db, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(ctx, db); got.LargeFont {
		t.Error("large font still on")
	}
}
