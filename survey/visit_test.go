package survey

import (
	"errors"
	"testing"
	"time"
)

func TestNewVisitAnswersFromRoster(t *testing.T) {
	f := shippedForm(t, "visit")
	a := NewVisitAnswers(f, Enterprise{Name: "青岛顺丰", Workers: 320, HasUnion: true})
	if a[FieldWorkersTotal] != "320" || a[FieldUnionEstablished] != "yes" {
		t.Errorf("answers %v: want workers_total 320 and has_union yes from the roster", a)
	}
	if a["visit_mode"] != "onsite" {
		t.Errorf("form default visit_mode lost: %v", a["visit_mode"])
	}
	a = NewVisitAnswers(f, Enterprise{Name: "新企业"})
	if _, ok := a[FieldWorkersTotal]; ok {
		t.Errorf("workers_total %v for a roster without a count", a[FieldWorkersTotal])
	}
	if _, ok := a[FieldUnionEstablished]; ok {
		t.Errorf("has_union %v from a roster that does not say yes", a[FieldUnionEstablished])
	}
}

// TestCheckVisitChange walks the visit life cycle: no write may leave a
// finished visit invalid, go back to a draft, or change signed content.
func TestCheckVisitChange(t *testing.T) {
	f := shippedForm(t, "visit")
	today := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	valid := SampleVisitAnswers("2026-04-14", 1)
	invalid := SampleVisitAnswers("2026-04-14", 1)
	delete(invalid, "team_members")
	edited := SampleVisitAnswers("2026-04-14", 1)
	edited["workers_on_duty"] = "90"
	visit := func(st VisitStatus, a Answers, reason string, so *SignOff) Visit {
		return Visit{ID: "v", FormID: f.ID, FormVersion: f.Version, Status: st, Answers: a, EditReason: reason, SignOff: so}
	}
	sign := &SignOff{SignerName: "王经理", Date: "2026-04-15"}
	tests := []struct {
		name       string
		prev, next Visit
		ok         bool
	}{
		{"new draft", Visit{}, visit(VisitDraft, invalid, "", nil), true},
		{"draft autosave, incomplete", visit(VisitDraft, invalid, "", nil), visit(VisitDraft, invalid, "", nil), true},
		{"finalize incomplete", visit(VisitDraft, invalid, "", nil), visit(VisitFinalized, invalid, "", nil), false},
		{"finalize valid", visit(VisitDraft, invalid, "", nil), visit(VisitFinalized, valid, "", nil), true},
		{"finished back to draft", visit(VisitFinalized, valid, "", nil), visit(VisitDraft, valid, "补充", nil), false},
		{"edit without reason", visit(VisitFinalized, valid, "", nil), visit(VisitFinalized, edited, "", nil), false},
		{"edit with reason", visit(VisitFinalized, valid, "", nil), visit(VisitFinalized, edited, "企业补充", nil), true},
		{"edit leaving it invalid", visit(VisitFinalized, valid, "", nil), visit(VisitFinalized, invalid, "企业补充", nil), false},
		{"sign a draft", visit(VisitDraft, valid, "", nil), visit(VisitSigned, valid, "", sign), false},
		{"sign without signer", visit(VisitFinalized, valid, "", nil), visit(VisitSigned, valid, "", &SignOff{Date: "2026-04-15"}), false},
		{"sign with a bad date", visit(VisitFinalized, valid, "", nil), visit(VisitSigned, valid, "", &SignOff{SignerName: "王经理", Date: "4月15日"}), false},
		{"sign", visit(VisitFinalized, valid, "", nil), visit(VisitSigned, valid, "", sign), true},
		{"change signed content, stay signed", visit(VisitSigned, valid, "", sign), visit(VisitSigned, edited, "企业补充", sign), false},
		{"change signed content back to finalized", visit(VisitSigned, valid, "", sign), visit(VisitFinalized, edited, "企业补充", nil), true},
		{"signed invalid", visit(VisitSigned, valid, "", sign), visit(VisitFinalized, invalid, "企业补充", nil), false},
		{"unknown status", visit(VisitDraft, valid, "", nil), visit("archived", valid, "", nil), false},
		{"other form version", visit(VisitDraft, valid, "", nil), Visit{FormID: f.ID, FormVersion: f.Version + 1, Status: VisitDraft}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckVisitChange(tc.prev, tc.next, f, today)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckVisitChange = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrVisitChange) {
				t.Errorf("error %T does not match ErrVisitChange", err)
			}
		})
	}
}
