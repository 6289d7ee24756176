package survey

import (
	"testing"
	"time"
)

func TestPersonalInfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"希望工会多组织培训", ""},
		{"有事打我电话13812345678", "手机号码"},
		{"电话 138 1234 5678", "手机号码"},
		{"电话138-1234-5678谢谢", "手机号码"},
		{"１３８１２３４５６７８", "手机号码"},
		{"座机0532-85761234", "电话号码"},
		{"身份证370202199001011234", "身份证号"},
		{"身份证37020219900101123X", "身份证号"},
		{"工资 12000 元，加班 30 小时", ""},
		{"去年欠薪 1500000 元", ""},
		{"2026-04-15 开会", ""},
	}
	for _, tc := range tests {
		if got := PersonalInfo(tc.in); got != tc.want {
			t.Errorf("PersonalInfo(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAnonymousQuestionnaireRefusesPhoneNumbers(t *testing.T) {
	f := &Form{ID: "w", Version: 1, Kind: FormWorkerQuestionnaire, Title: "问卷", Fields: []Field{
		{Name: "comment", Type: TypeTextarea, Label: "意见"},
	}}
	today := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	ps := Validate(f, Answers{"comment": "请联系我 13812345678"}, today)
	if len(ps) != 1 || ps[0].Path != "comment" {
		t.Fatalf("problems %v, want one on comment", ps)
	}
	if ps := Validate(f, Answers{"comment": "食堂伙食可以改善"}, today); len(ps) != 0 {
		t.Errorf("problems %v for a plain comment", ps)
	}
	// A visit record is not anonymous: a contact number there is fine.
	f.Kind = FormVisit
	if ps := Validate(f, Answers{"comment": "请联系我 13812345678"}, today); len(ps) != 0 {
		t.Errorf("problems %v on a visit form", ps)
	}
}
