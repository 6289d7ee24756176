package survey

import "time"

// SampleVisitAnswers returns a complete, valid answer set of the shipped
// visit form (visit.v1) for a visit on visitDate with the given number of
// demands. The demo data set, tests and benchmarks of other packages use
// it; the names and figures are fictional.
func SampleVisitAnswers(visitDate string, demands int) Answers {
	ds := make([]Answers, demands)
	cats := []string{"wages", "social_insurance", "safety_epidemic", "layoff_contract", "hours_overtime", "mental_health", "hardship", "training_employment", "other"}
	for i := range ds {
		ds[i] = Answers{
			"demand_category":         cats[i%len(cats)],
			"demand_description":      sampleDemands[i%len(sampleDemands)],
			"demand_workers_affected": "12",
			"demand_urgency":          "pressing",
			"demand_to_ledger":        "yes",
		}
	}
	followUp := visitDate
	if t, err := time.Parse("2006-01-02", visitDate); err == nil {
		followUp = t.AddDate(0, 0, 21).Format("2006-01-02")
	}
	return Answers{
		"visit_date":               visitDate,
		"team_members":             "张伟、李娜",
		"partner_departments":      []string{"renshe", "fayuan"},
		"received_by_name":         "王强",
		"received_by_title":        "人事经理",
		"workers_interviewed":      "6",
		"visit_mode":               "onsite",
		"resumption_state":         "partial",
		"capacity_percent":         "65",
		"workers_total":            "120",
		"workers_on_duty":          "80",
		"difficulties":             []string{"orders", "funding"},
		"difficulties_note":        "海外订单减少三成",
		"wages_paid":               "late",
		"shutdown_pay":             "compliant",
		"layoff_plan":              "pay_cut",
		"layoff_workers":           "30",
		"emergency_overtime":       "no",
		"social_insurance":         "deferred",
		"contract_rate":            "98.5",
		"has_union":                "yes",
		"congress":                 "online",
		"congress_procedure":       "yes",
		"openness":                 "partly",
		"openness_items":           []string{"wage_agreement", "epidemic"},
		"contracts":                []string{"comprehensive", "wage"},
		"wage_bargaining":          "planned",
		"joins_april_offer":        "yes",
		"mental_health_clause":     "no",
		"demands":                  ds,
		"hardship_workers":         "3",
		"hardship_to_archive":      "2",
		"hardship_help":            []string{"living", "schooling"},
		"ppe_adequate":             "yes",
		"counselling_need":         "some",
		"mental_station_candidate": "no",
		"risk_level":               "high",
		"risk_kinds":               []string{"wage_arrears"},
		"risk_immediate_report":    "no",
		"risk_explanation":         "延迟发放工资两个月",
		"measures_taken":           "与企业协商工资支付计划",
		"rights_letter":            "advice",
		"legal_aid_needed":         "no",
		"followup_needed":          "yes",
		"followup_plan":            "五月初回访工资发放情况",
		"followup_date":            followUp,
	}
}

// sampleDemands are fictional demand descriptions for SampleVisitAnswers.
var sampleDemands = []string{
	"复工后加班费未按规定计算，职工希望工会出面与企业协商",
	"部分职工社会保险缓缴后未补缴，担心影响医保报销",
	"车间防护用品发放不足，夏季高温作业缺少防暑措施",
	"企业拟调整岗位，职工希望先召开职代会讨论方案",
	"连续加班超过法定上限，职工要求安排调休",
	"疫情后部分职工情绪焦虑，希望提供心理疏导",
	"困难职工子女上学费用有困难，申请帮扶",
	"职工希望参加技能培训并获得相应证书",
}
