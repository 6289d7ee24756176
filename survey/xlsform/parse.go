package xlsform

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"zoufang/survey"
)

// located is a problem or note with what it is sorted by.
type located struct {
	Problem
	sheet, col int
}

// choiceList is one list of the choices sheet.
type choiceList struct {
	name    string
	row     int // first row, for notes
	choices []survey.Choice
	rows    []int // row of each choice
	used    bool
}

// node is one survey row that became a field (or a group or repeat).
type node struct {
	field    survey.Field // without children
	row      int
	lists    *choiceList
	children []*node
	kind     rowKind // rowBeginGroup or rowBeginRepeat for containers
	// placeholder marks a row already refused (unsupported type, duplicate
	// name): it stays in the tree so that references to it resolve, and
	// the engine's findings about it are not reported a second time.
	placeholder bool
}

type importer struct {
	file                      string
	survey, choices, settings *table
	problems, notes           []located
	lang                      string // language imported; "" = columns without one
	langCols                  map[string]*column
	lists                     map[string]*choiceList
	listOrder                 []*choiceList
	nodes                     map[string]*node // by survey.Problem path
	reported                  map[string]bool  // cells with a problem already
	settingsRow               int
	noTypes                   bool // the survey sheet has no type column
	idFromFile                bool // the form id is the file's name
}

// Parse reads an XLSForm workbook. name is the file's name (used, as by
// pyxform, as the form id when the settings sheet has none, and in
// messages); data the file's bytes. Parse never panics and reads at most
// MaxFileSize bytes.
func Parse(data []byte, name string) *Result {
	im := &importer{file: name, lists: map[string]*choiceList{}, nodes: map[string]*node{}, reported: map[string]bool{}, langCols: map[string]*column{}}
	res := &Result{file: name, im: im}
	if ok := im.readWorkbook(data); ok {
		form := im.build()
		res.Form = im.validate(form)
	}
	res.Problems = sorted(im.problems)
	res.Notes = sorted(im.notes)
	if len(res.Problems) > 0 {
		res.Form = nil
	}
	return res
}

// sheetOrder sorts problems: the file, then survey, choices, settings.
func sheetOrder(kind string) int {
	switch kind {
	case "":
		return 0
	case SheetSurvey:
		return 1
	case SheetChoices:
		return 2
	case SheetSettings:
		return 3
	}
	return 4
}

func sorted(ls []located) []Problem {
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		if a.sheet != b.sheet {
			return a.sheet < b.sheet
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.col < b.col
	})
	var out []Problem
	seen := map[Problem]bool{}
	for _, l := range ls {
		if !seen[l.Problem] { // a shared choice list reports once
			seen[l.Problem] = true
			out = append(out, l.Problem)
		}
	}
	return out
}

// at builds a located problem in table t at row r and column c (or, when
// the column does not exist, the header name colName).
func at(t *table, kind string, r int, c *column, colName, msg string) located {
	l := located{Problem: Problem{Message: msg}, sheet: sheetOrder(kind), col: math.MaxInt}
	if t != nil {
		l.Sheet = t.name
	} else if kind != "" {
		l.Sheet = kind
	}
	l.Row = r
	if c != nil {
		l.Column, l.Cell, l.col = c.text, cellName(c, r), c.idx
		if l.Column == "" {
			l.Column = c.letter()
		}
	} else {
		l.Column = colName
	}
	return l
}

func (im *importer) problem(t *table, kind string, r int, c *column, colName, msg string) {
	l := at(t, kind, r, c, colName, msg)
	im.problems = append(im.problems, l)
	im.reported[fmt.Sprint(l.Sheet, "\x00", l.Row, "\x00", l.Column)] = true
}

func (im *importer) note(t *table, kind string, r int, c *column, colName, msg string) {
	im.notes = append(im.notes, at(t, kind, r, c, colName, msg))
}

// readWorkbook opens the file and reads the three sheets. It reports false
// when nothing more can be read. excelize is a large parser of outside
// input, so a panic inside it is turned into a problem.
func (im *importer) readWorkbook(data []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			im.problems = append(im.problems, located{Problem: Problem{Message: "无法读取 Excel 文件：文件已损坏"}})
			ok = false
		}
	}()
	f, err := openWorkbook(data)
	if err != nil {
		im.problems = append(im.problems, located{Problem: Problem{Message: err.Error()}})
		return false
	}
	defer f.Close()
	ok = true
	found := map[string]string{}
	for _, name := range f.GetSheetList() {
		kind := strings.ToLower(strings.TrimSpace(name))
		switch kind {
		case SheetSurvey, SheetChoices, SheetSettings:
			if other, dup := found[kind]; dup {
				im.problems = append(im.problems, located{Problem: Problem{Sheet: name,
					Message: fmt.Sprintf("工作簿中有两个 %s 工作表（“%s”和“%s”），只能有一个", kind, other, name)}, sheet: sheetOrder(kind)})
				continue
			}
			found[kind] = name
			t, ps, complete := readTable(f, name)
			for _, p := range ps {
				im.problems = append(im.problems, located{Problem: p, sheet: sheetOrder(kind), col: math.MaxInt})
			}
			ok = ok && complete
			switch kind {
			case SheetSurvey:
				im.survey = t
			case SheetChoices:
				im.choices = t
			default:
				im.settings = t
			}
		case "external_choices", "entities", "osm":
			im.problems = append(im.problems, located{Problem: Problem{Sheet: name,
				Message: fmt.Sprintf("本系统不支持 %s 工作表：选项请写在 choices 表，并删除此工作表", kind)}, sheet: 4})
		default:
			im.notes = append(im.notes, located{Problem: Problem{Sheet: name,
				Message: "此工作表不属于 XLSForm（只读取 survey、choices 和 settings 表），未读取"}, sheet: 4})
		}
	}
	switch {
	case !ok:
	case im.survey == nil:
		im.problems = append(im.problems, located{Problem: Problem{Message: "工作簿中没有 survey 工作表：XLSForm 的题目写在名为 survey 的工作表中"}})
		ok = false
	case im.survey.headerRow == 0:
		im.problems = append(im.problems, located{Problem: Problem{Sheet: im.survey.name, Message: "survey 表是空的"}, sheet: 1})
		ok = false
	}
	return ok
}

// build turns the sheets into a form definition, reporting what cannot be
// converted.
func (im *importer) build() *survey.Form {
	form := &survey.Form{}
	settings := im.readSettings(form)
	im.chooseLanguage(settings["default_language"])
	im.readChoices()
	form.Fields = im.readSurvey()
	for _, l := range im.listOrder {
		if !l.used {
			im.note(im.choices, SheetChoices, l.row, im.choices.col("list_name", ""), "list_name",
				fmt.Sprintf("选项列表 %s 没有被任何题目使用，未导入", l.name))
		}
	}
	for _, t := range []*table{im.survey, im.choices, im.settings} {
		im.checkUnread(t)
	}
	return form
}

// settingColumns explains the settings pyxform knows and the engine has no
// use for.
var settingColumns = map[string]string{
	"instance_name":           "本系统不使用记录名称 (instance_name)：记录按企业和日期列出",
	"public_key":              "本系统不通过 ODK 服务器提交数据 (public_key)：记录由本系统签名并加密后同步",
	"submission_url":          "本系统不通过 ODK 服务器提交数据 (submission_url)：记录由本系统同步到区总工会",
	"style":                   "本系统按统一样式显示表单，不支持 style 设置",
	"allow_choice_duplicates": "本系统不允许同一列表中有重复的选项值 (allow_choice_duplicates)",
}

// readSettings reads form_id, version, form_title and kind into form and
// returns every setting by name.
func (im *importer) readSettings(form *survey.Form) map[string]string {
	values := map[string]string{}
	t := im.settings
	var r row
	if t != nil && len(t.rows) > 0 {
		r = t.rows[0]
		im.settingsRow = r.num
		for _, extra := range t.rows[1:] {
			for _, c := range t.cols {
				if strings.TrimSpace(extra.get(c)) != "" {
					im.problem(t, SheetSettings, extra.num, c, "", fmt.Sprintf("settings 表只读取第 %d 行的设置，此行的内容无法导入", r.num))
					break
				}
			}
		}
		for _, c := range t.cols {
			if c.lang == "" && (c.base == "form_id" || c.base == "version" || c.base == "form_title" || c.base == "kind" || c.base == "default_language") {
				c.used = true
				values[c.base] = r.get(c)
			}
		}
	}
	cell := func(base string) *column { return t.col(base, "") }
	rowNum := im.settingsRow
	missing := func(setting string) string {
		if t == nil {
			return "没有 settings 工作表，"
		}
		return "settings 表没有填写 " + setting + "，"
	}

	form.ID = strings.TrimSpace(values["form_id"])
	if form.ID == "" {
		base := path.Base(strings.ReplaceAll(im.file, `\`, "/"))
		form.ID = strings.TrimSuffix(base, path.Ext(base))
		im.idFromFile = true
		if im.file != "" {
			im.note(t, SheetSettings, rowNum, cell("form_id"), "form_id", missing("form_id")+fmt.Sprintf("按文件名使用 %q 作为表单编号", form.ID))
		}
	}
	switch v := strings.TrimSpace(values["version"]); v {
	case "":
		form.Version = 1
		im.note(t, SheetSettings, rowNum, cell("version"), "version", missing("version")+"按第 1 版导入")
	default:
		n, ok := parseVersion(v)
		if !ok {
			im.problem(t, SheetSettings, rowNum, cell("version"), "version",
				fmt.Sprintf("版本号 (version) %q 无效：应为 1 到 %d 之间的整数，例如 2 或 2026031501", v, math.MaxInt32))
			n = 1
		}
		form.Version = n
	}
	form.Title = values["form_title"]
	if strings.TrimSpace(form.Title) == "" {
		form.Title = form.ID
		im.note(t, SheetSettings, rowNum, cell("form_title"), "form_title", missing("form_title")+fmt.Sprintf("以表单编号 %s 作为标题", form.ID))
	}
	form.Kind = survey.FormKind(strings.TrimSpace(values["kind"]))
	if t != nil {
		for _, c := range t.cols {
			if c.used || c.text == "" || strings.TrimSpace(r.get(c)) == "" {
				continue
			}
			c.used = true
			why, ok := settingColumns[c.base]
			if !ok {
				why = fmt.Sprintf("本系统不支持设置 %q，请删除此列", c.text)
			}
			im.problem(t, SheetSettings, rowNum, c, "", why)
		}
	}
	return values
}

// parseVersion reads a positive version number that fits the definition's
// 32-bit field; an integral decimal ("3.0", as some programs store numbers)
// is accepted.
func parseVersion(s string) (int, bool) {
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return int(n), n >= 1
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && f >= 1 && f <= math.MaxInt32 {
		return int(f), true
	}
	return 0, false
}

// languageColumns are the columns XLSForm translates.
var languageColumns = map[string]map[string]bool{
	SheetSurvey:  {"label": true, "hint": true, "constraint_message": true},
	SheetChoices: {"label": true},
}

var chineseLanguage = regexp.MustCompile(`(?i)chinese|中文|汉语|漢語|简体|\bzh\b|^zh[-_]`)

// chooseLanguage picks the one language imported. Labels without a language
// ("label") win; otherwise default_language, the only language, or the only
// Chinese one.
func (im *importer) chooseLanguage(defaultLanguage string) {
	defaultLanguage = strings.TrimSpace(defaultLanguage)
	var langs []string
	plain := false
	for _, c := range im.survey.cols {
		if c.base == "label" {
			if c.lang == "" {
				plain = true
			} else {
				langs = append(langs, c.lang)
			}
		}
	}
	switch {
	case plain || len(langs) == 0:
		im.lang = ""
	case defaultLanguage != "":
		im.lang = defaultLanguage
		found := false
		for _, l := range langs {
			found = found || l == defaultLanguage
		}
		if !found {
			im.lang = langs[0] // refused below; read something meanwhile
			im.problem(im.settings, SheetSettings, im.settingsRow, im.settings.col("default_language", ""), "default_language",
				fmt.Sprintf("默认语言 (default_language) 为 %q，但 survey 表没有 label::%s 列（有：%s）", defaultLanguage, defaultLanguage, strings.Join(langs, "、")))
		}
	case len(langs) == 1:
		im.lang = langs[0]
	default:
		var zh []string
		for _, l := range langs {
			if chineseLanguage.MatchString(l) {
				zh = append(zh, l)
			}
		}
		if len(zh) == 1 {
			im.lang = zh[0]
		} else {
			im.lang = langs[0]
			im.problem(im.survey, SheetSurvey, im.survey.headerRow, nil, "",
				fmt.Sprintf("表中有多种语言的标题（%s），本系统的表单只使用一种：请在 settings 表的 default_language 列填写要导入的语言", strings.Join(langs, "、")))
		}
	}
	for _, kind := range []string{SheetSurvey, SheetChoices} {
		t := im.survey
		if kind == SheetChoices {
			t = im.choices
		}
		if t == nil {
			continue
		}
		for base := range languageColumns[kind] {
			chosen := t.col(base, im.lang)
			if chosen == nil {
				chosen = t.col(base, "")
			}
			if chosen != nil {
				chosen.used = true
				im.langCols[kind+"/"+base] = chosen
			}
		}
		for _, c := range t.cols {
			if c.used || !languageColumns[kind][c.base] {
				continue
			}
			c.used = true
			if r, _, has := t.firstContent(c); has {
				what := "没有语言后缀的列"
				if im.lang != "" {
					what = im.lang
				}
				im.note(t, kind, r.num, c, "", fmt.Sprintf("%s 列未导入：本系统的表单只使用一种语言，导入的是%s", c.text, what))
			}
		}
	}
}

// langCol returns the column of a translated property in the language
// imported.
func (im *importer) langCol(kind, base string) *column { return im.langCols[kind+"/"+base] }

// readChoices reads the choices sheet into lists.
func (im *importer) readChoices() {
	t := im.choices
	if t == nil || t.headerRow == 0 {
		return
	}
	listCol, nameCol := t.col("list_name", ""), t.col("name", "")
	labelCol := im.langCol(SheetChoices, "label")
	for _, c := range []*column{listCol, nameCol} {
		if c != nil {
			c.used = true
		}
	}
	if listCol == nil || nameCol == nil {
		missing := "list_name"
		if listCol != nil {
			missing = "name"
		}
		im.problem(t, SheetChoices, t.headerRow, nil, missing, fmt.Sprintf("choices 表缺少 %s 列（选项表的列应为 list_name、name、label）", missing))
		return
	}
	for _, r := range t.rows {
		list, value := strings.TrimSpace(r.get(listCol)), strings.TrimSpace(r.get(nameCol))
		if list == "" {
			if !rowEmpty(t, r) {
				im.problem(t, SheetChoices, r.num, listCol, "list_name", "缺少选项列表名 (list_name)")
			}
			continue
		}
		l := im.lists[list]
		if l == nil {
			l = &choiceList{name: list, row: r.num}
			im.lists[list] = l
			im.listOrder = append(im.listOrder, l)
		}
		l.choices = append(l.choices, survey.Choice{Value: value, Label: r.get(labelCol)})
		l.rows = append(l.rows, r.num)
		if strings.Contains(r.get(labelCol), "${") {
			im.problem(t, SheetChoices, r.num, labelCol, "label", "选项文字中的 ${…} 不被支持：本系统不会把答案填进选项文字")
		}
	}
}

// rowEmpty reports whether every cell of r under a named column is empty.
func rowEmpty(t *table, r row) bool {
	for i, s := range r.cells {
		if strings.TrimSpace(s) != "" && (i >= len(t.cols) || t.cols[i].text != "") {
			return false
		}
	}
	return true
}

// surveyColumns are the survey columns the engine supports, other than the
// translated ones.
var surveyColumns = []string{"type", "name", "required", "relevant", "constraint", "calculation", "default", "appearance"}

var dynamicDefault = regexp.MustCompile(`\$\{|^\s*[A-Za-z][A-Za-z0-9-]*\s*\(`)

// readSurvey reads the survey sheet into a field tree.
func (im *importer) readSurvey() []survey.Field {
	t := im.survey
	cols := map[string]*column{}
	for _, base := range surveyColumns {
		if c := t.col(base, ""); c != nil {
			c.used = true
			cols[base] = c
		}
	}
	for _, base := range []string{"label", "hint", "constraint_message"} {
		cols[base] = im.langCol(SheetSurvey, base)
	}
	if cols["type"] == nil {
		im.problem(t, SheetSurvey, t.headerRow, nil, "type", "survey 表缺少 type 列（题型）")
		im.noTypes = true
		return nil
	}
	if cols["name"] == nil {
		im.problem(t, SheetSurvey, t.headerRow, nil, "name", "survey 表缺少 name 列（字段名）")
	}
	get := func(r row, base string) string { return r.get(cols[base]) }
	bad := func(r row, base, msg string) { im.problem(t, SheetSurvey, r.num, cols[base], base, msg) }

	root := &node{kind: rowBeginGroup}
	stack := []*node{root}
	// scopes mirror the engine's naming scopes: a group shares its
	// parent's, a repeat opens a new one.
	scopes := []map[string]int{{}}
	for _, r := range t.rows {
		if rowEmpty(t, r) {
			continue
		}
		typeCell := strings.TrimSpace(get(r, "type"))
		if typeCell == "" {
			bad(r, "type", "缺少题型 (type)")
			continue
		}
		rt, why := parseType(typeCell)
		if why != "" {
			bad(r, "type", why)
		}
		top := stack[len(stack)-1]
		name := strings.TrimSpace(get(r, "name"))
		if why == "" && (rt.kind == rowEndGroup || rt.kind == rowEndRepeat) {
			want, what := rowBeginGroup, "group"
			if rt.kind == rowEndRepeat {
				want, what = rowBeginRepeat, "repeat"
			}
			switch {
			case top == root:
				bad(r, "type", fmt.Sprintf("end %s 前面没有对应的 begin %s", what, what))
				continue
			case top.kind != want:
				open := "group"
				if top.kind == rowBeginRepeat {
					open = "repeat"
				}
				bad(r, "type", fmt.Sprintf("此处应为 end %s：第 %d 行的 begin %s 还没有结束", open, top.row, open))
				continue
			}
			for _, base := range append([]string{"label", "hint", "constraint_message"}, surveyColumns[2:]...) {
				if strings.TrimSpace(get(r, base)) != "" {
					bad(r, base, fmt.Sprintf("end %s 行只需填写 type 列，此单元格的内容不会被读取", what))
				}
			}
			if name != "" && name != top.field.Name {
				bad(r, "name", fmt.Sprintf("end %s 的名称 %q 与第 %d 行 begin %s 的名称 %q 不一致", what, name, top.row, what, top.field.Name))
			}
			stack = stack[:len(stack)-1]
			if rt.kind == rowEndRepeat {
				scopes = scopes[:len(scopes)-1]
			}
			continue
		}
		n := &node{row: r.num, kind: rt.kind, placeholder: why != ""}
		fd := &n.field
		fd.Name = name
		fd.Type = rt.typ
		if n.placeholder {
			fd.Type = survey.TypeText
			n.kind = rowField
		}
		fd.Label = get(r, "label")
		fd.Hint = get(r, "hint")
		fd.Relevant = get(r, "relevant")
		fd.Constraint = get(r, "constraint")
		fd.ConstraintMessage = get(r, "constraint_message")
		fd.Calculation = get(r, "calculation")
		fd.Default = get(r, "default")
		for _, base := range []string{"label", "hint", "constraint_message"} {
			if strings.Contains(get(r, base), "${") {
				bad(r, base, "文字中的 ${…} 不被支持：本系统不会把其他题的答案填进题目文字，请改写为固定的文字")
			}
		}
		if req := strings.TrimSpace(get(r, "required")); req != "" {
			switch strings.ToLower(req) {
			case "yes", "true", "true()", "1":
				fd.Required = true
			case "no", "false", "false()", "0":
			default:
				bad(r, "required", fmt.Sprintf("必填 (required) 只能填 yes 或留空，%q 不被支持（本系统不支持按条件必填；需要时请用显示条件 relevant 配合必填）", req))
			}
		}
		if dynamicDefault.MatchString(fd.Default) {
			bad(r, "default", fmt.Sprintf("默认值 (default) 只能是固定的值，不支持表达式 %q", strings.TrimSpace(fd.Default)))
			fd.Default = ""
		}
		switch app := strings.ToLower(strings.TrimSpace(get(r, "appearance"))); {
		case app == "":
		case app == "multiline" && fd.Type == survey.TypeText && !n.placeholder:
			fd.Type = survey.TypeTextarea
		case app == "multiline":
			bad(r, "appearance", "显示方式 multiline（多行文字）只适用于 text 题型")
		default:
			bad(r, "appearance", fmt.Sprintf("不支持显示方式 (appearance) %q：本系统按统一样式显示题目，请清空此单元格（多行文字请用 multiline）", get(r, "appearance")))
		}
		if isSelect(fd.Type) && !n.placeholder {
			if rt.otherChoice {
				bad(r, "type", "不支持 or_other（自动加“其他”选项）：请在选项列表中加入“其他”(other)，再加一道 text 题，显示条件为 selected(${"+nameOr(name)+"}, 'other')")
			}
			l := im.lists[rt.list]
			switch {
			case l != nil:
				l.used = true
				n.lists = l
				fd.Choices = append([]survey.Choice(nil), l.choices...)
			case im.choices == nil:
				bad(r, "type", fmt.Sprintf("选项列表 %q 不存在：工作簿中没有 choices 工作表", rt.list))
				n.placeholder = true
			default:
				bad(r, "type", fmt.Sprintf("选项列表 %q 不存在：choices 表中没有 list_name 为 %q 的行", rt.list, rt.list))
				n.placeholder = true
			}
		}
		if name != "" {
			sc := scopes[len(scopes)-1]
			if first, dup := sc[name]; dup {
				bad(r, "name", fmt.Sprintf("字段名 %q 与第 %d 行重复：同一层级（重复组之外的所有分组算同一层级）的字段名不能相同", name, first))
				n.placeholder = true
				fd.Name = fmt.Sprintf("%s__row%d", name, r.num)
			} else {
				sc[name] = r.num
			}
		}
		top.children = append(top.children, n)
		switch n.kind {
		case rowBeginGroup:
			stack = append(stack, n)
		case rowBeginRepeat:
			stack = append(stack, n)
			scopes = append(scopes, map[string]int{})
		}
	}
	for i := len(stack) - 1; i > 0; i-- {
		what := "group"
		if stack[i].kind == rowBeginRepeat {
			what = "repeat"
		}
		im.problem(t, SheetSurvey, stack[i].row, cols["type"], "type", fmt.Sprintf("begin %s 没有对应的 end %s", what, what))
	}
	return im.convert(root.children, "")
}

func isSelect(t survey.FieldType) bool {
	return t == survey.TypeSelectOne || t == survey.TypeSelectMultiple
}

func nameOr(name string) string {
	if name == "" {
		return "字段名"
	}
	return name
}

// convert turns nodes into fields and records each under the path the
// engine uses in its problems (see survey's joinPath).
func (im *importer) convert(nodes []*node, prefix string) []survey.Field {
	if len(nodes) == 0 {
		return nil
	}
	out := make([]survey.Field, len(nodes))
	for i, n := range nodes {
		seg := n.field.Name
		if seg == "" {
			seg = fmt.Sprintf("fields[%d]", i)
		}
		p := seg
		if prefix != "" {
			p = prefix + "." + seg
		}
		im.nodes[p] = n
		out[i] = n.field
		out[i].Fields = im.convert(n.children, p)
	}
	return out
}

// columnExplanations explain the XLSForm columns the engine does not
// support.
var columnExplanations = map[string]string{
	"choice_filter":    "本系统不支持按条件筛选选项 (choice_filter)：请为需要不同选项的题目各建一个选项列表",
	"repeat_count":     "本系统不支持固定次数的重复组 (repeat_count)：重复组的条目由调查员按需添加",
	"read_only":        "本系统不支持只读题 (read_only)：只需展示的文字请用 note 题型",
	"required_message": "本系统不支持自定义必填提示 (required_message)：必填项统一提示“此项为必填项”",
	"guidance_hint":    "本系统不支持补充提示 (guidance_hint)：请写在 hint 列",
	"media":            "本系统不支持题目或选项中的图片、声音和视频 (media)",
	"image":            "本系统不支持题目或选项中的图片 (image 列)；需要拍照上传请用 image 题型",
	"audio":            "本系统不支持题目或选项中的声音 (audio 列)",
	"video":            "本系统不支持题目或选项中的视频 (video 列)",
	"big-image":        "本系统不支持题目中的大图 (big-image)",
	"parameters":       "本系统不支持题型参数 (parameters)",
	"trigger":          "本系统不支持 trigger 列",
	"disabled":         "本系统不支持停用题目 (disabled)：不需要的题请删除；已发布过的题请保留，把显示条件 (relevant) 设为 false()",
	"body":             "本系统不支持 body:: 列（ODK 的显示属性）",
	"bind":             "本系统不支持 bind:: 列（ODK 的数据属性）",
	"instance":         "本系统不支持 instance:: 列",
	"note":             "本系统不支持 note 列：说明文字请用 note 题型",
}

// checkUnread refuses every column of t with content that nothing read:
// its content would otherwise be lost.
func (im *importer) checkUnread(t *table) {
	if t == nil {
		return
	}
	kind := SheetSurvey
	switch t {
	case im.choices:
		kind = SheetChoices
	case im.settings:
		kind = SheetSettings
	}
	for _, c := range t.cols {
		if c.used {
			continue
		}
		r, n, has := t.firstContent(c)
		if !has {
			continue
		}
		var why string
		switch {
		case c.text == "":
			why = "此列没有列名，其中的内容无法读取：请填写列名或删除此列"
		case kind == SheetChoices && columnExplanations[c.base] == "":
			why = fmt.Sprintf("选项表的 %s 列不被支持：本系统的选项只有 list_name、name 和 label（不支持按条件筛选选项 choice_filter）", c.text)
		case columnExplanations[c.base] != "":
			why = columnExplanations[c.base]
		case c.lang != "":
			why = fmt.Sprintf("不支持的列 %q：%s 列没有多语言版本", c.text, c.base)
		default:
			why = fmt.Sprintf("不支持的列 %q：本系统的表单没有对应的属性，请删除此列或清空其内容", c.text)
		}
		if n > 1 {
			why += fmt.Sprintf("（此列共有 %d 个单元格有内容）", n)
		}
		im.problem(t, kind, r.num, c, "", why)
	}
}

// formProperties map the form's properties to settings columns.
var formProperties = map[string]string{"id": "form_id", "version": "version", "title": "form_title", "kind": "kind"}

// validate checks the built definition with survey.ParseForm, the check the
// app runs on every definition, and maps its problems to cells. It returns
// the parsed definition when there is no problem at all.
func (im *importer) validate(form *survey.Form) *survey.Form {
	data, err := json.Marshal(form)
	if err != nil {
		im.problems = append(im.problems, located{Problem: Problem{Message: "无法转换表单：" + err.Error()}})
		return nil
	}
	parsed, err := survey.ParseForm(data)
	if err == nil {
		if len(im.problems) > 0 {
			return nil
		}
		return parsed
	}
	var de *survey.DefinitionError
	if !errors.As(err, &de) {
		im.problems = append(im.problems, located{Problem: Problem{Message: "无法检查表单：" + err.Error()}})
		return nil
	}
	for _, p := range de.Problems {
		l := im.locate(p, len(form.Fields) == 0)
		if l == nil {
			continue
		}
		key := fmt.Sprint(l.Sheet, "\x00", l.Row, "\x00", l.Column)
		if im.reported[key] {
			continue // this cell was refused already, with a better reason
		}
		im.problems = append(im.problems, *l)
	}
	return nil
}

// locate finds the cell an engine problem comes from; nil when the problem
// concerns a row already refused.
func (im *importer) locate(p survey.Problem, noFields bool) *located {
	if col, ok := formProperties[p.Property]; ok {
		msg := p.Message
		if p.Property == "id" && im.idFromFile {
			msg += "（没有填写 form_id 时按文件名取编号；请在 settings 表的 form_id 列填写）"
		}
		l := at(im.settings, SheetSettings, im.settingsRow, im.settings.col(col, ""), col, msg)
		return &l
	}
	n := im.nodes[p.Path]
	if n == nil || p.Property == "fields" && noFields {
		if p.Property == "fields" {
			if im.noTypes {
				return nil // no questions because no types: reported
			}
			l := at(im.survey, SheetSurvey, 0, nil, "", "survey 表中没有任何题目")
			return &l
		}
		l := located{Problem: Problem{Message: p.Error()}}
		return &l
	}
	if n.placeholder {
		return nil
	}
	if strings.HasPrefix(p.Property, "choices[") && n.lists != nil {
		var j int
		var which string
		if _, err := fmt.Sscanf(p.Property, "choices[%d].%s", &j, &which); err == nil && j >= 0 && j < len(n.lists.rows) {
			base := "name"
			var c *column
			if which == "label" {
				base = "label"
				c = im.langCol(SheetChoices, "label")
			} else {
				c = im.choices.col("name", "")
			}
			l := at(im.choices, SheetChoices, n.lists.rows[j], c, base, p.Message)
			return &l
		}
	}
	base := p.Property
	switch base {
	case "type", "fields", "choices":
		base = "type"
	case "name", "required", "relevant", "constraint", "calculation", "default":
	case "label", "hint", "constraint_message":
		l := at(im.survey, SheetSurvey, n.row, im.langCol(SheetSurvey, base), base, p.Message)
		return &l
	default:
		base = "name"
	}
	l := at(im.survey, SheetSurvey, n.row, im.survey.col(base, ""), base, p.Message)
	return &l
}
