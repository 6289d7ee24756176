package survey

import (
	"fmt"
	"strings"
)

// This file lays a form out for the people who publish it: every section,
// question, option, condition and calculation as a Chinese reader sees it,
// and what changed since the version before. The district workbench shows
// it as the preview before a form is published.

// OutlineItem is one field of a form as a reader sees it.
type OutlineItem struct {
	Name     string
	Type     FieldType
	TypeText string // 单选题, 多选题, 文字, 整数, 分组, ...
	Label    string
	Hint     string
	Required bool
	// Default is the default answer as shown (a choice's label).
	Default string
	Choices []OutlineChoice
	// Relevant, Constraint and Calculation are the expressions in Chinese;
	// the *Expr fields hold them as written.
	Relevant, RelevantExpr       string
	Constraint, ConstraintExpr   string
	ConstraintMessage            string
	Calculation, CalculationExpr string
	// Retired is true when the field is never shown (relevant "false()"):
	// the way a question is taken out of use while its answers stay
	// readable.
	Retired bool
	// New is true when the previous version has no such field; Changed
	// lists what else differs from it ("改了标题", "新增选项", ...).
	New     bool
	Changed []string
	Fields  []OutlineItem
}

// OutlineChoice is one option of a select question.
type OutlineChoice struct {
	Value, Label string
	New          bool // not in the previous version
	Relabelled   bool // its label differs from the previous version's
}

// IsContainer reports whether the item is a section or a repeat.
func (o OutlineItem) IsContainer() bool { return o.Type.isContainer() }

// Outline lays out form f. When prev (the version f replaces) is not nil,
// every item says what is new or changed relative to it, and changes lists
// the differences one per line, in form order, in Chinese.
func Outline(f, prev *Form) (items []OutlineItem, changes []string) {
	d := newDescriber(f)
	var before map[string]*Field
	if prev != nil {
		before = map[string]*Field{}
		var index func(fs []Field, repeats string)
		index = func(fs []Field, repeats string) {
			for i := range fs {
				fd := &fs[i]
				before[repeats+fd.Name] = fd
				sub := repeats
				if fd.Type == TypeRepeat {
					sub = repeats + fd.Name + "/"
				}
				index(fd.Fields, sub)
			}
		}
		index(prev.Fields, "")
	}
	seen := map[string]bool{}
	var walk func(fs []Field, repeats string) []OutlineItem
	walk = func(fs []Field, repeats string) []OutlineItem {
		out := make([]OutlineItem, 0, len(fs))
		for i := range fs {
			fd := &fs[i]
			it := d.item(fd)
			key := repeats + fd.Name
			seen[key] = true
			if before != nil {
				old := before[key]
				annotate(&it, fd, old, d)
				name := "「" + itemName(fd) + "」"
				switch {
				case old == nil:
					changes = append(changes, fmt.Sprintf("新增%s%s", typeNoun(fd.Type), name))
				case it.Retired && strings.TrimSpace(old.Relevant) != "false()":
					changes = append(changes, fmt.Sprintf("停用%s%s（不再显示，已收集的答案保留）", typeNoun(fd.Type), name))
				case len(it.Changed) > 0:
					changes = append(changes, changeLines(fd, old, it.Changed)...)
				}
			}
			sub := repeats
			if fd.Type == TypeRepeat {
				sub = repeats + fd.Name + "/"
			}
			it.Fields = walk(fd.Fields, sub)
			out = append(out, it)
		}
		return out
	}
	items = walk(f.Fields, "")
	if prev != nil {
		if prev.Title != f.Title {
			changes = append([]string{fmt.Sprintf("表单标题改为《%s》（原为《%s》）", f.Title, prev.Title)}, changes...)
		}
		var gone func(fs []Field, repeats string)
		gone = func(fs []Field, repeats string) {
			for i := range fs {
				fd := &fs[i]
				if !seen[repeats+fd.Name] {
					changes = append(changes, fmt.Sprintf("删除%s「%s」", typeNoun(fd.Type), itemName(fd)))
				}
				sub := repeats
				if fd.Type == TypeRepeat {
					sub = repeats + fd.Name + "/"
				}
				gone(fd.Fields, sub)
			}
		}
		gone(prev.Fields, "")
	}
	return items, changes
}

func itemName(fd *Field) string {
	if l := strings.TrimSpace(fd.Label); l != "" {
		return l
	}
	return fd.Name
}

// changeLines says in Chinese how fd differs from old: a relabelled
// question with its old and new wording, added and reworded options by
// name, the other changed properties together.
func changeLines(fd, old *Field, changed []string) []string {
	noun := typeNoun(fd.Type)
	var out, rest []string
	for _, c := range changed {
		switch c {
		case "改了标题":
			out = append(out, fmt.Sprintf("%s「%s」改为「%s」", noun, itemName(old), itemName(fd)))
		case "新增选项":
			have := map[string]bool{}
			for _, ch := range old.Choices {
				have[ch.Value] = true
			}
			var added []string
			for _, ch := range fd.Choices {
				if !have[ch.Value] {
					added = append(added, "“"+ch.Label+"”")
				}
			}
			out = append(out, fmt.Sprintf("「%s」新增选项%s", itemName(fd), strings.Join(added, "、")))
		case "改了选项文字":
			for _, ch := range fd.Choices {
				if was := old.ChoiceLabel(ch.Value); was != ch.Value && was != ch.Label {
					out = append(out, fmt.Sprintf("「%s」的选项“%s”改为“%s”", itemName(fd), was, ch.Label))
				}
			}
		default:
			rest = append(rest, strings.TrimPrefix(c, "改了"))
		}
	}
	if len(rest) > 0 {
		out = append(out, fmt.Sprintf("修改%s「%s」的%s", noun, itemName(fd), strings.Join(rest, "、")))
	}
	return out
}

// annotate marks what of fd differs from old (nil: new field).
func annotate(it *OutlineItem, fd, old *Field, d *describer) {
	if old == nil {
		it.New = true // its options are new with it: not marked one by one
		return
	}
	add := func(what string, differs bool) {
		if differs {
			it.Changed = append(it.Changed, what)
		}
	}
	add("改了类型", old.Type != fd.Type)
	add("改了标题", old.Label != fd.Label)
	add("改了说明", old.Hint != fd.Hint)
	add("改了必答", old.Required != fd.Required && !it.Retired) // a retired question is not asked at all
	add("改了默认值", old.Default != fd.Default)
	add("改了显示条件", old.Relevant != fd.Relevant && !it.Retired)
	add("改了答案要求", old.Constraint != fd.Constraint || old.ConstraintMessage != fd.ConstraintMessage)
	add("改了计算公式", old.Calculation != fd.Calculation)
	oldLabels := map[string]string{}
	for _, c := range old.Choices {
		oldLabels[c.Value] = c.Label
	}
	added, relabelled := false, false
	for i := range it.Choices {
		l, ok := oldLabels[it.Choices[i].Value]
		switch {
		case !ok:
			it.Choices[i].New, added = true, true
		case l != it.Choices[i].Label:
			it.Choices[i].Relabelled, relabelled = true, true
		}
	}
	add("新增选项", added)
	add("改了选项文字", relabelled)
	if !added && len(old.Choices) == len(fd.Choices) {
		for i := range old.Choices {
			if old.Choices[i].Value != fd.Choices[i].Value {
				it.Changed = append(it.Changed, "改了选项顺序")
				break
			}
		}
	}
}

// typeNoun names what a field is in a sentence ("题目", "分组", ...).
func typeNoun(t FieldType) string {
	switch t {
	case TypeGroup:
		return "分组"
	case TypeRepeat:
		return "重复组"
	case TypeNote:
		return "说明"
	case TypeCalculate:
		return "计算项"
	}
	return "题目"
}

// TypeName names a field type in Chinese.
func TypeName(t FieldType) string {
	switch t {
	case TypeText:
		return "文字"
	case TypeTextarea:
		return "多行文字"
	case TypeInteger:
		return "整数"
	case TypeDecimal:
		return "数字（可带小数）"
	case TypeDate:
		return "日期"
	case TypeSelectOne:
		return "单选题"
	case TypeSelectMultiple:
		return "多选题"
	case TypeNote:
		return "说明文字"
	case TypeCalculate:
		return "自动计算"
	case TypeGroup:
		return "分组"
	case TypeRepeat:
		return "可重复填写的一组"
	case TypeEnterprise:
		return "走访企业"
	case TypeImage:
		return "照片"
	}
	return string(t)
}

// describer renders the expressions of one form in Chinese.
type describer struct {
	f *Form
	c *compiledForm
}

func newDescriber(f *Form) *describer {
	return &describer{f: f, c: compiledFor(f)}
}

func (d *describer) item(fd *Field) OutlineItem {
	it := OutlineItem{
		Name: fd.Name, Type: fd.Type, TypeText: TypeName(fd.Type), Label: fd.Label, Hint: fd.Hint,
		Required: fd.Required, ConstraintMessage: fd.ConstraintMessage,
		RelevantExpr: fd.Relevant, ConstraintExpr: fd.Constraint, CalculationExpr: fd.Calculation,
	}
	for _, c := range fd.Choices {
		it.Choices = append(it.Choices, OutlineChoice{Value: c.Value, Label: c.Label})
	}
	if fd.Default != "" {
		it.Default = fd.Default
		if fd.Type.isSelect() {
			var ls []string
			for _, v := range strings.Fields(fd.Default) {
				ls = append(ls, "“"+fd.ChoiceLabel(v)+"”")
			}
			it.Default = strings.Join(ls, "、")
		}
	}
	ex := d.c.exprs[fd]
	if ex == nil {
		ex = &fieldExprs{}
	}
	if strings.TrimSpace(fd.Relevant) == "false()" {
		it.Retired = true
		it.Relevant = "已停用：不再显示（保留此字段，已收集的答案仍可读取）"
	} else if fd.Relevant != "" {
		it.Relevant = "当" + d.text(ex.relevant, fd, fd.Relevant) + "时显示"
	}
	if fd.Constraint != "" {
		it.Constraint = "答案须满足：" + d.text(ex.constraint, fd, fd.Constraint)
	}
	if fd.Calculation != "" {
		it.Calculation = "自动计算为：" + d.text(ex.calculation, fd, fd.Calculation)
	}
	return it
}

// text describes one compiled expression of fd; src as written when it did
// not compile (Outline is meant for valid forms).
func (d *describer) text(n *exprNode, fd *Field, src string) string {
	if n == nil {
		return src
	}
	return d.expr(n, fd, 0)
}

// Precedence of the rendered text, to add parentheses where the reading
// would otherwise change: or < and < comparison < arithmetic < the rest.
const (
	precOr = iota + 1
	precAnd
	precCmp
	precArith
	precAtom
)

func prec(n *exprNode) int {
	switch n.op {
	case opOr:
		return precOr
	case opAnd:
		return precAnd
	case opEq, opNe, opLt, opLe, opGt, opGe:
		return precCmp
	case opAdd, opSub, opMul, opDiv, opMod:
		return precArith
	}
	return precAtom
}

func (d *describer) sub(n *exprNode, fd *Field, outer int) string {
	s := d.expr(n, fd, outer)
	if prec(n) < outer {
		return "（" + s + "）"
	}
	return s
}

// subject names what a reference or "." stands for; target is the field it
// reads (nil when not a field).
func (d *describer) subject(n *exprNode, fd *Field) (string, *Field) {
	switch n.op {
	case opRef:
		if n.field != nil {
			if n.field == fd {
				return "本题答案", fd
			}
			if n.field.Type == TypeRepeat {
				return "「" + itemName(n.field) + "」的条数", n.field
			}
			return "「" + itemName(n.field) + "」", n.field
		}
		return "${" + n.str + "}", nil
	case opDot:
		return "本题答案", fd
	}
	return "", nil
}

// choiceText is a literal compared with a select field, as its label.
func choiceText(target *Field, lit *exprNode) (string, bool) {
	if target == nil || !target.Type.isSelect() || lit.op != opStr {
		return "", false
	}
	for _, c := range target.Choices {
		if c.Value == lit.str {
			return "“" + c.Label + "”", true
		}
	}
	return "", false
}

var compareWords = map[exprOp]string{opEq: "等于", opNe: "不等于", opLt: "小于", opLe: "不大于", opGt: "大于", opGe: "不小于"}
var arithWords = map[exprOp]string{opAdd: " + ", opSub: " − ", opMul: " × ", opDiv: " ÷ ", opMod: " 除以后的余数 "}

func (d *describer) expr(n *exprNode, fd *Field, outer int) string {
	switch n.op {
	case opNum:
		return formatNumber(n.num)
	case opStr:
		if n.str == "" {
			return "空"
		}
		return "“" + n.str + "”"
	case opRef, opDot:
		s, _ := d.subject(n, fd)
		return s
	case opNeg:
		return "−" + d.sub(n.args[0], fd, precAtom)
	case opOr:
		return d.sub(n.args[0], fd, precOr) + "，或者" + d.sub(n.args[1], fd, precOr)
	case opAnd:
		return d.sub(n.args[0], fd, precAnd) + "，并且" + d.sub(n.args[1], fd, precAnd)
	case opEq, opNe, opLt, opLe, opGt, opGe:
		a, b := n.args[0], n.args[1]
		if _, t := d.subject(a, fd); t == nil {
			if _, t2 := d.subject(b, fd); t2 != nil && (n.op == opEq || n.op == opNe) {
				a, b = b, a // "'yes' = ${x}" reads as "${x} = 'yes'"
			}
		}
		subj, target := d.subject(a, fd)
		if target != nil && (n.op == opEq || n.op == opNe) && b.op == opStr {
			if b.str == "" {
				if n.op == opEq {
					return subj + "未填写"
				}
				return subj + "已填写"
			}
			if lbl, ok := choiceText(target, b); ok {
				if n.op == opEq {
					return subj + "选“" + strings.Trim(lbl, "“”") + "”"
				}
				return subj + "没有选“" + strings.Trim(lbl, "“”") + "”"
			}
		}
		return spaced(d.sub(a, fd, precArith), compareWords[n.op], d.sub(b, fd, precArith))
	case opAdd, opSub, opMul, opDiv, opMod:
		// Left to right: only the right operand needs parentheses.
		return d.sub(n.args[0], fd, precArith) + arithWords[n.op] + d.sub(n.args[1], fd, precAtom)
	case opCall:
		return d.call(n, fd)
	}
	return ""
}

// spaced joins "a word b", with a space between Chinese and a number as
// Chinese typesetting does ("不小于 1").
func spaced(a, word, b string) string {
	if a != "" && isDigitByte(a[len(a)-1]) {
		word = " " + word
	}
	if b != "" && (isDigitByte(b[0]) || strings.HasPrefix(b, "−")) {
		word += " "
	}
	return a + word + b
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func (d *describer) call(n *exprNode, fd *Field) string {
	arg := func(i int) string { return d.sub(n.args[i], fd, precAtom) }
	switch n.str {
	case "selected":
		subj, target := d.subject(n.args[0], fd)
		if subj == "" {
			subj = arg(0)
		}
		if lbl, ok := choiceText(target, n.args[1]); ok {
			return subj + "选了" + lbl
		}
		return subj + "选了" + arg(1)
	case "not":
		if c := n.args[0]; c.op == opCall && c.str == "selected" {
			subj, target := d.subject(c.args[0], fd)
			if subj == "" {
				subj = d.sub(c.args[0], fd, precAtom)
			}
			if lbl, ok := choiceText(target, c.args[1]); ok {
				return subj + "没有选" + lbl
			}
			return subj + "没有选" + d.sub(c.args[1], fd, precAtom)
		}
		return "并非（" + d.expr(n.args[0], fd, 0) + "）"
	case "count-selected":
		return arg(0) + "选中的项数"
	case "string-length":
		return arg(0) + "的字数"
	case "today":
		return "今天"
	case "if":
		return "（如果" + d.expr(n.args[0], fd, 0) + "，则为" + arg(1) + "，否则为" + arg(2) + "）"
	case "int":
		return arg(0) + "的整数部分"
	case "number", "string":
		return arg(0)
	case "concat":
		parts := make([]string, len(n.args))
		for i := range n.args {
			parts[i] = arg(i)
		}
		return strings.Join(parts, "接上")
	case "coalesce":
		return arg(0) + "（为空时取" + arg(1) + "）"
	case "true":
		return "总是"
	case "false":
		return "从不"
	}
	parts := make([]string, len(n.args))
	for i := range n.args {
		parts[i] = d.expr(n.args[i], fd, 0)
	}
	return n.str + "(" + strings.Join(parts, ", ") + ")"
}

// CountQuestions counts the fields of f that take an answer from a person
// (not notes, calculations, groups or repeats themselves).
func CountQuestions(f *Form) int {
	var count func(fs []Field) int
	count = func(fs []Field) int {
		n := 0
		for i := range fs {
			switch fs[i].Type {
			case TypeGroup, TypeRepeat:
				n += count(fs[i].Fields)
			case TypeNote, TypeCalculate:
			default:
				n++
			}
		}
		return n
	}
	return count(f.Fields)
}
