package survey

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// TestBrokenDefinitions checks that every broken definition under
// testdata/forms is rejected with every problem, each naming its field.
func TestBrokenDefinitions(t *testing.T) {
	tests := []struct {
		file string
		want []string // "path: message fragment", in order
	}{
		{"unknown_keys.json", []string{
			`titel: 未知的属性 "titel"`,
			`visit_date: 未知的属性 "requried"`,
			`mode.choices[0]: 未知的属性 "lable"`,
		}},
		{"missing_header.json", []string{
			"id: 缺少表单编号",
			"version: 缺少表单版本号",
			"title: 缺少表单标题",
		}},
		{"bad_types.json", []string{
			`workers_total: 未知的字段类型 "number"`,
			"empty_section: 分组或重复组中没有任何字段",
			"team_members: 只有 group 和 repeat 可以包含子字段",
			"visit_mode: 选择题没有选项",
			`risk_level: 选项值 "low" 重复`,
			"on_duty_percent: calculate 字段缺少计算公式",
			`capacity: 默认值无效：应填写整数，"很多" 不是整数`,
		}},
		{"bad_names.json", []string{
			`basic.Visit-Mode: 字段名 "Visit-Mode" 无效`,
			`visit_date: 字段名 "visit_date" 重复（与 basic.visit_date 冲突）`,
			"fields[2]: 缺少字段名",
		}},
		{"bad_expressions.json", []string{
			"workers_on_duty: 约束条件 (constraint) 引用了不存在的字段 ${workers_totl}",
			"capacity_percent: 显示条件 (relevant) 语法错误：表达式不完整",
			"first_urgency: 计算公式 (calculation) 引用的字段 ${demand_urgency} 在重复组内",
			"a: 显示条件或计算公式存在循环引用：a → b → a",
		}},
		{"truncated.json", []string{"JSON 格式错误"}},
		{"wrong_value_types.json", []string{
			`version: 属性 "version" 的值应为整数`,
			`visit_date: 属性 "required" 的值应为 true 或 false`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "forms", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseForm(data)
			if err == nil {
				t.Fatalf("ParseForm accepted a broken definition: %+v", f)
			}
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DefinitionError", err)
			}
			if len(de.Problems) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(de.Problems), len(tt.want), err)
			}
			for i, want := range tt.want {
				if i >= len(de.Problems) {
					break
				}
				got := de.Problems[i].Message
				if de.Problems[i].Path != "" {
					got = de.Problems[i].Path + ": " + got
				}
				if !strings.HasPrefix(got, want) {
					t.Errorf("problem %d = %q, want prefix %q", i, got, want)
				}
			}
		})
	}
}

func TestParseFormChecks(t *testing.T) {
	const head = `{"id":"t","version":1,"title":"测试","fields":[`
	tests := []struct {
		name, fields, want string
	}{
		{"choices on text", `{"name":"a","type":"text","label":"a","choices":[{"value":"x","label":"x"}]}`,
			"a: 只有选择题 (select_one / select_multiple) 可以有选项"},
		{"calculation on integer", `{"name":"a","type":"integer","label":"a","calculation":"1"}`,
			"a: 只有 calculate 字段可以有计算公式"},
		{"constraint on group", `{"name":"g","type":"group","label":"g","constraint":"1","fields":[{"name":"a","type":"text","label":"a"}]}`,
			"g: group 类型的字段不能有约束条件"},
		{"message without constraint", `{"name":"a","type":"text","label":"a","constraint_message":"错"}`,
			"a: 有约束提示 (constraint_message) 但没有约束条件"},
		{"required note", `{"name":"a","type":"note","label":"a","required":true}`,
			"a: note 类型的字段不能设为必填"},
		{"missing label", `{"name":"a","type":"text"}`, "a: 缺少标题 (label)"},
		{"missing type", `{"name":"a","label":"a"}`, "a: 缺少字段类型 (type)"},
		{"choice value with space", `{"name":"a","type":"select_one","label":"a","choices":[{"value":"x y","label":"x"}]}`,
			`a: 选项值 "x y" 不能包含空白字符`},
		{"choice without label", `{"name":"a","type":"select_one","label":"a","choices":[{"value":"x","label":""}]}`,
			`a: 选项 "x" 缺少显示文字`},
		{"bad select default", `{"name":"a","type":"select_one","label":"a","default":"z","choices":[{"value":"x","label":"x"}]}`,
			`a: 默认值无效：选项 "z" 不在可选范围内`},
		{"bad date default", `{"name":"a","type":"date","label":"a","default":"2026-13-01"}`,
			"a: 默认值无效：日期 2026-13-01 不存在"},
		{"self-referencing relevant", `{"name":"a","type":"text","label":"a","relevant":"${a} != ''"}`,
			"a: 显示条件或计算公式存在循环引用：a → a"},
		{"group relevant on own child", `{"name":"g","type":"group","label":"g","relevant":"${a} = 'x'","fields":[{"name":"a","type":"text","label":"a"}]}`,
			"g: 显示条件或计算公式存在循环引用：g → a → g"},
		{"duplicate name inside repeat", `{"name":"r","type":"repeat","label":"r","fields":[{"name":"a","type":"text","label":"a"},{"name":"a","type":"text","label":"b"}]}`,
			`r.a: 字段名 "a" 重复`},
		{"fields not an object", `"text"`, "fields[0]: 字段定义应为 JSON 对象"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseForm([]byte(head + tt.fields + `]}`))
			if err == nil {
				t.Fatalf("ParseForm accepted %s", tt.fields)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("ParseForm error = %q, want prefix %q", got, tt.want)
			}
		})
	}
}

func TestParseFormAcceptsShadowingInRepeat(t *testing.T) {
	// A repeat opens its own scope, so its children may reuse top-level
	// names; groups do not.
	src := `{"id":"t","version":1,"title":"t","kind":"visit","fields":[
	  {"name":"note","type":"text","label":"备注"},
	  {"name":"r","type":"repeat","label":"r","fields":[{"name":"note","type":"text","label":"备注"}]}]}`
	if _, err := ParseForm([]byte(src)); err != nil {
		t.Fatalf("ParseForm: %v", err)
	}
}

func TestParseFormTrailingData(t *testing.T) {
	_, err := ParseForm([]byte(`{"id":"t","version":1,"title":"t","fields":[{"name":"a","type":"text","label":"a"}]} {}`))
	if err == nil || !strings.Contains(err.Error(), "多余内容") {
		t.Errorf("ParseForm(trailing data) = %v, want 多余内容", err)
	}
}

func TestLoadForms(t *testing.T) {
	form := func(id, version string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(`{"id":"` + id + `","version":` + version + `,"title":"t","fields":[{"name":"a","type":"text","label":"a"}]}`)}
	}
	t.Run("versions", func(t *testing.T) {
		set, err := LoadForms(fstest.MapFS{
			"visit.v1.json": form("visit", "1"),
			"visit.v2.json": form("visit", "2"),
			"README.md":     {Data: []byte("not a form")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := set.Latest("visit"); !ok || f.Version != 2 {
			t.Errorf("Latest(visit) = %v, %v; want version 2", f, ok)
		}
		if f, ok := set.Get("visit", 1); !ok || f.Version != 1 {
			t.Errorf("Get(visit, 1) = %v, %v", f, ok)
		}
		if _, ok := set.Latest("nope"); ok {
			t.Errorf("Latest(nope) found a form")
		}
	})
	t.Run("problems name the file", func(t *testing.T) {
		_, err := LoadForms(fstest.MapFS{
			"visit.v1.json":  form("visit", "1"),
			"visit.v3.json":  form("visit", "2"),
			"broken.v1.json": {Data: []byte(`{"id":"broken"}`)},
		})
		var errs DefinitionErrors
		if !errors.As(err, &errs) {
			t.Fatalf("LoadForms error = %v (%T), want DefinitionErrors", err, err)
		}
		var files []string
		for _, e := range errs {
			files = append(files, e.File)
		}
		if want := []string{"broken.v1.json", "visit.v3.json"}; !reflect.DeepEqual(files, want) {
			t.Errorf("files = %v, want %v", files, want)
		}
		msg := err.Error()
		for _, want := range []string{"broken.v1.json: version: 缺少表单版本号", "visit.v3.json: 文件名应为 visit.v2.json"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		if _, err := LoadForms(fstest.MapFS{}); err == nil {
			t.Errorf("LoadForms(empty) succeeded")
		}
	})
}

func TestLookup(t *testing.T) {
	f := shippedForm(t, "visit")
	for _, name := range []string{"basic", "visit_date", "demands", "demand_urgency", "followup_date", "on_duty_percent"} {
		if fd := f.Lookup(name); fd == nil || fd.Name != name {
			t.Errorf("Lookup(%q) = %v", name, fd)
		}
	}
	if fd := f.Lookup("nope"); fd != nil {
		t.Errorf("Lookup(nope) = %v, want nil", fd)
	}
}

// TestDefinitionProblemProperty checks that each definition problem names
// the property it concerns, which converters use to point at a cell.
func TestDefinitionProblemProperty(t *testing.T) {
	tests := []struct {
		file string
		want []string // "path property" of every problem, in order
	}{
		{"bad_expressions.json", []string{"workers_on_duty constraint", "capacity_percent relevant", "first_urgency calculation", "a calculation"}},
		{"bad_names.json", []string{"basic.Visit-Mode name", "visit_date name", "fields[2] name"}},
		{"bad_types.json", []string{"workers_total type", "empty_section fields", "team_members fields", "visit_mode choices",
			"risk_level choices[1].value", "on_duty_percent calculation", "capacity default"}},
		{"missing_header.json", []string{"id id", "version version", "title title"}},
		{"unknown_keys.json", []string{"titel titel", "visit_date requried", "mode.choices[0] lable"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "forms", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseForm(data)
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("ParseForm error = %v, want a *DefinitionError", err)
			}
			var got []string
			for _, p := range de.Problems {
				got = append(got, p.Path+" "+p.Property)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("path and property:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
