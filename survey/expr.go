package survey

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file holds the expression language of form definitions: the subset of
// XLSForm/XPath syntax that ODK and Kobo authors use in relevant, constraint
// and calculation columns. It is a small hand-written parser rather than a
// translation to a general-purpose engine so that the XLSForm value rules
// (empty answers, numeric strings, dates kept as text) are explicit here and
// no input can make it panic.
//
// Grammar, lowest precedence first:
//
//	or      := and ("or" and)*
//	and     := eq ("and" eq)*
//	eq      := rel (("=" | "!=") rel)*
//	rel     := add (("<" | "<=" | ">" | ">=") add)*
//	add     := mul (("+" | "-") mul)*
//	mul     := unary (("*" | "div" | "mod") unary)*
//	unary   := "-" unary | primary
//	primary := number | string | "${" name "}" | "." | name "(" args ")" | "(" or ")"
//
// Values at run time are float64, string, bool or []string (a
// select_multiple answer).

// maxExprLen bounds the text of one expression; real forms use a few dozen
// characters, and the bound keeps the recursive evaluator shallow.
const maxExprLen = 4096

// maxExprDepth bounds nesting of parentheses and function calls.
const maxExprDepth = 64

type tokKind int

const (
	tokEOF tokKind = iota
	tokNum
	tokStr
	tokRef
	tokDot
	tokName
	tokLParen
	tokRParen
	tokComma
	tokOp
)

type token struct {
	kind tokKind
	text string
	num  float64
	pos  int // byte offset, for messages
}

// exprError is a syntax or reference error in one expression; the message is
// Chinese and user-facing.
type exprError struct{ msg string }

func (e *exprError) Error() string { return e.msg }

func errorf(format string, args ...any) error {
	return &exprError{msg: fmt.Sprintf(format, args...)}
}

func isNameStart(r rune) bool { return r < utf8.RuneSelf && (r == '_' || unicode.IsLetter(r)) }
func isNameChar(r rune) bool {
	return r < utf8.RuneSelf && (r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
}

func tokenize(src string) ([]token, error) {
	if !utf8.ValidString(src) {
		return nil, errorf("表达式包含无效的 UTF-8 字符")
	}
	var toks []token
	i := 0
	for i < len(src) {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '$':
			if !strings.HasPrefix(src[i:], "${") {
				return nil, errorf("位置 %d: “$” 后应为 “{字段名}”", i+1)
			}
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return nil, errorf("位置 %d: 字段引用缺少 “}”", i+1)
			}
			name := src[i+2 : i+end]
			if !validName(name) {
				return nil, errorf("位置 %d: 字段引用 ${%s} 的名称无效", i+1, name)
			}
			toks = append(toks, token{kind: tokRef, text: name, pos: i})
			i += end + 1
		case r == '\'' || r == '"':
			end := strings.IndexRune(src[i+1:], r)
			if end < 0 {
				return nil, errorf("位置 %d: 字符串缺少结束引号 %c", i+1, r)
			}
			toks = append(toks, token{kind: tokStr, text: src[i+1 : i+1+end], pos: i})
			i += end + 2
		case r >= '0' && r <= '9' || r == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && src[j] == '.' {
				j++
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
			}
			n, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil || math.IsInf(n, 0) {
				return nil, errorf("位置 %d: 数字 %q 无效", i+1, src[i:j])
			}
			toks = append(toks, token{kind: tokNum, text: src[i:j], num: n, pos: i})
			i = j
		case r == '.':
			if i+1 < len(src) && src[i+1] == '.' {
				return nil, errorf("位置 %d: 不支持 “..”（上级节点），请用 ${字段名}", i+1)
			}
			toks = append(toks, token{kind: tokDot, text: ".", pos: i})
			i++
		case isNameStart(r):
			j := i + 1
			for j < len(src) {
				c := rune(src[j])
				if isNameChar(c) || c == '-' && j+1 < len(src) && isNameStart(rune(src[j+1])) {
					j++
					continue
				}
				break
			}
			toks = append(toks, token{kind: tokName, text: src[i:j], pos: i})
			i = j
		case r == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", pos: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", pos: i})
			i++
		case r == ',':
			toks = append(toks, token{kind: tokComma, text: ",", pos: i})
			i++
		case r == '!' || r == '<' || r == '>':
			op := string(r)
			if i+1 < len(src) && src[i+1] == '=' {
				op += "="
			} else if r == '!' {
				return nil, errorf("位置 %d: “!” 后应为 “=”；取反请用 not()", i+1)
			}
			toks = append(toks, token{kind: tokOp, text: op, pos: i})
			i += len(op)
		case r == '=' || r == '+' || r == '-' || r == '*':
			if r == '=' && i+1 < len(src) && src[i+1] == '=' {
				return nil, errorf("位置 %d: 相等比较请用单个 “=”", i+1)
			}
			toks = append(toks, token{kind: tokOp, text: string(r), pos: i})
			i++
		default:
			return nil, errorf("位置 %d: 无法识别的字符 %q", i+1, r)
		}
	}
	toks = append(toks, token{kind: tokEOF, pos: len(src)})
	return toks, nil
}

type exprOp int

const (
	opNum exprOp = iota
	opStr
	opRef
	opDot
	opCall
	opNeg
	opOr
	opAnd
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opAdd
	opSub
	opMul
	opDiv
	opMod
)

var binOps = map[string]exprOp{
	"or": opOr, "and": opAnd, "=": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe,
	"+": opAdd, "-": opSub, "*": opMul, "div": opDiv, "mod": opMod,
}

// exprNode is one node of a parsed expression.
type exprNode struct {
	op   exprOp
	num  float64
	str  string // string literal, function name or referenced field name
	args []*exprNode
	// level and field are set by resolution for opRef: the index of the
	// scope (0 = top level, 1 = outermost repeat item, ...) the name lives
	// in, and its definition.
	level int
	field *Field
}

// funcArity gives the minimum and maximum argument count of each function
// (-1 = unbounded).
var funcArity = map[string][2]int{
	"selected":       {2, 2},
	"count-selected": {1, 1},
	"string-length":  {1, 1},
	"today":          {0, 0},
	"if":             {3, 3},
	"not":            {1, 1},
	"int":            {1, 1},
	"number":         {1, 1},
	"string":         {1, 1},
	"concat":         {1, -1},
	"coalesce":       {2, 2},
	"true":           {0, 0},
	"false":          {0, 0},
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

// parseExpr parses the text of one expression. References are left
// unresolved; see resolveExpr.
func parseExpr(src string) (*exprNode, error) {
	if len(src) > maxExprLen {
		return nil, errorf("表达式过长（超过 %d 个字符）", maxExprLen)
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 {
		return nil, errorf("表达式为空")
	}
	p := &parser{toks: toks}
	n, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, errorf("位置 %d: 多余的 %q", t.pos+1, t.text)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// precedence levels of binary operators, low to high.
var binLevels = [][]string{
	{"or"}, {"and"}, {"=", "!="}, {"<", "<=", ">", ">="}, {"+", "-"}, {"*", "div", "mod"},
}

func (p *parser) binOpAt(level int) (string, bool) {
	t := p.peek()
	if t.kind != tokOp && t.kind != tokName {
		return "", false
	}
	for _, op := range binLevels[level] {
		if t.text == op {
			return op, true
		}
	}
	return "", false
}

func (p *parser) parseBinary(level int) (*exprNode, error) {
	if level == len(binLevels) {
		return p.parseUnary()
	}
	left, err := p.parseBinary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.binOpAt(level)
		if !ok {
			return left, nil
		}
		p.next()
		right, err := p.parseBinary(level + 1)
		if err != nil {
			return nil, err
		}
		left = &exprNode{op: binOps[op], args: []*exprNode{left, right}}
	}
}

func (p *parser) parseUnary() (*exprNode, error) {
	if t := p.peek(); t.kind == tokOp && t.text == "-" {
		p.next()
		if p.depth++; p.depth > maxExprDepth {
			return nil, errorf("表达式嵌套过深")
		}
		defer func() { p.depth-- }()
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &exprNode{op: opNeg, args: []*exprNode{n}}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (*exprNode, error) {
	t := p.next()
	switch t.kind {
	case tokNum:
		return &exprNode{op: opNum, num: t.num}, nil
	case tokStr:
		return &exprNode{op: opStr, str: t.text}, nil
	case tokRef:
		return &exprNode{op: opRef, str: t.text}, nil
	case tokDot:
		return &exprNode{op: opDot}, nil
	case tokLParen:
		if p.depth++; p.depth > maxExprDepth {
			return nil, errorf("表达式嵌套过深")
		}
		defer func() { p.depth-- }()
		n, err := p.parseBinary(0)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, errorf("位置 %d: 缺少 “)”", c.pos+1)
		}
		return n, nil
	case tokName:
		if p.peek().kind != tokLParen {
			if _, isOp := binOps[t.text]; isOp {
				return nil, errorf("位置 %d: 运算符 %q 前缺少操作数", t.pos+1, t.text)
			}
			return nil, errorf("位置 %d: 未知的名称 %q（引用字段请写 ${%s}）", t.pos+1, t.text, t.text)
		}
		arity, ok := funcArity[t.text]
		if !ok {
			return nil, errorf("位置 %d: 不支持的函数 %s()", t.pos+1, t.text)
		}
		p.next() // (
		if p.depth++; p.depth > maxExprDepth {
			return nil, errorf("表达式嵌套过深")
		}
		defer func() { p.depth-- }()
		call := &exprNode{op: opCall, str: t.text}
		if p.peek().kind == tokRParen {
			p.next()
		} else {
			for {
				a, err := p.parseBinary(0)
				if err != nil {
					return nil, err
				}
				call.args = append(call.args, a)
				c := p.next()
				if c.kind == tokRParen {
					break
				}
				if c.kind != tokComma {
					return nil, errorf("位置 %d: 函数 %s() 的参数之间应为 “,” 或以 “)” 结束", c.pos+1, t.text)
				}
			}
		}
		if n := len(call.args); n < arity[0] || arity[1] >= 0 && n > arity[1] {
			if arity[0] == arity[1] {
				return nil, errorf("函数 %s() 需要 %d 个参数，实际 %d 个", t.text, arity[0], n)
			}
			return nil, errorf("函数 %s() 至少需要 %d 个参数，实际 %d 个", t.text, arity[0], n)
		}
		return call, nil
	case tokEOF:
		return nil, errorf("表达式不完整")
	default:
		return nil, errorf("位置 %d: 此处不应出现 %q", t.pos+1, t.text)
	}
}

// walkRefs calls fn for every field reference in n.
func walkRefs(n *exprNode, fn func(*exprNode)) {
	if n == nil {
		return
	}
	if n.op == opRef {
		fn(n)
	}
	for _, a := range n.args {
		walkRefs(a, fn)
	}
}

// exprEnv supplies what an expression reads while it is evaluated.
type exprEnv interface {
	// ref returns the value of the referenced field as seen from the
	// expression's position.
	ref(n *exprNode) any
	// dot returns the value of the field the expression belongs to.
	dot() any
	// today returns the evaluation day as YYYY-MM-DD.
	today() string
}

func evalExpr(n *exprNode, env exprEnv) any {
	switch n.op {
	case opNum:
		return n.num
	case opStr:
		return n.str
	case opRef:
		return env.ref(n)
	case opDot:
		return env.dot()
	case opNeg:
		return -toNumber(evalExpr(n.args[0], env))
	case opOr:
		return toBool(evalExpr(n.args[0], env)) || toBool(evalExpr(n.args[1], env))
	case opAnd:
		return toBool(evalExpr(n.args[0], env)) && toBool(evalExpr(n.args[1], env))
	case opEq, opNe, opLt, opLe, opGt, opGe:
		return compareValues(n.op, evalExpr(n.args[0], env), evalExpr(n.args[1], env))
	case opAdd, opSub, opMul, opDiv, opMod:
		a, b := toNumber(evalExpr(n.args[0], env)), toNumber(evalExpr(n.args[1], env))
		switch n.op {
		case opAdd:
			return a + b
		case opSub:
			return a - b
		case opMul:
			return a * b
		case opDiv:
			return a / b
		default:
			return math.Mod(a, b)
		}
	case opCall:
		return callFunc(n, env)
	}
	return ""
}

func callFunc(n *exprNode, env exprEnv) any {
	arg := func(i int) any { return evalExpr(n.args[i], env) }
	switch n.str {
	case "selected":
		want := toString(arg(1))
		for _, v := range toList(arg(0)) {
			if v == want {
				return true
			}
		}
		return false
	case "count-selected":
		return float64(len(toList(arg(0))))
	case "string-length":
		return float64(utf8.RuneCountInString(toString(arg(0))))
	case "today":
		return env.today()
	case "if":
		if toBool(arg(0)) {
			return arg(1)
		}
		return arg(2)
	case "not":
		return !toBool(arg(0))
	case "int":
		return math.Trunc(toNumber(arg(0)))
	case "number":
		return toNumber(arg(0))
	case "string":
		return toString(arg(0))
	case "concat":
		var b strings.Builder
		for i := range n.args {
			b.WriteString(toString(arg(i)))
		}
		return b.String()
	case "coalesce":
		if v := arg(0); toString(v) != "" {
			return v
		}
		return arg(1)
	case "true":
		return true
	case "false":
		return false
	}
	return ""
}

// toList returns the choice values of a select_multiple value; a plain
// string is split on white space as XLSForm stores it.
func toList(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case string:
		return strings.Fields(x)
	}
	return strings.Fields(toString(v))
}

func toBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	case []string:
		return len(x) > 0
	}
	return false
}

// formatNumber renders a number the way it is stored as an answer: integers
// without a fraction, non-finite results as empty.
func formatNumber(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return formatNumber(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []string:
		return strings.Join(x, " ")
	}
	return ""
}

// parseNumber parses a plain decimal number ("12", "-3.5", ".5"); it rejects
// the NaN, Inf, hex and exponent forms strconv would accept.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	body := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	digits, dot := 0, 0
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot++
		default:
			return 0, false
		}
	}
	if digits == 0 || dot > 1 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) {
		return 0, false
	}
	return n, true
}

// parseDate parses a YYYY-MM-DD calendar date, rejecting impossible days.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// toNumber converts to a number; dates become days since 1970-01-01 so that
// date arithmetic works as in ODK; anything else that is not a number is NaN.
func toNumber(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case string:
		if n, ok := parseNumber(x); ok {
			return n
		}
		if d, ok := parseDate(strings.TrimSpace(x)); ok {
			return float64(d.Unix() / 86400)
		}
		return math.NaN()
	case []string:
		return toNumber(strings.Join(x, " "))
	}
	return math.NaN()
}

// compareValues implements = != < <= > >= with the XLSForm rules: booleans
// compare as booleans, anything against a number compares numerically (an
// empty answer is then never equal and never ordered), two numeric strings
// compare as numbers and other strings (dates included) compare as text. An
// empty operand makes every ordering comparison false.
func compareValues(op exprOp, a, b any) bool {
	_, aBool := a.(bool)
	_, bBool := b.(bool)
	_, aNum := a.(float64)
	_, bNum := b.(float64)
	sa, sb := toString(a), toString(b)
	if op == opEq || op == opNe {
		var eq bool
		switch {
		case aBool || bBool:
			eq = toBool(a) == toBool(b)
		case aNum || bNum:
			eq = toNumber(a) == toNumber(b)
		default:
			na, okA := parseNumber(sa)
			nb, okB := parseNumber(sb)
			if okA && okB {
				eq = na == nb
			} else {
				eq = sa == sb
			}
		}
		return eq == (op == opEq)
	}
	if !aNum && sa == "" || !bNum && sb == "" {
		return false
	}
	var c int
	_, okA := parseNumber(sa)
	_, okB := parseNumber(sb)
	if aNum || bNum || aBool || bBool || okA && okB {
		x, y := toNumber(a), toNumber(b)
		if math.IsNaN(x) || math.IsNaN(y) {
			return false
		}
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	} else {
		c = strings.Compare(sa, sb)
	}
	switch op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	default:
		return c >= 0
	}
}
