package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"zoufang/profile"
	"zoufang/storage"
)

// testZone is China Standard Time, where the laptops are.
var testZone = time.FixedZone("CST", 8*3600)

// testNow is a fixed clock inside the campaign's 排查摸底 phase.
func testNow() time.Time { return time.Date(2026, 4, 15, 10, 30, 0, 0, testZone) }

const (
	testDevice = "6f1d3c2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f"
	testName   = "测试调查员"
	testPIN    = "2468"
)

// newTestDB opens a fresh database file under t.TempDir() with the test
// roster imported.
func newTestDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.OpenDir(t.TempDir(), storage.Options{Now: testNow, DeviceID: testDevice, Author: testName})
	if err != nil {
		t.Fatalf("open storage: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	importFixture(t, db, "roster.csv")
	return db
}

// importFixture imports testdata/name into db.
func importFixture(t *testing.T, db *storage.DB, name string) storage.ImportReport {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := db.ImportRoster(context.Background(), f, name, nil)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return rep
}

// newTestUI builds the real window on a test app with a complete profile
// and shows the home screen.
func newTestUI(t *testing.T) *ui {
	t.Helper()
	db := newTestDB(t)
	h, err := profile.HashPIN(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	p := profile.Profile{Name: testName, District: "市南区", Team: "第一走访组", PINHash: h}
	if err := profile.Save(context.Background(), db, p); err != nil {
		t.Fatal(err)
	}
	return newTestUIWithDB(t, db)
}

// newTestUIWithDB builds the window over db on a temporary test app.
func newTestUIWithDB(t *testing.T, db *storage.DB) *ui {
	t.Helper()
	a := test.NewTempApp(t)
	u, err := newUI(a, db, testNow)
	if err != nil {
		t.Fatalf("newUI: %v", err)
	}
	u.device.DeviceID = testDevice
	u.printTo = filepath.Join(t.TempDir(), "走访记录表")
	u.open = func(string) error { return nil } // no PDF viewer in tests
	u.win.Resize(fyne.NewSize(1200, 800))
	u.start()
	waitIdle()
	t.Cleanup(func() { waitIdle(); u.win.Close() })
	return u
}
