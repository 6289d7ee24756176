package survey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// namePattern is what field names and form ids must look like: they are
// keys in stored answers and parts of file names, so they stay plain ASCII.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func validName(s string) bool { return namePattern.MatchString(s) }

// DefinitionError lists every problem found in one form definition. Path of
// each problem is the dotted path of the field in the definition (groups
// included, e.g. "operation.workers_on_duty"), or the form property ("id",
// "version", "title") for form-level problems.
type DefinitionError struct {
	// File is the file name the definition was read from; empty for
	// ParseForm on bare bytes.
	File     string
	Problems []Problem
}

// Error lists the problems one per line, "file: path: message".
func (e *DefinitionError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File)
			b.WriteString(": ")
		}
		if p.Path != "" {
			b.WriteString(p.Path)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// DefinitionErrors is the error LoadForms returns: one DefinitionError per
// file with problems, in file name order.
type DefinitionErrors []*DefinitionError

// Error lists every problem of every file, one per line.
func (e DefinitionErrors) Error() string {
	parts := make([]string, len(e))
	for i, d := range e {
		parts[i] = d.Error()
	}
	return strings.Join(parts, "\n")
}

// ParseForm decodes a form definition and checks it: unknown or mistyped
// JSON keys, missing id/version/title, unknown field types, invalid or
// duplicate names, selects without choices, empty groups, bad defaults and
// expressions that do not parse or name unknown fields. On failure the error
// is a *DefinitionError listing every problem found.
func ParseForm(data []byte) (*Form, error) {
	f, problems := parseForm(data)
	if len(problems) > 0 {
		return nil, &DefinitionError{Problems: problems}
	}
	return f, nil
}

// parseForm decodes and checks a definition; when there are no problems the
// compiled expressions are cached for Evaluate.

func parseForm(data []byte) (*Form, []Problem) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, []Problem{{Message: "JSON 格式错误：" + jsonErrorText(data, err)}}
	}
	if _, err := dec.Token(); err == nil {
		return nil, []Problem{{Message: "JSON 格式错误：表单定义之后还有多余内容"}}
	}
	problems := checkRawForm(raw)
	var f Form
	if err := json.Unmarshal(data, &f); err != nil && len(problems) == 0 {
		// checkRawForm reports every type mismatch; this is a safety net.
		problems = append(problems, Problem{Message: "JSON 内容无法读取：" + err.Error()})
	}
	more, c := checkForm(&f, problems)
	problems = append(problems, more...)
	if len(problems) == 0 {
		storeCompiled(&f, c)
	}
	return &f, problems
}

// jsonErrorText describes a JSON syntax error with its line and column.
func jsonErrorText(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := int(se.Offset)
		if off > len(data) {
			off = len(data)
		}
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		col := off - bytes.LastIndexByte(data[:off], '\n')
		return fmt.Sprintf("第 %d 行第 %d 列：%s", line, col, se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "内容不完整或为空"
	}
	return err.Error()
}

type jsonKind int

const (
	jString jsonKind = iota
	jInt
	jBool
	jArray
)

var formKeys = map[string]jsonKind{"id": jString, "version": jInt, "kind": jString, "title": jString, "fields": jArray}
var fieldKeys = map[string]jsonKind{
	"name": jString, "type": jString, "label": jString, "hint": jString, "required": jBool,
	"default": jString, "choices": jArray, "relevant": jString, "constraint": jString,
	"constraint_message": jString, "calculation": jString, "fields": jArray,
}
var choiceKeys = map[string]jsonKind{"value": jString, "label": jString}

var kindNames = map[jsonKind]string{jString: "字符串", jInt: "整数", jBool: " true 或 false", jArray: "数组"}

// checkRawForm walks the generic JSON and reports unknown keys and values of
// the wrong JSON type, with the path of the field they belong to.
func checkRawForm(raw any) []Problem {
	obj, ok := raw.(map[string]any)
	if !ok {
		return []Problem{{Message: "表单定义应为 JSON 对象"}}
	}
	var ps []Problem
	checkObject(obj, formKeys, "", "", &ps)
	if fields, ok := obj["fields"].([]any); ok {
		checkRawFields(fields, "", &ps)
	}
	return ps
}

func checkRawFields(fields []any, prefix string, ps *[]Problem) {
	for i, item := range fields {
		obj, ok := item.(map[string]any)
		name, _ := obj["name"].(string)
		p := joinPath(prefix, name, i)
		if !ok {
			*ps = append(*ps, Problem{Path: p, Message: "字段定义应为 JSON 对象"})
			continue
		}
		checkObject(obj, fieldKeys, p, name, ps)
		if choices, ok := obj["choices"].([]any); ok {
			for j, c := range choices {
				cp := fmt.Sprintf("%s.choices[%d]", p, j)
				co, ok := c.(map[string]any)
				if !ok {
					*ps = append(*ps, Problem{Path: cp, Field: name, Property: fmt.Sprintf("choices[%d]", j), Message: "选项应为 JSON 对象 {\"value\", \"label\"}"})
					continue
				}
				checkObject(co, choiceKeys, cp, name, ps)
			}
		}
		if sub, ok := obj["fields"].([]any); ok {
			checkRawFields(sub, p, ps)
		}
	}
}

func checkObject(obj map[string]any, known map[string]jsonKind, p, field string, ps *[]Problem) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pp, ff := p, field
		if pp == "" { // form-level property: name it
			pp, ff = k, k
		}
		want, ok := known[k]
		if !ok {
			*ps = append(*ps, Problem{Path: pp, Field: ff, Property: k, Message: fmt.Sprintf("未知的属性 %q", k)})
			continue
		}
		v := obj[k]
		good := false
		switch want {
		case jString:
			_, good = v.(string)
		case jBool:
			_, good = v.(bool)
		case jArray:
			_, good = v.([]any)
			good = good || v == nil
		case jInt:
			if n, isNum := v.(json.Number); isNum {
				_, err := strconv.ParseInt(string(n), 10, 32)
				good = err == nil
			}
		}
		if !good {
			*ps = append(*ps, Problem{Path: pp, Field: ff, Property: k, Message: fmt.Sprintf("属性 %q 的值应为%s", k, kindNames[want])})
		}
	}
}

func joinPath(prefix, name string, index int) string {
	seg := name
	if seg == "" {
		seg = fmt.Sprintf("fields[%d]", index)
	}
	if prefix == "" {
		return seg
	}
	return prefix + "." + seg
}

var knownTypes = map[FieldType]bool{
	TypeText: true, TypeTextarea: true, TypeInteger: true, TypeDecimal: true, TypeDate: true,
	TypeSelectOne: true, TypeSelectMultiple: true, TypeNote: true, TypeCalculate: true,
	TypeGroup: true, TypeRepeat: true, TypeEnterprise: true, TypeImage: true,
}

var typeList = "text, textarea, integer, decimal, date, select_one, select_multiple, note, calculate, group, repeat, enterprise, image"

var knownKinds = map[FormKind]bool{FormVisit: true, FormWorkerQuestionnaire: true, FormEnterpriseQuestionnaire: true}

func (t FieldType) isContainer() bool { return t == TypeGroup || t == TypeRepeat }
func (t FieldType) isSelect() bool    { return t == TypeSelectOne || t == TypeSelectMultiple }

// holdsAnswer reports whether fields of this type store an answer typed in
// by the user (calculations are stored too, but computed).
func (t FieldType) holdsAnswer() bool {
	return !t.isContainer() && t != TypeNote && t != TypeCalculate
}

// checkForm runs the definition checks on a decoded form.
// Form-level properties already reported by the JSON checks in earlier are
// not reported again as missing.
func checkForm(f *Form, earlier []Problem) ([]Problem, *compiledForm) {
	var ps []Problem
	reported := map[string]bool{}
	for _, p := range earlier {
		reported[p.Path] = true
	}
	add := func(p, field, msg string) { ps = append(ps, Problem{Path: p, Field: field, Property: p, Message: msg}) }
	switch {
	case f.ID == "":
		add("id", "id", "缺少表单编号 (id)")
	case !validName(f.ID):
		add("id", "id", fmt.Sprintf("表单编号 %q 无效：只能用小写字母开头，由小写字母、数字和下划线组成", f.ID))
	}
	if f.Version < 1 && !reported["version"] {
		add("version", "version", "缺少表单版本号 (version)，应为不小于 1 的整数")
	}
	if strings.TrimSpace(f.Title) == "" {
		add("title", "title", "缺少表单标题 (title)")
	}
	if f.Kind != "" && !knownKinds[f.Kind] {
		add("kind", "kind", fmt.Sprintf("未知的表单类别 %q（应为 visit、worker_questionnaire 或 enterprise_questionnaire）", f.Kind))
	}
	if len(f.Fields) == 0 {
		add("fields", "fields", "表单没有任何字段")
	}
	c := compileForm(f)
	return append(ps, c.problems...), c
}

// fieldExprs holds the parsed expressions of one field; nil when absent or
// invalid.
type fieldExprs struct {
	relevant, constraint, calculation *exprNode
}

// scope is one naming scope: the top level with its groups, or the items of
// one repeat.
type scope struct {
	names map[string]*Field
	level int
}

// compiledForm is everything derived from a definition once: parsed
// expressions, scopes and definition problems.
type compiledForm struct {
	exprs    map[*Field]*fieldExprs
	parent   map[*Field]*Field // enclosing group or repeat
	chain    map[*Field][]*scope
	problems []Problem
}

type formCompiler struct {
	c        *compiledForm
	allNames map[string]bool // every name at any depth, for better messages
	paths    map[*Field]string
}

// compileForm checks the field tree and parses every expression. It never
// fails: problems are collected in the result.
func compileForm(f *Form) *compiledForm {
	fc := &formCompiler{
		c: &compiledForm{
			exprs:  map[*Field]*fieldExprs{},
			parent: map[*Field]*Field{},
			chain:  map[*Field][]*scope{},
		},
		allNames: map[string]bool{},
		paths:    map[*Field]string{},
	}
	top := &scope{names: map[string]*Field{}}
	fc.declare(f.Fields, "", nil, []*scope{top})
	fc.check(f.Fields)
	fc.findCycles(f.Fields)
	return fc.c
}

func (fc *formCompiler) add(fd *Field, property, msg string) {
	fc.c.problems = append(fc.c.problems, Problem{Path: fc.paths[fd], Field: fd.Name, Property: property, Message: msg})
}

// declare assigns scopes and paths and reports name problems, in form order.
func (fc *formCompiler) declare(fields []Field, prefix string, parent *Field, chain []*scope) {
	sc := chain[len(chain)-1]
	for i := range fields {
		fd := &fields[i]
		fc.paths[fd] = joinPath(prefix, fd.Name, i)
		fc.c.chain[fd] = chain
		if parent != nil {
			fc.c.parent[fd] = parent
		}
		switch {
		case fd.Name == "":
			fc.add(fd, "name", "缺少字段名 (name)")
		case !validName(fd.Name):
			fc.add(fd, "name", fmt.Sprintf("字段名 %q 无效：只能用小写字母开头，由小写字母、数字和下划线组成", fd.Name))
		case sc.names[fd.Name] != nil:
			fc.add(fd, "name", fmt.Sprintf("字段名 %q 重复（与 %s 冲突）", fd.Name, fc.paths[sc.names[fd.Name]]))
		default:
			sc.names[fd.Name] = fd
			fc.allNames[fd.Name] = true
		}
		switch fd.Type {
		case TypeGroup:
			fc.declare(fd.Fields, fc.paths[fd], fd, chain)
		case TypeRepeat:
			inner := append(append([]*scope(nil), chain...), &scope{names: map[string]*Field{}, level: len(chain)})
			fc.declare(fd.Fields, fc.paths[fd], fd, inner)
		default:
			if len(fd.Fields) > 0 {
				// Still declare them so their own problems are found, in
				// a throw-away scope.
				fc.declare(fd.Fields, fc.paths[fd], fd, append(append([]*scope(nil), chain...), &scope{names: map[string]*Field{}, level: len(chain)}))
			}
		}
	}
}

func (fc *formCompiler) check(fields []Field) {
	for i := range fields {
		fd := &fields[i]
		t := fd.Type
		switch {
		case t == "":
			fc.add(fd, "type", "缺少字段类型 (type)")
		case !knownTypes[t]:
			fc.add(fd, "type", fmt.Sprintf("未知的字段类型 %q（可用：%s）", string(t), typeList))
		}
		if strings.TrimSpace(fd.Label) == "" && t != TypeCalculate {
			fc.add(fd, "label", "缺少标题 (label)")
		}
		if t.isContainer() && len(fd.Fields) == 0 {
			fc.add(fd, "fields", "分组或重复组中没有任何字段")
		}
		if !t.isContainer() && len(fd.Fields) > 0 && knownTypes[t] {
			fc.add(fd, "fields", fmt.Sprintf("只有 group 和 repeat 可以包含子字段，%s 类型不能", string(t)))
		}
		fc.checkChoices(fd)
		if t == TypeCalculate && strings.TrimSpace(fd.Calculation) == "" {
			fc.add(fd, "calculation", "calculate 字段缺少计算公式 (calculation)")
		}
		if t != TypeCalculate && fd.Calculation != "" {
			fc.add(fd, "calculation", "只有 calculate 字段可以有计算公式 (calculation)")
		}
		if fd.Constraint != "" && !t.holdsAnswer() && knownTypes[t] {
			fc.add(fd, "constraint", fmt.Sprintf("%s 类型的字段不能有约束条件 (constraint)", string(t)))
		}
		if fd.ConstraintMessage != "" && fd.Constraint == "" {
			fc.add(fd, "constraint_message", "有约束提示 (constraint_message) 但没有约束条件 (constraint)")
		}
		if fd.Required && (t == TypeGroup || t == TypeNote || t == TypeCalculate) {
			fc.add(fd, "required", fmt.Sprintf("%s 类型的字段不能设为必填", string(t)))
		}
		if fd.Default != "" {
			if !t.holdsAnswer() && knownTypes[t] {
				fc.add(fd, "default", fmt.Sprintf("%s 类型的字段不能有默认值", string(t)))
			} else if msg := checkValue(fd, fd.Default); msg != "" {
				fc.add(fd, "default", "默认值无效："+msg)
			}
		}
		ex := &fieldExprs{}
		ex.relevant = fc.compileExpr(fd, "relevant", "显示条件 (relevant)", fd.Relevant)
		ex.constraint = fc.compileExpr(fd, "constraint", "约束条件 (constraint)", fd.Constraint)
		ex.calculation = fc.compileExpr(fd, "calculation", "计算公式 (calculation)", fd.Calculation)
		fc.c.exprs[fd] = ex
		if len(fd.Fields) > 0 {
			fc.check(fd.Fields)
		}
	}
}

func (fc *formCompiler) checkChoices(fd *Field) {
	if !fd.Type.isSelect() {
		if len(fd.Choices) > 0 {
			fc.add(fd, "choices", "只有选择题 (select_one / select_multiple) 可以有选项 (choices)")
		}
		return
	}
	if len(fd.Choices) == 0 {
		fc.add(fd, "choices", "选择题没有选项 (choices)")
		return
	}
	seen := map[string]bool{}
	for j, ch := range fd.Choices {
		switch {
		case ch.Value == "":
			fc.add(fd, fmt.Sprintf("choices[%d].value", j), fmt.Sprintf("第 %d 个选项缺少值 (value)", j+1))
		case strings.ContainsFunc(ch.Value, isSpaceRune):
			fc.add(fd, fmt.Sprintf("choices[%d].value", j), fmt.Sprintf("选项值 %q 不能包含空白字符", ch.Value))
		case seen[ch.Value]:
			fc.add(fd, fmt.Sprintf("choices[%d].value", j), fmt.Sprintf("选项值 %q 重复", ch.Value))
		}
		seen[ch.Value] = true
		if strings.TrimSpace(ch.Label) == "" {
			fc.add(fd, fmt.Sprintf("choices[%d].label", j), fmt.Sprintf("选项 %q 缺少显示文字 (label)", ch.Value))
		}
	}
}

func isSpaceRune(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000'
}

// compileExpr parses and resolves one expression of fd; problems are
// recorded and nil returned when it is invalid or empty.
func (fc *formCompiler) compileExpr(fd *Field, property, what, src string) *exprNode {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	n, err := parseExpr(src)
	if err != nil {
		fc.add(fd, property, fmt.Sprintf("%s 语法错误：%s", what, err.Error()))
		return nil
	}
	chain := fc.c.chain[fd]
	ok := true
	walkRefs(n, func(r *exprNode) {
		for lvl := len(chain) - 1; lvl >= 0; lvl-- {
			if target := chain[lvl].names[r.str]; target != nil {
				r.level, r.field = lvl, target
				return
			}
		}
		ok = false
		if fc.allNames[r.str] {
			fc.add(fd, property, fmt.Sprintf("%s 引用的字段 ${%s} 在重复组内，不能从组外引用", what, r.str))
		} else {
			fc.add(fd, property, fmt.Sprintf("%s 引用了不存在的字段 ${%s}", what, r.str))
		}
	})
	if !ok {
		return nil
	}
	return n
}

// findCycles reports relevant/calculation expressions that depend on
// themselves, directly or through other fields.
func (fc *formCompiler) findCycles(fields []Field) {
	const (
		white = iota
		grey
		black
	)
	color := map[*Field]int{}
	var stack []*Field
	reported := map[*Field]bool{}
	var visit func(fd *Field)
	deps := func(fd *Field) []*Field {
		var out []*Field
		if p := fc.c.parent[fd]; p != nil {
			out = append(out, p)
		}
		if ex := fc.c.exprs[fd]; ex != nil {
			for _, n := range []*exprNode{ex.relevant, ex.calculation} {
				walkRefs(n, func(r *exprNode) {
					if r.field != nil {
						out = append(out, r.field)
					}
				})
			}
		}
		return out
	}
	visit = func(fd *Field) {
		color[fd] = grey
		stack = append(stack, fd)
		for _, d := range deps(fd) {
			switch color[d] {
			case white:
				visit(d)
			case grey:
				start := len(stack) - 1
				for start > 0 && stack[start] != d {
					start--
				}
				names := []string{}
				for _, s := range stack[start:] {
					names = append(names, s.Name)
				}
				if !reported[d] {
					reported[d] = true
					next := d
					if start+1 < len(stack) {
						next = stack[start+1]
					}
					fc.add(d, fc.cycleProperty(d, next), "显示条件或计算公式存在循环引用："+strings.Join(append(names, d.Name), " → "))
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[fd] = black
	}
	var all func(fs []Field)
	all = func(fs []Field) {
		for i := range fs {
			if color[&fs[i]] == white {
				visit(&fs[i])
			}
			all(fs[i].Fields)
		}
	}
	all(fields)
}

// cycleProperty says which expression of d leads to next in a cycle:
// "calculation" or "relevant", or "" when the step is d's enclosing group.
func (fc *formCompiler) cycleProperty(d, next *Field) string {
	ex := fc.c.exprs[d]
	if ex == nil {
		return ""
	}
	refers := func(n *exprNode) bool {
		found := false
		walkRefs(n, func(r *exprNode) { found = found || r.field == next })
		return found
	}
	switch {
	case refers(ex.calculation):
		return "calculation"
	case refers(ex.relevant):
		return "relevant"
	}
	return ""
}

// FormSet holds the loaded form definitions, every version of every form.
type FormSet struct {
	forms map[string][]*Form // by id, ascending version
}

// NewFormSet makes a set of the given forms, which must be valid
// definitions (from ParseForm or LoadForms). When two have the same id and
// version, the later one wins: a registry lists the built-in forms first
// and the published ones after them.
func NewFormSet(forms ...*Form) *FormSet {
	s := &FormSet{forms: map[string][]*Form{}}
	for _, f := range forms {
		vs := s.forms[f.ID]
		replaced := false
		for i, o := range vs {
			if o.Version == f.Version {
				vs[i], replaced = f, true
			}
		}
		if !replaced {
			vs = append(vs, f)
		}
		s.forms[f.ID] = vs
	}
	for _, vs := range s.forms {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Version < vs[j].Version })
	}
	return s
}

// Forms returns every version of every form, by id, then version.
func (s *FormSet) Forms() []*Form {
	var out []*Form
	for _, id := range s.IDs() {
		out = append(out, s.forms[id]...)
	}
	return out
}

// IDs returns the form ids, sorted.
func (s *FormSet) IDs() []string {
	ids := make([]string, 0, len(s.forms))
	for id := range s.forms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Versions returns every version of the form, oldest first.
func (s *FormSet) Versions(id string) []*Form {
	return append([]*Form(nil), s.forms[id]...)
}

// Get returns the form with the given id and version.
func (s *FormSet) Get(id string, version int) (*Form, bool) {
	for _, f := range s.forms[id] {
		if f.Version == version {
			return f, true
		}
	}
	return nil, false
}

// Latest returns the highest version of the form with the given id.
func (s *FormSet) Latest(id string) (*Form, bool) {
	vs := s.forms[id]
	if len(vs) == 0 {
		return nil, false
	}
	return vs[len(vs)-1], true
}

// All returns the latest version of every form, ordered by id.
func (s *FormSet) All() []*Form {
	ids := make([]string, 0, len(s.forms))
	for id := range s.forms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]*Form, 0, len(ids))
	for _, id := range ids {
		f, _ := s.Latest(id)
		out = append(out, f)
	}
	return out
}

// LoadForms parses every *.json file at the top of fsys. Each file must be
// named <id>.v<version>.json after the form it holds, and no id/version may
// appear twice. On failure the error is DefinitionErrors naming every file
// and problem.
func LoadForms(fsys fs.FS) (*FormSet, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("load forms: %w", err)
	}
	sort.Strings(names)
	set := &FormSet{forms: map[string][]*Form{}}
	var errs DefinitionErrors
	seen := map[string]string{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("load forms: %w", err)
		}
		f, problems := parseForm(data)
		if len(problems) == 0 {
			want := fmt.Sprintf("%s.v%d.json", f.ID, f.Version)
			if path.Base(name) != want {
				problems = append(problems, Problem{Message: fmt.Sprintf("文件名应为 %s（与表单编号和版本一致）", want)})
			} else if other, dup := seen[want]; dup {
				problems = append(problems, Problem{Message: fmt.Sprintf("表单 %s 第 %d 版与 %s 重复", f.ID, f.Version, other)})
			}
		}
		if len(problems) > 0 {
			errs = append(errs, &DefinitionError{File: name, Problems: problems})
			continue
		}
		seen[fmt.Sprintf("%s.v%d.json", f.ID, f.Version)] = name
		set.forms[f.ID] = append(set.forms[f.ID], f)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(names) == 0 {
		return nil, &DefinitionError{Problems: []Problem{{Message: "没有找到任何表单定义文件 (*.json)"}}}
	}
	for _, vs := range set.forms {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Version < vs[j].Version })
	}
	return set, nil
}

// Lookup returns the field with the given name at any depth (children of
// groups and repeats included), the first in form order; nil if none.
func (f *Form) Lookup(name string) *Field {
	return lookupIn(f.Fields, name)
}

func lookupIn(fields []Field, name string) *Field {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
		if got := lookupIn(fields[i].Fields, name); got != nil {
			return got
		}
	}
	return nil
}

// ChoiceLabel returns the label of a stored choice value, or the value
// itself when the field has no such choice (an answer from an older form
// version stays readable).
func (f *Field) ChoiceLabel(value string) string {
	for _, c := range f.Choices {
		if c.Value == value {
			return c.Label
		}
	}
	return value
}
