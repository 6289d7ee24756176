package laptop

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoufang/sync"
)

func TestOpenCreatesStableIdentity(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("key file mode %v, want %v", got, want)
	}
	again, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.DeviceID() != l.DeviceID() || again.Fingerprint() != l.Fingerprint() {
		t.Errorf("identity changed on reopen: %s %s vs %s %s", again.DeviceID(), again.Fingerprint(), l.DeviceID(), l.Fingerprint())
	}
	if len(l.Fingerprint()) != 19 {
		t.Errorf("fingerprint %q", l.Fingerprint())
	}
}

func TestOpenRefusesDamagedIdentity(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"bad id", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IDFile), []byte("not-a-uuid\n"), 0o600)
		}, "设备编号文件"},
		{"uppercase id", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IDFile), []byte("6BA7B810-9DAD-11D1-80B4-00C04FD430C8\n"), 0o600)
		}, "设备编号文件"},
		{"key readable by others", func(t *testing.T, dir string) {
			if _, err := Open(dir, Options{}); err != nil {
				t.Fatal(err)
			}
			os.Chmod(filepath.Join(dir, KeyFile), 0o644)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			_, err := Open(dir, Options{})
			if err == nil {
				t.Fatal("Open accepted a damaged identity")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	l, _ := newLaptop(t, Options{})
	data, err := l.Request(Who{DeviceName: "李明的笔记本", Investigator: "李明", District: "市南区总工会"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sync.SniffFile(data), sync.FileEnrollRequest; got != want {
		t.Errorf("SniffFile = %v, want %v", got, want)
	}
	req, err := sync.ParseEnrollRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.DeviceID, l.DeviceID(); got != want {
		t.Errorf("device id %s, want %s", got, want)
	}
	if got, want := req.Fingerprint(), l.Fingerprint(); got != want {
		t.Errorf("fingerprint %s, want %s", got, want)
	}
	if _, err := l.Request(Who{Investigator: "李明"}); err == nil {
		t.Error("request without a device name accepted")
	}
}

func TestAcceptTrust(t *testing.T) {
	d := newFakeDistrict(t, "https://zgh.example.cn")
	rotated := newFakeDistrict(t, "https://zgh.example.cn")
	stranger := newFakeDistrict(t, "")
	expired := func(t testing.TB) []byte {
		tr := sync.Trust{District: "市南区总工会", Keys: d.keys.Public(), Version: 9,
			Issued: testNow.AddDate(-2, 0, 0), Expires: testNow.AddDate(-1, 0, 0)}
		data, err := sync.SignTrust(tr, d.keys.Signing)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name        string
		file        func(t testing.TB) []byte
		wantErr     error // nil: accepted
		wantChanged bool
		wantKey     *sync.Keys // trusted key afterwards
	}{
		{"identical again", func(t testing.TB) []byte { return d.trustFile(t, 2) }, nil, false, d.keys},
		{"newer version", func(t testing.TB) []byte { return d.trustFile(t, 3) }, nil, true, d.keys},
		{"rollback", func(t testing.TB) []byte { return d.trustFile(t, 1) }, sync.ErrRollback, false, d.keys},
		{"expired", expired, sync.ErrExpired, false, d.keys},
		{"other district key", func(t testing.TB) []byte { return stranger.trustFile(t, 5) }, sync.ErrWrongKey, false, d.keys},
		{"rotation without the old key", func(t testing.TB) []byte { return rotated.trustFile(t, 5) }, sync.ErrWrongKey, false, d.keys},
		{"rotation signed by old and new", func(t testing.TB) []byte { return rotated.trustFile(t, 5, d.keys) }, nil, true, rotated.keys},
		{"garbage", func(testing.TB) []byte { return []byte("{}") }, sync.ErrUnsupported, false, d.keys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newLaptop(t, Options{})
			if _, err := l.Trust(); !errors.Is(err, ErrNoTrust) {
				t.Fatalf("Trust before import: %v, want ErrNoTrust", err)
			}
			first := d.trustFile(t, 2)
			if _, changed, err := l.AcceptTrust(first); err != nil || !changed {
				t.Fatalf("first trust file: changed %v, %v", changed, err)
			}
			_, changed, err := l.AcceptTrust(tt.file(t))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("AcceptTrust error %v, want %v", err, tt.wantErr)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			cur, err := l.Trust()
			if err != nil {
				t.Fatal(err)
			}
			if !cur.Keys.Equal(tt.wantKey.Public()) {
				t.Errorf("trusted key %s after import, want %s", cur.Keys.SigningKeyID(), tt.wantKey.Public().SigningKeyID())
			}
			if tt.wantErr != nil {
				stored, _ := os.ReadFile(filepath.Join(l.Dir(), TrustFile))
				if !bytes.Equal(stored, first) {
					t.Error("a refused trust file changed the stored one")
				}
			}
		})
	}
}

func TestExpiredTrustStopsExport(t *testing.T) {
	d := newFakeDistrict(t, "")
	now := testNow
	l, db := newLaptop(t, Options{Now: func() time.Time { return now }})
	if _, _, err := l.AcceptTrust(d.trustFile(t, 1)); err != nil {
		t.Fatal(err)
	}
	addVisits(t, db, 1)
	now = testNow.AddDate(2, 0, 0)
	_, err := l.Export(ctx, db)
	if !errors.Is(err, sync.ErrExpired) {
		t.Fatalf("Export with an expired trust file: %v, want ErrExpired", err)
	}
	s, err := l.State(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Summary(), "过期") {
		t.Errorf("summary %q does not say the trust file expired", s.Summary())
	}
}
