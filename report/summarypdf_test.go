package report

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"zoufang/survey"
)

func TestWriteSummaryPDF(t *testing.T) {
	rs := []survey.Response{
		{Kind: survey.RespondentWorker, Answers: survey.Answers{"awareness": "very", "participated": "yes", "sat_overall": "5"}},
		{Kind: survey.RespondentWorker, Answers: survey.Answers{"awareness": "no", "participated": "no", "sat_overall": "4"}},
		{Kind: survey.RespondentWorker, Answers: survey.Answers{"awareness": "heard", "participated": "no", "sat_overall": "2"}},
		{Kind: survey.RespondentManager, Answers: survey.Answers{"rec_bargaining": "5", "rec_service": "3"}},
	}
	s := Summary{Enterprise: survey.Enterprise{Name: "青岛海川精密机械有限公司", District: "市南区"}, Campaign: "2020年活动", Rates: survey.ComputeRates(rs), Today: testToday}
	var a, b bytes.Buffer
	if err := WriteSummaryPDF(&a, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummaryPDF(&b, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs differ")
	}
	txt := squash(pdfText(t, a.Bytes()))
	for _, want := range []string{"满意度测评问卷汇总表", s.Enterprise.Name, "知晓率", "参与率", "满意率", "企业认可度", "66.7%", "33.3%", "50.0%"} {
		if !strings.Contains(txt, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if err := WriteSummaryPDF(&bytes.Buffer{}); err == nil {
		t.Error("no summaries: want error")
	}
}

// Responses on two versions of the worker questionnaire: the page counts
// each version, words the bars as the newest version does, shows the
// question only version 2 asks and the one it retired, and says over which
// responses each is taken.
func TestWriteSummaryPDFAcrossVersions(t *testing.T) {
	set, err := survey.LoadForms(os.DirFS("../assets/forms"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../survey/testdata/forms/worker_questionnaire.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := survey.ParseForm(data)
	if err != nil {
		t.Fatal(err)
	}
	forms := survey.NewFormSet(append(set.Forms(), v2)...)
	w := func(version int, a survey.Answers) survey.Response {
		return survey.Response{Kind: survey.RespondentWorker, FormID: "worker_questionnaire", FormVersion: version, Answers: a}
	}
	rs := []survey.Response{
		w(1, survey.Answers{"awareness": "very", "sat_overall": "5", "sat_services": "5", "sat_protection": "4"}),
		w(1, survey.Answers{"awareness": "no", "sat_overall": "2", "sat_services": "2", "sat_protection": "2"}),
		w(2, survey.Answers{"awareness": "heard", "sat_overall": "4", "sat_skills": "5", "sat_protection": "5"}),
	}
	s := Summary{Enterprise: survey.Enterprise{Name: "青岛海川精密机械有限公司", District: "市南区"}, Campaign: "活动", Rates: survey.ComputeRates(rs), Today: testToday, Forms: forms}
	var buf bytes.Buffer
	if err := WriteSummaryPDF(&buf, s); err != nil {
		t.Fatal(err)
	}
	txt := squash(pdfText(t, buf.Bytes()))
	for _, want := range []string{
		"职工问卷（worker_questionnaire）：第1版2份，第2版1份",
		"满意：劳动保护和安全生产措施", // reworded in version 2
		"满意：技能培训和就业服务",   // added in version 2: 1 of 1
		"满意：法律援助与帮扶服务",   // retired in version 2: answered in version 1 only
		"「对技能培训和就业服务的满意度」：第1版没有此题（2份），只按第2版的1份答卷计算",
		"「对法律援助、困难帮扶和心理服务的满意度」：第2版已停用此题（1份），只按第1版的2份答卷计算",
		"66.7%", // 满意率: 5, 2, 4 over both versions
	} {
		if !strings.Contains(txt, squash(want)) {
			t.Errorf("summary lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "劳动保护与防疫") {
		t.Error("the bar keeps the 2020 wording the newest version dropped")
	}
}
