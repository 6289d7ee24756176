package xlsform

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zoufang/survey"
)

// sheet is one worksheet of a test workbook: rows of cell values (strings,
// or numbers and booleans to write typed cells).
type sheet struct {
	name string
	rows [][]any
}

// workbook writes a test workbook with the given sheets, in order.
func workbook(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				if v == nil || v == "" {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				var err error
				if str, ok := v.(string); ok {
					err = f.SetCellStr(s.name, cell, str)
				} else {
					err = f.SetCellValue(s.name, cell, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	surveyHead = []any{"type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message", "calculation", "default", "appearance"}
	choiceHead = []any{"list_name", "name", "label"}
	settings1  = sheet{SheetSettings, [][]any{{"form_title", "form_id", "version"}, {"测试问卷", "test_form", 3}}}
	yesNo      = sheet{SheetChoices, [][]any{choiceHead, {"yes_no", "yes", "是"}, {"yes_no", "no", "否"}}}
)

// surveySheet is a survey sheet with the full header and the given rows.
func surveySheet(rows ...[]any) sheet {
	return sheet{SheetSurvey, append([][]any{surveyHead}, rows...)}
}

func problemStrings(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

// TestParseEverySupportedFeature imports a workbook using every column and
// type the engine supports, including Chinese labels in a label::中文
// column beside an English one, and checks the definition field by field.
func TestParseEverySupportedFeature(t *testing.T) {
	data := workbook(t,
		sheet{"Survey", [][]any{
			{"type", "name", "label::English", "label::中文", "hint::中文", "Required", "relevant", "constraint", "constraint message::中文", "calculation", "default", "appearance", "empty column"},
			{"begin group", "basic", "Basics", "一、基本信息"},
			{"date", "visit_date", "", "走访日期", "", "yes", "", ". <= today()", "不能晚于今天"},
			{"text", "team", "", "走访调查组成员", "多人用顿号分隔", "TRUE"},
			{"select_multiple partners", "partner_departments", "", "联合走访部门"},
			{"text", "partner_other", "", "其他部门名称", "", "yes", "selected(${partner_departments}, 'other')"},
			{"integer", "workers", "", "职工人数", "", true, "", ". >= 1", "至少 1 人", "", "10"},
			{"decimal", "rate", "", "比例（%）", "", "no", "", ". >= 0 and . <= 100"},
			{"end group"},
			{},
			{"select one from yes_no", "has_union", "", "是否建会", "", "1", "", "", "", "", "yes"},
			{"begin_repeat", "demands", "", "职工诉求", "每条诉求单独填写", "yes"},
			{"select_one cats", "category", "", "诉求类别", "", "yes"},
			{"text", "description", "", "诉求内容", "", "", "", "string-length(.) >= 5", "至少 5 个字", "", "", "multiline"},
			{"end_repeat", "demands"},
			{"calculate", "demand_count", "", "", "", "", "", "", "", "count-selected(${partner_departments}) + ${demands}"},
			{"note", "thanks", "", "谢谢", "请签字确认"},
			{"image", "photo", "", "签字页照片"},
			{"enterprise", "firm", "", "走访企业"},
		}},
		sheet{"choices", [][]any{
			{"list name", "name", "label::English", "label::中文"},
			{"partners", "renshe", "HR", "人社"},
			{"partners", "other", "Other", "其他"},
			{"yes_no", "yes", "Yes", "是"},
			{"yes_no", "no", "No", "否"},
			{"cats", 1, "Wages", "工资报酬"},
			{"cats", 2, "Insurance", "社会保险"},
		}},
		sheet{"settings", [][]any{{"form_title", "form_id", "version", "kind"}, {"测试走访表", "test_visit", "2026031501", "visit"}}},
	)
	res := Parse(data, "测试.xlsx")
	if err := res.Err(); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &survey.Form{ID: "test_visit", Version: 2026031501, Kind: survey.FormVisit, Title: "测试走访表", Fields: []survey.Field{
		{Name: "basic", Type: survey.TypeGroup, Label: "一、基本信息", Fields: []survey.Field{
			{Name: "visit_date", Type: survey.TypeDate, Label: "走访日期", Required: true, Constraint: ". <= today()", ConstraintMessage: "不能晚于今天"},
			{Name: "team", Type: survey.TypeText, Label: "走访调查组成员", Hint: "多人用顿号分隔", Required: true},
			{Name: "partner_departments", Type: survey.TypeSelectMultiple, Label: "联合走访部门", Choices: []survey.Choice{{Value: "renshe", Label: "人社"}, {Value: "other", Label: "其他"}}},
			{Name: "partner_other", Type: survey.TypeText, Label: "其他部门名称", Required: true, Relevant: "selected(${partner_departments}, 'other')"},
			{Name: "workers", Type: survey.TypeInteger, Label: "职工人数", Required: true, Constraint: ". >= 1", ConstraintMessage: "至少 1 人", Default: "10"},
			{Name: "rate", Type: survey.TypeDecimal, Label: "比例（%）", Constraint: ". >= 0 and . <= 100"},
		}},
		{Name: "has_union", Type: survey.TypeSelectOne, Label: "是否建会", Required: true, Default: "yes", Choices: []survey.Choice{{Value: "yes", Label: "是"}, {Value: "no", Label: "否"}}},
		{Name: "demands", Type: survey.TypeRepeat, Label: "职工诉求", Hint: "每条诉求单独填写", Required: true, Fields: []survey.Field{
			{Name: "category", Type: survey.TypeSelectOne, Label: "诉求类别", Required: true, Choices: []survey.Choice{{Value: "1", Label: "工资报酬"}, {Value: "2", Label: "社会保险"}}},
			{Name: "description", Type: survey.TypeTextarea, Label: "诉求内容", Constraint: "string-length(.) >= 5", ConstraintMessage: "至少 5 个字"},
		}},
		{Name: "demand_count", Type: survey.TypeCalculate, Calculation: "count-selected(${partner_departments}) + ${demands}"},
		{Name: "thanks", Type: survey.TypeNote, Label: "谢谢", Hint: "请签字确认"},
		{Name: "photo", Type: survey.TypeImage, Label: "签字页照片"},
		{Name: "firm", Type: survey.TypeEnterprise, Label: "走访企业"},
	}}
	if !reflect.DeepEqual(res.Form, want) {
		t.Errorf("form:\n got %+v\nwant %+v", res.Form, want)
	}
	wantNotes := []string{
		"Survey 表第 2 行 label::English 列（C2）：label::English 列未导入：本系统的表单只使用一种语言，导入的是中文",
		"choices 表第 2 行 label::English 列（C2）：label::English 列未导入：本系统的表单只使用一种语言，导入的是中文",
	}
	if got := problemStrings(res.Notes); !reflect.DeepEqual(got, wantNotes) {
		t.Errorf("notes:\n got %q\nwant %q", got, wantNotes)
	}
	// What was imported writes back and reads again unchanged.
	again, err := Write(res.Form)
	if err != nil {
		t.Fatal(err)
	}
	if res2 := Parse(again, "again.xlsx"); res2.Err() != nil || !reflect.DeepEqual(res2.Form, want) {
		t.Errorf("round trip: %v, %+v", res2.Err(), res2.Form)
	}
}

// TestParseRefusals checks that each unsupported or invalid thing is
// refused with its sheet, row, column and a Chinese explanation.
func TestParseRefusals(t *testing.T) {
	tests := []struct {
		name   string
		sheets []sheet
		want   []string // every problem, in order
	}{
		{"unsupported types", []sheet{surveySheet(
			[]any{"start", "start"},
			[]any{"geopoint", "where", "位置"},
			[]any{"text", "ok", "可以"},
			[]any{"dateTime", "when", "时间"},
			[]any{"textarea", "long", "长文本"},
			[]any{"rank", "order", "排序"},
			[]any{"foo bar", "x", "X"},
		), settings1}, []string{
			"survey 表第 2 行 type 列（A2）：start 是 ODK 的元数据题型，本系统不支持：走访日期、调查员和设备由本系统自动记录，请删除此行",
			"survey 表第 3 行 type 列（A3）：不支持地理位置题型 (geopoint)；地址请用 text",
			"survey 表第 5 行 type 列（A5）：不支持日期时间题型 (dateTime)；需要日期请用 date",
			"survey 表第 6 行 type 列（A6）：XLSForm 没有 textarea 题型：多行文字请用 text，并在 appearance 列填写 multiline",
			"survey 表第 7 行 type 列（A7）：不支持排序题型 (rank)",
			`survey 表第 8 行 type 列（A8）：不认识的题型 "foo bar"。` + typeHelp,
		}},
		{"expressions checked by the engine", []sheet{surveySheet(
			[]any{"integer", "total", "总数"},
			[]any{"integer", "on_duty", "在岗", "", "", "", ". <= ${totl}"},
			[]any{"text", "code", "编码", "", "", "", "regex(., '[0-9]+')"},
			[]any{"text", "note1", "说明", "", "", "${total} >"},
			[]any{"calculate", "a", "", "", "", "", "", "", "${b} + 1"},
			[]any{"calculate", "b", "", "", "", "", "", "", "${a} * 2"},
			[]any{"text", "c", "C", "", "", "", "", "", "1 + 1"},
		), settings1}, []string{
			"survey 表第 3 行 constraint 列（G3）：约束条件 (constraint) 引用了不存在的字段 ${totl}",
			"survey 表第 4 行 constraint 列（G4）：约束条件 (constraint) 语法错误：位置 1: 不支持的函数 regex()",
			"survey 表第 5 行 relevant 列（F5）：显示条件 (relevant) 语法错误：表达式不完整",
			"survey 表第 6 行 calculation 列（I6）：显示条件或计算公式存在循环引用：a → b → a",
			"survey 表第 8 行 calculation 列（I8）：只有 calculate 字段可以有计算公式 (calculation)",
		}},
		{"names", []sheet{surveySheet(
			[]any{"begin group", "g1", "一"},
			[]any{"text", "name", "姓名"},
			[]any{"end group"},
			[]any{"begin group", "g2", "二"},
			[]any{"integer", "name", "人数"},
			[]any{"end group"},
			[]any{"begin repeat", "items", "条目"},
			[]any{"text", "name", "名称"}, // a repeat opens its own scope
			[]any{"end repeat"},
			[]any{"text", "Bad-Name", "坏名字"},
			[]any{"text", "", "没有名字"},
			[]any{"text", "ref", "引用", "", "", "${name} != ''"},
		), settings1}, []string{
			`survey 表第 6 行 name 列（B6）：字段名 "name" 与第 3 行重复：同一层级（重复组之外的所有分组算同一层级）的字段名不能相同`,
			`survey 表第 11 行 name 列（B11）：字段名 "Bad-Name" 无效：只能用小写字母开头，由小写字母、数字和下划线组成`,
			"survey 表第 12 行 name 列（B12）：缺少字段名 (name)",
		}},
		{"cells the engine cannot keep", []sheet{surveySheet(
			[]any{"text", "a", "A", "", "${b} = 'x'"},
			[]any{"text", "b", "姓名 ${a}", "提示 ${a}"},
			[]any{"date", "d", "日期", "", "", "", "", "", "", "today()"},
			[]any{"select_one yes_no", "s", "选择", "", "", "", "", "", "", "", "minimal"},
			[]any{"integer", "n", "数字", "", "", "", "", "", "", "", "multiline"},
			[]any{"integer", "m", "数字", "", "", "", "", "", "", "很多"},
			[]any{"note", "o", "说明", "", "yes"},
		), yesNo, settings1}, []string{
			`survey 表第 2 行 required 列（E2）：必填 (required) 只能填 yes 或留空，"${b} = 'x'" 不被支持（本系统不支持按条件必填；需要时请用显示条件 relevant 配合必填）`,
			"survey 表第 3 行 label 列（C3）：文字中的 ${…} 不被支持：本系统不会把其他题的答案填进题目文字，请改写为固定的文字",
			"survey 表第 3 行 hint 列（D3）：文字中的 ${…} 不被支持：本系统不会把其他题的答案填进题目文字，请改写为固定的文字",
			`survey 表第 4 行 default 列（J4）：默认值 (default) 只能是固定的值，不支持表达式 "today()"`,
			`survey 表第 5 行 appearance 列（K5）：不支持显示方式 (appearance) "minimal"：本系统按统一样式显示题目，请清空此单元格（多行文字请用 multiline）`,
			"survey 表第 6 行 appearance 列（K6）：显示方式 multiline（多行文字）只适用于 text 题型",
			`survey 表第 7 行 default 列（J7）：默认值无效：应填写整数，"很多" 不是整数`,
			"survey 表第 8 行 required 列（E8）：note 类型的字段不能设为必填",
		}},
		{"groups and repeats", []sheet{surveySheet(
			[]any{"end group"},
			[]any{"begin group", "g", "分组"},
			[]any{"begin repeat", "r", "重复"},
			[]any{"text", "t", "文字"},
			[]any{"end group", "", "标题"},
			[]any{"end repeat", "x"},
			[]any{"begin group", "empty", "空分组"},
			[]any{"end group"},
		), settings1}, []string{
			"survey 表第 2 行 type 列（A2）：end group 前面没有对应的 begin group",
			"survey 表第 3 行 type 列（A3）：begin group 没有对应的 end group",
			"survey 表第 6 行 type 列（A6）：此处应为 end repeat：第 4 行的 begin repeat 还没有结束",
			`survey 表第 7 行 name 列（B7）：end repeat 的名称 "x" 与第 4 行 begin repeat 的名称 "r" 不一致`,
			"survey 表第 8 行 type 列（A8）：分组或重复组中没有任何字段",
		}},
		{"choices", []sheet{surveySheet(
			[]any{"select_one colours", "c", "颜色"},
			[]any{"select_multiple yes_no", "y", "是否"},
			[]any{"select_one", "z", "缺列表名"},
			[]any{"select_one yes_no or_other", "w", "其他"},
		), sheet{SheetChoices, [][]any{
			{"list_name", "name", "label", "filter"},
			{"yes_no", "yes", "是"},
			{"yes_no", "yes", "也是"},
			{"yes_no", "no", "", "x"},
			{"", "", "没有列表名"},
			{"unused", "a", "A"},
		}}, settings1}, []string{
			`survey 表第 2 行 type 列（A2）：选项列表 "colours" 不存在：choices 表中没有 list_name 为 "colours" 的行`,
			"survey 表第 4 行 type 列（A4）：select_one 后缺少选项列表名（choices 表 list_name 列中的名称），例如 select_one yes_no",
			"survey 表第 5 行 type 列（A5）：不支持 or_other（自动加“其他”选项）：请在选项列表中加入“其他”(other)，再加一道 text 题，显示条件为 selected(${w}, 'other')",
			`choices 表第 3 行 name 列（B3）：选项值 "yes" 重复`,
			`choices 表第 4 行 label 列（C4）：选项 "no" 缺少显示文字 (label)`,
			"choices 表第 4 行 filter 列（D4）：选项表的 filter 列不被支持：本系统的选项只有 list_name、name 和 label（不支持按条件筛选选项 choice_filter）",
			"choices 表第 5 行 list_name 列（A5）：缺少选项列表名 (list_name)",
		}},
		{"columns", []sheet{{SheetSurvey, [][]any{
			{"type", "name", "label", "choice_filter", "media::image", "unused", "", "relevant::English", "label"},
			{"text", "a", "A", "x = 1", "a.png", "", "孤儿"},
			{"text", "b", "B", "y = 2", "", "", "", "${a} = ''"},
		}}, settings1}, []string{
			"survey 表第 1 行 label 列（I1）：列名与 C 列重复，只能有一列",
			"survey 表第 2 行 choice_filter 列（D2）：本系统不支持按条件筛选选项 (choice_filter)：请为需要不同选项的题目各建一个选项列表（此列共有 2 个单元格有内容）",
			"survey 表第 2 行 media::image 列（E2）：本系统不支持题目或选项中的图片、声音和视频 (media)",
			"survey 表第 2 行 G 列（G2）：此列没有列名，其中的内容无法读取：请填写列名或删除此列",
			`survey 表第 3 行 relevant::English 列（H3）：不支持的列 "relevant::English"：relevant 列没有多语言版本`,
		}},
		{"settings", []sheet{surveySheet([]any{"text", "a", "A"}), {SheetSettings, [][]any{
			{"form_title", "form_id", "version", "style", "kind", "instance_name"},
			{"标题", "调查表", "二", "pages", "census", ""},
			{"第二行"},
		}}}, []string{
			`settings 表第 2 行 form_id 列（B2）：表单编号 "调查表" 无效：只能用小写字母开头，由小写字母、数字和下划线组成`,
			`settings 表第 2 行 version 列（C2）：版本号 (version) "二" 无效：应为 1 到 2147483647 之间的整数，例如 2 或 2026031501`,
			"settings 表第 2 行 style 列（D2）：本系统按统一样式显示表单，不支持 style 设置",
			`settings 表第 2 行 kind 列（E2）：未知的表单类别 "census"（应为 visit、worker_questionnaire 或 enterprise_questionnaire）`,
			"settings 表第 3 行 form_title 列（A3）：settings 表只读取第 2 行的设置，此行的内容无法导入",
		}},
		{"languages without a choice", []sheet{{SheetSurvey, [][]any{
			{"type", "name", "label::English", "label::Français"},
			{"text", "a", "Name", "Nom"},
		}}, settings1}, []string{
			"survey 表第 1 行：表中有多种语言的标题（English、Français），本系统的表单只使用一种：请在 settings 表的 default_language 列填写要导入的语言",
		}},
		{"default language not there", []sheet{{SheetSurvey, [][]any{
			{"type", "name", "label::English", "label::Français"},
			{"text", "a", "Name", "Nom"},
		}}, {SheetSettings, [][]any{{"form_id", "version", "form_title", "default_language"}, {"t", 1, "T", "中文"}}}}, []string{
			`settings 表第 2 行 default_language 列（D2）：默认语言 (default_language) 为 "中文"，但 survey 表没有 label::中文 列（有：English、Français）`,
		}},
		{"no questions", []sheet{{SheetSurvey, [][]any{{"type", "name", "label"}}}, settings1}, []string{
			"survey 表：survey 表中没有任何题目",
		}},
		{"no type column", []sheet{{SheetSurvey, [][]any{{"name", "label"}, {"a", "A"}}}, settings1}, []string{
			"survey 表第 1 行 type 列：survey 表缺少 type 列（题型）",
		}},
		{"row without type", []sheet{surveySheet([]any{"", "a", "A"}, []any{"text", "b", "B"}), settings1}, []string{
			"survey 表第 2 行 type 列（A2）：缺少题型 (type)",
		}},
		{"control character", []sheet{surveySheet([]any{"text", "a", "响铃_x0007_"}, []any{"text", "b", "_x0008_"}), settings1}, []string{
			"survey 表第 2 行（C2）：单元格中有控制字符（不可见的特殊字符），请删除后再导入",
		}},
		{"other XLSForm sheets", []sheet{surveySheet([]any{"text", "a", "A"}), settings1, {"external_choices", [][]any{{"list_name"}}}}, []string{
			"external_choices 表：本系统不支持 external_choices 工作表：选项请写在 choices 表，并删除此工作表",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Parse(workbook(t, tt.sheets...), "t.xlsx")
			if res.Form != nil {
				t.Errorf("a refused workbook gave a form: %+v", res.Form)
			}
			got := problemStrings(res.Problems)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
			if res.Err() == nil {
				t.Errorf("Err() = nil for a refused workbook")
			}
		})
	}
}

func TestParseDefaultsAndNotes(t *testing.T) {
	data := workbook(t,
		surveySheet([]any{"text", "a", "姓名"}),
		sheet{"说明", [][]any{{"填表说明"}}},
		sheet{SheetChoices, [][]any{choiceHead, {"spare", "x", "X"}}},
	)
	res := Parse(data, `C:\表单\worker_2026.xlsx`)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Form.ID != "worker_2026" || res.Form.Version != 1 || res.Form.Title != "worker_2026" {
		t.Errorf("defaults: id %q version %d title %q", res.Form.ID, res.Form.Version, res.Form.Title)
	}
	want := []string{
		"choices 表第 2 行 list_name 列（A2）：选项列表 spare 没有被任何题目使用，未导入",
		`settings 表 form_id 列：没有 settings 工作表，按文件名使用 "worker_2026" 作为表单编号`,
		"settings 表 version 列：没有 settings 工作表，按第 1 版导入",
		"settings 表 form_title 列：没有 settings 工作表，以表单编号 worker_2026 作为标题",
		"说明 表：此工作表不属于 XLSForm（只读取 survey、choices 和 settings 表），未读取",
	}
	if got := problemStrings(res.Notes); !reflect.DeepEqual(got, want) {
		t.Errorf("notes:\n got %q\nwant %q", got, want)
	}
}

func TestParseBrokenFiles(t *testing.T) {
	valid, err := os.ReadFile("../../assets/forms/worker_questionnaire.v1.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	var noWorkbook bytes.Buffer
	zw := zip.NewWriter(&noWorkbook)
	w, _ := zw.Create("hello.txt")
	w.Write([]byte("not a workbook"))
	zw.Close()
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "文件是空的"},
		{"text", []byte("type,name,label\ntext,a,A\n"), "无法读取 Excel 文件：文件不是 .xlsx 格式或已损坏"},
		{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...),
			"这是旧版 Excel 97-2003 (.xls) 文件或设置了密码的工作簿：请在 Excel 中“另存为” Excel 工作簿 (.xlsx)，不设密码"},
		{"truncated", valid[:len(valid)/2], "无法读取 Excel 文件：文件不是 .xlsx 格式或已损坏"},
		{"zip without workbook", noWorkbook.Bytes(), "无法读取 Excel 文件：文件不是 .xlsx 格式或已损坏"},
		{"too big", append([]byte("PK"), make([]byte, MaxFileSize)...), "文件过大（8.0 MB，最多 8 MB），不像是一份问卷"},
		{"no survey", workbook(t, settings1), "工作簿中没有 survey 工作表：XLSForm 的题目写在名为 survey 的工作表中"},
		{"empty survey", workbook(t, sheet{SheetSurvey, nil}), "survey 表：survey 表是空的"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Parse(tt.data, "x.xlsx")
			if got := problemStrings(res.Problems); len(got) != 1 || got[0] != tt.want {
				t.Errorf("problems = %q, want [%q]", got, tt.want)
			}
			if res.Form != nil {
				t.Errorf("form from a broken file")
			}
		})
	}
}

// TestParseLimits checks that sheets beyond the size limits are refused
// without reading them whole.
func TestParseLimits(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", SheetSurvey)
	sw, err := f.NewStreamWriter(SheetSurvey)
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"type", "name", "label"})
	for r := 2; r <= maxRows+10; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		sw.SetRow(cell, []any{"text", "f", "F"})
	}
	sw.Flush()
	buf, _ := f.WriteToBuffer()
	res := Parse(buf.Bytes(), "big.xlsx")
	if got := problemStrings(res.Problems); len(got) != 1 || got[0] != "survey 表：工作表超过 10000 行或 1048576 个单元格，不像是一份问卷" {
		t.Errorf("problems = %q", got)
	}

	f = excelize.NewFile()
	f.SetSheetName("Sheet1", SheetSurvey)
	for r := 2; r <= 100; r++ {
		cell, _ := excelize.CoordinatesToCellName(excelize.MaxColumns, r)
		f.SetCellStr(SheetSurvey, cell, "x")
	}
	buf, _ = f.WriteToBuffer()
	res = Parse(buf.Bytes(), "wide.xlsx")
	want := []string{"survey 表：工作表超过 10000 行或 1048576 个单元格，不像是一份问卷", "survey 表第 2 行：超过 200 列的内容无法读取"}
	if got := problemStrings(res.Problems); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}

	wide := workbook(t, surveySheet([]any{"text", "a", "A"}))
	wf, _ := excelize.OpenReader(bytes.NewReader(wide))
	cell, _ := excelize.CoordinatesToCellName(maxColumns+5, 2)
	wf.SetCellStr(SheetSurvey, cell, "x")
	buf, _ = wf.WriteToBuffer()
	res = Parse(buf.Bytes(), "wide.xlsx")
	if got := problemStrings(res.Problems); len(got) == 0 || got[0] != "survey 表第 2 行：超过 200 列的内容无法读取" {
		t.Errorf("problems = %q", got)
	}
}

// TestPyxformExamples reads workbooks written by others, from the pyxform
// repository (testdata/pyxform, BSD licence): those within the engine's
// features import and validate, the others are refused with the sheet, row
// and column.
func TestPyxformExamples(t *testing.T) {
	tests := []struct {
		file     string
		problems []string
		fields   []survey.Field
	}{
		{"text_and_integer.xlsx", nil, []survey.Field{
			{Name: "your_name", Type: survey.TypeText, Label: "What is your name?"},
			{Name: "your_age", Type: survey.TypeInteger, Label: "How many years old are you?"},
		}},
		{"yes_or_no_question.xlsx", nil, []survey.Field{
			{Name: "good_day", Type: survey.TypeSelectOne, Label: "have you had a good day today?",
				Choices: []survey.Choice{{Value: "yes", Label: "yes"}, {Value: "no", Label: "no"}}},
		}},
		{"bad_calc.xlsx", []string{
			"survey 表第 2 行 calculation 列（D2）：计算公式 (calculation) 语法错误：位置 22: 字符串缺少结束引号 '",
		}, nil},
		{"or_other.xlsx", []string{
			"survey 表第 2 行 type 列（A2）：不支持 or_other（自动加“其他”选项）：请在选项列表中加入“其他”(other)，再加一道 text 题，显示条件为 selected(${fav_color}, 'other')",
			"survey 表第 3 行 choice_filter 列（D3）：本系统不支持按条件筛选选项 (choice_filter)：请为需要不同选项的题目各建一个选项列表",
			"choices 表第 2 行 pastel 列（D2）：选项表的 pastel 列不被支持：本系统的选项只有 list_name、name 和 label（不支持按条件筛选选项 choice_filter）（此列共有 5 个单元格有内容）",
		}, nil},
		{"specify_other.xlsx", []string{
			"survey 表第 2 行 type 列（A2）：不支持 or_other（自动加“其他”选项）：请在选项列表中加入“其他”(other)，再加一道 text 题，显示条件为 selected(${sex}, 'other')",
		}, nil},
	}
	files, err := filepath.Glob("testdata/pyxform/*.xlsx")
	if err != nil || len(files) != len(tests) {
		t.Fatalf("testdata/pyxform holds %d workbooks, the test covers %d", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pyxform", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			res := Parse(data, tt.file)
			if got := problemStrings(res.Problems); !reflect.DeepEqual(got, tt.problems) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.problems)
			}
			if tt.problems != nil {
				return
			}
			id := strings.TrimSuffix(tt.file, ".xlsx")
			want := &survey.Form{ID: id, Version: 1, Title: id, Fields: tt.fields}
			if !reflect.DeepEqual(res.Form, want) {
				t.Errorf("form:\n got %+v\nwant %+v", res.Form, want)
			}
		})
	}
}
