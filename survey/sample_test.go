package survey

import "testing"

func TestSampleVisitAnswersIsValid(t *testing.T) {
	f := shippedForm(t, "visit")
	for _, n := range []int{0, 1, 20} {
		if ps := Validate(f, SampleVisitAnswers("2026-04-15", n), day); len(ps) > 0 {
			t.Errorf("SampleVisitAnswers(%d demands): %v", n, ps)
		}
	}
}
