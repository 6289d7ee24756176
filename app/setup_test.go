package app

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"

	"zoufang/profile"
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
	p, err := profile.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "王建国" || p.District != "李沧区" || p.Team != "第二走访组" {
		t.Errorf("stored profile %+v", p)
	}
	if !p.CheckPIN("135790") || p.CheckPIN("135791") {
		t.Error("stored PIN hash does not verify the PIN")
	}
	if p.PINHash == "135790" {
		t.Error("PIN stored in clear")
	}
}
