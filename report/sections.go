package report

import (
	"fmt"
	"strconv"

	"zoufang/survey"
)

// Section is one titled part of a visit record as the PDF prints it:
// question and answer rows, then the tables of its repeat groups. The
// district workbench shows a visit on screen from the same sections, so
// the page and the printed record say the same thing.
type Section struct {
	Title  string
	Rows   [][2]string
	Tables []Table
}

// Table is a repeat group (the demands) as rows of answers.
type Table struct {
	Title string
	Head  []string
	Rows  [][]string
}

// VisitSections lays out a visit record into sections: the enterprise,
// every relevant form section with its answers as printed (choice labels,
// computed values, 未填写 for blanks), and the repeat groups as tables.
func VisitSections(rec *VisitRecord) []Section {
	ev := survey.Evaluate(rec.Form, rec.Visit.Answers, rec.Today)
	e := rec.Enterprise
	out := []Section{{Title: "企业基本情况", Rows: [][2]string{
		{"企业名称", e.Name}, {"统一社会信用代码", e.USCC}, {"所属区市", e.District}, {"镇街", e.Street},
		{"行业", e.Industry}, {"职工人数", intText(e.Workers)}, {"是否建会", yesNo(e.HasUnion)}, {"地址", e.Address},
	}}}
	extra := [][2]string{}
	if rec.Visit.Investigator != "" {
		extra = append(extra, [2]string{"填报人", rec.Visit.Investigator})
	}
	extra = append(extra, [2]string{"现场问卷份数", strconv.Itoa(rec.Responses)})
	if rec.Visit.EditReason != "" {
		extra = append(extra, [2]string{"完成后修改原因", rec.Visit.EditReason})
	}
	var r renderer
	var loose [][2]string
	flush := func() {
		if len(loose) > 0 {
			out = append(out, Section{Rows: loose})
			loose = nil
		}
	}
	for i := range rec.Form.Fields {
		fd := &rec.Form.Fields[i]
		switch fd.Type {
		case survey.TypeGroup:
			if !ev.Relevant(fd.Name) {
				continue
			}
			flush()
			rows, repeats := r.groupRows(ev, fd, rec)
			if fd.Name == "basic" {
				rows = append(rows, extra...)
				extra = nil
			}
			if len(rows) == 0 && len(repeats) == 0 {
				continue
			}
			sec := Section{Title: fd.Label, Rows: rows}
			for _, rp := range repeats {
				sec.Tables = append(sec.Tables, repeatRows(ev, rp, rec))
			}
			out = append(out, sec)
		case survey.TypeRepeat:
			if !ev.Relevant(fd.Name) {
				continue
			}
			flush()
			out = append(out, Section{Title: fd.Label, Tables: []Table{repeatRows(ev, fd, rec)}})
		case survey.TypeNote:
		default:
			if ev.Relevant(fd.Name) {
				loose = append(loose, [2]string{fd.Label, answerText(ev, fd, fd.Name, rec)})
			}
		}
	}
	flush()
	if len(extra) > 0 {
		out = append(out, Section{Title: "其他", Rows: extra})
	}
	if s := rec.Visit.SignOff; s != nil {
		out = append(out, Section{Title: "企业签字确认", Rows: [][2]string{{"签字人", s.SignerName}, {"职务", nonEmpty(s.SignerTitle)}, {"签字日期", s.Date}}})
	}
	return out
}

func repeatRows(ev *survey.Evaluation, rp *survey.Field, rec *VisitRecord) Table {
	t := Table{Title: rp.Label, Head: []string{"序号"}}
	items, _ := survey.NormalizeAnswers(survey.Answers{"x": rec.Visit.Answers[rp.Name]})["x"].([]survey.Answers)
	var children []*survey.Field
	for i := range rp.Fields {
		if ty := rp.Fields[i].Type; ty != survey.TypeNote && ty != survey.TypeGroup && ty != survey.TypeRepeat {
			children = append(children, &rp.Fields[i])
			t.Head = append(t.Head, rp.Fields[i].Label)
		}
	}
	for i := range items {
		row := []string{strconv.Itoa(i + 1)}
		for _, c := range children {
			path := fmt.Sprintf("%s[%d].%s", rp.Name, i, c.Name)
			if !ev.Relevant(path) {
				row = append(row, "—")
				continue
			}
			row = append(row, answerText(ev, c, path, rec))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
