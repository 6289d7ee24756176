package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoufang/profile"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
	"zoufang/sync/laptop"
)

func TestEnrollRequestFile(t *testing.T) {
	u := newTestUI(t)
	dir := t.TempDir()
	id, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	u.dataDir, u.device = dir, id
	s := showSync(u)
	if !strings.Contains(s.device.Text, id.Fingerprint) {
		t.Errorf("device label %q lacks the fingerprint %s", s.device.Text, id.Fingerprint)
	}
	out := filepath.Join(t.TempDir(), "req.zfreq")
	s.saveRequest(out)
	waitIdle()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	req, err := sync.ParseEnrollRequest(data)
	if err != nil {
		t.Fatalf("parse the saved request: %v", err)
	}
	if req.DeviceID != id.DeviceID || req.Investigator != testName || req.District != "市南区" {
		t.Errorf("request %+v", req)
	}
	if got, want := req.Fingerprint(), id.Fingerprint; got != want {
		t.Errorf("request fingerprint %s, want %s (the one on screen)", got, want)
	}

	// The identity is stable: loading it again gives the same device.
	again, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.DeviceID != id.DeviceID || again.Fingerprint != id.Fingerprint {
		t.Errorf("identity changed on reload: %+v vs %+v", again, id)
	}
}

// syncTestUI builds the window over a data directory whose database uses
// the directory's device identity, as Run does.
func syncTestUI(t *testing.T) (*ui, *laptop.Laptop) {
	t.Helper()
	return syncTestUIIn(t, t.TempDir())
}

// syncTestUIIn is syncTestUI over dir, which may hold an identity and a
// database already.
func syncTestUIIn(t *testing.T, dir string) (*ui, *laptop.Laptop) {
	t.Helper()
	id, err := loadIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	lap, err := laptop.Open(dir, laptop.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if lap.DeviceID() != id.DeviceID || lap.Fingerprint() != id.Fingerprint {
		t.Fatalf("sync/laptop and the GUI disagree on the identity: %s %s vs %s %s", lap.DeviceID(), lap.Fingerprint(), id.DeviceID, id.Fingerprint)
	}
	db, err := storage.OpenDir(dir, storage.Options{Now: testNow, DeviceID: id.DeviceID, Author: testName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	body := "91370200MA3C12345"
	c, err := survey.USCCCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveEnterprise(context.Background(), survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: body + string(c), District: "市南区"}); err != nil {
		t.Fatal(err)
	}
	h, err := profile.HashPIN(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	if err := profile.Save(context.Background(), db, profile.Profile{Name: testName, District: "市南区", PINHash: h}); err != nil {
		t.Fatal(err)
	}
	u := newTestUIWithDB(t, db)
	u.dataDir, u.device = dir, id
	return u, lap
}

func addTestVisit(t *testing.T, u *ui) {
	t.Helper()
	ctx := context.Background()
	ents, err := u.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Limit: 1})
	if err != nil || len(ents) == 0 {
		t.Fatalf("roster: %v", err)
	}
	f, _ := u.forms.Latest("visit")
	if _, err := u.db.CreateVisit(ctx, ents[0].ID, f); err != nil {
		t.Fatal(err)
	}
}

func TestSyncScreenUSBAndUpload(t *testing.T) {
	district, err := sync.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	receipt := func(dev string, seq uint64, head sync.Hash) []byte {
		r, err := sync.SignReceipt(sync.Receipt{DeviceID: dev, Seq: seq, Head: head, Created: testNow()}, district.Signing)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/down") {
			w.WriteHeader(http.StatusNoContent) // nothing waits for the laptop
			return
		}
		body, _ := io.ReadAll(r.Body)
		b, err := sync.ParseBundle(bytes.NewReader(body), sync.Limits{})
		if err != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
		w.Write(receipt(b.Header.DeviceID, b.Header.Seq, b.Hash()))
	}))
	defer srv.Close()
	trust, err := sync.SignTrust(sync.Trust{District: "市南区总工会", Keys: district.Public(), ServerURL: srv.URL, Version: 1,
		Issued: testNow().Add(-time.Hour), Expires: testNow().AddDate(1, 0, 0)}, district.Signing)
	if err != nil {
		t.Fatal(err)
	}

	u, lap := syncTestUI(t)
	s := showSync(u)
	waitIdle()
	if !strings.Contains(s.summary.Text, "尚未在区总工会登记") || !s.pushBtn.Disabled() {
		t.Errorf("before enrolment: %q, upload enabled %v", s.summary.Text, !s.pushBtn.Disabled())
	}

	// The trust button refuses a file that is not a trust file.
	s.importTrust(receipt(lap.DeviceID(), 0, sync.Hash{}), "回执.zfr")
	waitIdle()
	if !strings.Contains(s.message.Text, "不是区总工会的信任文件") {
		t.Errorf("message after a wrong file: %q", s.message.Text)
	}

	s.importTrust(trust, "trust.zft")
	waitIdle()
	if !strings.Contains(s.trust.Text, district.Public().Fingerprint()) || s.pushBtn.Disabled() {
		t.Fatalf("after trust import: %q, upload enabled %v", s.trust.Text, !s.pushBtn.Disabled())
	}
	if !strings.Contains(s.summary.Text, "待送达") {
		t.Errorf("summary with an unsent roster: %q", s.summary.Text)
	}

	usb := t.TempDir()
	s.exportTo(usb)
	waitIdle()
	files, _ := filepath.Glob(filepath.Join(usb, "*.zfb"))
	if len(files) != 1 {
		t.Fatalf("files on the USB stick: %v (message %q)", files, s.message.Text)
	}
	if len(s.rows) != 1 || !strings.HasSuffix(s.rows[0], "区总工会尚未确认") {
		t.Errorf("rows after export: %q", s.rows)
	}
	up, _ := os.ReadFile(files[0])
	s.importFile(receipt(lap.DeviceID(), 1, sync.BundleHash(up)), "回执.zfr")
	waitIdle()
	if len(s.rows) != 1 || !strings.HasSuffix(s.rows[0], "已送达") || s.summary.Text != "全部数据已送达区总工会" {
		t.Errorf("after the receipt: rows %q, summary %q", s.rows, s.summary.Text)
	}

	addTestVisit(t, u)
	s.refresh()
	waitIdle()
	if !strings.Contains(s.rows[0], "尚未打包的记录 1 条") {
		t.Errorf("rows with a new visit: %q", s.rows)
	}
	s.push()
	waitIdle()
	if got, want := s.summary.Text, "全部数据已送达区总工会"; got != want {
		t.Errorf("after upload: %q, want %q (message %q)", got, want, s.message.Text)
	}
	if !strings.Contains(s.message.Text, "区总工会没有新的下发内容") {
		t.Errorf("the message does not say what came back: %q", s.message.Text)
	}
	if len(s.rows) != 2 || !strings.HasPrefix(s.rows[0], "第 2 号同步包") || !strings.HasSuffix(s.rows[0], "已送达") {
		t.Errorf("rows after upload: %q", s.rows)
	}
}
