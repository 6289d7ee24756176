package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestFormsCheckShipped(t *testing.T) {
	files, err := filepath.Glob("../assets/forms/*.json")
	if err != nil || len(files) != 3 {
		t.Fatalf("shipped forms = %v, %v; want 3 files", files, err)
	}
	code, out, errs := runCLI(t, append([]string{"forms", "check"}, files...)...)
	if code != 0 {
		t.Fatalf("forms check exit %d, stderr:\n%s", code, errs)
	}
	for _, f := range files {
		if !strings.Contains(out, f+": 通过") {
			t.Errorf("output lacks OK line for %s:\n%s", f, out)
		}
	}
}

func TestFormsCheckEmbedded(t *testing.T) {
	code, out, errs := runCLI(t, "forms", "check")
	if code != 0 {
		t.Fatalf("forms check (embedded) exit %d, stderr:\n%s", code, errs)
	}
	for _, id := range []string{"visit", "worker_questionnaire", "enterprise_questionnaire"} {
		if !strings.Contains(out, "内置表单 "+id+".v1.json: 通过") {
			t.Errorf("output lacks %s:\n%s", id, out)
		}
	}
}

func TestFormsCheckBroken(t *testing.T) {
	dir := "../survey/testdata/forms"
	tests := []struct {
		file string
		want []string // lines that must appear on stderr
	}{
		{"unknown_keys.json", []string{`字段 visit_date: 未知的属性 "requried"`, `字段 titel: 未知的属性 "titel"`}},
		{"missing_header.json", []string{"字段 id: 缺少表单编号 (id)", "字段 title: 缺少表单标题 (title)"}},
		{"bad_types.json", []string{`字段 workers_total: 未知的字段类型 "number"`, "字段 visit_mode: 选择题没有选项 (choices)", "字段 empty_section: 分组或重复组中没有任何字段"}},
		{"bad_names.json", []string{`字段 basic.Visit-Mode: 字段名 "Visit-Mode" 无效`, `字段 visit_date: 字段名 "visit_date" 重复`}},
		{"bad_expressions.json", []string{"字段 workers_on_duty: 约束条件 (constraint) 引用了不存在的字段 ${workers_totl}", "字段 capacity_percent: 显示条件 (relevant) 语法错误"}},
		{"truncated.json", []string{"truncated.json: JSON 格式错误"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			code, out, errs := runCLI(t, "forms", "check", path)
			if code != 1 {
				t.Errorf("exit code = %d, want 1 (stdout %q)", code, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(errs, path+": "+want) && !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
				if !strings.HasPrefix(line, path+": ") {
					t.Errorf("line %q does not name the file", line)
				}
			}
		})
	}
}

func TestFormsCheckMixed(t *testing.T) {
	// One good and one bad file: the good one is reported OK, exit 1.
	good := filepath.Join("..", "assets", "forms", "visit.v1.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), `"constraint": ". >= 1"`, `"constraint": ". >= "`, 1)
	if broken == string(data) {
		t.Fatal("fixture edit did not apply")
	}
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "forms", "check", good, bad, filepath.Join(t.TempDir(), "missing.json"))
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	if !strings.Contains(out, good+": 通过") {
		t.Errorf("stdout lacks OK for the good file:\n%s", out)
	}
	if want := bad + ": 字段 basic.workers_interviewed: 约束条件 (constraint) 语法错误：表达式不完整"; !strings.Contains(errs, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errs)
	}
	if !strings.Contains(errs, "missing.json: 无法读取文件") {
		t.Errorf("stderr lacks the unreadable file:\n%s", errs)
	}
}

func TestFormsUsage(t *testing.T) {
	for _, args := range [][]string{{"forms"}, {"forms", "lint"}, {"forms", "check", "--bogus"}} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
