package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"zoufang/survey"
)

// SummaryTitle is the printed title of the questionnaire summary.
const SummaryTitle = "满意度测评问卷汇总表"

// Summary is one enterprise's questionnaire summary.
type Summary struct {
	Enterprise survey.Enterprise
	Campaign   string
	// Scope, when not empty, names an area instead of one enterprise
	// (the district workbench's summaries: "全区合计", a street): it is
	// printed where the enterprise name would be.
	Scope string
	Rates survey.Rates
	Today time.Time
	// Forms, when set, are the forms in force (built in and published):
	// the per-question bars take their questions and wording from them,
	// and the page says how many responses each form version has and which
	// figure questions not every version asks (survey.RateNotes). Nil: the
	// first version's questions and wording.
	Forms *survey.FormSet
}

var satisfactionShort = map[string]string{
	"sat_wages":      "工资支付",
	"sat_protection": "劳动保护与防疫",
	"sat_democracy":  "厂务公开与民主管理",
	"sat_bargaining": "工会集体协商",
	"sat_services":   "法律援助与帮扶服务",
	"sat_overall":    "总体满意度",
	"rec_bargaining": "认可集体协商工作",
	"rec_service":    "认可服务复工复产",
}

var awarenessLabels = []struct{ value, label string }{
	{"very", "非常了解"}, {"know", "了解"}, {"heard", "听说过"}, {"no", "不了解"},
}

// WriteSummaryPDF writes the questionnaire summaries, one enterprise per
// page group: response counts, the four campaign rates with their counts,
// and a bar chart of every rate.
func WriteSummaryPDF(w io.Writer, sums ...Summary) error {
	if len(sums) == 0 {
		return fmt.Errorf("write summary pdf: no enterprise")
	}
	pdf := newDoc()
	r := &renderer{pdf: pdf, widths: map[widthKey]float64{}}
	for i := range sums {
		r.summary(&sums[i])
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("write summary pdf: %w", err)
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write summary pdf: %w", err)
	}
	return nil
}

func pct(r survey.Rate) string {
	if r.Valid == 0 {
		return "—"
	}
	return strconv.FormatFloat(r.Percent(), 'f', 1, 64) + "%"
}

func (r *renderer) summary(s *Summary) {
	pdf := r.pdf
	pdf.AddPage()
	r.font("", 8)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetXY(marginL, 10)
	pdf.CellFormat(contentW, 5, "“真情协商·和谐共赢”大走访 · "+SummaryTitle, "", 0, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.Line(marginL, 15.5, pageW-marginR, 15.5)
	r.font("B", 15)
	pdf.SetXY(marginL, bodyTop+2)
	pdf.CellFormat(contentW, 8, "《"+SummaryTitle+"》", "", 1, "C", false, 0, "")
	r.font("", 9.5)
	sub := []string{"企业：" + s.Enterprise.Name}
	nameRow := [2]string{"企业名称", s.Enterprise.Name}
	if s.Scope != "" {
		sub[0] = "范围：" + s.Scope
		nameRow = [2]string{"统计范围", s.Scope}
	}
	if s.Campaign != "" {
		sub = append(sub, "活动："+s.Campaign)
	}
	sub = append(sub, "统计日期："+s.Today.Format("2006-01-02"))
	pdf.SetX(marginL)
	pdf.CellFormat(contentW, 6, r.fit(strings.Join(sub, "　　"), contentW), "", 1, "C", false, 0, "")
	pdf.SetY(pdf.GetY() + 2)
	rt := s.Rates
	r.section("问卷份数")
	counts := [][2]string{
		nameRow,
		{"所属区市", s.Enterprise.District},
		{"问卷总数", strconv.Itoa(rt.Responses)},
		{"职工问卷", strconv.Itoa(rt.Workers)},
		{"企业经营者问卷", strconv.Itoa(rt.Managers)},
	}
	if len(rt.Versions) > 0 {
		counts = append(counts, [2]string{"问卷版本", strings.Join(survey.VersionLines(s.Forms, rt.Versions), "；")})
	}
	r.kvTable(counts)
	r.section("测评指标")
	cols := []column{{66, "L"}, {30, "C"}, {30, "C"}, {54, "C"}}
	r.font("B", 9)
	r.row(cols, []string{"指标", "有效答卷", "符合人数", "比率"}, allTrue(4))
	r.font("", bodyPt)
	main := []struct {
		label string
		rate  survey.Rate
	}{
		{"知晓率（非常了解、了解、听说过）", rt.Awareness},
		{"参与率（参加过协商活动）", rt.Participation},
		{"满意率（总体满意 + 非常满意）", rt.Satisfaction},
		{"企业认可度（认可 + 非常认可）", rt.Recognition},
	}
	for _, m := range main {
		r.row(cols, []string{m.label, strconv.Itoa(m.rate.Valid), strconv.Itoa(m.rate.Hits), pct(m.rate)}, []bool{true, false, false, false})
	}
	levels := make([]string, 0, len(awarenessLabels))
	for _, a := range awarenessLabels {
		levels = append(levels, fmt.Sprintf("%s %d", a.label, rt.AwarenessLevels[a.value]))
	}
	r.kvTable([][2]string{{"了解程度分布", strings.Join(levels, "；")}})

	bars := []struct {
		label string
		rate  survey.Rate
	}{}
	for _, m := range main {
		bars = append(bars, struct {
			label string
			rate  survey.Rate
		}{strings.SplitN(m.label, "（", 2)[0], m.rate})
	}
	for _, q := range itemQuestions(s.Forms, survey.FormWorkerQuestionnaire, "sat_", survey.SatisfactionFields, rt.SatisfactionItems) {
		bars = append(bars, struct {
			label string
			rate  survey.Rate
		}{"满意：" + q.Label, rt.SatisfactionItems[q.Name]})
	}
	for _, q := range itemQuestions(s.Forms, survey.FormEnterpriseQuestionnaire, "rec_", survey.RecognitionFields, rt.RecognitionItems) {
		bars = append(bars, struct {
			label string
			rate  survey.Rate
		}{q.Label, rt.RecognitionItems[q.Name]})
	}
	const barH, gap, labelW = 6.0, 2.5, 48.0
	chartW := contentW - labelW - 22
	// The heading moves to the next page with its chart, never alone.
	r.ensure(float64(len(bars))*(barH+gap) + 24)
	r.section("指标图示（%）")
	y := pdf.GetY() + 2
	x0 := marginL + labelW
	// Grid every 20 %.
	pdf.SetDrawColor(200, 200, 200)
	r.font("", 7)
	gridBottom := y + float64(len(bars))*(barH+gap)
	for p := 0; p <= 100; p += 20 {
		gx := x0 + chartW*float64(p)/100
		pdf.Line(gx, y-1, gx, gridBottom)
		pdf.SetXY(gx-6, gridBottom+0.5)
		pdf.CellFormat(12, 4, strconv.Itoa(p), "", 0, "C", false, 0, "")
	}
	pdf.SetDrawColor(0, 0, 0)
	for i, b := range bars {
		by := y + float64(i)*(barH+gap)
		r.font("", 8.5)
		pdf.SetXY(marginL, by)
		pdf.CellFormat(labelW-2, barH, r.fit(b.label, labelW-2), "", 0, "R", false, 0, "")
		if i < 4 {
			pdf.SetFillColor(47, 94, 160)
		} else {
			pdf.SetFillColor(120, 160, 210)
		}
		if wdt := chartW * b.rate.Percent() / 100; wdt > 0 {
			pdf.Rect(x0, by, wdt, barH, "F")
		}
		pdf.SetXY(x0+chartW+1, by)
		pdf.CellFormat(21, barH, pct(b.rate), "", 0, "L", false, 0, "")
	}
	pdf.SetY(gridBottom + 6)
	r.font("", 8)
	r.paragraph("说明：问卷匿名填写，不记录答卷人姓名、电话或证件号码。比率 = 符合人数 ÷ 该题有效答卷数；未作答的题目不计入有效答卷。", 4.5)
	if notes := survey.RateNotes(s.Forms, rt.Versions); len(notes) > 0 {
		pdf.SetY(pdf.GetY() + 2)
		r.paragraph("问卷有多个版本，各版本的答卷按题目合并统计（同一题目在各版本中编号相同）。以下题目并非每个版本都问：", 4.5)
		for _, n := range notes {
			r.paragraph("· "+n+"。", 4.5)
		}
	}
}

// paragraph writes text across the content width in the current font,
// broken into lines by wrap (gofpdf's MultiCell drops a character at
// every break between CJK characters), moving to a new page as needed.
func (r *renderer) paragraph(text string, lineH float64) {
	for _, line := range r.wrap(text, contentW) {
		r.ensure(lineH)
		r.pdf.SetX(marginL)
		r.pdf.CellFormat(contentW, lineH, line, "", 1, "L", false, 0, "")
	}
}

// itemQuestions lists the per-question bars of one questionnaire kind:
// with forms, every question named prefix* that the newest versions ask or
// that has answers, worded by the newest version that asks it and
// shortened ("对工资支付情况的满意度" → "工资支付情况"); without, the first
// version's questions with their fixed short names.
func itemQuestions(forms *survey.FormSet, k survey.FormKind, prefix string, fixed []string, items map[string]survey.Rate) []survey.RateQuestion {
	if forms == nil {
		out := make([]survey.RateQuestion, len(fixed))
		for i, f := range fixed {
			out[i] = survey.RateQuestion{Name: f, Label: satisfactionShort[f]}
		}
		return out
	}
	var out []survey.RateQuestion
	latest := map[string]bool{}
	for _, id := range forms.IDs() {
		if f, _ := forms.Latest(id); f.Kind == k {
			for _, q := range survey.RateQuestions(survey.NewFormSet(f), k, prefix) {
				if fd := f.Lookup(q.Name); fd != nil && strings.TrimSpace(fd.Relevant) != "false()" {
					latest[q.Name] = true
				}
			}
		}
	}
	for _, q := range survey.RateQuestions(forms, k, prefix) {
		if !latest[q.Name] && items[q.Name].Valid == 0 {
			continue // retired, and nobody answered it here
		}
		switch short, ok := satisfactionShort[q.Name]; {
		case ok && q.Label == firstWording[q.Name]:
			q.Label = short
		case prefix == "rec_":
			q.Label = "认可：" + shortQuestion(q.Label)
		default:
			q.Label = shortQuestion(q.Label)
		}
		out = append(out, q)
	}
	return out
}

// firstWording is the first version's wording of the questions that have a
// fixed short name: a question reworded since is shortened from its new
// wording instead.
var firstWording = map[string]string{
	"sat_wages":      "对工资支付情况的满意度",
	"sat_protection": "对劳动保护和疫情防控措施的满意度",
	"sat_democracy":  "对厂务公开和民主管理的满意度",
	"sat_bargaining": "对工会开展集体协商的满意度",
	"sat_services":   "对法律援助、困难帮扶和心理服务的满意度",
	"sat_overall":    "总体满意度",
	"rec_bargaining": "对工会开展集体协商工作的认可度",
	"rec_service":    "对工会服务企业复工复产的认可度",
}

// shortQuestion shortens a satisfaction or recognition question for a bar
// label: "对技能培训和就业服务的满意度" → "技能培训和就业服务".
func shortQuestion(label string) string {
	s := strings.TrimPrefix(label, "对")
	for _, suf := range []string{"的满意度", "的认可度", "满意度", "认可度"} {
		if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
			return t
		}
	}
	return label
}
