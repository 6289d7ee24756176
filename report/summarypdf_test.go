package report

import (
	"bytes"
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
