package survey

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// workerV2 is the changed worker questionnaire of the tests: awareness and
// sat_protection reworded, sat_services retired (relevant false()),
// sat_skills added, an option added to help_most.
func workerV2(t testing.TB) *Form {
	t.Helper()
	data, err := os.ReadFile("testdata/forms/worker_questionnaire.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseForm(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWorkerV2IsAnUpgrade(t *testing.T) {
	v1, _ := shippedForms(t).Get("worker_questionnaire", 1)
	if ps := CheckUpgrade(v1, workerV2(t)); len(ps) > 0 {
		t.Fatalf("CheckUpgrade(v1, v2) = %v", ps)
	}
}

func flatten(items []OutlineItem) map[string]OutlineItem {
	out := map[string]OutlineItem{}
	var walk func([]OutlineItem)
	walk = func(its []OutlineItem) {
		for _, it := range its {
			out[it.Name] = it
			walk(it.Fields)
		}
	}
	walk(items)
	return out
}

func TestOutlineDescribesExpressions(t *testing.T) {
	visit, _ := shippedForms(t).Get("visit", 1)
	items, changes := Outline(visit, nil)
	if len(changes) != 0 {
		t.Errorf("changes without a previous version: %v", changes)
	}
	byName := flatten(items)
	for _, tt := range []struct{ name, got, want string }{
		{"partner_other relevant", byName["partner_other"].Relevant, "当「联合走访部门」选了“其他”时显示"},
		{"capacity_percent relevant", byName["capacity_percent"].Relevant, "当「复工复产状态」选“部分复工”时显示"},
		{"capacity_percent constraint", byName["capacity_percent"].Constraint, "答案须满足：本题答案不小于 0，并且本题答案不大于 100"},
		{"workers_on_duty constraint", byName["workers_on_duty"].Constraint, "答案须满足：本题答案不小于 0，并且（「职工总数」未填写，或者本题答案不大于「职工总数」）"},
		{"on_duty_percent calculation", byName["on_duty_percent"].Calculation, "自动计算为：（如果「职工总数」大于 0，则为（「在岗职工人数」 × 100 ÷ 「职工总数」）的整数部分，否则为空）"},
		{"difficulties constraint", byName["difficulties"].Constraint, "答案须满足：本题答案没有选“暂无明显困难”，或者本题答案选中的项数等于 1"},
		{"layoff_workers relevant", byName["layoff_workers"].Relevant, "当「是否有裁员或降薪计划」没有选“无”，并且「是否有裁员或降薪计划」已填写时显示"},
		{"demand_count calculation", byName["demand_count"].Calculation, "自动计算为：「六、职工诉求」的条数"},
		{"demand_description constraint", byName["demand_description"].Constraint, "答案须满足：本题答案的字数不小于 5"},
		{"followup_date constraint", byName["followup_date"].Constraint, "答案须满足：「走访日期」未填写，或者本题答案不小于「走访日期」"},
		{"visit_date type", byName["visit_date"].TypeText, "日期"},
		{"demands type", byName["demands"].TypeText, "可重复填写的一组"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if it := byName["risk_immediate_report"]; it.ConstraintExpr != "${risk_level} != 'major' or . = 'yes'" || it.Constraint != "答案须满足：「劳动关系风险等级」没有选“重大”，或者本题答案选“是”" {
		t.Errorf("risk_immediate_report: %q / %q", it.ConstraintExpr, it.Constraint)
	}
}

// Expressions outside the shipped forms: precedence, literals on the left,
// functions without a Chinese reading of their own.
func TestOutlineExpressionForms(t *testing.T) {
	f, err := ParseForm([]byte(`{"id":"t","version":1,"title":"T","fields":[
		{"name":"a","type":"integer","label":"甲"},
		{"name":"b","type":"select_one","label":"乙","choices":[{"value":"y","label":"是"},{"value":"n","label":"否"}]},
		{"name":"c","type":"text","label":"丙","relevant":"'y' = ${b} and (${a} > 1 or ${a} < -2)"},
		{"name":"d","type":"calculate","calculation":"concat(${a}, '件') "},
		{"name":"e","type":"text","label":"戊","relevant":"not(${a} = 3) and coalesce(${a}, 0) mod 2 = 0"},
		{"name":"g","type":"text","label":"己","relevant":"false()"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	byName := flatten(func() []OutlineItem { it, _ := Outline(f, nil); return it }())
	for name, want := range map[string]string{
		"c": "当「乙」选“是”，并且（「甲」大于 1，或者「甲」小于 −2）时显示",
		"e": "当并非（「甲」等于 3），并且「甲」（为空时取0） 除以后的余数 2 等于 0时显示",
	} {
		if got := byName[name].Relevant; got != want {
			t.Errorf("%s relevant = %q, want %q", name, got, want)
		}
	}
	if got, want := byName["d"].Calculation, "自动计算为：「甲」接上“件”"; got != want {
		t.Errorf("d calculation = %q, want %q", got, want)
	}
	if g := byName["g"]; !g.Retired || !strings.Contains(g.Relevant, "已停用") {
		t.Errorf("g = %+v, want retired", g)
	}
}

func TestOutlineChanges(t *testing.T) {
	v1, _ := shippedForms(t).Get("worker_questionnaire", 1)
	items, changes := Outline(workerV2(t), v1)
	want := []string{
		"题目「您对“真情协商·和谐共赢”集中行动的了解程度」改为「您对“真情协商·和谐共赢”品牌服务活动的了解程度」",
		"题目「对劳动保护和疫情防控措施的满意度」改为「对劳动保护和安全生产措施的满意度」",
		"新增题目「对技能培训和就业服务的满意度」",
		"停用题目「对法律援助、困难帮扶和心理服务的满意度」（不再显示，已收集的答案保留）",
		"「您最希望工会在哪方面提供帮助」新增选项“子女入托入学”",
		"「您最希望工会在哪方面提供帮助」的选项“劳动保护和防疫”改为“劳动保护和安全生产”",
	}
	if got := strings.Join(changes, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	byName := flatten(items)
	if !byName["sat_skills"].New || byName["sat_wages"].New || len(byName["sat_wages"].Changed) != 0 {
		t.Errorf("sat_skills new %v, sat_wages new %v changed %v", byName["sat_skills"].New, byName["sat_wages"].New, byName["sat_wages"].Changed)
	}
	for _, c := range byName["help_most"].Choices {
		if c.New != (c.Value == "childcare") || c.Relabelled != (c.Value == "protection") {
			t.Errorf("help_most choice %+v", c)
		}
	}
	// A version that deletes a question says so (CheckUpgrade refuses it;
	// the preview still tells what the file does).
	cut := *v1
	cut.Fields = cut.Fields[:len(cut.Fields)-1]
	if _, ch := Outline(&cut, v1); len(ch) != 1 || ch[0] != "删除题目「意见和建议」" {
		t.Errorf("changes of a cut form = %v", ch)
	}
}

func TestAnswerCensus(t *testing.T) {
	v2 := workerV2(t)
	c := NewAnswerCensus(v2)
	c.Add(Answers{"awareness": "very", "sat_services": "5", "help_most": "childcare"})
	c.Add(Answers{"awareness": "know", "help_most": "other", "help_other": "食堂"})
	if ps := c.Problems(); len(ps) != 0 {
		t.Fatalf("answers v2 keeps: %v", ps)
	}
	c.Add(Answers{"awareness": "little", "retired_q": "x", "participated": []any{"yes"}, "help_most": "pets"})
	c.Add(Answers{"awareness": "little"})
	var msgs []string
	for _, p := range c.Problems() {
		msgs = append(msgs, p.Path+": "+p.Message)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{
		"awareness: 已收集的 2 份记录中字段 awareness（您对“真情协商·和谐共赢”品牌服务活动的了解程度）选了 little，新版本没有这个选项",
		"help_most: 已收集的 1 份记录中字段 help_most（您最希望工会在哪方面提供帮助）选了 pets，新版本没有这个选项",
		"participated: 已收集的 1 份记录中字段 participated（您是否参加过集体协商、职代会或协商活动）的答案是多个选项，新版本的select_one类型不能读取",
		"retired_q: 已收集的 1 份记录中有字段 retired_q 的答案，新版本没有这个字段",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("census problems:\n%s\nwant %q", got, want)
		}
	}
	// Repeats: answers inside items are checked under the repeat's name.
	visit, _ := shippedForms(t).Get("visit", 1)
	vc := NewAnswerCensus(visit)
	vc.Add(Answers{"demands": []any{map[string]any{"demand_category": "wages", "gone": "x"}}})
	ps := vc.Problems()
	if len(ps) != 1 || ps[0].Path != "demands → gone" {
		t.Errorf("repeat census: %v", ps)
	}
}

func TestRateNotesAcrossVersions(t *testing.T) {
	v2 := workerV2(t)
	set := NewFormSet(append(shippedForms(t).Forms(), v2)...)
	rs := []Response{
		{Kind: RespondentWorker, FormID: "worker_questionnaire", FormVersion: 1, Answers: Answers{"awareness": "very", "sat_services": "5", "sat_overall": "4"}},
		{Kind: RespondentWorker, FormID: "worker_questionnaire", FormVersion: 1, Answers: Answers{"awareness": "no", "sat_services": "2", "sat_overall": "3"}},
		{Kind: RespondentWorker, FormID: "worker_questionnaire", FormVersion: 2, Answers: Answers{"awareness": "heard", "sat_skills": "5", "sat_overall": "5"}},
	}
	r := ComputeRates(rs)
	if got := r.Versions; got[FormRef{"worker_questionnaire", 1}] != 2 || got[FormRef{"worker_questionnaire", 2}] != 1 {
		t.Errorf("Versions = %v", got)
	}
	if got, want := r.SatisfactionItems["sat_services"], (Rate{Hits: 1, Valid: 2}); got != want {
		t.Errorf("sat_services = %+v, want %+v (version 1 only)", got, want)
	}
	if got, want := r.SatisfactionItems["sat_skills"], (Rate{Hits: 1, Valid: 1}); got != want {
		t.Errorf("sat_skills = %+v, want %+v (version 2 only)", got, want)
	}
	if got, want := r.Satisfaction, (Rate{Hits: 2, Valid: 3}); got != want {
		t.Errorf("satisfaction = %+v, want %+v (both versions)", got, want)
	}
	if got, want := strings.Join(VersionLines(set, r.Versions), "\n"), "职工问卷（worker_questionnaire）：第 1 版 2 份，第 2 版 1 份"; got != want {
		t.Errorf("VersionLines = %q, want %q", got, want)
	}
	notes := strings.Join(RateNotes(set, r.Versions), "\n")
	for _, want := range []string{
		"「对技能培训和就业服务的满意度」：第 1 版没有此题（2 份），只按第 2 版的 1 份答卷计算",
		"「对法律援助、困难帮扶和心理服务的满意度」：第 2 版已停用此题（1 份），只按第 1 版的 2 份答卷计算",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("RateNotes:\n%s\nwant %q", notes, want)
		}
	}
	if n := len(RateNotes(set, map[FormRef]int{{"worker_questionnaire", 1}: 3})); n != 0 {
		t.Errorf("one version: %d notes", n)
	}
	var merged Rates
	merged.Merge(r)
	if merged.Versions[FormRef{"worker_questionnaire", 2}] != 1 {
		t.Errorf("Merge lost the versions: %v", merged.Versions)
	}
	qs := RateQuestions(set, FormWorkerQuestionnaire, "sat_")
	var names []string
	for _, q := range qs {
		names = append(names, q.Name)
	}
	if got, want := strings.Join(names, " "), "sat_wages sat_protection sat_democracy sat_bargaining sat_skills sat_services sat_overall"; got != want {
		t.Errorf("RateQuestions = %s, want %s", got, want)
	}
	if qs[1].Label != "对劳动保护和安全生产措施的满意度" {
		t.Errorf("sat_protection is labelled %q, want the newest wording", qs[1].Label)
	}
}

// AddJSON (the stored answers as JSON, decoded only where the census
// looks) finds exactly what Add finds.
func TestAnswerCensusJSONMatchesDecoded(t *testing.T) {
	visit, _ := shippedForms(t).Get("visit", 1)
	records := []Answers{
		{"awareness": "little", "retired_q": "x", "participated": []any{"yes"}, "help_most": "pets", "comment": "食堂"},
		{"demands": []any{map[string]any{"demand_category": "wages", "gone": "x"}, map[string]any{"demand_category": "nope"}}},
		{"partner_departments": []any{"hrss", "zoo"}, "workers_total": "12", "demands": []any{}, "x": nil},
		{"difficulties": "orders", "demands": "not a list"},
	}
	for _, f := range []*Form{workerV2(t), visit} {
		a, b := NewAnswerCensus(f), NewAnswerCensus(f)
		for _, r := range records {
			a.Add(r)
			j, _ := json.Marshal(r)
			if err := b.AddJSON(j); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := fmt.Sprint(b.Problems()), fmt.Sprint(a.Problems()); got != want || b.Records != a.Records {
			t.Errorf("%s: AddJSON found\n%s\nAdd found\n%s", f.ID, got, want)
		}
	}
	if err := NewAnswerCensus(visit).AddJSON([]byte(`{"a":`)); err == nil {
		t.Error("broken JSON accepted")
	}
}
