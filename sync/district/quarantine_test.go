package district

import (
	"net/http"
	"strings"
	gosync "sync"
	"testing"

	"github.com/google/uuid"

	"zoufang/audit"
	"zoufang/sync"
)

// Finding 12 of issue 10: quarantined bundles could be counted but not
// listed, inspected, released or rejected. Now they can, through the
// library API the workbench and the command line share; release and
// reject record who and why.
func TestQuarantineListInspectReleaseReject(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	mustImport(t, d, l.bundle(t, d, l.visit(uuid.NewString(), 0, nil)), Applied)
	twin := &laptop{id: l.id, keys: l.keys}
	rec := uuid.NewString()
	data := twin.bundle(t, d, twin.visit(rec, 5, nil), twin.visit(uuid.NewString(), 6, nil))
	mustImport(t, d, data, Quarantined)

	q, err := d.Quarantined(ctx)
	if err != nil || len(q) != 1 {
		t.Fatalf("Quarantined = %+v, %v", q, err)
	}
	if q[0].DeviceID != l.id || q[0].Seq != 1 || q[0].Code != CodeConflict || q[0].Records != 2 || q[0].Size != int64(len(data)) ||
		q[0].ID != sync.BundleHash(data).String() || q[0].DeviceName == "" || !strings.Contains(q[0].Reason, "内容不同") {
		t.Errorf("listed %+v", q[0])
	}
	det, err := d.InspectQuarantined(ctx, q[0].ID[:8])
	if err != nil {
		t.Fatal(err)
	}
	if !det.Verified || !det.Opened || len(det.Versions) != 2 || det.Versions[0].RecordID != rec || det.Header.Seq != 1 {
		t.Errorf("inspected %+v", det)
	}
	if n := countRows(t, d, `SELECT count(*) FROM versions WHERE record_id = ?`, rec); n != 0 {
		t.Error("inspecting merged the records")
	}
	for _, bad := range []struct{ id, who, why string }{{q[0].ID, "", "理由"}, {q[0].ID, "王主任", " "}, {"12", "王主任", "理由"}, {"zzzzzzzz", "王主任", "理由"}} {
		if _, err := d.ReleaseQuarantined(ctx, bad.id, bad.who, bad.why); err == nil {
			t.Errorf("release %+v accepted", bad)
		}
	}
	// Released while the conflict stands: quarantined again, still there.
	res, err := d.ReleaseQuarantined(ctx, q[0].ID, "王主任", "核对一下")
	if err != nil || res.Decision != Quarantined {
		t.Errorf("release of a conflicting bundle: %+v %v, want quarantined again", res, err)
	}
	if q2, _ := d.Quarantined(ctx); len(q2) != 1 {
		t.Fatalf("after release: %d quarantined", len(q2))
	}
	// Two people reject at once: one succeeds, the other is told.
	var wg gosync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = d.RejectQuarantined(ctx, q[0].ID, "王主任", "笔记本数据从旧备份恢复，此包作废")
		}(i)
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Errorf("two rejections: %v / %v, want exactly one to succeed", errs[0], errs[1])
	}
	if q3, _ := d.Quarantined(ctx); len(q3) != 0 {
		t.Errorf("after reject: %d quarantined", len(q3))
	}
	if dv, _ := d.Device(ctx, l.id); dv.StoredBytes != 0 || dv.Quarantined != 0 {
		t.Errorf("a rejected bundle still counts against the quota: %+v", dv)
	}
	es, _, _ := audit.List(ctx, d.db, audit.Filter{Target: l.id})
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Action)
		if e.Action == "reject" && (e.Actor != "王主任" || !strings.Contains(e.Reason, "旧备份")) {
			t.Errorf("reject entry %+v", e)
		}
		if e.Action == "release" && (e.Actor != "王主任" || e.Reason != "核对一下") {
			t.Errorf("release entry %+v", e)
		}
	}
	if s := strings.Join(actions, ","); !strings.Contains(s, "reject") || !strings.Contains(s, "release") || !strings.Contains(s, "quarantine") {
		t.Errorf("audit actions %s", s)
	}
	// The same file again: told it was rejected, nothing stored.
	before := dump(t, d)
	res = d.Import(ctx, data)
	if res.Decision != Refused || res.Code != CodeRejected || res.Status != http.StatusConflict || !strings.Contains(res.Message, "旧备份") {
		t.Errorf("rejected bundle again: %+v", res)
	}
	if dump(t, d) != before {
		t.Error("a rejected bundle delivered again changed the database")
	}
}
