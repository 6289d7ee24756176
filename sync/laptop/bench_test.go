package laptop

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"zoufang/storage"
	"zoufang/survey"
)

// BenchmarkExport10000Visits seals 10,000 complete visits (each created and
// then filled: 20,000 versions plus their enterprises) from a real SQLite
// database into up bundles, as `zoufang sync export` does. Target ≤ 3 s.
func BenchmarkExport10000Visits(b *testing.B) {
	const visits = 10_000
	d := newFakeDistrict(b, "")
	dir := b.TempDir()
	l, err := Open(dir, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := l.AcceptTrust(d.trustFile(b, 1)); err != nil {
		b.Fatal(err)
	}
	c := &clock{t: testNow}
	// NORMAL only speeds up building the fixture; the export reads the same.
	db, err := storage.OpenDir(dir, storage.Options{Now: c.now, DeviceID: l.DeviceID(), Author: "李明", Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	f := visitForm(b)
	start := time.Now()
	var ent survey.Enterprise
	for i := range visits {
		if i%20 == 0 {
			if ent, err = db.SaveEnterprise(ctx, survey.Enterprise{Name: fmt.Sprintf("青岛海信电器%d厂", i), USCC: uscc(b, 500000+i), District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 120}); err != nil {
				b.Fatal(err)
			}
		}
		v, err := db.CreateVisit(ctx, ent.ID, f)
		if err != nil {
			b.Fatal(err)
		}
		v.Answers = survey.SampleVisitAnswers("2026-11-20", 1+i%3)
		v.Answers["difficulties_note"] = fmt.Sprintf("第%d家企业反映订单不足、原材料上涨，职工工资按时发放，希望工会协调社保缓缴。", i)
		if _, err := db.SaveVisit(ctx, v); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("fixture: %d visits in %v", visits, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	var size int64
	for b.Loop() {
		b.StopTimer()
		if err := db.Update(ctx, func(tx *storage.Tx) error {
			_, err := tx.Exec(`DELETE FROM laptop_bundles`)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(filepath.Join(dir, OutboxDir))
		b.StartTimer()
		res, err := l.Export(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		if res.Versions < 2*visits {
			b.Fatalf("exported %d versions, want ≥ %d", res.Versions, 2*visits)
		}
		size = 0
		for _, bb := range res.New {
			size += bb.Size
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/export")
	b.ReportMetric(float64(size)/(1<<20), "MiB")
}
