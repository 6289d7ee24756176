package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2/widget"

	"zoufang/storage"
	"zoufang/survey"
)

// The district's review of visits on the laptop: the visit screen says
// where a visit stands (退回修改 with the reviewer's comment, 已修改待复审,
// 已通过) and shows each field comment beside its field; a returned visit
// is edited without asking for a reason (answering the comments is the
// reason), and 完成修改 stores the new version, which the district then
// sees as 已修改待复审. The home screen lists returned visits first. Reviews
// arrive in down bundles (同步, or a file); the laptop never writes one.

// reviewEditReason is the edit reason of a returned visit's edit.
const reviewEditReason = "按区总工会审核意见修改"

// loadReview reads the visit's review (on the calling goroutine: a single
// indexed lookup, done before the screen is shown and after 完成修改).
func (s *visitScreen) loadReview() {
	info, ok, err := s.u.db.ReviewOf(context.Background(), s.v.ID)
	switch {
	case err != nil:
		logError("read review", err)
		s.review = nil
	case ok:
		s.review = &info
	default:
		s.review = nil
	}
}

// returned reports whether the district returned the visit and it has not
// been changed since.
func (s *visitScreen) returned() bool {
	return s.review != nil && s.review.State == survey.ReviewStateReturn
}

// reviewState is the visit's review state ("" for a draft or before the
// district has reviewed it).
func (s *visitScreen) reviewState() survey.ReviewState {
	if s.review == nil {
		return ""
	}
	return s.review.State
}

// applyReview shows the review above the form and its field comments
// beside the fields. Comments stay visible until the district approves.
func (s *visitScreen) applyReview() {
	if s.reviewBox == nil {
		return
	}
	r := s.review
	if r == nil {
		s.reviewBox.Hide()
		s.fv.setComments(nil)
		return
	}
	text, imp := reviewSummary(r)
	s.reviewBox.Importance = imp
	s.reviewBox.SetText(text)
	s.reviewBox.Show()
	var comments map[string]string
	if r.Review.Decision == survey.ReviewReturned && r.State != survey.ReviewStateOK {
		comments = map[string]string{}
		for _, c := range r.Review.Fields {
			comments[c.Path] = c.Comment
		}
	}
	s.fv.setComments(comments)
	if s.returned() {
		s.editBtn.SetText("按审核意见修改")
		s.editBtn.Importance = widget.HighImportance
	} else {
		s.editBtn.SetText("修改")
		s.editBtn.Importance = widget.MediumImportance
	}
	s.editBtn.Refresh()
}

// reviewSummary is the line above the form.
func reviewSummary(r *storage.ReviewInfo) (string, widget.Importance) {
	who := r.Review.Reviewer + "，" + r.Review.At.Local().Format("2006-01-02 15:04")
	switch r.State {
	case survey.ReviewStateReturn:
		text := "区总工会退回修改（" + who + "）"
		if r.Review.Comment != "" {
			text += "：" + r.Review.Comment
		}
		if n := len(r.Review.Fields); n > 0 {
			text += fmt.Sprintf("\n另有 %d 条逐项意见，写在相应题目下方。", n)
		}
		return text + "\n请点“按审核意见修改”，改完点“完成修改”，再同步交回区总工会复审。", widget.DangerImportance
	case survey.ReviewResubmitted:
		text := "已按审核意见修改，等待区总工会复审（已修改待复审）。上次意见（" + who + "）"
		if r.Review.Comment != "" {
			text += "：" + r.Review.Comment
		}
		return text, widget.WarningImportance
	case survey.ReviewStateOK:
		return "区总工会已审核通过（" + who + "）", widget.SuccessImportance
	case survey.ReviewPending:
		return "区总工会审核通过后本记录又有修改，等待再次审核（上次：" + who + " 通过）", widget.WarningImportance
	}
	return "", widget.MediumImportance
}

// reviewLabel is the short mark of a review state beside a visit status.
func reviewLabel(s survey.ReviewState) string {
	switch s {
	case survey.ReviewStateReturn, survey.ReviewResubmitted, survey.ReviewStateOK:
		return s.Label()
	}
	return ""
}

// assessmentText says what the district decided about a ledger item.
func assessmentText(it survey.LedgerItem) string {
	if !it.Assessed() {
		return "区总工会尚未研判"
	}
	var parts []string
	if it.Assessment != "" {
		parts = append(parts, it.Assessment)
	}
	if it.Department != "" {
		parts = append(parts, "责任部门："+it.Department)
	}
	if it.Route != "" {
		parts = append(parts, "处理途径："+it.Route.Label())
	}
	text := strings.Join(parts, "；")
	if it.AssessedBy != "" {
		text += "（" + it.AssessedBy
		if !it.AssessedAt.IsZero() {
			text += "，" + it.AssessedAt.Local().Format("2006-01-02")
		}
		text += "）"
	}
	return text
}

// homeReviews are what the home screen needs of reviews: per enterprise,
// the review state of its visit and, for returned visits, the visit and
// the reviewer's comment.
type homeReviews struct {
	state   map[string]survey.ReviewState // enterprise id → state
	visit   map[string]string             // enterprise id → returned visit id
	comment map[string]string             // enterprise id → overall comment
}

// loadHomeReviews reads the reviews of the laptop's visits.
func loadHomeReviews(ctx context.Context, db *storage.DB) (homeReviews, error) {
	h := homeReviews{state: map[string]survey.ReviewState{}, visit: map[string]string{}, comment: map[string]string{}}
	for _, st := range []survey.ReviewState{survey.ReviewStateOK, survey.ReviewResubmitted, survey.ReviewStateReturn} {
		infos, err := db.ReviewedVisits(ctx, st)
		if err != nil {
			return h, err
		}
		for _, in := range infos {
			// A returned visit of an enterprise outranks others.
			h.state[in.Review.EnterpriseID] = st
			if st == survey.ReviewStateReturn {
				h.visit[in.Review.EnterpriseID] = in.Review.VisitID
				c := in.Review.Comment
				if c == "" && len(in.Review.Fields) > 0 {
					c = in.Review.Fields[0].Comment
				}
				h.comment[in.Review.EnterpriseID] = c
			}
		}
	}
	return h, nil
}

// openReturnedVisit opens the visit the district returned most recently,
// at the section of its first field comment (the screenshot of a returned
// visit).
func (u *ui) openReturnedVisit() error {
	ctx := context.Background()
	infos, err := u.db.ReviewedVisits(ctx, survey.ReviewStateReturn)
	if err != nil {
		return fmt.Errorf("open returned visit: %w", err)
	}
	if len(infos) == 0 {
		return fmt.Errorf("open returned visit: no visit was returned")
	}
	r := infos[0].Review
	v, err := u.db.Visit(ctx, r.VisitID)
	if err != nil {
		return fmt.Errorf("open returned visit: %w", err)
	}
	e, err := u.db.Enterprise(ctx, v.EnterpriseID)
	if err != nil {
		return fmt.Errorf("open returned visit: %w", err)
	}
	s := openVisit(u, e, v)
	if len(r.Fields) > 0 && s.fv != nil {
		s.fv.showSection(s.fv.sectionIndex(r.Fields[0].Path))
	}
	return nil
}
