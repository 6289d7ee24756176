package survey

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// day is the evaluation day of the tests (for today()).
var day = time.Date(2026, 4, 20, 15, 0, 0, 0, time.Local)

// shippedForms loads the forms under assets/forms.
func shippedForms(t testing.TB) *FormSet {
	t.Helper()
	set, err := LoadForms(os.DirFS("../assets/forms"))
	if err != nil {
		t.Fatalf("LoadForms(assets/forms): %v", err)
	}
	return set
}

func shippedForm(t testing.TB, id string) *Form {
	t.Helper()
	f, ok := shippedForms(t).Latest(id)
	if !ok {
		t.Fatalf("form %q not shipped", id)
	}
	return f
}

// demand returns one valid item of the demands repeat.
func demand(category string) Answers {
	return Answers{
		"demand_category":         category,
		"demand_description":      "复工后加班费未按规定计算",
		"demand_workers_affected": "12",
		"demand_urgency":          "pressing",
		"demand_to_ledger":        "yes",
	}
}

// validVisit returns a complete, valid visit record.
func validVisit() Answers {
	return Answers{
		"visit_date":               "2026-04-15",
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
		"demands":                  []Answers{demand("wages"), demand("hours_overtime")},
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
		"followup_date":            "2026-05-06",
	}
}

// with returns a copy of a with the given keys set (nil deletes).
func with(a Answers, kv ...any) Answers {
	out := Answers{}
	for k, v := range a {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

func problemStrings(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}

func TestShippedFormsLoad(t *testing.T) {
	set := shippedForms(t)
	for _, id := range []string{"visit", "worker_questionnaire", "enterprise_questionnaire"} {
		f, ok := set.Get(id, 1)
		if !ok {
			t.Fatalf("Get(%q, 1) missing", id)
		}
		if string(f.Kind) != id {
			t.Errorf("%s: kind = %q, want %q", id, f.Kind, id)
		}
	}
	if _, ok := set.Get("visit", 2); ok {
		t.Errorf("Get(visit, 2) found a form that does not exist")
	}
	if got := len(set.All()); got != 3 {
		t.Errorf("All() = %d forms, want 3", got)
	}
}

func TestVisitFormShape(t *testing.T) {
	f := shippedForm(t, "visit")
	var sections []string
	for _, fd := range f.Fields {
		if fd.Type == TypeGroup || fd.Type == TypeRepeat {
			sections = append(sections, fd.Name)
		}
	}
	want := []string{"basic", "operation", "labour", "democracy", "bargaining", "demands", "hardship", "safety", "risk", "measures", "signoff"}
	if !reflect.DeepEqual(sections, want) {
		t.Errorf("sections = %v, want %v", sections, want)
	}
	// Field names other packages rely on, with their types.
	contract := map[string]FieldType{
		"visit_date": TypeDate, "team_members": TypeText, "partner_departments": TypeSelectMultiple,
		"received_by_name": TypeText, "received_by_title": TypeText, "workers_interviewed": TypeInteger,
		"visit_mode": TypeSelectOne, "resumption_state": TypeSelectOne, "capacity_percent": TypeDecimal,
		"workers_total": TypeInteger, "workers_on_duty": TypeInteger, "difficulties": TypeSelectMultiple,
		"difficulties_note": TypeTextarea, "demands": TypeRepeat, "demand_category": TypeSelectOne,
		"demand_description": TypeTextarea, "demand_workers_affected": TypeInteger,
		"demand_urgency": TypeSelectOne, "demand_to_ledger": TypeSelectOne, "risk_level": TypeSelectOne,
		"risk_kinds": TypeSelectMultiple, "risk_immediate_report": TypeSelectOne,
		"risk_explanation": TypeTextarea, "followup_date": TypeDate,
	}
	for name, typ := range contract {
		fd := f.Lookup(name)
		if fd == nil {
			t.Errorf("visit form lacks field %q", name)
			continue
		}
		if fd.Type != typ {
			t.Errorf("%s: type %q, want %q", name, fd.Type, typ)
		}
	}
	labels := map[string][2]string{
		"partner_departments":   {"xinfang", "信访"},
		"visit_mode":            {"online", "线上"},
		"resumption_state":      {"halted", "停产"},
		"demand_urgency":        {"urgent", "紧急"},
		"demand_to_ledger":      {"no", "否"},
		"risk_level":            {"major", "重大"},
		"risk_immediate_report": {"yes", "是"},
	}
	for name, vl := range labels {
		if got := f.Lookup(name).ChoiceLabel(vl[0]); got != vl[1] {
			t.Errorf("%s.ChoiceLabel(%q) = %q, want %q", name, vl[0], got, vl[1])
		}
	}
	if got := f.Lookup("demand_to_ledger").Default; got != "yes" {
		t.Errorf("demand_to_ledger default = %q, want yes", got)
	}
	if got := f.Lookup("risk_level").ChoiceLabel("unknown"); got != "unknown" {
		t.Errorf("ChoiceLabel of unknown value = %q, want the value itself", got)
	}
}

func TestQuestionnaireShape(t *testing.T) {
	scale := map[string]string{"5": "非常满意", "4": "满意", "3": "一般", "2": "不满意", "1": "非常不满意"}
	w := shippedForm(t, "worker_questionnaire")
	for _, name := range []string{"sat_wages", "sat_protection", "sat_democracy", "sat_bargaining", "sat_services", "sat_overall"} {
		fd := w.Lookup(name)
		if fd == nil {
			t.Fatalf("worker questionnaire lacks %s", name)
		}
		for v, l := range scale {
			if got := fd.ChoiceLabel(v); got != l {
				t.Errorf("%s.ChoiceLabel(%q) = %q, want %q", name, v, got, l)
			}
		}
	}
	for _, name := range []string{"awareness", "participated", "help_most", "comment"} {
		if w.Lookup(name) == nil {
			t.Errorf("worker questionnaire lacks %s", name)
		}
	}
	e := shippedForm(t, "enterprise_questionnaire")
	for _, name := range []string{"rec_bargaining", "rec_service", "comment"} {
		if e.Lookup(name) == nil {
			t.Errorf("enterprise questionnaire lacks %s", name)
		}
	}
	if got := e.Lookup("rec_service").ChoiceLabel("5"); got != "非常认可" {
		t.Errorf("rec_service 5 = %q, want 非常认可", got)
	}
	// Anonymous: nothing that asks for a person.
	for _, f := range []*Form{w, e} {
		var walk func([]Field)
		walk = func(fs []Field) {
			for _, fd := range fs {
				for _, bad := range []string{"name", "phone", "id_card", "mobile", "identity"} {
					if strings.Contains(fd.Name, bad) {
						t.Errorf("%s: field %q looks personal in an anonymous questionnaire", f.ID, fd.Name)
					}
				}
				for _, bad := range []string{"姓名", "电话", "身份证"} {
					if strings.Contains(fd.Label, bad) {
						t.Errorf("%s: field %q asks for %s", f.ID, fd.Name, bad)
					}
				}
				walk(fd.Fields)
			}
		}
		walk(f.Fields)
	}
}

func TestValidVisitHasNoProblems(t *testing.T) {
	f := shippedForm(t, "visit")
	if ps := Validate(f, validVisit(), day); len(ps) != 0 {
		t.Fatalf("Validate(valid visit) = %v, want no problems", problemStrings(ps))
	}
}

// TestVisitConstraints checks every real constraint of the visit form, each
// with an answer set that satisfies it and one that breaks it.
func TestVisitConstraints(t *testing.T) {
	f := shippedForm(t, "visit")
	base := validVisit()
	tests := []struct {
		name    string
		answers Answers
		want    []string // "path: message" of every problem
	}{
		{"on duty equal to total", with(base, "workers_on_duty", "120"), nil},
		{"on duty above total", with(base, "workers_on_duty", "121"),
			[]string{"workers_on_duty: 在岗职工人数不能超过职工总数"}},
		{"on duty negative", with(base, "workers_on_duty", "-1"),
			[]string{"workers_on_duty: 在岗职工人数不能超过职工总数"}},
		{"capacity 0", with(base, "capacity_percent", "0"), nil},
		{"capacity 100", with(base, "capacity_percent", "100"), nil},
		{"capacity above 100", with(base, "capacity_percent", "100.5"),
			[]string{"capacity_percent: 产能恢复比例应在 0 到 100 之间"}},
		{"capacity negative", with(base, "capacity_percent", "-3"),
			[]string{"capacity_percent: 产能恢复比例应在 0 到 100 之间"}},
		{"capacity required when partial", with(base, "capacity_percent", nil),
			[]string{"capacity_percent: 此项为必填项"}},
		{"capacity not asked when fully resumed", with(base, "resumption_state", "full", "capacity_percent", nil), nil},
		{"capacity ignored when fully resumed", with(base, "resumption_state", "full", "capacity_percent", "250"), nil},
		{"major risk reported", with(base, "risk_level", "major", "risk_immediate_report", "yes"), nil},
		{"major risk not reported", with(base, "risk_level", "major", "risk_immediate_report", "no"),
			[]string{"risk_immediate_report: 风险等级为“重大”时必须立即向上级工会报告"}},
		{"major risk flag missing", with(base, "risk_level", "major", "risk_immediate_report", nil),
			[]string{"risk_immediate_report: 此项为必填项"}},
		{"one worker interviewed", with(base, "workers_interviewed", "1"), nil},
		{"nobody interviewed", with(base, "workers_interviewed", "0"),
			[]string{"workers_interviewed: 至少要与 1 名职工面对面交流，走访不能走过场"}},
		{"interview count missing", with(base, "workers_interviewed", ""),
			[]string{"workers_interviewed: 此项为必填项"}},
		{"follow-up on visit day", with(base, "followup_date", "2026-04-15"), nil},
		{"follow-up before visit", with(base, "followup_date", "2026-04-14"),
			[]string{"followup_date: 跟进日期不能早于走访日期"}},
		{"follow-up a year before", with(base, "followup_date", "2025-12-31"),
			[]string{"followup_date: 跟进日期不能早于走访日期"}},
		{"visit in the future", with(base, "visit_date", "2026-04-21", "followup_date", "2026-05-01"),
			[]string{"visit_date: 走访日期不能晚于今天"}},
		{"no difficulties alone", with(base, "difficulties", []string{"none"}), nil},
		{"no difficulties with others", with(base, "difficulties", []string{"none", "orders"}),
			[]string{"difficulties: 选择“暂无明显困难”时不能再选其他困难"}},
		{"archive more than hardship", with(base, "hardship_to_archive", "4"),
			[]string{"hardship_to_archive: 纳入档案人数不能超过困难职工人数"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(Validate(f, tt.answers, day))
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateTypes(t *testing.T) {
	f := shippedForm(t, "visit")
	base := validVisit()
	tests := []struct {
		name string
		kv   []any
		want string
	}{
		{"integer with fraction", []any{"workers_total", "12.5"}, `workers_total: 应填写整数，"12.5" 不是整数`},
		{"integer not a number", []any{"workers_total", "十二"}, `workers_total: 应填写整数，"十二" 不是整数`},
		{"decimal not a number", []any{"contract_rate", "NaN"}, `contract_rate: 应填写数字，"NaN" 不是数字`},
		{"date format", []any{"visit_date", "2026/04/15"}, "visit_date: 日期应按“年-月-日”填写，如 2026-04-05；“2026/04/15”不是有效日期"},
		{"date not in calendar", []any{"visit_date", "2026-02-30"}, "visit_date: 日期 2026-02-30 不存在"},
		{"unknown choice", []any{"visit_mode", "phone"}, `visit_mode: 选项 "phone" 不在可选范围内`},
		{"unknown multi choice", []any{"partner_departments", []string{"renshe", "gongan"}}, `partner_departments: 选项 "gongan" 不在可选范围内`},
		{"repeated multi choice", []any{"partner_departments", []string{"renshe", "renshe"}}, `partner_departments: 选项 "renshe" 重复`},
		{"list for a scalar", []any{"team_members", []string{"张伟"}}, "team_members: 答案类型不正确（应为单个值）"},
		{"map for a multi", []any{"partner_departments", map[string]any{"x": 1}}, "partner_departments: 答案类型不正确（应为多个选项）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(Validate(f, with(base, tt.kv...), day))
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("Validate = %q, want [%q]", got, tt.want)
			}
		})
	}
}

func TestRequiredOnlyWhenRelevant(t *testing.T) {
	f := shippedForm(t, "visit")
	tests := []struct {
		name    string
		answers Answers
		want    []string
	}{
		{"other department named", with(validVisit(), "partner_departments", []string{"other"}, "partner_other", "应急管理局"), nil},
		{"other department unnamed", with(validVisit(), "partner_departments", []string{"other"}),
			[]string{"partner_other: 此项为必填项"}},
		{"no layoff, no count", with(validVisit(), "layoff_plan", "none", "layoff_workers", nil), nil},
		{"layoff without count", with(validVisit(), "layoff_plan", "layoff", "layoff_workers", nil),
			[]string{"layoff_workers: 此项为必填项"}},
		{"low risk needs no kinds", with(validVisit(), "risk_level", "low", "risk_kinds", nil, "risk_explanation", nil), nil},
		{"medium risk needs kinds", with(validVisit(), "risk_level", "medium", "risk_kinds", nil),
			[]string{"risk_kinds: 此项为必填项"}},
		{"no follow-up, no date", with(validVisit(), "followup_needed", "no", "followup_plan", nil, "followup_date", "2000-01-01"), nil},
		{"no hardship", with(validVisit(), "hardship_workers", "0", "hardship_to_archive", nil, "hardship_help", nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemStrings(Validate(f, tt.answers, day))
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmptyVisitListsEveryRequiredField(t *testing.T) {
	f := shippedForm(t, "visit")
	ps := Validate(f, Answers{}, day)
	var paths []string
	for _, p := range ps {
		if p.Message != "此项为必填项" {
			t.Errorf("unexpected problem %v", p)
		}
		paths = append(paths, p.Path)
	}
	// Form order, starting with basic and ending with measures; nothing
	// that is only relevant for some answers (capacity_percent, ...).
	if len(paths) == 0 || paths[0] != "visit_date" || paths[len(paths)-1] != "followup_needed" {
		t.Errorf("paths = %v, want visit_date first and followup_needed last", paths)
	}
	for _, p := range paths {
		if p == "capacity_percent" || p == "partner_other" || p == "risk_explanation" {
			t.Errorf("non-relevant %s reported as required", p)
		}
	}
}

func TestRepeatPaths(t *testing.T) {
	f := shippedForm(t, "visit")
	bad := demand("wages")
	bad["demand_workers_affected"] = "0"
	bad["demand_urgency"] = ""
	tooMany := demand("other")
	tooMany["demand_workers_affected"] = "121"
	tooMany["demand_category"] = "weather"
	a := with(validVisit(), "demands", []Answers{demand("wages"), bad, tooMany})
	got := problemStrings(Validate(f, a, day))
	want := []string{
		"demands[1].demand_workers_affected: 涉及职工人数应至少 1 人，且不超过职工总数",
		"demands[1].demand_urgency: 此项为必填项",
		`demands[2].demand_category: 选项 "weather" 不在可选范围内`,
		"demands[2].demand_workers_affected: 涉及职工人数应至少 1 人，且不超过职工总数",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Validate = %q\nwant %q", got, want)
	}
	ps := Validate(f, a, day)
	if ps[0].Field != "demand_workers_affected" {
		t.Errorf("Field = %q, want the bare name", ps[0].Field)
	}

	e := Evaluate(f, a, day)
	for path, want := range map[string]bool{
		"demands":                   true,
		"demands[2]":                true,
		"demands[3]":                false,
		"demands[1].demand_urgency": true,
		"demands[5].demand_urgency": false,
		"no_such_field":             false,
	} {
		if got := e.Relevant(path); got != want {
			t.Errorf("Relevant(%q) = %v, want %v", path, got, want)
		}
	}
	if got := e.Value("demands[2].demand_category"); got != "weather" {
		t.Errorf("Value(demands[2].demand_category) = %v, want weather", got)
	}
	if got := e.Value("demand_count"); got != "3" {
		t.Errorf("Value(demand_count) = %v, want 3", got)
	}
}

func TestRepeatSiblingShadowsTopLevel(t *testing.T) {
	src := `{"id":"t","version":1,"title":"t","fields":[
	  {"name":"limit","type":"integer","label":"上限"},
	  {"name":"items","type":"repeat","label":"项","fields":[
	    {"name":"limit","type":"integer","label":"本项上限"},
	    {"name":"n","type":"integer","label":"数量","constraint":". <= ${limit}","constraint_message":"超过上限"},
	    {"name":"total","type":"calculate","calculation":"${limit} * 2"}
	  ]}]}`
	f, err := ParseForm([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := Answers{"limit": "100", "items": []Answers{{"limit": "5", "n": "6"}, {"limit": "10", "n": "6"}}}
	got := problemStrings(Validate(f, a, day))
	if want := []string{"items[0].n: 超过上限"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Validate = %q, want %q", got, want)
	}
	e := Evaluate(f, a, day)
	if got := e.Value("items[1].total"); got != "20" {
		t.Errorf("items[1].total = %v, want 20", got)
	}
}

func TestClean(t *testing.T) {
	f := shippedForm(t, "visit")
	a := with(validVisit(),
		"resumption_state", "full", // capacity_percent becomes non-relevant
		"risk_level", "low", // risk_kinds and risk_explanation too
		"enterprise_note", "a note holds no value",
		"stray", "not in the form",
		"team_members", "",
		"difficulties", []string{},
	)
	a["demands"] = []Answers{demand("wages"), {"demand_category": "other", "junk": "x"}}
	got := Clean(f, a, day)
	for _, k := range []string{"capacity_percent", "risk_kinds", "risk_explanation", "enterprise_note", "stray", "team_members", "difficulties", "difficulties_note"} {
		if _, ok := got[k]; ok {
			t.Errorf("Clean kept %q = %v", k, got[k])
		}
	}
	for _, k := range []string{"visit_date", "workers_total", "risk_level", "followup_date"} {
		if got[k] != a[k] {
			t.Errorf("Clean %s = %v, want %v", k, got[k], a[k])
		}
	}
	if got["on_duty_percent"] != "66" || got["demand_count"] != "2" {
		t.Errorf("calculations = %v, %v; want 66, 2", got["on_duty_percent"], got["demand_count"])
	}
	items, ok := got["demands"].([]Answers)
	if !ok || len(items) != 2 {
		t.Fatalf("demands = %#v, want 2 items", got["demands"])
	}
	if want := (Answers{"demand_category": "other"}); !reflect.DeepEqual(items[1], want) {
		t.Errorf("demands[1] = %v, want %v", items[1], want)
	}
	// Clean is idempotent and survives a JSON round trip.
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back Answers
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if again := Clean(f, NormalizeAnswers(back), day); !reflect.DeepEqual(again, got) {
		t.Errorf("Clean(JSON round trip) = %v\nwant %v", again, got)
	}
}

func TestNormalizeAnswers(t *testing.T) {
	var a Answers
	src := `{"s":"x","n":12,"b":true,"multi":["a","b"],"empty":[],"null":null,
	  "rep":[{"k":"v","m":["c"]},{"k":2}]}`
	if err := json.Unmarshal([]byte(src), &a); err != nil {
		t.Fatal(err)
	}
	got := NormalizeAnswers(a)
	want := Answers{
		"s": "x", "n": "12", "b": "true", "multi": []string{"a", "b"},
		"rep": []Answers{{"k": "v", "m": []string{"c"}}, {"k": "2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NormalizeAnswers = %#v\nwant %#v", got, want)
	}
	if NormalizeAnswers(nil) != nil {
		t.Errorf("NormalizeAnswers(nil) != nil")
	}
}

func TestJSONDecodedAnswersValidate(t *testing.T) {
	f := shippedForm(t, "visit")
	data, err := json.Marshal(validVisit())
	if err != nil {
		t.Fatal(err)
	}
	var raw Answers
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	// Not normalised: []any everywhere. Validate must read it the same.
	if ps := Validate(f, raw, day); len(ps) != 0 {
		t.Errorf("Validate(JSON-decoded) = %v", problemStrings(ps))
	}
}

func TestNewAnswersDefaults(t *testing.T) {
	f := shippedForm(t, "visit")
	a := NewAnswers(f)
	if a["visit_mode"] != "onsite" || a["rights_letter"] != "none" {
		t.Errorf("NewAnswers = %v, want visit_mode onsite and rights_letter none", a)
	}
	if _, ok := a["demand_to_ledger"]; ok {
		t.Errorf("repeat child default leaked to the top level")
	}
	item := NewRepeatItem(f.Lookup("demands"))
	if want := (Answers{"demand_urgency": "normal", "demand_to_ledger": "yes"}); !reflect.DeepEqual(item, want) {
		t.Errorf("NewRepeatItem = %v, want %v", item, want)
	}
}

func TestQuestionnaireValidation(t *testing.T) {
	w := shippedForm(t, "worker_questionnaire")
	good := Answers{"awareness": "know", "participated": "yes", "sat_wages": "4", "sat_protection": "5",
		"sat_democracy": "3", "sat_bargaining": "4", "sat_services": "2", "sat_overall": "4", "help_most": "training"}
	if ps := Validate(w, good, day); len(ps) != 0 {
		t.Errorf("valid worker response: %v", problemStrings(ps))
	}
	got := problemStrings(Validate(w, with(good, "sat_overall", "6", "help_most", "other", "comment", strings.Repeat("好", 501)), day))
	want := []string{`sat_overall: 选项 "6" 不在可选范围内`, "help_other: 此项为必填项", "comment: 意见和建议不超过 500 字"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Validate = %q, want %q", got, want)
	}
	e := shippedForm(t, "enterprise_questionnaire")
	if got := problemStrings(Validate(e, Answers{"rec_bargaining": "5"}, day)); !reflect.DeepEqual(got, []string{"rec_service: 此项为必填项"}) {
		t.Errorf("enterprise Validate = %q", got)
	}
}

func BenchmarkValidateVisit20Demands(b *testing.B) {
	f := shippedForm(b, "visit")
	items := make([]Answers, 20)
	for i := range items {
		items[i] = demand([]string{"wages", "social_insurance", "hardship", "other"}[i%4])
		items[i]["demand_description"] = fmt.Sprintf("第 %d 条诉求：复工后加班费未按规定计算", i+1)
	}
	a := with(validVisit(), "demands", items)
	if ps := Validate(f, a, day); len(ps) != 0 {
		b.Fatalf("benchmark answers invalid: %v", problemStrings(ps))
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate(f, a, day)
	}
}

func TestNestedRepeats(t *testing.T) {
	src := `{"id":"t","version":1,"title":"t","fields":[
	  {"name":"cap","type":"integer","label":"总上限"},
	  {"name":"teams","type":"repeat","label":"组","fields":[
	    {"name":"size","type":"integer","label":"人数","constraint":". <= ${cap}","constraint_message":"超过总上限"},
	    {"name":"members","type":"repeat","label":"成员","fields":[
	      {"name":"age","type":"integer","label":"年龄","relevant":"${size} > 1","required":true},
	      {"name":"rank","type":"integer","label":"序号","constraint":". <= ${size} and . <= ${cap}","constraint_message":"序号超出"}
	    ]}
	  ]}]}`
	f, err := ParseForm([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := Answers{"cap": "3", "teams": []Answers{
		{"size": "1", "members": []Answers{{"rank": "1"}, {"rank": "2"}}},
		{"size": "4", "members": []Answers{{"rank": "3", "age": "30"}, {"rank": "1"}}},
	}}
	got := problemStrings(Validate(f, a, day))
	want := []string{
		"teams[0].members[1].rank: 序号超出",
		"teams[1].size: 超过总上限",
		"teams[1].members[1].age: 此项为必填项",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Validate = %q\nwant %q", got, want)
	}
	e := Evaluate(f, a, day)
	if e.Relevant("teams[0].members[0].age") || !e.Relevant("teams[1].members[0].age") {
		t.Errorf("age relevance should follow the enclosing team's size")
	}
	cleaned := Clean(f, a, day)
	if m := cleaned["teams"].([]Answers)[1]["members"].([]Answers)[0]; m["age"] != "30" {
		t.Errorf("Clean lost a nested answer: %v", m)
	}
}

func TestEvaluationValue(t *testing.T) {
	f := shippedForm(t, "visit")
	a := with(validVisit(), "resumption_state", "full")
	e := Evaluate(f, a, day)
	tests := []struct {
		path string
		want any
	}{
		{"workers_total", "120"},
		{"partner_departments", []string{"renshe", "fayuan"}},
		{"capacity_percent", nil}, // answered but not relevant
		{"basic", nil},            // a group holds no value
		{"enterprise_note", nil},  // nor does a note
		{"on_duty_percent", "66"}, // computed: int(80 * 100 div 120)
		{"demand_count", "2"},
		{"demands[0].demand_urgency", "pressing"},
		{"nope", nil},
	}
	for _, tt := range tests {
		if got := e.Value(tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Value(%q) = %#v, want %#v", tt.path, got, tt.want)
		}
	}
	if e.Relevant("capacity_percent") || !e.Relevant("basic") || !e.Relevant("visit_date") {
		t.Errorf("relevance wrong: capacity_percent %v, basic %v", e.Relevant("capacity_percent"), e.Relevant("basic"))
	}
	// Division by zero leaves the calculation empty rather than Inf.
	e = Evaluate(f, with(a, "workers_total", "0", "workers_on_duty", "0"), day)
	if got := e.Value("on_duty_percent"); got != "" {
		t.Errorf("on_duty_percent with no workers = %#v, want empty", got)
	}
}

// TestSpacesAreNotAnAnswer: the engine and the GUI agree that a required
// text of spaces is not answered (the GUI trimmed, the engine did not).
func TestSpacesAreNotAnAnswer(t *testing.T) {
	f := &Form{ID: "t", Version: 1, Kind: FormVisit, Title: "t", Fields: []Field{{Name: "who", Type: TypeText, Label: "姓名", Required: true}}}
	today := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	ps := Validate(f, Answers{"who": "   "}, today)
	if len(ps) != 1 || ps[0].Message != "此项为必填项" {
		t.Errorf("problems %v for a name of spaces, want 此项为必填项", ps)
	}
	if Answered("  ") || Answered([]string{}) || Answered(nil) || !Answered("张") || !Answered([]string{"a"}) {
		t.Error("Answered disagrees")
	}
	if c := Clean(f, Answers{"who": "  "}, today); len(c) != 0 {
		t.Errorf("Clean kept %v", c)
	}
}
