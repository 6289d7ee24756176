package survey

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Anonymous reports whether records of this form must not identify a
// person: the satisfaction questionnaires. Their free text is checked for
// phone and ID numbers (see Validate), because the plan promises workers
// anonymity and a number typed into a comment would break it.
func (f *Form) Anonymous() bool {
	return f.Kind == FormWorkerQuestionnaire || f.Kind == FormEnterpriseQuestionnaire
}

// PersonalInfo names the kind of personal number found in s ("手机号码",
// "电话号码", "身份证号"), or returns "" when there is none. Digits may be
// full-width and grouped with spaces or dashes ("138 1234 5678").
func PersonalInfo(s string) string {
	for _, run := range digitRuns(s) {
		switch {
		case len(run) == 18 || (len(run) == 17 && strings.HasSuffix(run, "X")):
			return "身份证号"
		case len(run) == 11 && run[0] == '1' && run[1] >= '3' && run[1] <= '9':
			return "手机号码"
		case len(run) >= 10 && len(run) <= 12 && run[0] == '0':
			return "电话号码"
		}
	}
	return ""
}

// digitRuns returns the runs of digits in s, joining digits separated by a
// single space or dash and keeping an X that ends an 18-character ID.
func digitRuns(s string) []string {
	rs := []rune(width.Narrow.String(s))
	var runs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			runs = append(runs, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
		case (r == 'X' || r == 'x') && cur.Len() == 17:
			cur.WriteRune('X')
			flush()
		case (r == ' ' || r == '-' || unicode.Is(unicode.Pd, r)) && cur.Len() > 0 && i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9':
			// a separator inside a number: 138-1234-5678
		default:
			flush()
		}
	}
	flush()
	return runs
}

// personalInfoProblem is the validation message for a free-text answer of
// an anonymous questionnaire that contains a phone or ID number.
func personalInfoProblem(raw any) string {
	s, _ := scalarAnswer(raw)
	if kind := PersonalInfo(s); kind != "" {
		return "本问卷是匿名的，请删去" + kind + "，不要留下能认出您的信息"
	}
	return ""
}
