package survey

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Names of the visit form's fields that code (not only the form) relies
// on: the roster fills some in, the ledger is made from the demands, the
// sign-off dialog proposes the person who received the team. A new form
// version must keep these names; everything else may change freely.
const (
	FieldVisitDate        = "visit_date"
	FieldReceivedByName   = "received_by_name"
	FieldReceivedByTitle  = "received_by_title"
	FieldWorkersTotal     = "workers_total"
	FieldUnionEstablished = "has_union"
	FieldDemands          = "demands"
	FieldDemandCategory   = "demand_category"
	FieldDemandText       = "demand_description"
	FieldDemandWorkers    = "demand_workers_affected"
	FieldDemandUrgency    = "demand_urgency"
	FieldDemandToLedger   = "demand_to_ledger"
	FieldFollowUpDate     = "followup_date"
)

const (
	choiceYes           = "yes"
	defaultItemAddLabel = "添加一条"
	demandItemAddLabel  = "添加诉求"
)

// NewVisitAnswers returns the starting answers of a visit of e on form f:
// the form's defaults, and what the roster already knows (职工总数 and
// 是否建立工会), so the team confirms them instead of asking again.
func NewVisitAnswers(f *Form, e Enterprise) Answers {
	a := NewAnswers(f)
	if fd := f.Lookup(FieldWorkersTotal); fd != nil && e.Workers > 0 {
		a[FieldWorkersTotal] = strconv.Itoa(e.Workers)
	}
	if fd := f.Lookup(FieldUnionEstablished); fd != nil && e.HasUnion {
		// Only "yes" is taken over: a roster's 否 is often just empty.
		if checkChoice(fd, choiceYes) == "" {
			a[FieldUnionEstablished] = choiceYes
		}
	}
	return a
}

// Day returns the visit date answered on the form, or "" when there is none.
func (v Visit) Day() string {
	d, _ := v.Answers[FieldVisitDate].(string)
	return d
}

// ReceivedBy returns who received the team (name, title) as answered.
func (v Visit) ReceivedBy() (name, title string) {
	name, _ = v.Answers[FieldReceivedByName].(string)
	title, _ = v.Answers[FieldReceivedByTitle].(string)
	return name, title
}

// AddItemLabel is the text of the button that adds an item to repeat fd.
func AddItemLabel(fd *Field) string {
	if fd.Name == FieldDemands {
		return demandItemAddLabel
	}
	return defaultItemAddLabel
}

// ChoiceLabelOf returns the label of value in the field name of f, or value
// itself when the form has no such field or choice (an old record).
func (f *Form) ChoiceLabelOf(name, value string) string {
	if f == nil {
		return value
	}
	if fd := f.Lookup(name); fd != nil {
		return fd.ChoiceLabel(value)
	}
	return value
}

// VisitChangeError says why a visit may not be stored as proposed; Message
// is for the user, Problems lists what is wrong with the answers.
type VisitChangeError struct {
	Message  string
	Problems []Problem
}

func (e *VisitChangeError) Error() string { return e.Message }

// ErrVisitChange matches every *VisitChangeError with errors.Is.
var ErrVisitChange = errors.New("visit change refused")

// Is makes errors.Is(err, ErrVisitChange) true.
func (e *VisitChangeError) Is(target error) bool { return target == ErrVisitChange }

// CheckVisitChange is the life cycle of a visit record, applied to every
// write of one: prev is what is stored (Status "" for a new visit), next
// what is to be stored, f the visit's form and today the day for
// validation. It returns nil when next may be stored:
//
//   - a draft may hold any answers, complete or not;
//   - a visit becomes 已完成 only with answers that pass Validate;
//   - a finished (已完成 or 已签字确认) visit never goes back to a draft and
//     never holds answers that fail Validate; changing its answers needs an
//     EditReason;
//   - 已签字确认 needs a finished visit and a sign-off with the signer's
//     name and a valid date; the signed answers cannot change without the
//     visit going back to 已完成 (the signature no longer covers them).
//
// So no path (autosave, finalize, an edit, a sign-off) can leave a finished
// visit invalid.
func CheckVisitChange(prev, next Visit, f *Form, today time.Time) error {
	refuse := func(msg string, ps []Problem) error { return &VisitChangeError{Message: msg, Problems: ps} }
	if f == nil || f.ID != next.FormID || f.Version != next.FormVersion {
		return refuse("走访记录的表单版本不符", nil)
	}
	if err := checkVisitText(next, f); err != nil {
		return err
	}
	switch next.Status {
	case VisitDraft:
		if prev.Status != "" && prev.Status != VisitDraft {
			return refuse("已完成的走访记录不能改回草稿", nil)
		}
		return nil
	case VisitFinalized, VisitSigned:
	default:
		return refuse(fmt.Sprintf("未知的走访状态 %q", next.Status), nil)
	}
	if ps := Validate(f, next.Answers, today); len(ps) > 0 {
		return refuse(fmt.Sprintf("走访记录还有 %d 处需要填写或修改，不能保存为%s", len(ps), next.Status.Label()), ps)
	}
	finished := prev.Status == VisitFinalized || prev.Status == VisitSigned
	changed := finished && !reflect.DeepEqual(NormalizeAnswers(prev.Answers), NormalizeAnswers(next.Answers))
	if changed && strings.TrimSpace(next.EditReason) == "" {
		return refuse("修改已完成的走访记录需要填写修改原因", nil)
	}
	if next.Status == VisitFinalized {
		return nil
	}
	// 已签字确认
	if !finished {
		return refuse("走访记录尚未完成，不能签字确认", nil)
	}
	if changed {
		return refuse("已签字确认的内容改动后需要重新打印签字，不能保持已签字确认", nil)
	}
	return CheckSignOff(next.SignOff)
}

// checkVisitText refuses a visit holding free text over its limit, whatever
// its status: LengthProblems of the answers, the edit reason and the
// sign-off. The first over-long answer is named; Problems lists them all,
// so the form shows each under its field.
func checkVisitText(v Visit, f *Form) error {
	if ps := LengthProblems(f, v.Answers); len(ps) > 0 {
		label := ps[0].Path
		if fd := f.Lookup(ps[0].Field); fd != nil && fd.Label != "" {
			label = "“" + fd.Label + "”"
		}
		msg := fmt.Sprintf("%s%s，请缩短后再保存；未保存", label, ps[0].Message)
		if len(ps) > 1 {
			msg = fmt.Sprintf("有 %d 处文字超过字数上限，第一处：%s", len(ps), msg)
		}
		return &VisitChangeError{Message: msg, Problems: ps}
	}
	if err := CheckText("修改原因", v.EditReason, MaxLongText); err != nil {
		return &VisitChangeError{Message: err.Error() + "，未保存"}
	}
	return nil
}

// CheckSignOff checks the enterprise's sign-off of a printed record.
func CheckSignOff(s *SignOff) error {
	switch {
	case s == nil:
		return &VisitChangeError{Message: "缺少企业签字确认信息"}
	case strings.TrimSpace(s.SignerName) == "":
		return &VisitChangeError{Message: "请填写签字人姓名"}
	case !ValidDay(s.Date):
		return &VisitChangeError{Message: "签字日期应按“年-月-日”填写，如 2026-04-05"}
	}
	for _, err := range []error{CheckText("签字人姓名", s.SignerName, MaxLineText), CheckText("签字人职务", s.SignerTitle, MaxLineText)} {
		if err != nil {
			return &VisitChangeError{Message: err.Error()}
		}
	}
	return nil
}
