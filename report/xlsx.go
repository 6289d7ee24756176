package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"zoufang/survey"
)

// Cell kinds that need a number format; everything else is written as is.
type (
	dateCell     time.Time // a calendar day, shown yyyy-mm-dd
	dateTimeCell time.Time // shown yyyy-mm-dd hh:mm
	percentCell  float64   // a share 0..1, shown 0.0%
)

// book wraps an excelize file with the styles every export uses.
type book struct {
	f                                       *excelize.File
	head, date, dateTime, percent, wrapText int
	err                                     error
}

func newBook() *book {
	b := &book{f: excelize.NewFile()}
	b.f.SetDefaultFont("等线")
	str := func(s string) *string { return &s }
	b.head = b.style(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F2"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}},
	})
	b.date = b.style(&excelize.Style{CustomNumFmt: str("yyyy-mm-dd"), Alignment: &excelize.Alignment{Vertical: "top"}})
	b.dateTime = b.style(&excelize.Style{CustomNumFmt: str("yyyy-mm-dd hh:mm"), Alignment: &excelize.Alignment{Vertical: "top"}})
	b.percent = b.style(&excelize.Style{CustomNumFmt: str("0.0%"), Alignment: &excelize.Alignment{Vertical: "top"}})
	b.wrapText = b.style(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	return b
}

func (b *book) style(s *excelize.Style) int {
	id, err := b.f.NewStyle(s)
	if err != nil && b.err == nil {
		b.err = err
	}
	return id
}

func (b *book) check(err error) {
	if err != nil && b.err == nil {
		b.err = err
	}
}

// sheet adds (or, for the first, renames the default) sheet and writes the
// header row with widths, a frozen header and an autofilter over rows.
func (b *book) sheet(first bool, name string, heads []string, widths []float64, rows [][]any) {
	if first {
		b.check(b.f.SetSheetName("Sheet1", name))
	} else {
		_, err := b.f.NewSheet(name)
		b.check(err)
	}
	for i, h := range heads {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		b.check(b.f.SetCellStr(name, cell, h))
		col, _ := excelize.ColumnNumberToName(i + 1)
		w := 14.0
		if i < len(widths) && widths[i] > 0 {
			w = widths[i]
		}
		b.check(b.f.SetColWidth(name, col, col, w))
	}
	if len(heads) == 0 {
		return
	}
	last, _ := excelize.CoordinatesToCellName(len(heads), 1)
	b.check(b.f.SetCellStyle(name, "A1", last, b.head))
	b.check(b.f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
	for r, row := range rows {
		for c, v := range row {
			b.cell(name, c+1, r+2, v, widths, c)
		}
	}
	end, _ := excelize.CoordinatesToCellName(len(heads), len(rows)+1)
	b.check(b.f.AutoFilter(name, "A1:"+end, nil))
}

func (b *book) cell(sheet string, col, row int, v any, widths []float64, c int) {
	ref, _ := excelize.CoordinatesToCellName(col, row)
	switch x := v.(type) {
	case nil:
	case dateCell:
		b.check(b.f.SetCellValue(sheet, ref, time.Time(x)))
		b.check(b.f.SetCellStyle(sheet, ref, ref, b.date))
	case dateTimeCell:
		b.check(b.f.SetCellValue(sheet, ref, time.Time(x)))
		b.check(b.f.SetCellStyle(sheet, ref, ref, b.dateTime))
	case percentCell:
		b.check(b.f.SetCellFloat(sheet, ref, float64(x), -1, 64))
		b.check(b.f.SetCellStyle(sheet, ref, ref, b.percent))
	case string:
		b.check(b.f.SetCellStr(sheet, ref, x))
		if c < len(widths) && widths[c] >= 30 {
			b.check(b.f.SetCellStyle(sheet, ref, ref, b.wrapText))
		}
	default:
		b.check(b.f.SetCellValue(sheet, ref, x))
	}
}

func (b *book) write(w io.Writer) error {
	if b.err != nil {
		return b.err
	}
	b.f.SetActiveSheet(0)
	_, err := b.f.WriteTo(w)
	return err
}

// day parses "YYYY-MM-DD" into a date cell, or nil when empty or invalid.
func day(s string) any {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		if s == "" {
			return nil
		}
		return s
	}
	return dateCell(t)
}

// choiceLabeler gives labels of the visit form's demand fields; values stay
// as they are when no form is known.
func demandField(forms *survey.FormSet, name string) *survey.Field {
	if forms == nil {
		return nil
	}
	f, ok := forms.Latest(string(survey.FormVisit))
	if !ok {
		return nil
	}
	return f.Lookup(name)
}

func label(fd *survey.Field, v string) string {
	if fd == nil || v == "" {
		return v
	}
	return fd.ChoiceLabel(v)
}

// LedgerHeaders are the column titles of the ledger export.
var LedgerHeaders = []string{"序号", "企业名称", "所属区市", "镇街", "诉求类别", "问题描述", "涉及职工人数", "紧急程度", "状态", "责任人", "办结期限", "逾期天数", "最新跟进时间", "最新跟进人", "最新跟进情况", "登记时间", "台帐编号"}

// WriteLedgerXLSX writes the 工作台帐 workbook: one row per item with the
// enterprise name, category and status labels, the deadline as a date, the
// days overdue on today and the latest follow-up.
func WriteLedgerXLSX(w io.Writer, items []survey.LedgerItem, ents map[string]survey.Enterprise, forms *survey.FormSet, today time.Time) error {
	cat, urg := demandField(forms, "demand_category"), demandField(forms, "demand_urgency")
	rows := make([][]any, 0, len(items))
	for i, it := range items {
		e := ents[it.EnterpriseID]
		var overdue any
		if it.Overdue(today) {
			d, _ := time.ParseInLocation("2006-01-02", it.Deadline, today.Location())
			y, m, dd := today.Date()
			overdue = int(time.Date(y, m, dd, 0, 0, 0, 0, today.Location()).Sub(d).Hours()/24 + 0.5)
		}
		var fuAt, fuBy, fuNote any
		if n := len(it.Log); n > 0 {
			fu := it.Log[n-1]
			fuAt, fuBy, fuNote = dateTimeCell(fu.At.In(today.Location())), fu.By, fu.Note
		}
		var created any
		if !it.CreatedAt.IsZero() {
			created = dateTimeCell(it.CreatedAt.In(today.Location()))
		}
		rows = append(rows, []any{
			i + 1, e.Name, e.District, e.Street, label(cat, it.Category), it.Description, it.WorkersAffected,
			label(urg, it.Urgency), it.Status.Label(), it.Owner, day(it.Deadline), overdue, fuAt, fuBy, fuNote, created, it.ID,
		})
	}
	b := newBook()
	b.sheet(true, "工作台帐", LedgerHeaders, []float64{6, 30, 10, 12, 16, 48, 10, 9, 9, 10, 12, 9, 17, 10, 40, 17, 38}, rows)
	if err := b.write(w); err != nil {
		return fmt.Errorf("write ledger xlsx: %w", err)
	}
	return nil
}

// answerColumns lists the answer fields of a form in order (groups
// flattened, repeats returned separately).
func answerColumns(fields []survey.Field) (cols, repeats []*survey.Field) {
	for i := range fields {
		fd := &fields[i]
		switch fd.Type {
		case survey.TypeGroup:
			c, r := answerColumns(fd.Fields)
			cols, repeats = append(cols, c...), append(repeats, r...)
		case survey.TypeRepeat:
			repeats = append(repeats, fd)
		case survey.TypeNote:
		default:
			cols = append(cols, fd)
		}
	}
	return cols, repeats
}

// cellOf converts one stored answer to a cell: choice labels for selects,
// numbers for integer and decimal fields, dates as date cells.
func cellOf(fd *survey.Field, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []string:
		s := ""
		for i, c := range x {
			if i > 0 {
				s += "、"
			}
			s += label(fd, c)
		}
		return s
	case string:
		if x == "" {
			return nil
		}
		switch fd.Type {
		case survey.TypeSelectOne:
			return label(fd, x)
		case survey.TypeInteger, survey.TypeDecimal:
			if n, err := strconv.ParseFloat(x, 64); err == nil {
				return n
			}
		case survey.TypeDate:
			return day(x)
		}
		return x
	case float64:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// WriteVisitsXLSX writes the visits workbook: one row per visit with one
// column per field of the latest visit form (choice labels, numbers and
// dates typed), and one sheet per repeat group keyed by visit id and item
// number.
func WriteVisitsXLSX(w io.Writer, visits []survey.Visit, ents map[string]survey.Enterprise, forms *survey.FormSet, today time.Time) error {
	form, ok := forms.Latest(string(survey.FormVisit))
	if !ok {
		return fmt.Errorf("write visits xlsx: no visit form")
	}
	cols, repeats := answerColumns(form.Fields)
	heads := []string{"记录编号", "企业名称", "统一社会信用代码", "所属区市", "状态", "填报人", "表单版本", "签字人", "签字日期", "更新时间"}
	widths := []float64{38, 30, 22, 10, 11, 10, 9, 10, 12, 17}
	for _, c := range cols {
		heads = append(heads, c.Label)
		wd := 14.0
		if c.Type == survey.TypeTextarea {
			wd = 40
		}
		widths = append(widths, wd)
	}
	rows := make([][]any, 0, len(visits))
	sub := make([][][]any, len(repeats))
	for _, v := range visits {
		e := ents[v.EnterpriseID]
		vf := form
		if f, ok := forms.Get(v.FormID, v.FormVersion); ok {
			vf = f
		}
		ev := survey.Evaluate(vf, v.Answers, today)
		var signer, signDate any
		if v.SignOff != nil {
			signer, signDate = v.SignOff.SignerName, day(v.SignOff.Date)
		}
		var updated any
		if !v.UpdatedAt.IsZero() {
			updated = dateTimeCell(v.UpdatedAt.In(today.Location()))
		}
		row := []any{v.ID, e.Name, e.USCC, e.District, v.Status.Label(), v.Investigator, fmt.Sprintf("第 %d 版", v.FormVersion), signer, signDate, updated}
		for _, c := range cols {
			fd := vf.Lookup(c.Name)
			if fd == nil {
				fd = c
			}
			if vf.Lookup(c.Name) == nil || !ev.Relevant(c.Name) {
				row = append(row, nil)
				continue
			}
			row = append(row, cellOf(fd, ev.Value(c.Name)))
		}
		rows = append(rows, row)
		for k, rp := range repeats {
			items, _ := survey.NormalizeAnswers(survey.Answers{"x": v.Answers[rp.Name]})["x"].([]survey.Answers)
			for i, it := range items {
				r := []any{v.ID, e.Name, i + 1}
				for j := range rp.Fields {
					fd := &rp.Fields[j]
					if fd.Type == survey.TypeNote || fd.Type == survey.TypeGroup || fd.Type == survey.TypeRepeat {
						continue
					}
					r = append(r, cellOf(fd, it[fd.Name]))
				}
				sub[k] = append(sub[k], r)
			}
		}
	}
	b := newBook()
	b.sheet(true, "走访记录", heads, widths, rows)
	for k, rp := range repeats {
		h := []string{"记录编号", "企业名称", "序号"}
		wd := []float64{38, 30, 6}
		for j := range rp.Fields {
			fd := &rp.Fields[j]
			if fd.Type == survey.TypeNote || fd.Type == survey.TypeGroup || fd.Type == survey.TypeRepeat {
				continue
			}
			h = append(h, fd.Label)
			if fd.Type == survey.TypeTextarea {
				wd = append(wd, 48)
			} else {
				wd = append(wd, 14)
			}
		}
		b.sheet(false, sheetName(rp.Label, k), h, wd, sub[k])
	}
	if err := b.write(w); err != nil {
		return fmt.Errorf("write visits xlsx: %w", err)
	}
	return nil
}

// sheetName makes a valid, unique sheet name (≤ 31 characters, no
// []:*?/\) from a section label such as "六、职工诉求".
func sheetName(s string, k int) string {
	out := []rune{}
	for _, r := range s {
		switch r {
		case '[', ']', ':', '*', '?', '/', '\\':
			continue
		}
		out = append(out, r)
	}
	if len(out) > 28 {
		out = out[:28]
	}
	if len(out) == 0 {
		return "重复项" + strconv.Itoa(k+1)
	}
	return string(out)
}

// WriteResponsesXLSX writes the questionnaire workbook: one sheet per
// questionnaire kind (one row per anonymous response with the form version
// it was filled on, choice labels), then the rates per enterprise and per
// district with a total row. A kind's columns are the questions of the
// newest version of each of its forms: a new version keeps every question
// of the one before (survey.CheckUpgrade), so responses of every version
// fit, and a question a version does not ask stays blank in its rows.
func WriteResponsesXLSX(w io.Writer, responses []survey.Response, ents map[string]survey.Enterprise, forms *survey.FormSet) error {
	b := newBook()
	first := true
	for _, k := range []struct {
		kind   survey.RespondentKind
		formID survey.FormKind
		sheet  string
	}{{survey.RespondentWorker, survey.FormWorkerQuestionnaire, "职工问卷"}, {survey.RespondentManager, survey.FormEnterpriseQuestionnaire, "企业经营者问卷"}} {
		ids := []string{string(k.formID)}
		for _, r := range responses {
			if r.Kind == k.kind && !slices.Contains(ids, r.FormID) {
				ids = append(ids, r.FormID)
			}
		}
		var cols []*survey.Field
		seen := map[string]bool{}
		for i, id := range ids {
			form, ok := forms.Latest(id)
			if !ok {
				if i == 0 {
					return fmt.Errorf("write responses xlsx: no %s form", k.formID)
				}
				continue // answers of an unknown form: their columns cannot be named
			}
			c, _ := answerColumns(form.Fields)
			for _, fd := range c {
				if !seen[fd.Name] {
					seen[fd.Name] = true
					cols = append(cols, fd)
				}
			}
		}
		heads := []string{"问卷编号", "企业名称", "所属区市", "日期", "问卷版本"}
		widths := []float64{38, 30, 10, 12, 10}
		for _, c := range cols {
			heads = append(heads, c.Label)
			if c.Type == survey.TypeTextarea || c.Type == survey.TypeText {
				widths = append(widths, 36)
			} else {
				widths = append(widths, 14)
			}
		}
		var rows [][]any
		for _, r := range responses {
			if r.Kind != k.kind {
				continue
			}
			e := ents[r.EnterpriseID]
			version := fmt.Sprintf("第 %d 版", r.FormVersion)
			if r.FormID != string(k.formID) {
				version = r.FormID + " " + version
			}
			row := []any{r.ID, e.Name, e.District, day(r.Date), version}
			for _, c := range cols {
				row = append(row, cellOf(c, r.Answers[c.Name]))
			}
			rows = append(rows, row)
		}
		b.sheet(first, k.sheet, heads, widths, rows)
		first = false
	}

	byEnt := map[string][]survey.Response{}
	byDistrict := map[string][]survey.Response{}
	for _, r := range responses {
		byEnt[r.EnterpriseID] = append(byEnt[r.EnterpriseID], r)
		byDistrict[ents[r.EnterpriseID].District] = append(byDistrict[ents[r.EnterpriseID].District], r)
	}
	rateHeads := []string{"问卷总数", "职工问卷", "企业经营者问卷", "知晓率", "参与率", "满意率", "企业认可度"}
	rateRow := func(rt survey.Rates) []any {
		row := []any{rt.Responses, rt.Workers, rt.Managers}
		for _, r := range []survey.Rate{rt.Awareness, rt.Participation, rt.Satisfaction, rt.Recognition} {
			if r.Valid == 0 {
				row = append(row, nil)
			} else {
				row = append(row, percentCell(float64(r.Hits)/float64(r.Valid)))
			}
		}
		return row
	}
	ids := make([]string, 0, len(byEnt))
	for id := range byEnt {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, c := ents[ids[i]], ents[ids[j]]
		if a.District != c.District {
			return a.District < c.District
		}
		if a.Name != c.Name {
			return a.Name < c.Name
		}
		return ids[i] < ids[j]
	})
	var entRows [][]any
	for _, id := range ids {
		e := ents[id]
		entRows = append(entRows, append([]any{e.Name, e.District}, rateRow(survey.ComputeRates(byEnt[id]))...))
	}
	b.sheet(false, "按企业统计", append([]string{"企业名称", "所属区市"}, rateHeads...), []float64{32, 10, 10, 10, 14, 10, 10, 10, 12}, entRows)
	ds := make([]string, 0, len(byDistrict))
	for d := range byDistrict {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	var dRows [][]any
	for _, d := range ds {
		name := d
		if name == "" {
			name = "（未知区市）"
		}
		dRows = append(dRows, append([]any{name, len(entsIn(byDistrict[d]))}, rateRow(survey.ComputeRates(byDistrict[d]))...))
	}
	dRows = append(dRows, append([]any{"合计", len(byEnt)}, rateRow(survey.ComputeRates(responses))...))
	b.sheet(false, "按区市统计", append([]string{"区市", "企业数"}, rateHeads...), []float64{14, 8, 10, 10, 14, 10, 10, 10, 12}, dRows)
	if err := b.write(w); err != nil {
		return fmt.Errorf("write responses xlsx: %w", err)
	}
	return nil
}

func entsIn(rs []survey.Response) map[string]bool {
	m := map[string]bool{}
	for _, r := range rs {
		m[r.EnterpriseID] = true
	}
	return m
}

// AuditRow is one audit log entry as exported (package audit's entries,
// passed in plain so this package keeps depending on survey only).
type AuditRow struct {
	At                                    time.Time
	Actor, Action, Target, Detail, Reason string
}

// AuditHeaders are the column titles of the audit log export.
var AuditHeaders = []string{"序号", "时间", "操作人", "操作", "对象", "内容", "理由"}

// WriteAuditXLSX writes the audit log workbook, one row per entry in the
// order given, times in loc.
func WriteAuditXLSX(w io.Writer, rows []AuditRow, actionLabel func(string) string, loc *time.Location) error {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any{i + 1, dateTimeCell(r.At.In(loc)), r.Actor, actionLabel(r.Action), r.Target, r.Detail, r.Reason}
	}
	b := newBook()
	b.sheet(true, "审计日志", AuditHeaders, []float64{7, 17, 14, 14, 30, 60, 40}, out)
	if err := b.write(w); err != nil {
		return fmt.Errorf("write audit xlsx: %w", err)
	}
	return nil
}
