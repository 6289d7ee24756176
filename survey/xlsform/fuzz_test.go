package xlsform

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// checkResult holds for every workbook: a form exactly when there is no
// problem, every problem and note explained, and an accepted form writes
// back to a workbook that reads as the same form.
func checkResult(t *testing.T, res *Result) {
	t.Helper()
	if (res.Form != nil) == (len(res.Problems) > 0) {
		t.Fatalf("form %v with %d problems", res.Form != nil, len(res.Problems))
	}
	for _, p := range append(append([]Problem(nil), res.Problems...), res.Notes...) {
		if p.Message == "" || p.Error() == "" {
			t.Fatalf("problem without a message: %+v", p)
		}
		if p.Cell != "" && p.Row == 0 {
			t.Fatalf("cell without a row: %+v", p)
		}
	}
	if res.Form == nil {
		return
	}
	data, err := Write(res.Form)
	if err != nil {
		t.Fatalf("Write of an accepted form: %v", err)
	}
	again := Parse(data, "again.xlsx")
	if err := again.Err(); err != nil {
		t.Fatalf("written form does not read back: %v", err)
	}
	if !reflect.DeepEqual(again.Form, res.Form) {
		t.Fatalf("round trip changed the form:\n got %+v\nwant %+v", again.Form, res.Form)
	}
}

// FuzzParse feeds arbitrary bytes to the importer, seeded with real
// workbooks: it must never panic or hang, and what it accepts must round
// trip. Interesting inputs are kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/pyxform/*.xlsx", "../../assets/forms/*.xlsx"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add(workbook(f, surveySheet([]any{"text", "a", "A"})))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkResult(t, Parse(data, "fuzz.xlsx"))
	})
}

// FuzzParseSheets fuzzes the content of the sheets rather than the file:
// lines are rows, "|" separates cells, and a line "#choices" or "#settings"
// starts that sheet. The workbook is written with excelize and parsed.
func FuzzParseSheets(f *testing.F) {
	f.Add("type|name|label|required|relevant\ntext|a|姓名|yes\ninteger|b|年龄||${a} != ''\n#settings\nform_id|version|form_title\nt|2|测试")
	f.Add("type|name|label::中文|label::English|appearance\nbegin group|g|分组|Group\nselect_one yn|q|是否|Yes?|\ntext|t|说明|Note|multiline\nend group\n#choices\nlist_name|name|label::中文\nyn|yes|是\nyn|no|否")
	f.Add("type|name|label|calculation|constraint|constraint_message|default|hint\nbegin repeat|r|条目\ninteger|n|数量|||||提示\ncalculate|c||${n} * 2|\nend repeat\ncalculate|total||${r}\ninteger|m|数|| . >= 1|至少 1|3")
	f.Add("type|name|label|hint\ntext|a|_x0041_ _x0001_|_x005F_x0041_")
	f.Add("type|name|label|choice_filter\nselect_one colors or_other|c|颜色|x=1\n#choices\nlist name|name|label|x\ncolors|red|红|1")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		book := excelize.NewFile()
		defer book.Close()
		sheet := SheetSurvey
		if err := book.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
		r := 0
		for _, line := range strings.Split(text, "\n") {
			if name, ok := strings.CutPrefix(line, "#"); ok && (name == SheetChoices || name == SheetSettings) {
				if _, err := book.NewSheet(name); err != nil {
					return
				}
				sheet, r = name, 0
				continue
			}
			r++
			for c, v := range strings.Split(line, "|") {
				if v == "" || c >= 20 {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r)
				if err := book.SetCellStr(sheet, cell, v); err != nil {
					return
				}
			}
		}
		buf, err := book.WriteToBuffer()
		if err != nil {
			return
		}
		checkResult(t, Parse(buf.Bytes(), "fuzz.xlsx"))
	})
}
