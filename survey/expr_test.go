package survey

import (
	"math"
	"strings"
	"testing"
)

// mapEnv evaluates references from a map of expression values.
type mapEnv struct {
	vals map[string]any
	self any
}

func (m mapEnv) ref(n *exprNode) any {
	if v, ok := m.vals[n.str]; ok {
		return v
	}
	return ""
}
func (m mapEnv) dot() any      { return m.self }
func (m mapEnv) today() string { return "2026-04-20" }

func evalString(t *testing.T, src string, env exprEnv) any {
	t.Helper()
	n, err := parseExpr(src)
	if err != nil {
		t.Fatalf("parseExpr(%q): %v", src, err)
	}
	return evalExpr(n, env)
}

func TestExpressionValues(t *testing.T) {
	env := mapEnv{
		vals: map[string]any{
			"n":     float64(12),
			"m":     float64(5),
			"empty": "",
			"date":  "2026-04-15",
			"later": "2026-05-01",
			"multi": []string{"a", "c"},
			"word":  "走访记录",
			"sel":   "4",
		},
		self: float64(7),
	}
	tests := []struct {
		src  string
		want any
	}{
		{"1 + 2 * 3", float64(7)},
		{"(1 + 2) * 3", float64(9)},
		{"7 div 2", 3.5},
		{"7 mod 4", float64(3)},
		{"-3 + 1", float64(-2)},
		{"- - 3", float64(3)},
		{"10 - 2 - 3", float64(5)},
		{"${n} > ${m}", true},
		{"${n} >= 12 and ${m} < 5", false},
		{"${n} >= 12 or ${m} < 5", true},
		{"not(${n} = 12)", false},
		{". = 7", true},
		{". != 7", false},
		{"${empty} = ''", true},
		{"${empty} != ''", false},
		{"${empty} > 3", false},
		{"${empty} < 3", false},
		{"${empty} >= 0", false},
		{"${empty} = 0", false},
		{"${empty} != 0", true},
		{"${missing} = ''", true},
		{"${date} < ${later}", true},
		{"${later} >= ${date}", true},
		{"${date} = '2026-04-15'", true},
		{"${date} <= today()", true},
		{"${date} > today()", false},
		{"today()", "2026-04-20"},
		{"${later} - ${date}", float64(16)},
		{"selected(${multi}, 'a')", true},
		{"selected(${multi}, 'b')", false},
		{"count-selected(${multi})", float64(2)},
		{"count-selected(${empty})", float64(0)},
		{"string-length(${word})", float64(4)},
		{"string-length('')", float64(0)},
		{"if(${n} > 10, 'big', 'small')", "big"},
		{"if(${empty}, 'yes', 'no')", "no"},
		{"int(7.9)", float64(7)},
		{"int(-7.9)", float64(-7)},
		{"number('12.5') + 1", 13.5},
		{"concat('a', ${n}, 'b')", "a12b"},
		{"coalesce(${empty}, 'x')", "x"},
		{"string(${n})", "12"},
		{"true() and not(false())", true},
		{"${sel} >= 4", true},
		{"${sel} >= '10'", false},
		{"${sel} = 4", true},
		{"'10' > '9'", true},
		{"'b' > 'a'", true},
		{"1 div 0 = 1 div 0", true},
		{`"双引号" = '双引号'`, true},
		{".5 + .5", float64(1)},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got := evalString(t, tt.src, env)
			if got != tt.want {
				t.Errorf("%s = %#v, want %#v", tt.src, got, tt.want)
			}
		})
	}
}

func TestExpressionNaN(t *testing.T) {
	got := evalString(t, "number('abc') + 1", mapEnv{})
	if f, ok := got.(float64); !ok || !math.IsNaN(f) {
		t.Errorf("number('abc') + 1 = %v, want NaN", got)
	}
	if s := toString(got); s != "" {
		t.Errorf("toString(NaN) = %q, want empty", s)
	}
}

func TestExpressionSyntaxErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "表达式为空"},
		{"   ", "表达式为空"},
		{"1 +", "表达式不完整"},
		{"(1 + 2", "缺少 “)”"},
		{"1 + 2)", "多余的"},
		{"${a", "缺少 “}”"},
		{"${A}", "名称无效"},
		{"${}", "名称无效"},
		{"$a", "“$” 后应为"},
		{"'abc", "缺少结束引号"},
		{"a = 1", "未知的名称 \"a\""},
		{"foo(1)", "不支持的函数 foo()"},
		{"selected(${a})", "需要 2 个参数，实际 1 个"},
		{"today(1)", "需要 0 个参数，实际 1 个"},
		{"concat()", "至少需要 1 个参数"},
		{"1 == 1", "相等比较请用单个"},
		{"!${a}", "取反请用 not()"},
		{"1 ＝ 1", "无法识别的字符"},
		{"../x", "不支持 “..”"},
		{"and 1", "前缺少操作数"},
		{"if(1, 2 3)", "参数之间应为"},
		{"1 2", "多余的"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "嵌套过深"},
		{strings.Repeat("-", 100) + "1", "嵌套过深"},
		{strings.Repeat("1+", 3000) + "1", "表达式过长"},
		{"'\xff'", "无效的 UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := parseExpr(tt.src)
			if err == nil {
				t.Fatalf("parseExpr(%q) succeeded, want error containing %q", tt.src, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseExpr(%q) = %q, want it to contain %q", tt.src, err, tt.want)
			}
		})
	}
}

func TestHyphenatedNames(t *testing.T) {
	// "count-selected" is one name, but "5-1" and ")-1" are subtraction.
	for src, want := range map[string]any{
		"count-selected(${m})-1": float64(1),
		"5-1":                    float64(4),
		"(5)-1":                  float64(4),
	} {
		if got := evalString(t, src, mapEnv{vals: map[string]any{"m": []string{"x", "y"}}}); got != want {
			t.Errorf("%s = %v, want %v", src, got, want)
		}
	}
}
