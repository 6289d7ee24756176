package app

import (
	"strings"
	"testing"
	"time"

	"zoufang/sync"
	"zoufang/sync/laptop"
)

// Finding 7 of issue 10: the laptop is warned weeks before the district's
// trust file expires, on the sync screen and on the home screen, in
// Chinese; nothing is shown while the file has long to run.
func TestTrustExpiryWarning(t *testing.T) {
	district, err := sync.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	trust := func(version uint64, valid time.Duration) []byte {
		b, err := sync.SignTrust(sync.Trust{District: "市南区总工会", Keys: district.Public(), ServerURL: "https://sync.example.org",
			Version: version, Issued: testNow().Add(-time.Hour), Expires: testNow().Add(valid)}, district.Signing)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	u, _ := syncTestUI(t)
	s := showSync(u)
	s.importTrust(trust(1, 365*24*time.Hour), "trust.zft")
	waitIdle()
	h := newHomeScreen(u)
	h.refresh()
	waitIdle()
	if strings.Contains(s.trust.Text, "过期") || h.trustWarn.Visible() {
		t.Errorf("warned a year before expiry: %q / home %q", s.trust.Text, h.trustWarn.Text)
	}

	s.importTrust(trust(2, 20*24*time.Hour), "trust-v2.zft")
	waitIdle()
	if !strings.Contains(s.trust.Text, "还有 20 天") || !strings.Contains(s.trust.Text, "联网上传一次") {
		t.Errorf("sync screen: %q", s.trust.Text)
	}
	h.refresh()
	waitIdle()
	if !h.trustWarn.Visible() || !strings.Contains(h.trustWarn.Text, "区总工会信任文件将于") {
		t.Errorf("home: visible %v, %q", h.trustWarn.Visible(), h.trustWarn.Text)
	}

	// Expired: upload stays possible (it fetches the renewal first).
	s.importTrust(trust(3, 2*time.Hour), "trust-v3.zft")
	waitIdle()
	u.now = func() time.Time { return testNow().Add(3 * time.Hour) }
	s.lap, _ = laptop.Open(u.dataDir, laptop.Options{Now: u.now})
	s.refresh()
	waitIdle()
	if !strings.Contains(s.trust.Text, "已于") || !strings.Contains(s.trust.Text, "自动取得") || s.pushBtn.Disabled() {
		t.Errorf("expired: %q, upload enabled %v", s.trust.Text, !s.pushBtn.Disabled())
	}
	h.refresh()
	waitIdle()
	if !h.trustWarn.Visible() || !strings.Contains(h.trustWarn.Text, "过期") {
		t.Errorf("home when expired: %q", h.trustWarn.Text)
	}
}
