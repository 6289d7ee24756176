package web

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"

	"zoufang/report"
	"zoufang/storage"
	"zoufang/survey"
)

// rateKinds are the four campaign figures, in the plan's order.
var rateKinds = []struct {
	Key, Label string
	Get        func(survey.Rates) survey.Rate
}{
	{"participation", "职工参与率", func(r survey.Rates) survey.Rate { return r.Participation }},
	{"awareness", "知晓率", func(r survey.Rates) survey.Rate { return r.Awareness }},
	{"satisfaction", "满意率", func(r survey.Rates) survey.Rate { return r.Satisfaction }},
	{"recognition", "企业认可度", func(r survey.Rates) survey.Rate { return r.Recognition }},
}

type rateCell struct {
	Label string
	Rate  survey.Rate
}

type statsRow struct {
	Name        string
	Sub         string
	Enterprises int
	Rates       survey.Rates
	Cells       []rateCell
}

type statsData struct {
	Total      statsRow
	By         string // street | industry | enterprise
	Rate       string
	RateLabel  string
	Rows       []statsRow
	Chart      string
	TotalChart string
	Pager      pager
	Kinds      []rateCell
	// Versions says how many responses each questionnaire version has and
	// VersionNotes which figure questions not every version asks
	// (h_stats_versions.go).
	Versions, VersionNotes []string
}

func cellsOf(r survey.Rates) []rateCell {
	out := make([]rateCell, len(rateKinds))
	for i, k := range rateKinds {
		out[i] = rateCell{k.Label, k.Get(r)}
	}
	return out
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	fig, err := s.figures(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data := statsData{By: filterChoice(q, "by", "street", "industry", "enterprise"), Rate: filterChoice(q, "rate", "participation", "awareness", "satisfaction", "recognition")}
	if data.By == "" {
		data.By = "street"
	}
	if data.Rate == "" {
		data.Rate = "satisfaction"
	}
	kind := rateKinds[0]
	for _, k := range rateKinds {
		if k.Key == data.Rate {
			kind = k
		}
	}
	data.RateLabel = kind.Label
	data.Total = statsRow{Name: s.d.Name(), Enterprises: len(fig.ByEnterprise), Rates: fig.Total, Cells: cellsOf(fig.Total)}
	var totalBars []bar
	for _, c := range data.Total.Cells {
		totalBars = append(totalBars, bar{c.Label, c.Rate})
	}
	data.TotalChart = barChart("全区四项指标", totalBars)
	var bars []bar
	switch data.By {
	case "street", "industry":
		groups := fig.ByStreet
		title := "按镇街：" + kind.Label
		if data.By == "industry" {
			groups, title = fig.ByIndustry, "按行业："+kind.Label
		}
		for _, g := range groups {
			data.Rows = append(data.Rows, statsRow{Name: g.Name, Enterprises: g.Enterprises, Rates: g.Rates, Cells: cellsOf(g.Rates)})
			bars = append(bars, bar{g.Name, kind.Get(g.Rates)})
		}
		data.Chart = barChart(title, bars)
		data.Pager = pager{Page: 1, Pages: 1, Total: len(groups)}
	case "enterprise":
		ids := append([]string(nil), fig.Order...)
		sort.SliceStable(ids, func(i, j int) bool { return fig.Briefs[ids[i]].Street < fig.Briefs[ids[j]].Street })
		page := pageOf(q)
		data.Pager = newPager(r, page, len(ids))
		start := min((page-1)*pageSize, len(ids))
		ids = ids[start:min(start+pageSize, len(ids))]
		named, err := s.db.EnterpriseBriefs(r.Context(), ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			b := named[id]
			rt := *fig.ByEnterprise[id]
			data.Rows = append(data.Rows, statsRow{Name: b.Name, Sub: b.Street, Enterprises: 1, Rates: rt, Cells: cellsOf(rt)})
			bars = append(bars, bar{b.Name, kind.Get(rt)})
		}
		data.Chart = barChart(fmt.Sprintf("按企业（第 %d 页）：%s", page, kind.Label), bars)
	}
	for _, k := range rateKinds {
		data.Kinds = append(data.Kinds, rateCell{Label: k.Label})
	}
	if data.Versions, data.VersionNotes, err = s.responseVersions(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, sess, "stats", "统计", "stats", data)
}

// allResponses reads every response with the enterprises they name: the
// exports need every answer, not just the tallies.
func (s *Server) allResponses(r *http.Request) ([]survey.Response, map[string]survey.Enterprise, error) {
	rs, err := s.db.Responses(r.Context(), storage.ResponseFilter{})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(rs))
	for i, x := range rs {
		ids[i] = x.EnterpriseID
	}
	briefs, err := s.db.EnterpriseBriefs(r.Context(), uniq(ids))
	if err != nil {
		return nil, nil, err
	}
	ents := make(map[string]survey.Enterprise, len(briefs))
	for id, b := range briefs {
		ents[id] = survey.Enterprise{ID: id, Name: b.Name, USCC: b.USCC, District: s.d.Name(), Street: b.Street, Industry: b.Industry}
	}
	return rs, ents, nil
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// statsPDF prints the questionnaire summary with the laptop's renderer:
// the district first, then one page per street.
func (s *Server) statsPDF(w http.ResponseWriter, r *http.Request, sess *Session) error {
	rs, ents, err := s.allResponses(r)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return badRequest("还没有收到任何问卷，无法生成汇总表。")
	}
	byStreet := map[string][]survey.Response{}
	for _, x := range rs {
		st := ents[x.EnterpriseID].Street
		if st == "" {
			st = "（未填写镇街）"
		}
		byStreet[st] = append(byStreet[st], x)
	}
	streets := make([]string, 0, len(byStreet))
	for st := range byStreet {
		streets = append(streets, st)
	}
	sortZh(streets, func(s string) string { return s })
	sums := []report.Summary{{Scope: "全区合计", Enterprise: survey.Enterprise{District: s.d.Name()}, Campaign: s.campaignIn(r.Context()).Name, Rates: survey.ComputeRates(rs), Today: s.now(), Forms: s.formsIn(r.Context())}}
	for _, st := range streets {
		sums = append(sums, report.Summary{Scope: st + "（镇街合计）", Enterprise: survey.Enterprise{District: s.d.Name(), Street: st}, Campaign: s.campaignIn(r.Context()).Name, Rates: survey.ComputeRates(byStreet[st]), Today: s.now(), Forms: s.formsIn(r.Context())})
	}
	var buf bytes.Buffer
	if err := report.WriteSummaryPDF(&buf, sums...); err != nil {
		return err
	}
	return attachment(w, fmt.Sprintf("问卷汇总表-%s.pdf", s.today()), "application/pdf", buf.Bytes())
}

// statsXLSX is the workbook for the city: every anonymous response and
// the figures per enterprise and in total (report.WriteResponsesXLSX).
func (s *Server) statsXLSX(w http.ResponseWriter, r *http.Request, sess *Session) error {
	rs, ents, err := s.allResponses(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteResponsesXLSX(&buf, rs, ents, s.formsIn(r.Context())); err != nil {
		return err
	}
	return attachment(w, fmt.Sprintf("满意度测评统计-%s-%s.xlsx", s.d.Name(), s.today()), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
