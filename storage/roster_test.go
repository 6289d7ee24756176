package storage

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"zoufang/survey"
)

func TestImportRosterUpsertsByUSCC(t *testing.T) {
	db := openTest(t)
	ents := survey.FakeRoster(50, 7)
	var buf bytes.Buffer
	if err := survey.WriteRosterCSV(&buf, ents, true); err != nil {
		t.Fatal(err)
	}
	var calls int
	rep, err := db.ImportRoster(ctx, bytes.NewReader(buf.Bytes()), "名录.csv", func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 50 || rep.Updated != 0 || len(rep.Rejected) != 0 || calls == 0 {
		t.Fatalf("first import: %+v, progress calls %d", rep, calls)
	}
	first, _ := db.SearchEnterprises(ctx, EnterpriseQuery{Text: ents[0].USCC})
	if len(first) != 1 {
		t.Fatalf("imported enterprise not found by USCC: %v", first)
	}

	// Same file again: nothing changes. One renamed row: one update, same id.
	ents[0].Name = "青岛改名后机械有限公司"
	buf.Reset()
	survey.WriteRosterCSV(&buf, ents, false)
	buf.WriteString("缺校验位公司," + ents[1].USCC[:17] + "0,市南区,,,,,,,\n")
	rep, err = db.ImportRoster(ctx, &buf, "名录.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 0 || rep.Updated != 1 || rep.Unchanged != 49 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 52 {
		t.Fatalf("second import: %+v", rep)
	}
	renamed, _ := db.Enterprise(ctx, first[0].ID)
	if renamed.Name != "青岛改名后机械有限公司" {
		t.Errorf("upsert did not keep the id: %+v", renamed)
	}
	if !strings.Contains(rep.Summary("名录.csv"), "更新 1 家") || !strings.HasPrefix(rep.Rejected[0].String(), "第 52 行：") {
		t.Errorf("summary %q / %q", rep.Summary("名录.csv"), rep.Rejected[0].String())
	}
}

func TestImportRosterBadFileChangesNothing(t *testing.T) {
	db := openTest(t)
	for _, tc := range []struct{ name, body string }{
		{"empty.csv", ""},
		{"noheader.csv", "a,b,c\n1,2,3\n"},
		{"broken.xlsx", "PK\x03\x04garbage"},
	} {
		rep, err := db.ImportRoster(ctx, strings.NewReader(tc.body), tc.name, nil)
		if err == nil {
			t.Errorf("%s: imported %+v", tc.name, rep)
		} else if msg := ErrorMessage(err); !strings.Contains(msg, tc.name) {
			t.Errorf("%s: message %q does not name the file", tc.name, msg)
		}
	}
	if n, _ := db.EnterpriseCount(ctx); n != 0 {
		t.Errorf("%d enterprises after bad files", n)
	}
}

// BenchmarkImportRosterGB18030_100k imports a 100,000-row GB18030 CSV into
// a fresh database. Target: ≥ 20,000 rows/s.
func BenchmarkImportRosterGB18030_100k(b *testing.B) {
	var buf bytes.Buffer
	if err := survey.WriteRosterCSV(&buf, survey.FakeRoster(100_000, 1), true); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := OpenDir(b.TempDir(), Options{DeviceID: testDevice})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		rep, err := db.ImportRoster(ctx, bytes.NewReader(buf.Bytes()), "roster.csv", nil)
		total += time.Since(start)
		if err != nil || rep.Added != 100_000 {
			b.Fatalf("import: %+v %v", rep.Added, err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(100_000*float64(b.N)/total.Seconds(), "rows/s")
}
