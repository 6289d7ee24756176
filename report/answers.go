package report

import (
	"fmt"

	"zoufang/survey"
)

// AnswerRow is one answer of a visit as the printed record says it,
// addressed by its field path in survey.Problem's form ("workers_total",
// "demands[1].demand_description"), for pages that put something beside
// an answer: the workbench's review puts a comment box there, and shows
// what changed since the version reviewed.
type AnswerRow struct {
	Section string // the form section's title ("" for fields outside one)
	Path    string
	Label   string // inside a repeat: "职工诉求 第 2 项 · 问题描述"
	Value   string // as printed: choice labels, 未填写 for blanks
	// Input is false for computed values, which a person cannot change.
	Input bool
}

// VisitAnswerRows lists the relevant answers of a visit record in form
// order, repeat items one row per answer.
func VisitAnswerRows(rec *VisitRecord) []AnswerRow {
	ev := survey.Evaluate(rec.Form, rec.Visit.Answers, rec.Today)
	var out []AnswerRow
	var walk func(fs []survey.Field, section string)
	walk = func(fs []survey.Field, section string) {
		for i := range fs {
			fd := &fs[i]
			if !ev.Relevant(fd.Name) {
				continue
			}
			switch fd.Type {
			case survey.TypeNote:
			case survey.TypeGroup:
				s := section
				if s == "" {
					s = fd.Label
				}
				walk(fd.Fields, s)
			case survey.TypeRepeat:
				items, _ := survey.NormalizeAnswers(survey.Answers{"x": rec.Visit.Answers[fd.Name]})["x"].([]survey.Answers)
				for k := range items {
					for j := range fd.Fields {
						c := &fd.Fields[j]
						if c.Type == survey.TypeNote || c.Type == survey.TypeGroup || c.Type == survey.TypeRepeat {
							continue
						}
						path := fmt.Sprintf("%s[%d].%s", fd.Name, k, c.Name)
						if !ev.Relevant(path) {
							continue
						}
						out = append(out, AnswerRow{Section: section, Path: path, Label: fmt.Sprintf("%s 第 %d 项 · %s", fd.Label, k+1, c.Label),
							Value: answerText(ev, c, path, rec), Input: c.Type != survey.TypeCalculate})
					}
				}
			default:
				out = append(out, AnswerRow{Section: section, Path: fd.Name, Label: fd.Label, Value: answerText(ev, fd, fd.Name, rec), Input: fd.Type != survey.TypeCalculate})
			}
		}
	}
	walk(rec.Form.Fields, "")
	return out
}

// AnswerChange is an answer that differs between two versions of a visit.
type AnswerChange struct {
	Path, Label string
	Old, New    string // as printed; 未填写 when absent
}

// AnswerChanges compares two versions of a visit record answer by answer,
// as printed, in the newer one's form order (answers only the older one
// has come last).
func AnswerChanges(older, newer *VisitRecord) []AnswerChange {
	was := map[string]AnswerRow{}
	var order []string
	for _, r := range VisitAnswerRows(older) {
		was[r.Path] = r
		order = append(order, r.Path)
	}
	var out []AnswerChange
	seen := map[string]bool{}
	for _, r := range VisitAnswerRows(newer) {
		seen[r.Path] = true
		old, ok := was[r.Path]
		if !ok {
			old.Value = emptyAnswer
		}
		if old.Value != r.Value {
			out = append(out, AnswerChange{Path: r.Path, Label: r.Label, Old: old.Value, New: r.Value})
		}
	}
	for _, p := range order {
		if !seen[p] && was[p].Value != emptyAnswer {
			out = append(out, AnswerChange{Path: p, Label: was[p].Label, Old: was[p].Value, New: emptyAnswer})
		}
	}
	return out
}
