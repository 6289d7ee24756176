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

// Finding 9 of issue 10 (and 11: a bad optional 职工人数 rejected the whole
// row): a second file with fewer columns, empty cells and an unreadable
// 职工人数 updates only what it has; the row with the bad cell is imported
// without it and reported.
func TestImportRosterPartialFileKeepsFields(t *testing.T) {
	db := openTest(t)
	full := "企业名称,统一社会信用代码,所属区市,镇街,行业,职工人数,是否建会,联系人,联系电话,地址\n" +
		"青岛海信电器,91370202MA3C12345B,市南区,香港中路街道,制造业,1200,是,王伟,13812345678,香港中路1号\n" +
		"青岛恒达物流有限公司,91370213163560070N,李沧区,九水街道,交通运输业,80,否,张强,13900000000,九水路2号\n"
	if _, err := db.ImportRoster(ctx, strings.NewReader(full), "名录.csv", nil); err != nil {
		t.Fatal(err)
	}
	partial := "企业名称,统一社会信用代码,行业,职工人数,联系人\n" +
		"青岛海信电器股份有限公司,91370202MA3C12345B,,约1300人,\n" +
		"青岛恒达物流有限公司,91370213163560070N,快递,85,李娜\n" +
		"青岛新企业有限公司,913702112645832155,,abc,\n"
	rep, err := db.ImportRoster(ctx, strings.NewReader(partial), "补充.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Updated != 2 || len(rep.Rejected) != 0 || len(rep.Warnings) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if s := rep.Summary("补充.csv"); !strings.Contains(s, "2 行有个别内容无法识别、未导入") {
		t.Errorf("summary %q", s)
	}
	if d := rep.Details(); len(d) != 2 || !strings.Contains(d[0], "第 2 行：职工人数不是整数：约1300人，该项未导入") {
		t.Errorf("details %q", d)
	}
	got := map[string]survey.Enterprise{}
	es, _ := db.SearchEnterprises(ctx, EnterpriseQuery{})
	for _, e := range es {
		e.ID = ""
		got[e.USCC] = e
	}
	want := map[string]survey.Enterprise{
		"91370202MA3C12345B": {Name: "青岛海信电器股份有限公司", USCC: "91370202MA3C12345B", District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 1200, HasUnion: true, Contact: "王伟", Phone: "13812345678", Address: "香港中路1号"},
		"91370213163560070N": {Name: "青岛恒达物流有限公司", USCC: "91370213163560070N", District: "李沧区", Street: "九水街道", Industry: "快递", Workers: 85, Contact: "李娜", Phone: "13900000000", Address: "九水路2号"},
		"913702112645832155": {Name: "青岛新企业有限公司", USCC: "913702112645832155"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %+v\nwant %+v", k, got[k], w)
		}
	}
}
