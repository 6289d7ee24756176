package survey

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	gosync "sync"
	"time"
	"unicode/utf8"
	"weak"
)

// compiledCache maps a *Form to its parsed expressions so that each form is
// compiled once however often it is evaluated. Keys are weak so that forms
// parsed and dropped (tests, fuzzing, imports of old versions) are not kept
// alive by the cache.
var compiledCache gosync.Map // weak.Pointer[Form] -> *compiledForm

// compiledFor returns the compiled form of f. A Form must not be modified
// after it has been evaluated once.
func compiledFor(f *Form) *compiledForm {
	key := weak.Make(f)
	if v, ok := compiledCache.Load(key); ok {
		return v.(*compiledForm)
	}
	return storeCompiled(f, compileForm(f))
}

func storeCompiled(f *Form, c *compiledForm) *compiledForm {
	key := weak.Make(f)
	if v, loaded := compiledCache.LoadOrStore(key, c); loaded {
		return v.(*compiledForm)
	}
	runtime.AddCleanup(f, func(k weak.Pointer[Form]) { compiledCache.Delete(k) }, key)
	return c
}

// frame is the answers of one scope instance: the top level, or one item of
// a repeat; prefix is prepended to names to form paths ("demands[2].").
type frame struct {
	answers map[string]any
	prefix  string
}

const (
	stateTodo uint8 = iota
	stateBusy
	stateDone
)

// instance is one field at one place of the answers: a top-level field, or
// a repeat child within one item.
type instance struct {
	path   string
	field  *Field
	frames []frame
	parent *instance // enclosing group or repeat instance
	raw    any
	items  []map[string]any // repeat items

	relState, valState uint8
	relevant           bool
	value              any
}

// Evaluation is the state of a form's expressions over one set of answers:
// which fields are relevant (shown) and the value of every field, computed
// fields included. Create it with Evaluate.
type Evaluation struct {
	form  *Form
	c     *compiledForm
	today string
	nodes map[string]*instance
	order []*instance
}

// Evaluate computes relevance and calculations of f over a at the given
// day (for today()). It never fails: answers of the wrong shape are read as
// empty, and expressions that did not compile count as absent.
func Evaluate(f *Form, a Answers, today time.Time) *Evaluation {
	e := &Evaluation{
		form:  f,
		c:     compiledFor(f),
		today: today.Format("2006-01-02"),
		nodes: map[string]*instance{},
	}
	e.build(f.Fields, []frame{{answers: a}}, nil)
	for _, in := range e.order {
		e.rel(in)
		e.val(in)
	}
	return e
}

func (e *Evaluation) build(fields []Field, frames []frame, parent *instance) {
	fr := frames[len(frames)-1]
	for i := range fields {
		fd := &fields[i]
		in := &instance{path: fr.prefix + fd.Name, field: fd, frames: frames, parent: parent, raw: fr.answers[fd.Name]}
		if _, dup := e.nodes[in.path]; !dup {
			e.nodes[in.path] = in
		}
		e.order = append(e.order, in)
		switch fd.Type {
		case TypeGroup:
			e.build(fd.Fields, frames, in)
		case TypeRepeat:
			in.items = itemsAnswer(in.raw)
			for j, item := range in.items {
				inner := append(frames[:len(frames):len(frames)], frame{answers: item, prefix: fmt.Sprintf("%s[%d].", in.path, j)})
				e.build(fd.Fields, inner, in)
			}
		}
	}
}

func (e *Evaluation) exprs(fd *Field) *fieldExprs {
	if ex := e.c.exprs[fd]; ex != nil {
		return ex
	}
	return &fieldExprs{}
}

func (e *Evaluation) rel(in *instance) bool {
	switch in.relState {
	case stateDone:
		return in.relevant
	case stateBusy:
		return true // a cycle; definitions with cycles are rejected at load
	}
	in.relState = stateBusy
	r := true
	if in.parent != nil && !e.rel(in.parent) {
		r = false
	} else if n := e.exprs(in.field).relevant; n != nil {
		r = toBool(evalExpr(n, &env{e: e, in: in}))
	}
	in.relevant, in.relState = r, stateDone
	return r
}

// val is the value of in as expressions see it: empty when not relevant or
// invalid, numbers for numeric answers, the item count for a repeat.
func (e *Evaluation) val(in *instance) any {
	switch in.valState {
	case stateDone:
		return in.value
	case stateBusy:
		return ""
	}
	in.valState = stateBusy
	var v any = ""
	if e.rel(in) {
		switch in.field.Type {
		case TypeCalculate:
			if n := e.exprs(in.field).calculation; n != nil {
				v = evalExpr(n, &env{e: e, in: in})
			}
		case TypeRepeat:
			v = float64(len(in.items))
		case TypeGroup, TypeNote:
		default:
			// An answer of the wrong type reads as unanswered, so one
			// bad entry is reported once and not again by every
			// constraint that mentions it.
			if _, msg := checkAnswer(in.field, in.raw); msg == "" {
				v = typedAnswer(in.field, in.raw)
			}
		}
	}
	in.value, in.valState = v, stateDone
	return v
}

// typedAnswer converts a stored answer to an expression value.
func typedAnswer(fd *Field, raw any) any {
	if fd.Type == TypeSelectMultiple {
		l, _ := listAnswer(raw)
		if l == nil {
			return ""
		}
		return l
	}
	s, _ := scalarAnswer(raw)
	if fd.Type == TypeInteger || fd.Type == TypeDecimal {
		if n, ok := parseNumber(s); ok {
			return n
		}
	}
	return s
}

type env struct {
	e  *Evaluation
	in *instance
}

func (v *env) ref(n *exprNode) any {
	if n.level >= len(v.in.frames) {
		return ""
	}
	t := v.e.nodes[v.in.frames[n.level].prefix+n.str]
	if t == nil {
		return ""
	}
	return v.e.val(t)
}

func (v *env) dot() any {
	if v.in.field.Type == TypeCalculate || v.in.field.Type == TypeRepeat {
		return v.e.val(v.in)
	}
	return typedAnswer(v.in.field, v.in.raw)
}

func (v *env) today() string { return v.e.today }

// node finds the instance for a path; "demands[1]" (a repeat item) maps to
// the repeat when the index exists.
func (e *Evaluation) node(path string) (*instance, bool) {
	if in := e.nodes[path]; in != nil {
		return in, true
	}
	if strings.HasSuffix(path, "]") {
		if open := strings.LastIndexByte(path, '['); open > 0 {
			idx, err := strconv.Atoi(path[open+1 : len(path)-1])
			if in := e.nodes[path[:open]]; in != nil && err == nil && idx >= 0 && idx < len(in.items) {
				return in, true
			}
		}
	}
	return nil, false
}

// Relevant reports whether the field at path is shown: its own relevant
// expression and those of all enclosing groups hold. Path is as in
// Problem.Path ("x", "demands[1].demand_category"); unknown paths are not
// relevant.
func (e *Evaluation) Relevant(path string) bool {
	in, ok := e.node(path)
	return ok && e.rel(in)
}

// Value returns the answer at path as stored (string, []string or, for a
// repeat, []Answers), with calculate fields computed and rendered as
// strings. It returns nil for unknown paths, groups, notes and fields that
// are not relevant.
func (e *Evaluation) Value(path string) any {
	in, ok := e.nodes[path]
	if !ok || !e.rel(in) {
		return nil
	}
	switch in.field.Type {
	case TypeGroup, TypeNote:
		return nil
	case TypeCalculate:
		return toString(e.val(in))
	case TypeRepeat:
		items := make([]Answers, len(in.items))
		for i, it := range in.items {
			items[i] = Answers(it)
		}
		return items
	case TypeSelectMultiple:
		l, _ := listAnswer(in.raw)
		return l
	}
	s, _ := scalarAnswer(in.raw)
	return s
}

// Validate checks answers a against form f on day today and returns every
// problem in form order: required answers missing, answers of the wrong
// type or not among the choices, and failed constraints (with the form's
// Chinese message). Fields that are not relevant are skipped entirely.
func Validate(f *Form, a Answers, today time.Time) []Problem {
	e := Evaluate(f, a, today)
	var ps []Problem
	for _, in := range e.order {
		if !e.rel(in) {
			continue
		}
		fd := in.field
		add := func(msg string) { ps = append(ps, Problem{Path: in.path, Field: fd.Name, Message: msg}) }
		switch fd.Type {
		case TypeGroup, TypeNote, TypeCalculate:
			continue
		case TypeRepeat:
			if fd.Required && len(in.items) == 0 {
				add("请至少填写一项")
			}
			if in.raw != nil && in.items == nil && !isEmptyList(in.raw) {
				add("答案类型不正确（应为若干项）")
			}
			continue
		}
		empty, msg := checkAnswer(fd, in.raw)
		if msg == "" && !empty && f.Anonymous() && (fd.Type == TypeText || fd.Type == TypeTextarea) {
			msg = personalInfoProblem(in.raw)
		}
		switch {
		case msg != "":
			add(msg)
		case empty:
			if fd.Required {
				add("此项为必填项")
			}
		default:
			if n := e.exprs(fd).constraint; n != nil && !toBool(evalExpr(n, &env{e: e, in: in})) {
				if fd.ConstraintMessage != "" {
					add(fd.ConstraintMessage)
				} else {
					add("填写内容不符合要求")
				}
			}
		}
	}
	return ps
}

// checkAnswer reports whether raw is empty and, when it is not, what is
// wrong with it for field fd ("" when valid).
func checkAnswer(fd *Field, raw any) (empty bool, msg string) {
	if fd.Type == TypeSelectMultiple {
		l, ok := listAnswer(raw)
		if !ok {
			return false, "答案类型不正确（应为多个选项）"
		}
		if len(l) == 0 {
			return true, ""
		}
		seen := map[string]bool{}
		for _, v := range l {
			if seen[v] {
				return false, fmt.Sprintf("选项 %q 重复", v)
			}
			seen[v] = true
			if msg := checkChoice(fd, v); msg != "" {
				return false, msg
			}
		}
		return false, ""
	}
	s, ok := scalarAnswer(raw)
	if !ok {
		return false, "答案类型不正确（应为单个值）"
	}
	if strings.TrimSpace(s) == "" {
		return true, ""
	}
	return false, checkValue(fd, s)
}

// Answered reports whether an answer counts as given: a list or repeat
// with at least one element, or a scalar that is not empty or spaces. It
// is the one notion of "answered" for required fields, the completion
// counts of the GUI and Clean.
func Answered(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case []string:
		return len(x) > 0
	case []Answers:
		return len(x) > 0
	case []any:
		return len(x) > 0
	case []map[string]any:
		return len(x) > 0
	}
	s, ok := scalarAnswer(v)
	return !ok || strings.TrimSpace(s) != ""
}

func checkChoice(fd *Field, v string) string {
	for _, c := range fd.Choices {
		if c.Value == v {
			return ""
		}
	}
	return fmt.Sprintf("选项 %q 不在可选范围内", v)
}

// checkValue checks one non-empty scalar (or a space-separated
// select_multiple default) against the type of fd; "" when valid.
func checkValue(fd *Field, s string) string {
	switch fd.Type {
	case TypeInteger:
		if _, ok := parseNumber(s); !ok || strings.Contains(s, ".") {
			return fmt.Sprintf("应填写整数，%q 不是整数", s)
		}
	case TypeDecimal:
		if _, ok := parseNumber(s); !ok {
			return fmt.Sprintf("应填写数字，%q 不是数字", s)
		}
	case TypeDate:
		if ValidDay(s) {
			return ""
		}
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			return fmt.Sprintf("日期 %s 不存在", s)
		}
		return fmt.Sprintf("日期应按“年-月-日”填写，如 2026-04-05；“%s”不是有效日期", s)
	case TypeSelectOne:
		return checkChoice(fd, s)
	case TypeSelectMultiple:
		for _, v := range strings.Fields(s) {
			if msg := checkChoice(fd, v); msg != "" {
				return msg
			}
		}
	case TypeText, TypeTextarea, TypeEnterprise, TypeImage:
		if !utf8.ValidString(s) {
			return "文字包含无效字符"
		}
		if max := TextLimit(fd.Type); max > 0 {
			return LengthMessage(s, max)
		}
	}
	return ""
}

// Clean returns the answers worth keeping: only relevant fields, no notes,
// no empty answers and no keys the form does not know, with calculate
// fields filled in as strings. Repeat items keep their positions.
func Clean(f *Form, a Answers, today time.Time) Answers {
	e := Evaluate(f, a, today)
	out := Answers{}
	e.clean(f.Fields, "", out)
	return out
}

func (e *Evaluation) clean(fields []Field, prefix string, out Answers) {
	for i := range fields {
		fd := &fields[i]
		in := e.nodes[prefix+fd.Name]
		if in == nil || in.field != fd || !e.rel(in) {
			continue
		}
		switch fd.Type {
		case TypeGroup:
			e.clean(fd.Fields, prefix, out)
		case TypeNote:
		case TypeRepeat:
			if len(in.items) == 0 {
				continue
			}
			items := make([]Answers, len(in.items))
			for j := range in.items {
				items[j] = Answers{}
				e.clean(fd.Fields, fmt.Sprintf("%s[%d].", in.path, j), items[j])
			}
			out[fd.Name] = items
		case TypeCalculate:
			if s := toString(e.val(in)); s != "" {
				out[fd.Name] = s
			}
		case TypeSelectMultiple:
			if l, _ := listAnswer(in.raw); len(l) > 0 {
				out[fd.Name] = append([]string(nil), l...)
			}
		default:
			if s, _ := scalarAnswer(in.raw); strings.TrimSpace(s) != "" {
				out[fd.Name] = s
			}
		}
	}
}

// scalarAnswer reads a scalar answer; JSON numbers and booleans are
// accepted and rendered as text. ok is false for lists and maps.
func scalarAnswer(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return string(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// listAnswer reads a select_multiple answer: []string, a JSON []any of
// strings, or a space-separated string as XLSForm exports it.
func listAnswer(v any) ([]string, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case []string:
		return x, true
	case string:
		return strings.Fields(x), true
	case []any:
		out := make([]string, 0, len(x))
		for _, el := range x {
			s, ok := el.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// itemsAnswer reads the items of a repeat: []Answers, []map[string]any or
// a JSON []any of objects. Anything else is no items.
func itemsAnswer(v any) []map[string]any {
	switch x := v.(type) {
	case []Answers:
		out := make([]map[string]any, len(x))
		for i, it := range x {
			out[i] = it
		}
		return out
	case []map[string]any:
		return x
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, el := range x {
			switch m := el.(type) {
			case map[string]any:
				out = append(out, m)
			case Answers:
				out = append(out, m)
			default:
				return nil
			}
		}
		return out
	}
	return nil
}

func isEmptyList(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

// NormalizeAnswers converts answers decoded from JSON into the three shapes
// of Answers: arrays of strings become []string, arrays of objects become
// []Answers (recursively), numbers and booleans become their text. Nil
// values and empty arrays mean "not answered" and are dropped.
func NormalizeAnswers(a Answers) Answers {
	if a == nil {
		return nil
	}
	out := make(Answers, len(a))
	for k, v := range a {
		if nv, keep := normalizeValue(v); keep {
			out[k] = nv
		}
	}
	return out
}

func normalizeValue(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case []string:
		if len(x) == 0 {
			return nil, false
		}
		return append([]string(nil), x...), true
	case []Answers:
		if len(x) == 0 {
			return nil, false
		}
		items := make([]Answers, len(x))
		for i, it := range x {
			items[i] = NormalizeAnswers(it)
			if items[i] == nil {
				items[i] = Answers{}
			}
		}
		return items, true
	case []map[string]any:
		return normalizeValue(anySlice(x))
	case []any:
		if len(x) == 0 {
			return nil, false
		}
		hasMap := false
		for _, el := range x {
			switch el.(type) {
			case map[string]any, Answers:
				hasMap = true
			}
		}
		if hasMap {
			items := make([]Answers, 0, len(x))
			for _, el := range x {
				switch m := el.(type) {
				case map[string]any:
					items = append(items, NormalizeAnswers(m))
				case Answers:
					items = append(items, NormalizeAnswers(m))
				}
			}
			return items, true
		}
		strs := make([]string, 0, len(x))
		for _, el := range x {
			if s, ok := scalarAnswer(el); ok && el != nil {
				strs = append(strs, s)
			}
		}
		if len(strs) == 0 {
			return nil, false
		}
		return strs, true
	case map[string]any:
		// A lone object where an array was expected: one repeat item.
		return []Answers{NormalizeAnswers(x)}, true
	case Answers:
		return []Answers{NormalizeAnswers(x)}, true
	}
	if s, ok := scalarAnswer(v); ok {
		return s, true
	}
	return fmt.Sprint(v), true
}

func anySlice(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// NewAnswers returns the starting answers of a new record of form f: the
// defaults of every field outside repeats.
func NewAnswers(f *Form) Answers {
	a := Answers{}
	fillDefaults(f.Fields, a)
	return a
}

// NewRepeatItem returns the starting answers of a new item of repeat field
// r: the defaults of its children (e.g. demand_to_ledger = yes).
func NewRepeatItem(r *Field) Answers {
	a := Answers{}
	fillDefaults(r.Fields, a)
	return a
}

func fillDefaults(fields []Field, a Answers) {
	for i := range fields {
		fd := &fields[i]
		switch {
		case fd.Type == TypeGroup:
			fillDefaults(fd.Fields, a)
		case fd.Default == "":
		case fd.Type == TypeSelectMultiple:
			a[fd.Name] = strings.Fields(fd.Default)
		case fd.Type.holdsAnswer():
			a[fd.Name] = fd.Default
		}
	}
}
