package xlsform

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestCheckUpgrade edits the worker questionnaire's template as a campaign
// office would in Excel and checks what publishing it over version 1 would
// be refused for, with the cells to look at.
func TestCheckUpgrade(t *testing.T) {
	current := shippedForms(t)["../../assets/forms/worker_questionnaire.v1.json"]
	template, err := os.ReadFile("../../assets/forms/worker_questionnaire.v1.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(t *testing.T, change func(f *excelize.File)) *Result {
		t.Helper()
		f, err := excelize.OpenReader(bytes.NewReader(template))
		if err != nil {
			t.Fatal(err)
		}
		change(f)
		buf, err := f.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		res := Parse(buf.Bytes(), "worker_questionnaire.xlsx")
		if err := res.Err(); err != nil {
			t.Fatalf("edited template refused: %v", err)
		}
		return res
	}
	t.Run("allowed", func(t *testing.T) {
		res := edit(t, func(f *excelize.File) {
			f.SetCellInt(SheetSettings, "C2", 2)
			f.SetCellStr(SheetSurvey, "C3", "您是否了解“真情协商·和谐共赢”集中行动")     // relabelled
			f.SetCellStr(SheetSurvey, "F13", "${participated} = 'yes'") // shown only to some
			f.InsertRows(SheetSurvey, 15, 1)                            // a new question
			f.SetSheetRow(SheetSurvey, "A15", &[]string{"text", "workshop", "所在车间"})
		})
		if got := res.CheckUpgrade(current); got != nil {
			t.Errorf("problems for an allowed change: %q", problemStrings(got))
		}
	})
	t.Run("refused", func(t *testing.T) {
		res := edit(t, func(f *excelize.File) {
			f.SetCellStr(SheetSurvey, "A3", "select_multiple awareness") // type changed
			f.RemoveRow(SheetSurvey, 14)                                 // help_other removed
			rows, _ := f.GetRows(SheetChoices)
			for i, r := range rows {
				if len(r) > 1 && r[0] == "participated" && r[1] == "no" {
					f.RemoveRow(SheetChoices, i+1) // a choice removed
				}
			}
		})
		want := []string{
			"survey 表：字段 help_other（希望工会帮助的其他方面）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用",
			"survey 表第 3 行 type 列（A3）：字段 awareness（您对“真情协商·和谐共赢”集中行动的了解程度）的类型从 select_one 改为 select_multiple，已收集的答案将无法读取",
			"survey 表第 4 行 type 列（A4）：字段 participated（您是否参加过集体协商、职代会或协商活动）删除了选项 no（否），已收集的答案中可能有此选项",
			"settings 表第 2 行 version 列（C2）：新版本号 1 必须大于当前版本号 1",
		}
		if got := problemStrings(res.CheckUpgrade(current)); !reflect.DeepEqual(got, want) {
			t.Errorf("problems:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("refused workbook", func(t *testing.T) {
		res := Parse([]byte("not a workbook"), "x.xlsx")
		if got := res.CheckUpgrade(current); got != nil {
			t.Errorf("CheckUpgrade on a refused workbook = %v", got)
		}
	})
}
