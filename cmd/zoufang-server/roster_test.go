package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/storage"
	"zoufang/survey"
)

// enterprises reads every enterprise of a data dir, by USCC.
func enterprises(t *testing.T, dir string) map[string]survey.Enterprise {
	t.Helper()
	db, err := storage.OpenDir(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := db.SearchEnterprises(context.Background(), storage.EnterpriseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]survey.Enterprise{}
	for _, e := range es {
		out[e.USCC] = e
	}
	return out
}

// Finding 9 of issue 10: `zoufang-server roster` given a file without some
// columns — the app's own visits export — blanked street, industry,
// workers, contact and address of every enterprise in it. Here the
// district imports a full roster, then a laptop's `zoufang export visits`
// of the same enterprises: nothing but what the export carries may change.
func TestRosterWithoutColumnsBlanksNothing(t *testing.T) {
	lap := t.TempDir()
	if code, _, errs := field(t, "demo", "--data", lap); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	visits := filepath.Join(t.TempDir(), "走访记录.xlsx")
	if code, _, errs := field(t, "export", "visits", "--data", lap, "--out", visits); code != 0 {
		t.Fatalf("export visits: %s", errs)
	}
	var ents []survey.Enterprise
	for _, e := range enterprises(t, lap) {
		e.ID, e.AssignedTo = "", ""
		ents = append(ents, e)
	}
	var buf bytes.Buffer
	if err := survey.WriteRosterCSV(&buf, ents, true); err != nil {
		t.Fatal(err)
	}
	roster := filepath.Join(t.TempDir(), "名录.csv")
	os.WriteFile(roster, buf.Bytes(), 0o600)

	dir := filepath.Join(t.TempDir(), "district")
	server(t, "已初始化", "init", "--data", dir, "--name", "市南区总工会")
	server(t, "新增", "roster", "--data", dir, roster)
	before := enterprises(t, dir)
	if len(before) == 0 {
		t.Fatal("no enterprises after the roster")
	}
	out := server(t, "未变", "roster", "--data", dir, visits)
	if strings.Contains(out, "更新 ") && !strings.Contains(out, "更新 0 家") {
		t.Errorf("the visits export changed enterprises:\n%s", out)
	}
	after := enterprises(t, dir)
	for uscc, b := range before {
		a := after[uscc]
		if a != b {
			t.Errorf("%s changed:\n before %+v\n after  %+v", b.Name, b, a)
		}
	}

	// A file without the USCC column is refused, naming what it lacks.
	noCode := filepath.Join(t.TempDir(), "联系人.csv")
	os.WriteFile(noCode, []byte("企业名称,联系人,联系电话\n青岛海信电器股份有限公司,王伟,13800000000\n"), 0o600)
	var o, e bytes.Buffer
	if code := run([]string{"roster", "--data", dir, noCode}, &o, &e); code != 1 || !strings.Contains(e.String(), "缺少必需的列 “统一社会信用代码”") {
		t.Errorf("roster without the code column: exit %d\n%s%s", code, o.String(), e.String())
	}
}
