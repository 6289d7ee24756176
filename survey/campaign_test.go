package survey

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func shippedCampaign(t *testing.T) *Campaign {
	t.Helper()
	data, err := os.ReadFile("../assets/campaign.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCampaign(data)
	if err != nil {
		t.Fatalf("ParseCampaign(assets/campaign.json): %v", err)
	}
	return c
}

func TestShippedCampaign(t *testing.T) {
	c := shippedCampaign(t)
	want := CampaignForms{Visit: FormRef{"visit", 1}, Worker: FormRef{"worker_questionnaire", 1}, Enterprise: FormRef{"enterprise_questionnaire", 1}}
	if c.Forms != want {
		t.Errorf("forms = %+v, want %+v", c.Forms, want)
	}
	// Every form the campaign names is shipped, of its kind, newest.
	if ps := c.CheckForms(shippedForms(t)); len(ps) > 0 {
		t.Errorf("CheckForms(shipped forms) = %v", ps)
	}
	// The file is in the canonical layout JSON writes.
	data, err := os.ReadFile("../assets/campaign.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.JSON()); got != string(data) {
		t.Errorf("assets/campaign.json is not in canonical form; JSON() gives:\n%s", got)
	}
}

func TestPhaseAt(t *testing.T) {
	c := shippedCampaign(t)
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		when   time.Time
		want   string
		ok     bool
		nPhase int
	}{
		{time.Date(2026, 3, 19, 23, 59, 0, 0, cst), "", false, 0},
		{time.Date(2026, 3, 20, 0, 0, 0, 0, cst), "publicity", true, 1},
		{time.Date(2026, 3, 31, 12, 0, 0, 0, cst), "publicity", true, 1},
		{time.Date(2026, 4, 1, 8, 0, 0, 0, cst), "survey", true, 2}, // overlap: the later start wins
		{time.Date(2026, 4, 15, 23, 0, 0, 0, cst), "survey", true, 2},
		{time.Date(2026, 4, 16, 0, 0, 0, 0, cst), "survey", true, 1},
		{time.Date(2026, 5, 31, 23, 59, 59, 0, cst), "analysis", true, 1},
		{time.Date(2026, 10, 31, 12, 0, 0, 0, cst), "bargaining", true, 1},
		{time.Date(2026, 11, 30, 12, 0, 0, 0, cst), "summary", true, 1},
		{time.Date(2026, 12, 1, 0, 0, 0, 0, cst), "", false, 0},
		// The day is taken in the time's own zone: 16:30 UTC on 30 Apr is
		// already 1 May in China.
		{time.Date(2026, 4, 30, 16, 30, 0, 0, time.UTC).In(cst), "analysis", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.when.Format(time.RFC3339), func(t *testing.T) {
			p, ok := c.PhaseAt(tt.when)
			if ok != tt.ok || p.ID != tt.want {
				t.Errorf("PhaseAt = %q, %v; want %q, %v", p.ID, ok, tt.want, tt.ok)
			}
			if got := len(c.PhasesAt(tt.when)); got != tt.nPhase {
				t.Errorf("PhasesAt = %d phases, want %d", got, tt.nPhase)
			}
		})
	}
}

// campaignSrc is a valid campaign file with phases given as JSON.
func campaignSrc(phases string) string {
	return `{"id":"c","name":"n","year":2026,"forms":{"visit":{"id":"visit","version":1},"worker_questionnaire":{"id":"worker_questionnaire","version":1},"enterprise_questionnaire":{"id":"enterprise_questionnaire","version":1}},"phases":[` + phases + `]}`
}

func TestParseCampaignErrors(t *testing.T) {
	ph := func(id, name, start, end string) string {
		return `{"id":"` + id + `","name":"` + name + `","start":"` + start + `","end":"` + end + `"}`
	}
	one := ph("a", "甲", "2026-03-01", "2026-03-31")
	tests := []struct{ name, src, want string }{
		{"not json", `{"id":`, "格式错误：内容不完整或为空"},
		{"syntax", `{"id" "c"}`, "格式错误：第 1 行第 7 列附近不是有效的 JSON"},
		{"unknown key", strings.Replace(campaignSrc(one), `"year"`, `"visit_form":"visit","year"`, 1), `未知的属性 "visit_form"`},
		{"wrong type", strings.Replace(campaignSrc(one), `"year":2026`, `"year":"2026"`, 1), "属性 year 的值应为整数"},
		{"trailing", campaignSrc(one) + `{}`, "配置之后还有多余内容"},
		{"not utf-8", "{\"id\":\"\xff\"}", "不是 UTF-8"},
		{"no phases", campaignSrc(""), "没有任何活动阶段"},
		{"missing name", strings.Replace(campaignSrc(one), `"name":"n",`, ``, 1), "缺少活动名称"},
		{"bad id", strings.Replace(campaignSrc(one), `"id":"c"`, `"id":"活动"`, 1), `活动编号 "活动" 无效`},
		{"bad year", strings.Replace(campaignSrc(one), `2026,`, `26,`, 1), "活动年度 (year) 应为 2000 至 2100 之间的年份，实际为 26"},
		{"bad form id", strings.Replace(campaignSrc(one), `"visit":{"id":"visit"`, `"visit":{"id":"Visit Form"`, 1), `走访记录表的表单编号 "Visit Form" 无效`},
		{"no form version", strings.Replace(campaignSrc(one), `"enterprise_questionnaire","version":1`, `"enterprise_questionnaire"`, 1), "企业经营者问卷的表单版本"},
		{"bad date", campaignSrc(ph("a", "甲", "2026-02-30", "2026-03-02")), `第 1 个阶段“甲”的开始日期 "2026-02-30" 不是有效日期`},
		{"not a date", campaignSrc(ph("a", "甲", "2026-03-01", "4月30日")), `结束日期 "4月30日" 不是有效日期`},
		{"reversed", campaignSrc(ph("a", "甲", "2026-03-02", "2026-03-01")), "结束日期 2026-03-01 早于开始日期 2026-03-02"},
		{"other year", campaignSrc(ph("a", "甲", "2020-03-01", "2020-04-01")), "开始于 2020 年，不在活动年度 2026 年"},
		{"duplicate id", campaignSrc(one + "," + ph("a", "乙", "2026-04-01", "2026-04-30")), "第 2 个阶段“乙”的编号 a 与第 1 个阶段重复"},
		{"out of order", campaignSrc(ph("b", "乙", "2026-04-01", "2026-04-30") + "," + one), "阶段应按时间先后排列：第 2 个阶段“甲”开始于 2026-03-01"},
		{"same start", campaignSrc(one + "," + ph("b", "乙", "2026-03-01", "2026-04-30")), "不晚于前一个第 1 个阶段“甲”的开始日期"},
		{"nested", campaignSrc(one + "," + ph("b", "乙", "2026-03-10", "2026-03-20")), "落在前一个第 1 个阶段“甲”（2026-03-01 至 2026-03-31）之内"},
		{"three at once", campaignSrc(one + "," + ph("b", "乙", "2026-03-20", "2026-04-10") + "," + ph("c", "丙", "2026-03-25", "2026-04-20")), "第 3 个阶段“丙”开始于 2026-03-25，此时第 1 个阶段“甲”尚未结束"},
		{"control char", strings.Replace(campaignSrc(one), `"name":"n"`, `"name":"n\u0007"`, 1), "活动名称含有控制字符"},
		{"long name", strings.Replace(campaignSrc(one), `"name":"n"`, `"name":"`+strings.Repeat("长", 101)+`"`, 1), "活动名称过长"},
		{"huge", campaignSrc(one) + strings.Repeat(" ", 70000), "文件过大"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCampaign([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCampaign = %v, want error containing %q", err, tt.want)
			}
			if c != nil {
				t.Errorf("ParseCampaign returned a campaign with an error")
			}
			var ce *CampaignError
			if err != nil && !errors.As(err, &ce) {
				t.Errorf("error is %T, want *CampaignError", err)
			}
		})
	}
}

// Neighbouring phases may overlap, as the plan's 宣传发动 and 排查摸底 do;
// the phases and every problem found are all reported at once.
func TestParseCampaignOverlapAndAllProblems(t *testing.T) {
	ok := campaignSrc(`{"id":"a","name":"宣传发动","start":"2026-03-20","end":"2026-04-15"},{"id":"b","name":"排查摸底","start":"2026-04-01","end":"2026-04-30"},{"id":"c","name":"总结","start":"2026-11-01","end":"2027-01-15"}`)
	if _, err := ParseCampaign([]byte(ok)); err != nil {
		t.Fatalf("ParseCampaign(overlapping neighbours, ending next year) = %v", err)
	}
	bad := strings.Replace(campaignSrc(`{"id":"a","name":"","start":"2026-13-01","end":"2026-03-31"}`), `"name":"n"`, `"name":""`, 1)
	_, err := ParseCampaign([]byte(bad))
	var ce *CampaignError
	if !errors.As(err, &ce) {
		t.Fatalf("ParseCampaign = %v, want *CampaignError", err)
	}
	var paths []string
	for _, p := range ce.Problems {
		paths = append(paths, p.Path)
	}
	if got, want := strings.Join(paths, " "), "name phases[0].name phases[0].start"; got != want {
		t.Errorf("problem paths = %q, want %q (%v)", got, want, err)
	}
}

func TestCampaignJSONRoundTrip(t *testing.T) {
	c := shippedCampaign(t)
	c.Name = `带"引号"和<尖括号>的名称`
	c.Organizer = ""
	again, err := ParseCampaign(c.JSON())
	if err != nil {
		t.Fatalf("ParseCampaign(JSON()) = %v\n%s", err, c.JSON())
	}
	if !reflect.DeepEqual(again, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", again, c)
	}
}

func TestCampaignCheckForms(t *testing.T) {
	set := shippedForms(t)
	w1, _ := set.Get("worker_questionnaire", 1)
	w2 := *w1
	w2.Version = 2
	withV2 := NewFormSet(append(set.Forms(), &w2)...)
	c := shippedCampaign(t)
	if ps := c.CheckForms(withV2); len(ps) != 1 || ps[0].Path != "forms.worker_questionnaire.version" || !strings.Contains(ps[0].Message, "已发布第 2 版") {
		t.Errorf("campaign on v1 with v2 published: %v", ps)
	}
	moved, changed := c.WithForm(&w2)
	if !changed || moved.Forms.Worker != (FormRef{"worker_questionnaire", 2}) || c.Forms.Worker.Version != 1 {
		t.Errorf("WithForm(v2) = %+v, %v (original %+v)", moved.Forms, changed, c.Forms)
	}
	if ps := moved.CheckForms(withV2); len(ps) != 0 {
		t.Errorf("campaign moved to v2: %v", ps)
	}
	if _, changed := moved.WithForm(&w2); changed {
		t.Errorf("WithForm of the version already named reports a change")
	}
	other := *w1
	other.ID = "other_questionnaire"
	if _, changed := c.WithForm(&other); changed {
		t.Errorf("WithForm of a form the campaign does not use reports a change")
	}
	c2 := c.Clone()
	c2.Forms.Visit = FormRef{"worker_questionnaire", 1}
	c2.Forms.Enterprise = FormRef{"enterprise_questionnaire", 3}
	c2.Forms.Worker = FormRef{"no_such_form", 1}
	var msgs []string
	for _, p := range c2.CheckForms(set) {
		msgs = append(msgs, p.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"表单 worker_questionnaire 是职工问卷，不能用作走访记录表", "职工问卷所用的表单 no_such_form 尚未发布", "表单 enterprise_questionnaire 没有第 3 版"} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckForms problems:\n%s\nwant %q", got, want)
		}
	}
}

func TestCampaignStatus(t *testing.T) {
	c := shippedCampaign(t)
	cst := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		when time.Time
		want string
	}{
		{time.Date(2026, 3, 1, 9, 0, 0, 0, cst), "活动尚未开始：第一阶段“宣传发动”从 2026-03-20 开始"},
		{time.Date(2026, 4, 2, 9, 0, 0, 0, cst), "当前阶段：排查摸底（2026-04-01 至 2026-04-30）"},
		{time.Date(2026, 12, 3, 9, 0, 0, 0, cst), "本年度活动已于 2026-11-30 结束（最后阶段“总结”）"},
	} {
		if got := c.Status(tt.when); got != tt.want {
			t.Errorf("Status(%s) = %q, want %q", tt.when.Format("2006-01-02"), got, tt.want)
		}
	}
	gap, err := ParseCampaign([]byte(campaignSrc(`{"id":"a","name":"甲","start":"2026-03-01","end":"2026-03-31"},{"id":"b","name":"乙","start":"2026-05-01","end":"2026-05-31"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := gap.Status(time.Date(2026, 4, 10, 9, 0, 0, 0, cst)), "今天（2026-04-10）不在活动阶段内，下一阶段“乙”从 2026-05-01 开始"; got != want {
		t.Errorf("Status between phases = %q, want %q", got, want)
	}
}
