package xlsform

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"zoufang/survey"
)

// The columns Write puts on each sheet, in order, with their widths in
// Excel's character units. The survey sheet always has every column the
// engine supports, so that a template shows authors what they can fill in.
var (
	surveyHeader = []struct {
		name  string
		width float64
	}{
		{"type", 36}, {"name", 26}, {"label", 50}, {"hint", 50}, {"required", 9},
		{"relevant", 40}, {"constraint", 34}, {"constraint_message", 36},
		{"calculation", 40}, {"default", 10}, {"appearance", 12},
	}
	choicesHeader = []struct {
		name  string
		width float64
	}{{"list_name", 26}, {"name", 20}, {"label", 44}}
	settingsHeader = []struct {
		name  string
		width float64
	}{{"form_title", 50}, {"form_id", 28}, {"version", 10}, {"kind", 28}}
)

// wrapped are the survey columns whose text wraps in the cell.
var wrapped = map[string]bool{"label": true, "hint": true, "constraint_message": true, "relevant": true, "constraint": true, "calculation": true}

// Write returns f as an XLSForm workbook (.xlsx). Parse of the result gives
// f back for every valid definition. Write refuses what Parse would read
// differently: text longer than an Excel cell holds, control characters,
// ${…} in labels, hints, messages or option texts (XLSForm would fill in an
// answer there; survey shows it as written) and defaults that look like
// expressions. Identical choice lists of several selects are written once
// (see nameLists for their names). The same form gives the same bytes.
func Write(f *survey.Form) ([]byte, error) {
	if err := checkWritable(f); err != nil {
		return nil, err
	}
	w := &writer{lists: map[string][]survey.Choice{}}
	w.nameLists(f.Fields)
	w.fields(f.Fields)

	book := excelize.NewFile()
	defer book.Close()
	if err := book.SetSheetName("Sheet1", SheetSurvey); err != nil {
		return nil, fmt.Errorf("write xlsform: %w", err)
	}
	for _, s := range []string{SheetChoices, SheetSettings} {
		if _, err := book.NewSheet(s); err != nil {
			return nil, fmt.Errorf("write xlsform: %w", err)
		}
	}
	header, err := book.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "top"},
	})
	if err != nil {
		return nil, fmt.Errorf("write xlsform: %w", err)
	}
	wrap, err := book.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, fmt.Errorf("write xlsform: %w", err)
	}
	top, err := book.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		return nil, fmt.Errorf("write xlsform: %w", err)
	}

	var errs []error
	put := func(sheet string, col, row int, v string) {
		if v == "" {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(col, row)
		errs = append(errs, book.SetCellStr(sheet, cell, escapeOOXML(v)))
	}
	layout := func(sheet string, names []string, widths []float64) {
		for i, name := range names {
			col, _ := excelize.ColumnNumberToName(i + 1)
			style := top
			if sheet == SheetSurvey && wrapped[name] || sheet == SheetChoices && name == "label" || sheet == SheetSettings && name == "form_title" {
				style = wrap
			}
			errs = append(errs, book.SetColWidth(sheet, col, col, widths[i]), book.SetColStyle(sheet, col, style))
			put(sheet, i+1, 1, name)
		}
		last, _ := excelize.ColumnNumberToName(len(names))
		landscape := "landscape"
		errs = append(errs,
			book.SetCellStyle(sheet, "A1", last+"1", header),
			book.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}),
			// Printed, every page repeats the header row.
			book.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape}),
			book.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: sheet + "!$1:$1", Scope: sheet}))
	}

	names, widths := headerOf(surveyHeader)
	layout(SheetSurvey, names, widths)
	for i, r := range w.rows {
		for j, v := range r {
			put(SheetSurvey, j+1, i+2, v)
		}
	}
	names, widths = headerOf(choicesHeader)
	layout(SheetChoices, names, widths)
	row := 2
	for _, name := range w.listOrder {
		for _, c := range w.lists[name] {
			put(SheetChoices, 1, row, name)
			put(SheetChoices, 2, row, c.Value)
			put(SheetChoices, 3, row, c.Label)
			row++
		}
	}
	names, widths = headerOf(settingsHeader)
	layout(SheetSettings, names, widths)
	put(SheetSettings, 1, 2, f.Title)
	put(SheetSettings, 2, 2, f.ID)
	errs = append(errs, book.SetCellInt(SheetSettings, "C2", int64(f.Version)))
	put(SheetSettings, 4, 2, string(f.Kind))
	errs = append(errs, book.SetDocProps(&excelize.DocProperties{
		Creator:     "zoufang",
		Title:       f.Title,
		Description: "XLSForm: survey、choices、settings 三个工作表",
		Created:     "2006-09-16T00:00:00Z", // fixed: the same form gives the same bytes
		Modified:    "2006-09-16T00:00:00Z",
	}))
	book.SetActiveSheet(0)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("write xlsform: %w", err)
	}
	buf, err := book.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("write xlsform: %w", err)
	}
	return buf.Bytes(), nil
}

// ooxmlEscape matches what OOXML reads as an escaped character ("_x0041_"
// is "A"); excelize writes strings as they are and decodes them on reading.
var ooxmlEscape = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// escapeOOXML protects text that looks like an escape by escaping its
// underscore ("_x0041_" → "_x005F_x0041_"), so it reads back as written.
func escapeOOXML(s string) string {
	return ooxmlEscape.ReplaceAllStringFunc(s, func(m string) string { return "_x005F" + m })
}

func headerOf(h []struct {
	name  string
	width float64
}) ([]string, []float64) {
	names := make([]string, len(h))
	widths := make([]float64, len(h))
	for i, c := range h {
		names[i], widths[i] = c.name, c.width
	}
	return names, widths
}

// writer lays out the survey rows and choice lists of a form.
type writer struct {
	rows      [][]string
	lists     map[string][]survey.Choice
	listOrder []string
}

func (w *writer) fields(fields []survey.Field) {
	for i := range fields {
		fd := &fields[i]
		list := ""
		if isSelect(fd.Type) {
			list = w.list(fd)
		}
		typ, appearance := writeType(fd, list)
		required := ""
		if fd.Required {
			required = "yes"
		}
		w.rows = append(w.rows, []string{typ, fd.Name, fd.Label, fd.Hint, required, fd.Relevant,
			fd.Constraint, fd.ConstraintMessage, fd.Calculation, fd.Default, appearance})
		switch fd.Type {
		case survey.TypeGroup:
			w.fields(fd.Fields)
			w.rows = append(w.rows, []string{"end group"})
		case survey.TypeRepeat:
			w.fields(fd.Fields)
			w.rows = append(w.rows, []string{"end repeat"})
		}
	}
}

// list returns the name of the choice list of a select.
func (w *writer) list(fd *survey.Field) string {
	for _, name := range w.listOrder {
		if sameChoices(w.lists[name], fd.Choices) {
			return name
		}
	}
	return "" // not reached: nameLists saw every select
}

// nameLists names the distinct choice lists of the selects in fields, in
// form order. A list used by one select is named after it; a list shared by
// several is named after its values when they make a short name ("yes_no"),
// else after what the names of its selects have in common (sat_wages,
// sat_overall: "sat"), else after its first select.
func (w *writer) nameLists(fields []survey.Field) {
	type list struct {
		choices []survey.Choice
		users   []string
	}
	var lists []*list
	var walk func(fields []survey.Field)
	walk = func(fields []survey.Field) {
		for i := range fields {
			fd := &fields[i]
			if isSelect(fd.Type) {
				found := false
				for _, l := range lists {
					if sameChoices(l.choices, fd.Choices) {
						l.users = append(l.users, fd.Name)
						found = true
						break
					}
				}
				if !found {
					lists = append(lists, &list{choices: fd.Choices, users: []string{fd.Name}})
				}
			}
			walk(fd.Fields)
		}
	}
	walk(fields)
	for i, l := range lists {
		base := l.users[0]
		if len(l.users) > 1 {
			if byValues := valuesName(l.choices); byValues != "" {
				base = byValues
			} else if prefix := commonPrefix(l.users); prefix != "" {
				base = prefix
			}
		}
		if base == "" {
			base = fmt.Sprintf("list%d", i+1)
		}
		name := base
		for n := 2; w.lists[name] != nil; n++ {
			name = fmt.Sprintf("%s_%d", base, n)
		}
		w.lists[name] = l.choices
		if w.lists[name] == nil {
			w.lists[name] = []survey.Choice{}
		}
		w.listOrder = append(w.listOrder, name)
	}
}

func sameChoices(a, b []survey.Choice) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// commonPrefix returns the common start of names up to an underscore
// ("sat_wages", "sat_overall" → "sat"); "" when shorter than 3 letters.
func commonPrefix(names []string) string {
	prefix := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	if i := strings.LastIndexByte(prefix, '_'); i >= 0 {
		prefix = prefix[:i]
	} else if len(prefix) < len(names[0]) {
		prefix = ""
	}
	if len(prefix) < 3 {
		return ""
	}
	return prefix
}

// valuesName joins short choice values into a list name ("yes_no"); ""
// when that would not make a short name starting with a letter.
func valuesName(choices []survey.Choice) string {
	var parts []string
	for _, c := range choices {
		parts = append(parts, c.Value)
	}
	name := strings.Join(parts, "_")
	if len(choices) > 4 || len(name) > 24 || name == "" || name[0] < 'a' || name[0] > 'z' || strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) {
		return ""
	}
	return name
}

// checkWritable refuses a definition Parse would not read back as it is.
func checkWritable(f *survey.Form) error {
	var problems []string
	check := func(where, what, s string, template bool) {
		switch {
		case s == "":
		case len(utf16.Encode([]rune(s))) > maxCellText:
			problems = append(problems, fmt.Sprintf("%s 的%s超过 Excel 单元格的 %d 个字符", where, what, maxCellText))
		case strings.ContainsFunc(s, isControl):
			problems = append(problems, fmt.Sprintf("%s 的%s含有控制字符，Excel 中无法保存", where, what))
		case template && strings.Contains(s, "${"):
			problems = append(problems, fmt.Sprintf("%s 的%s含有 ${…}，XLSForm 会把它当作引用其他题的答案", where, what))
		}
	}
	check("表单", "标题", f.Title, false)
	check("表单", "编号", f.ID, false)
	check("表单", "类别", string(f.Kind), false)
	var walk func(fields []survey.Field, prefix string)
	walk = func(fields []survey.Field, prefix string) {
		for _, fd := range fields {
			p := prefix + fd.Name
			where := "字段 " + p
			check(where, "字段名", fd.Name, false)
			check(where, "标题", fd.Label, true)
			check(where, "提示", fd.Hint, true)
			check(where, "约束提示", fd.ConstraintMessage, true)
			check(where, "显示条件", fd.Relevant, false)
			check(where, "约束条件", fd.Constraint, false)
			check(where, "计算公式", fd.Calculation, false)
			check(where, "默认值", fd.Default, false)
			if dynamicDefault.MatchString(fd.Default) {
				problems = append(problems, fmt.Sprintf("%s 的默认值 %q 在 XLSForm 中会被当作表达式", where, fd.Default))
			}
			for _, c := range fd.Choices {
				check(where, "选项值", c.Value, false)
				check(where, "选项文字", c.Label, true)
			}
			walk(fd.Fields, p+".")
		}
	}
	walk(f.Fields, "")
	if len(problems) > 0 {
		return errors.New("无法写成 XLSForm：" + strings.Join(problems, "；"))
	}
	return nil
}
