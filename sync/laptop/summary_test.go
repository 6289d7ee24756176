package laptop

import (
	"strings"
	"testing"

	"zoufang/survey"
)

// What came back is said in the team's terms: published forms and the
// campaign are named, not counted as 其他内容; a record is counted once
// however many of its versions a bundle carries.
func TestDownSummaryNamesForms(t *testing.T) {
	vs := []survey.Version{
		{RecordID: "f1", Kind: survey.KindForm},
		{RecordID: "c1", Kind: survey.KindCampaign},
		{RecordID: "c1", Kind: survey.KindCampaign},
		{RecordID: "r1", Kind: survey.KindReview, Payload: []byte(`{"decision":"returned"}`)},
	}
	s := summarize(vs, "device")
	if s.Forms != 2 || s.Other != 0 || s.Returned != 1 {
		t.Fatalf("summary %+v", s)
	}
	if txt := s.Text(); !strings.Contains(txt, "表单和活动配置更新 2 项") || strings.Contains(txt, "其他内容") {
		t.Errorf("text %q", txt)
	}
}
