package survey

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// KindReview is the record kind of a district's review of one visit. Only the
// district writes review records; they travel down to the laptops that made
// or own the visit.
const KindReview RecordKind = "review"

// ReviewDecision is what a reviewer decided about one version of a visit.
// The string values are stored; never rename one.
type ReviewDecision string

// Review decisions.
const (
	ReviewApproved ReviewDecision = "approved" // 已通过
	ReviewReturned ReviewDecision = "returned" // 退回修改
)

// Label returns the Chinese name of the decision.
func (d ReviewDecision) Label() string {
	switch d {
	case ReviewApproved:
		return "已通过"
	case ReviewReturned:
		return "退回修改"
	}
	return string(d)
}

// ReviewState is where a finished visit stands in the district's review.
// It is not stored in the review record: it follows from the decision and
// from whether the visit changed since the version that was reviewed
// (ReviewStateOf), so a laptop's edit moves it without the laptop writing a
// review. The string values are stored in projections; never rename one.
type ReviewState string

// Review states, in the order a visit goes through them.
const (
	ReviewPending     ReviewState = "pending"     // 待审核: finished, not reviewed (or changed after approval)
	ReviewStateOK     ReviewState = "approved"    // 已通过
	ReviewStateReturn ReviewState = "returned"    // 退回修改
	ReviewResubmitted ReviewState = "resubmitted" // 已修改待复审
)

// ReviewStates lists the states in display order.
var ReviewStates = []ReviewState{ReviewPending, ReviewResubmitted, ReviewStateReturn, ReviewStateOK}

// Label returns the Chinese name of the state.
func (s ReviewState) Label() string {
	switch s {
	case ReviewPending:
		return "待审核"
	case ReviewStateOK:
		return "已通过"
	case ReviewStateReturn:
		return "退回修改"
	case ReviewResubmitted:
		return "已修改待复审"
	}
	return string(s)
}

// AwaitsReviewer reports whether the state asks the district to act.
func (s ReviewState) AwaitsReviewer() bool { return s == ReviewPending || s == ReviewResubmitted }

// FieldComment is a reviewer's comment on one answer of a visit. Path
// addresses the field as survey.Problem does: "wages_on_time", or inside a
// repeat group "demands[1].demand_description" (zero-based index).
type FieldComment struct {
	Path    string `json:"path"`
	Comment string `json:"comment"`
}

// Review is the district's decision on a visit: one record per visit (its id
// is ReviewID of the visit id, so every reviewer writes versions of the same
// record), one version per decision. VisitVersion names the version of the
// visit that was looked at: when the visit changes after it, the state moves
// on (ReviewStateOf).
type Review struct {
	ID           string         `json:"id"`
	VisitID      string         `json:"visit_id"`
	EnterpriseID string         `json:"enterprise_id"`
	VisitVersion string         `json:"visit_version"`
	Decision     ReviewDecision `json:"decision"`
	// Comment is the overall comment; required when returning.
	Comment string `json:"comment,omitempty"`
	// Fields are comments on single answers, in form order.
	Fields   []FieldComment `json:"fields,omitempty"`
	Reviewer string         `json:"reviewer"`
	At       time.Time      `json:"at"`
}

// reviewSpace is the UUID namespace of review record ids (a fixed random
// UUID; never change it, or reviews written before would no longer be found).
var reviewSpace = uuid.MustParse("5f0d9d52-7a3c-4c61-9f6e-2b8e0c4a7d13")

// ReviewID is the record id of the review of a visit: a name-based UUID
// (version 5) of the visit id, the same on every machine.
func ReviewID(visitID string) string {
	return uuid.NewSHA1(reviewSpace, []byte(visitID)).String()
}

// Limits of a review's text, checked by Review.Check.
const (
	MaxReviewComment = MaxLongText // runes, overall comment and each field comment
	MaxFieldComments = 200
)

// pathPattern is a field path: name, or name[index].name inside repeats.
var pathPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}(\[[0-9]{1,4}\]\.[a-z][a-z0-9_]{0,63})*$`)

// Check validates a review for storing or merging: its id derives from the
// visit id, the ids are set, the decision known, a returned review has a
// comment, the comments are within bounds and address distinct fields. The
// message is Chinese.
func (r Review) Check() error {
	if r.VisitID == "" || r.ID != ReviewID(r.VisitID) {
		return fmt.Errorf("审核记录编号与走访记录不符")
	}
	if r.EnterpriseID == "" || r.VisitVersion == "" {
		return fmt.Errorf("审核记录缺少企业或走访记录版本")
	}
	switch r.Decision {
	case ReviewApproved:
	case ReviewReturned:
		if strings.TrimSpace(r.Comment) == "" && len(r.Fields) == 0 {
			return fmt.Errorf("退回修改时请填写审核意见")
		}
	default:
		return fmt.Errorf("审核结论 %q 无效", r.Decision)
	}
	if strings.TrimSpace(r.Reviewer) == "" || r.At.IsZero() {
		return fmt.Errorf("审核记录缺少审核人或时间")
	}
	if err := CheckText("审核意见", r.Comment, MaxReviewComment); err != nil {
		return err
	}
	if len(r.Fields) > MaxFieldComments {
		return fmt.Errorf("逐项意见最多 %d 条", MaxFieldComments)
	}
	seen := map[string]bool{}
	for _, c := range r.Fields {
		if !pathPattern.MatchString(c.Path) {
			return fmt.Errorf("逐项意见的题目 %q 无效", c.Path)
		}
		if seen[c.Path] {
			return fmt.Errorf("题目 %s 有两条逐项意见", c.Path)
		}
		seen[c.Path] = true
		if strings.TrimSpace(c.Comment) == "" {
			return fmt.Errorf("题目 %s 的意见为空", c.Path)
		}
		if err := CheckText("题目 "+c.Path+" 的意见", c.Comment, MaxReviewComment); err != nil {
			return err
		}
	}
	return nil
}

// FieldComment returns the reviewer's comment on the answer at path, or "".
func (r Review) FieldComment(path string) string {
	for _, c := range r.Fields {
		if c.Path == path {
			return c.Comment
		}
	}
	return ""
}

// ReviewStateOf is the review state of a visit whose current version is
// current, given the latest review (nil when none) and the visit version it
// reviewed (nil when that version is not known). A draft has no review state
// (""). A visit whose answers changed since the reviewed version is back with
// the reviewer: 已修改待复审 after a return, 待审核 after an approval; a new
// version that changed no answer (the enterprise's sign-off recorded, an
// edit undone) keeps the decision.
func ReviewStateOf(current Visit, currentVersion string, r *Review, reviewed *Visit) ReviewState {
	if current.Status == VisitDraft || current.Status == "" {
		return ""
	}
	if r == nil {
		return ReviewPending
	}
	changed := currentVersion != r.VisitVersion && (reviewed == nil || AnswersChanged(reviewed.Answers, current.Answers))
	switch {
	case r.Decision == ReviewReturned && changed:
		return ReviewResubmitted
	case r.Decision == ReviewReturned:
		return ReviewStateReturn
	case changed:
		return ReviewPending
	}
	return ReviewStateOK
}

// AnswersChanged reports whether two answer sets differ once normalised:
// the same answers stored by two program versions compare equal, and an
// empty text is the same as no answer.
func AnswersChanged(a, b Answers) bool {
	return !reflect.DeepEqual(withoutBlanks(NormalizeAnswers(a)), withoutBlanks(NormalizeAnswers(b)))
}

// withoutBlanks drops unanswered values (empty or blank text) from
// normalised answers, inside repeat items too.
func withoutBlanks(a Answers) Answers {
	out := Answers{}
	for k, v := range a {
		switch x := v.(type) {
		case string:
			if strings.TrimSpace(x) == "" {
				continue
			}
		case []Answers:
			items := make([]Answers, len(x))
			for i := range x {
				items[i] = withoutBlanks(x[i])
			}
			v = items
		}
		out[k] = v
	}
	return out
}
