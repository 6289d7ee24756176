package report

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zoufang/assets"
	"zoufang/survey"
)

func formSet(t *testing.T) *survey.FormSet {
	t.Helper()
	fs, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

var testEnts = map[string]survey.Enterprise{
	"ent-1": {ID: "ent-1", Name: "青岛海川精密机械有限公司", District: "市南区", Street: "八大关街道"},
	"ent-2": {ID: "ent-2", Name: "崂山快递服务站", District: "崂山区"},
}

func ledgerItems() []survey.LedgerItem {
	return []survey.LedgerItem{
		{ID: "l1", EnterpriseID: "ent-1", DemandIndex: 0, Category: "wages", Description: "加班费未按规定计算", WorkersAffected: 12,
			Urgency: "urgent", Status: survey.LedgerRectifying, Owner: "李娜", Deadline: "2020-04-10",
			Log: []survey.FollowUp{
				{At: time.Date(2020, 4, 1, 9, 0, 0, 0, time.UTC), By: "张伟", Status: survey.LedgerToAssess, Note: "登记"},
				{At: time.Date(2020, 4, 5, 14, 30, 0, 0, time.UTC), By: "李娜", Status: survey.LedgerRectifying, Note: "已约谈企业负责人"},
			}},
		{ID: "l2", EnterpriseID: "ent-2", DemandIndex: -1, Category: "social_insurance", Description: "社保缓缴", Urgency: "normal",
			Status: survey.LedgerResolved, Deadline: "2020-04-01"},
	}
}

func openBook(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("re-open xlsx: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func cellIs(t *testing.T, f *excelize.File, sheet, ref, want string) {
	t.Helper()
	got, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	if got != want {
		t.Errorf("%s!%s = %q, want %q", sheet, ref, got, want)
	}
}

func TestWriteLedgerXLSX(t *testing.T) {
	var buf bytes.Buffer
	today := time.Date(2020, 4, 20, 0, 0, 0, 0, time.UTC)
	if err := WriteLedgerXLSX(&buf, ledgerItems(), testEnts, formSet(t), today); err != nil {
		t.Fatal(err)
	}
	f := openBook(t, buf.Bytes())
	for _, c := range []struct{ ref, want string }{
		{"A1", "序号"}, {"B1", "企业名称"}, {"K1", "办结期限"}, {"L1", "逾期天数"},
		{"B2", "青岛海川精密机械有限公司"}, {"E2", "工资报酬"}, {"H2", "紧急"}, {"I2", "整改中"},
		{"K2", "2020-04-10"}, {"L2", "10"}, {"M2", "2020-04-05 14:30"}, {"O2", "已约谈企业负责人"},
		{"I3", "已解决"}, {"L3", ""}, {"E3", "社会保险"},
	} {
		cellIs(t, f, "工作台帐", c.ref, c.want)
	}
	// The deadline is a real date: its raw value is the Excel serial.
	raw, _ := f.GetCellValue("工作台帐", "K2", excelize.Options{RawCellValue: true})
	if raw != "43931" {
		t.Errorf("deadline raw value = %q, want serial 43931", raw)
	}
	panes, err := f.GetPanes("工作台帐")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v %v", panes, err)
	}
	libreCSV(t, buf.Bytes(), []string{"青岛海川精密机械有限公司", "2020-04-10", "整改中"})
}

func TestWriteVisitsXLSX(t *testing.T) {
	fs := formSet(t)
	f0, _ := fs.Latest("visit")
	v := survey.Visit{ID: "v1", EnterpriseID: "ent-1", FormID: f0.ID, FormVersion: f0.Version, Status: survey.VisitFinalized,
		Answers: survey.SampleVisitAnswers("2020-04-15", 3)}
	var buf bytes.Buffer
	if err := WriteVisitsXLSX(&buf, []survey.Visit{v}, testEnts, fs, testToday); err != nil {
		t.Fatal(err)
	}
	f := openBook(t, buf.Bytes())
	rows, err := f.GetRows("走访记录")
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows = %d, %v; want header + 1", len(rows), err)
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		if i < len(rows[1]) {
			col[h] = rows[1][i]
		}
	}
	for h, want := range map[string]string{"企业名称": "青岛海川精密机械有限公司", "走访日期": "2020-04-15", "复工复产状态": "部分复工", "联合走访部门": "人社、法院", "状态": "已完成", "职工总数": "120"} {
		if col[h] != want {
			t.Errorf("column %s = %q, want %q", h, col[h], want)
		}
	}
	sheets := f.GetSheetList()
	if len(sheets) < 2 {
		t.Fatalf("sheets = %v, want a demands sheet", sheets)
	}
	drows, _ := f.GetRows(sheets[1])
	if len(drows) != 4 || drows[1][0] != "v1" || drows[3][2] != "3" {
		t.Errorf("demands sheet %s = %v", sheets[1], drows)
	}
}

func TestWriteResponsesXLSX(t *testing.T) {
	rs := []survey.Response{
		{ID: "r1", EnterpriseID: "ent-1", Kind: survey.RespondentWorker, FormID: "worker_questionnaire", FormVersion: 1, Date: "2020-04-15", Answers: survey.Answers{"awareness": "very", "participated": "yes", "sat_overall": "5"}},
		{ID: "r2", EnterpriseID: "ent-1", Kind: survey.RespondentWorker, Date: "2020-04-15", Answers: survey.Answers{"awareness": "no", "participated": "no", "sat_overall": "2"}},
		{ID: "r3", EnterpriseID: "ent-2", Kind: survey.RespondentManager, Date: "2020-04-16", Answers: survey.Answers{"rec_bargaining": "5", "rec_service": "4"}},
	}
	var buf bytes.Buffer
	if err := WriteResponsesXLSX(&buf, rs, testEnts, formSet(t)); err != nil {
		t.Fatal(err)
	}
	f := openBook(t, buf.Bytes())
	cellIs(t, f, "职工问卷", "B2", "青岛海川精密机械有限公司")
	cellIs(t, f, "职工问卷", "D2", "2020-04-15")
	cellIs(t, f, "职工问卷", "E2", "第 1 版")
	cellIs(t, f, "职工问卷", "F2", "非常了解")
	cellIs(t, f, "企业经营者问卷", "B2", "崂山快递服务站")
	cellIs(t, f, "按企业统计", "A3", "青岛海川精密机械有限公司")
	cellIs(t, f, "按企业统计", "F3", "50.0%")
	cellIs(t, f, "按企业统计", "H3", "50.0%")
	cellIs(t, f, "按企业统计", "I2", "100.0%")
	cellIs(t, f, "按区市统计", "A4", "合计")
	cellIs(t, f, "按区市统计", "C4", "3")
}

// libreCSV converts the workbook's first sheet to CSV with LibreOffice
// headless and checks it contains want; skipped without LibreOffice.
func libreCSV(t *testing.T, data []byte, want []string) {
	t.Helper()
	bin, err := exec.LookPath("soffice")
	if err != nil {
		t.Log("soffice not installed; skipping the LibreOffice check")
		return
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "book.xlsx")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", dir, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "book.csv"))
	if err != nil {
		t.Fatalf("no csv: %v", err)
	}
	t.Logf("LibreOffice CSV:\n%s", csv)
	for _, w := range want {
		if !strings.Contains(string(csv), w) {
			t.Errorf("LibreOffice CSV lacks %q:\n%s", w, csv)
		}
	}
}

// Visits on two versions of the visit form in one workbook: the columns
// are the newest version's (its wording, its new question); a visit keeps
// the answers of its own version, and a question its version does not ask
// stays blank in its row.
func TestWriteVisitsXLSXTwoVersions(t *testing.T) {
	v1, _ := formSet(t).Latest("visit")
	raw, err := json.Marshal(v1)
	if err != nil {
		t.Fatal(err)
	}
	var next survey.Form
	if err := json.Unmarshal(raw, &next); err != nil {
		t.Fatal(err)
	}
	next.Version = v1.Version + 1
	next.Fields[0].Fields = append(next.Fields[0].Fields, survey.Field{Name: "visit_mode_note", Type: survey.TypeText, Label: "走访方式说明"})
	for i := range next.Fields {
		for j := range next.Fields[i].Fields {
			if fd := &next.Fields[i].Fields[j]; fd.Name == "resumption_state" {
				fd.Label = "生产经营状态"
			}
		}
	}
	raw, _ = json.Marshal(&next)
	v2, err := survey.ParseForm(raw)
	if err != nil {
		t.Fatal(err)
	}
	if ps := survey.CheckUpgrade(v1, v2); len(ps) > 0 {
		t.Fatalf("version 2 is not an upgrade: %v", ps)
	}
	fs := survey.NewFormSet(v1, v2)

	old := survey.Visit{ID: "v-old", EnterpriseID: "ent-1", FormID: v1.ID, FormVersion: v1.Version, Status: survey.VisitFinalized,
		Answers: survey.SampleVisitAnswers("2020-04-15", 1)}
	newer := survey.Visit{ID: "v-new", EnterpriseID: "ent-2", FormID: v2.ID, FormVersion: v2.Version, Status: survey.VisitDraft,
		Answers: survey.SampleVisitAnswers("2020-04-16", 1)}
	newer.Answers["visit_mode_note"] = "企业负责人在外地，视频连线"
	old.Answers["visit_mode_note"] = "不应导出：第 1 版没有这道题"
	var buf bytes.Buffer
	if err := WriteVisitsXLSX(&buf, []survey.Visit{old, newer}, testEnts, fs, testToday); err != nil {
		t.Fatal(err)
	}
	rows, err := openBook(t, buf.Bytes()).GetRows("走访记录")
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows = %d, %v; want header + 2", len(rows), err)
	}
	col := func(head string) int {
		for i, h := range rows[0] {
			if h == head {
				return i
			}
		}
		t.Fatalf("no column %q in %v", head, rows[0])
		return -1
	}
	cell := func(row []string, i int) string {
		if i < len(row) {
			return row[i]
		}
		return ""
	}
	for _, h := range rows[0] {
		if h == "复工复产状态" {
			t.Errorf("the workbook keeps the wording version 2 dropped: %v", rows[0])
		}
	}
	ver, state, note := col("表单版本"), col("生产经营状态"), col("走访方式说明")
	for _, c := range []struct {
		row              []string
		ver, state, note string
	}{
		{rows[1], "第 1 版", "部分复工", ""},
		{rows[2], "第 2 版", "部分复工", "企业负责人在外地，视频连线"},
	} {
		if got := [3]string{cell(c.row, ver), cell(c.row, state), cell(c.row, note)}; got != [3]string{c.ver, c.state, c.note} {
			t.Errorf("row %s: 表单版本, 生产经营状态, 走访方式说明 = %q, want %q", c.row[0], got, [3]string{c.ver, c.state, c.note})
		}
	}
}
