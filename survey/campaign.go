package survey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Phase is one step of the campaign (宣传发动, 排查摸底, ...), with inclusive
// start and end days as YYYY-MM-DD. Phases may overlap: the plan runs them
// 压茬推进.
type Phase struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Start string `json:"start"`
	End   string `json:"end"`
}

// Contains reports whether day t (in its own location) falls within the
// phase, both ends included.
func (p Phase) Contains(t time.Time) bool {
	d := t.Format("2006-01-02")
	return p.Start <= d && d <= p.End
}

// Campaign is the configuration of one year's campaign: its name, the forms
// it uses and its phases. It is data (assets/campaign.json), so next year's
// campaign changes the file, not the code.
type Campaign struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Organizer string `json:"organizer"`
	// VisitForm, WorkerForm and EnterpriseForm are the form ids used for
	// the visit record and the two questionnaires (latest version).
	VisitForm      string  `json:"visit_form"`
	WorkerForm     string  `json:"worker_form"`
	EnterpriseForm string  `json:"enterprise_form"`
	Phases         []Phase `json:"phases"`
}

// ParseCampaign decodes and checks a campaign configuration: unknown keys,
// missing names, form ids, invalid or reversed dates and duplicate phase ids
// are all reported, in Chinese, in one error.
func ParseCampaign(data []byte) (*Campaign, error) {
	var c Campaign
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("活动配置格式错误：%s", jsonErrorText(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("活动配置格式错误：配置之后还有多余内容")
	}
	var ps []string
	if c.ID == "" {
		ps = append(ps, "缺少活动编号 (id)")
	}
	if strings.TrimSpace(c.Name) == "" {
		ps = append(ps, "缺少活动名称 (name)")
	}
	for _, kv := range [][2]string{{"visit_form", c.VisitForm}, {"worker_form", c.WorkerForm}, {"enterprise_form", c.EnterpriseForm}} {
		if !validName(kv[1]) {
			ps = append(ps, fmt.Sprintf("%s 应为表单编号，实际为 %q", kv[0], kv[1]))
		}
	}
	if len(c.Phases) == 0 {
		ps = append(ps, "没有任何活动阶段 (phases)")
	}
	seen := map[string]bool{}
	for i, p := range c.Phases {
		where := fmt.Sprintf("第 %d 个阶段", i+1)
		if p.Name != "" {
			where += "“" + p.Name + "”"
		}
		switch {
		case p.ID == "":
			ps = append(ps, where+"缺少编号 (id)")
		case seen[p.ID]:
			ps = append(ps, where+"的编号 "+p.ID+" 重复")
		}
		seen[p.ID] = true
		if strings.TrimSpace(p.Name) == "" {
			ps = append(ps, where+"缺少名称 (name)")
		}
		_, okS := parseDate(p.Start)
		_, okE := parseDate(p.End)
		if !okS {
			ps = append(ps, fmt.Sprintf("%s的开始日期 %q 无效，应为 YYYY-MM-DD", where, p.Start))
		}
		if !okE {
			ps = append(ps, fmt.Sprintf("%s的结束日期 %q 无效，应为 YYYY-MM-DD", where, p.End))
		}
		if okS && okE && p.End < p.Start {
			ps = append(ps, fmt.Sprintf("%s的结束日期 %s 早于开始日期 %s", where, p.End, p.Start))
		}
	}
	if len(ps) > 0 {
		return nil, fmt.Errorf("活动配置有误：%s", strings.Join(ps, "；"))
	}
	return &c, nil
}

// PhasesAt returns every phase that contains day t, in configuration order.
func (c *Campaign) PhasesAt(t time.Time) []Phase {
	var out []Phase
	for _, p := range c.Phases {
		if p.Contains(t) {
			out = append(out, p)
		}
	}
	return out
}

// PhaseAt returns the current phase on day t: of the phases containing t,
// the one that started last (when 宣传发动 and 排查摸底 overlap in April, the
// visits are what is under way). ok is false before, between and after
// the phases.
func (c *Campaign) PhaseAt(t time.Time) (Phase, bool) {
	var best Phase
	found := false
	for _, p := range c.Phases {
		if p.Contains(t) && (!found || p.Start >= best.Start) {
			best, found = p, true
		}
	}
	return best, found
}
