package xlsform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zoufang/survey"
)

// shippedForms returns the definitions in assets/forms by file name.
func shippedForms(t testing.TB) map[string]*survey.Form {
	t.Helper()
	files, err := filepath.Glob("../../assets/forms/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped forms: %v", err)
	}
	out := map[string]*survey.Form{}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := survey.ParseForm(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = f
	}
	return out
}

func TestRoundTripShippedForms(t *testing.T) {
	for name, f := range shippedForms(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := Write(f)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			res := Parse(data, filepath.Base(name))
			if err := res.Err(); err != nil {
				t.Fatalf("Parse of written workbook: %v", err)
			}
			if len(res.Notes) > 0 {
				t.Errorf("notes on a written workbook: %v", res.Notes)
			}
			if !reflect.DeepEqual(res.Form, f) {
				t.Errorf("round trip changed the form:\n got %+v\nwant %+v", res.Form, f)
			}
		})
	}
}

// TestRoundTripTrickyText writes text that spreadsheet programs like to
// reinterpret (numbers, booleans, formulas, escapes, spaces, line breaks)
// and checks that it reads back as written.
func TestRoundTripTrickyText(t *testing.T) {
	tricky := []string{"  前后有空格  ", "_x0041_ 与 _x005F_", "第一行\r\n第二行\n第三行", "=1+1", "'引号", "001", "TRUE", "1E5", "制表\t符", "😀 表情", "<b>&amp;</b>"}
	f := &survey.Form{ID: "tricky", Version: 2147483647, Title: tricky[0], Kind: survey.FormWorkerQuestionnaire}
	for i, s := range tricky {
		f.Fields = append(f.Fields, survey.Field{
			Name: "q" + string(rune('a'+i)), Type: survey.TypeSelectOne, Label: s, Hint: s,
			Choices: []survey.Choice{{Value: "001", Label: s}, {Value: "1.0", Label: "TRUE"}},
			Default: "001", Relevant: `"` + s + `" != ''`, Constraint: ". != '1E5'", ConstraintMessage: s,
		})
	}
	data, err := Write(f)
	if err != nil {
		t.Fatal(err)
	}
	res := Parse(data, "tricky.xlsx")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	want, err := survey.ParseForm(mustJSON(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Form, want) {
		for i := range want.Fields {
			if !reflect.DeepEqual(res.Form.Fields[i], want.Fields[i]) {
				t.Errorf("field %d:\n got %+v\nwant %+v", i, res.Form.Fields[i], want.Fields[i])
			}
		}
		t.Errorf("form: got title %q version %d", res.Form.Title, res.Form.Version)
	}
}

// TestWriteRefuses checks that Write refuses what would not read back.
func TestWriteRefuses(t *testing.T) {
	long := strings.Repeat("长", maxCellText+1)
	tests := []struct {
		name string
		edit func(f *survey.Form)
		want string
	}{
		{"reference in a label", func(f *survey.Form) { f.Fields[0].Label = "您好 ${name}" },
			"无法写成 XLSForm：字段 a 的标题含有 ${…}，XLSForm 会把它当作引用其他题的答案"},
		{"control character", func(f *survey.Form) { f.Fields[0].Hint = "响铃\a" },
			"无法写成 XLSForm：字段 a 的提示含有控制字符，Excel 中无法保存"},
		{"too long", func(f *survey.Form) { f.Title = long },
			"无法写成 XLSForm：表单 的标题超过 Excel 单元格的 32767 个字符"},
		{"expression as default", func(f *survey.Form) { f.Fields[0].Default = "today()" },
			`无法写成 XLSForm：字段 a 的默认值 "today()" 在 XLSForm 中会被当作表达式`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &survey.Form{ID: "t", Version: 1, Title: "T", Fields: []survey.Field{{Name: "a", Type: survey.TypeText, Label: "A"}}}
			tt.edit(f)
			_, err := Write(f)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Write error = %v, want %q", err, tt.want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
