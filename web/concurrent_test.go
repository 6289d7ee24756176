package web

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// TestStaffWhileLaptopsUpload has 20 staff sessions browsing the
// workbench (overview, lists, 统计, a ledger follow-up each) while 20
// laptops upload their bundles over HTTP to the same server: every upload
// is merged, every page answers, nothing is lost.
func TestStaffWhileLaptopsUpload(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(200)
	type upload struct {
		device string
		seq    uint64
		data   []byte
	}
	var uploads []upload
	want := map[string]int{} // versions per device
	var fields []*field
	for i := range 20 {
		f := e.enrolField(fmt.Sprintf("调查员%02d", i))
		fields = append(fields, f)
		mine := ents[i*5 : i*5+5]
		ids := make([]string, len(mine))
		for j, x := range mine {
			ids[j] = x.ID
		}
		if _, err := e.d.AssignEnterprises(bg, "测试", f.l.DeviceID(), ids); err != nil {
			t.Fatal(err)
		}
		e.sendDown(f)
		e.fieldWork(f, mine, rngFor(int64(i)))
		for _, data := range e.exportBundles(f) {
			b, err := sync.ParseBundle(bytes.NewReader(data), sync.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			uploads = append(uploads, upload{f.l.DeviceID(), b.Header.Seq, data})
			want[f.l.DeviceID()] += int(b.Header.Records)
		}
	}
	sort.Slice(uploads, func(i, j int) bool { return uploads[i].seq < uploads[j].seq })
	// Staff: ten reviewers and ten read-only supervisors.
	var staff []*client
	for i := range 20 {
		role := RoleReviewer
		if i%2 == 1 {
			role = RoleReadonly
		}
		name := fmt.Sprintf("员工%02d", i)
		e.d.DB().Update(bg, func(tx *storage.Tx) error {
			_, err := CreateUser(tx, "测试", name, role, testPassword, false)
			return err
		})
		staff = append(staff, e.loggedIn(name))
	}
	// A ledger item for the reviewers to follow up.
	var itemID string
	{
		it, err := e.d.DB().SaveLedgerItem(bg, survey.LedgerItem{EnterpriseID: ents[199].ID, Description: "测试事项", Urgency: "normal"})
		if err != nil {
			t.Fatal(err)
		}
		itemID = it.ID
	}

	var done atomic.Bool
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	var failures []string
	var pageTimes []time.Duration
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	for i, c := range staff {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages := []string{"/", "/visits", "/ledger?open=1", "/stats", "/bundles", "/enterprises?q=qd", "/conflicts"}
			for n := 0; !done.Load() || n < len(pages); n++ {
				start := time.Now()
				r := c.get(pages[n%len(pages)])
				mu.Lock()
				pageTimes = append(pageTimes, time.Since(start))
				mu.Unlock()
				if r.status != 200 {
					fail("staff %d %s: %d", i, pages[n%len(pages)], r.status)
				}
				if n == 3 && i%2 == 0 {
					// Follow up the shared item: one wins per version, the
					// others are told the page is stale; none is lost silently.
					p := c.get("/ledger/" + itemID)
					r := c.post("/ledger/"+itemID+"/followup", map[string][]string{"token": {token(t, p.body[bytes.Index([]byte(p.body), []byte("followup")):])}, "base": {baseOf(t, p.body)}, "note": {fmt.Sprintf("员工%02d 跟进", i)}, "status": {"negotiating"}})
					if r.status != http.StatusSeeOther && r.status != http.StatusConflict {
						fail("staff %d follow-up: %d", i, r.status)
					}
				}
			}
		}()
	}
	var uwg gosync.WaitGroup
	var retries atomic.Int32
	byDevice := map[string][]upload{}
	for _, u := range uploads {
		byDevice[u.device] = append(byDevice[u.device], u)
	}
	for dev, us := range byDevice {
		uwg.Add(1)
		go func() {
			defer uwg.Done()
			for _, u := range us {
				// As the laptop's push does: a busy server (503, at most 8
				// uploads at once) is asked again after its Retry-After.
				deadline := time.Now().Add(4 * time.Minute) // the race detector slows the server tenfold
				for {
					req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/v1/devices/%s/bundles/%d", e.srv.URL, dev, u.seq), bytes.NewReader(u.data))
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						fail("upload %s/%d: %v", dev, u.seq, err)
						break
					}
					res.Body.Close()
					if res.StatusCode == http.StatusServiceUnavailable && time.Now().Before(deadline) {
						retries.Add(1)
						wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
						time.Sleep(time.Duration(min(max(wait, 1), 2)) * time.Second / 4)
						continue
					}
					if res.StatusCode != http.StatusCreated {
						fail("upload %s/%d: %d", dev, u.seq, res.StatusCode)
					}
					break
				}
			}
		}()
	}
	uwg.Wait()
	done.Store(true)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	for dev, n := range want {
		var got int
		e.d.DB().QueryRow(bg, `SELECT count(*) FROM versions WHERE device_id = ? OR (device_id = '' AND kind = 'response' AND record_id IN (SELECT id FROM responses WHERE enterprise_id IN (SELECT id FROM enterprises WHERE assigned_to = ?)))`, dev, dev).Scan(&got)
		if got != n {
			t.Errorf("device %s: %d versions merged, %d sent", dev, got, n)
		}
	}
	it, _ := e.d.DB().LedgerItem(bg, itemID)
	var audited int
	e.d.DB().QueryRow(bg, `SELECT count(*) FROM audit_log WHERE target = ? AND action = 'ledger.followup'`, itemID).Scan(&audited)
	if len(it.Log) != audited || audited == 0 {
		t.Errorf("%d follow-ups on the item, %d audited", len(it.Log), audited)
	}
	sort.Slice(pageTimes, func(i, j int) bool { return pageTimes[i] < pageTimes[j] })
	t.Logf("%d uploads from 20 laptops (%d answered 503 busy and sent again), %d page views by 20 staff: p50 %v, p95 %v, max %v", len(uploads), retries.Load(), len(pageTimes),
		pageTimes[len(pageTimes)/2], pageTimes[len(pageTimes)*95/100], pageTimes[len(pageTimes)-1])
}
