package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zoufang/survey"
)

// editWorkbook changes an .xlsx file in place with change.
func editWorkbook(t *testing.T, path string, change func(f *excelize.File)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	change(f)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func loadDefinition(t *testing.T, path string) *survey.Form {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := survey.ParseForm(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestFormsExportImport goes the way a campaign office does: export the
// built-in worker questionnaire, change a question in Excel, import it as
// version 2 beside version 1.
func TestFormsExportImport(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "职工问卷.xlsx")
	defs := filepath.Join(dir, "forms")

	code, out, errs := runCLI(t, "forms", "export", "worker_questionnaire", "--out", xlsx)
	if code != 0 || !strings.Contains(out, "已导出 "+xlsx+"（worker_questionnaire，第 1 版，“真情协商·和谐共赢”职工满意度测评问卷，11 道题）") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errs)
	}

	// Unchanged, it imports as the built-in version 1.
	code, out, errs = runCLI(t, "forms", "import", xlsx, "--out", defs)
	v1 := filepath.Join(defs, "worker_questionnaire.v1.json")
	if code != 0 || !strings.Contains(out, "已导入为 "+v1) {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	shipped := loadDefinition(t, "../assets/forms/worker_questionnaire.v1.json")
	if got := loadDefinition(t, v1); !reflect.DeepEqual(got, shipped) {
		t.Errorf("imported definition differs from the built-in one")
	}
	code, out, _ = runCLI(t, "forms", "import", "--out", defs, xlsx)
	if code != 0 || !strings.Contains(out, "无需改动") {
		t.Errorf("second import: exit %d, %s", code, out)
	}

	// The office rewords a question and forgets the version: refused.
	editWorkbook(t, xlsx, func(f *excelize.File) {
		f.SetCellStr("survey", "C11", "您对本单位工会工作的总体满意度")
	})
	code, _, errs = runCLI(t, "forms", "import", xlsx, "--out", defs)
	if code != 1 || !strings.Contains(errs, xlsx+": settings 表第 2 行 version 列（C2）：新版本号 1 必须大于当前版本号 1") {
		t.Errorf("same version: exit %d\n%s", code, errs)
	}
	if names := dirNames(t, defs); !reflect.DeepEqual(names, []string{"worker_questionnaire.v1.json"}) {
		t.Errorf("refused import changed the directory: %v", names)
	}

	// With version 2 it is imported beside version 1.
	editWorkbook(t, xlsx, func(f *excelize.File) { f.SetCellInt("settings", "C2", 2) })
	code, out, errs = runCLI(t, "forms", "import", xlsx, "--out", defs)
	v2 := filepath.Join(defs, "worker_questionnaire.v2.json")
	if code != 0 || !strings.Contains(out, "已导入为 "+v2+"（worker_questionnaire，第 2 版") {
		t.Fatalf("version 2: exit %d\n%s%s", code, out, errs)
	}
	if got := loadDefinition(t, v2).Lookup("sat_overall").Label; got != "您对本单位工会工作的总体满意度" {
		t.Errorf("sat_overall label = %q", got)
	}
	if code, out, errs := runCLI(t, "forms", "check", v2, xlsx); code != 0 || strings.Count(out, "通过") != 2 {
		t.Errorf("check: exit %d\n%s%s", code, out, errs)
	}

	// Version 3 drops a question and a choice: refused, with the cells.
	editWorkbook(t, xlsx, func(f *excelize.File) {
		f.SetCellInt("settings", "C2", 3)
		f.RemoveRow("survey", 14) // help_other
		f.SetCellStr("survey", "A3", "select_multiple awareness")
	})
	code, _, errs = runCLI(t, "forms", "import", xlsx, "--out", defs)
	for _, want := range []string{
		xlsx + ": survey 表：字段 help_other（希望工会帮助的其他方面）被删除，已收集的答案将无处对应",
		xlsx + ": survey 表第 3 行 type 列（A3）：字段 awareness（您对“真情协商·和谐共赢”集中行动的了解程度）的类型从 select_one 改为 select_multiple",
		xlsx + ": 未导入：不能替换目录 " + defs + " 中的 worker_questionnaire 第 2 版（共 2 个问题）",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if code != 1 || len(dirNames(t, defs)) != 2 {
		t.Errorf("exit %d, directory %v", code, dirNames(t, defs))
	}

	// Exporting the definition file gives the edited wording back.
	again := filepath.Join(dir, "v2.xlsx")
	if code, out, errs := runCLI(t, "forms", "export", v2, "--out", again); code != 0 {
		t.Fatalf("export of a file: exit %d\n%s%s", code, out, errs)
	}
	book, err := excelize.OpenFile(again)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if got, _ := book.GetCellValue("survey", "C11"); got != "您对本单位工会工作的总体满意度" {
		t.Errorf("exported C11 = %q", got)
	}
}

func TestFormsImportRefused(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "问卷.xlsx")
	defs := filepath.Join(dir, "forms")
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "survey")
	f.SetSheetRow("survey", "A1", &[]string{"type", "name", "label", "relevant"})
	f.SetSheetRow("survey", "A2", &[]string{"geopoint", "where", "位置"})
	f.SetSheetRow("survey", "A3", &[]string{"text", "note_a", "备注", "${wher} = ''"})
	if err := f.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "forms", "import", xlsx, "--out", defs)
	want := xlsx + ": survey 表第 2 行 type 列（A2）：不支持地理位置题型 (geopoint)；地址请用 text\n" +
		xlsx + ": survey 表第 3 行 relevant 列（D3）：显示条件 (relevant) 引用了不存在的字段 ${wher}\n" +
		xlsx + `: settings 表 form_id 列：表单编号 "问卷" 无效：只能用小写字母开头，由小写字母、数字和下划线组成（没有填写 form_id 时按文件名取编号；请在 settings 表的 form_id 列填写）` + "\n" +
		xlsx + ": 未导入（共 3 个问题）\n"
	if code != 1 || errs != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, errs, want)
	}
	if !strings.Contains(out, `说明：settings 表 form_id 列：没有 settings 工作表，按文件名使用 "问卷" 作为表单编号`) {
		t.Errorf("stdout lacks the notes:\n%s", out)
	}
	if _, err := os.Stat(defs); !os.IsNotExist(err) {
		t.Errorf("a refused import created %s", defs)
	}
	if code, _, errs := runCLI(t, "forms", "check", xlsx); code != 1 || !strings.Contains(errs, "geopoint") {
		t.Errorf("check of a bad workbook: exit %d\n%s", code, errs)
	}
}

func TestFormsImportExportUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"forms", "import", "a.xlsx"}, 2, "缺少 --out 输出目录"},
		{[]string{"forms", "import", "a.json", "--out", dir}, 2, "a.json: 应为 XLSForm 工作簿 (.xlsx)"},
		{[]string{"forms", "import", filepath.Join(dir, "missing.xlsx"), "--out", dir}, 1, "无法读取文件：文件或目录不存在"},
		{[]string{"forms", "import", dir + ".xlsx", "a.xlsx", "--out", dir}, 2, "参数个数不对"},
		{[]string{"forms", "export", "visit"}, 2, "--out 应为 .xlsx 文件"},
		{[]string{"forms", "export", "visit", "--out", "a.pdf"}, 2, "--out 应为 .xlsx 文件"},
		{[]string{"forms", "export", "census", "--out", filepath.Join(dir, "a.xlsx")}, 1, "没有内置表单 census；可导出：enterprise_questionnaire（第 1 版）、visit（第 1 版）、worker_questionnaire（第 1 版），或给出 .json 文件"},
		{[]string{"forms", "export", "visit.v9", "--out", filepath.Join(dir, "a.xlsx")}, 1, "没有内置表单 visit.v9"},
		{[]string{"forms", "export", "../survey/testdata/forms/bad_names.json", "--out", filepath.Join(dir, "a.xlsx")}, 1, `字段 basic.Visit-Mode: 字段名 "Visit-Mode" 无效`},
		{[]string{"forms", "export", "visit", "--out", filepath.Join(dir, "no", "such", "dir", "a.xlsx")}, 1, "无法写入"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errs := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tt.code, errs, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "a.xlsx")); !os.IsNotExist(err) {
		t.Errorf("a failed export left a file")
	}
	code, out, errs := runCLI(t, "forms", "export", "visit.v1", "--out", filepath.Join(dir, "v.xlsx"))
	if code != 0 || !strings.Contains(out, "（visit，第 1 版，“大走访、大调查”企业走访记录表，54 道题）") {
		t.Errorf("export visit.v1: exit %d\n%s%s", code, out, errs)
	}
}
