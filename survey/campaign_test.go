package survey

import (
	"os"
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
	if c.VisitForm != "visit" || c.WorkerForm != "worker_questionnaire" || c.EnterpriseForm != "enterprise_questionnaire" {
		t.Errorf("forms = %q %q %q", c.VisitForm, c.WorkerForm, c.EnterpriseForm)
	}
	// Every form the campaign names is shipped.
	set := shippedForms(t)
	for _, id := range []string{c.VisitForm, c.WorkerForm, c.EnterpriseForm} {
		if _, ok := set.Latest(id); !ok {
			t.Errorf("campaign names form %q, which is not shipped", id)
		}
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

func TestParseCampaignErrors(t *testing.T) {
	const forms = `"visit_form":"visit","worker_form":"worker_questionnaire","enterprise_form":"enterprise_questionnaire"`
	tests := []struct{ name, src, want string }{
		{"not json", `{"id":`, "活动配置格式错误"},
		{"unknown key", `{"id":"c","name":"n",` + forms + `,"phases":[],"year":2026}`, "活动配置格式错误"},
		{"no phases", `{"id":"c","name":"n",` + forms + `}`, "没有任何活动阶段"},
		{"missing name", `{"id":"c",` + forms + `,"phases":[{"id":"a","name":"甲","start":"2026-01-01","end":"2026-01-02"}]}`, "缺少活动名称"},
		{"bad form id", `{"id":"c","name":"n","visit_form":"Visit Form","worker_form":"w","enterprise_form":"e","phases":[{"id":"a","name":"甲","start":"2026-01-01","end":"2026-01-02"}]}`, `visit_form 应为表单编号，实际为 "Visit Form"`},
		{"bad date", `{"id":"c","name":"n",` + forms + `,"phases":[{"id":"a","name":"甲","start":"2026-02-30","end":"2026-03-02"}]}`, `第 1 个阶段“甲”的开始日期 "2026-02-30" 无效`},
		{"reversed", `{"id":"c","name":"n",` + forms + `,"phases":[{"id":"a","name":"甲","start":"2026-03-02","end":"2026-03-01"}]}`, "结束日期 2026-03-01 早于开始日期 2026-03-02"},
		{"duplicate id", `{"id":"c","name":"n",` + forms + `,"phases":[{"id":"a","name":"甲","start":"2026-03-01","end":"2026-03-02"},{"id":"a","name":"乙","start":"2026-03-03","end":"2026-03-04"}]}`, "第 2 个阶段“乙”的编号 a 重复"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCampaign([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCampaign = %v, want error containing %q", err, tt.want)
			}
		})
	}
}
