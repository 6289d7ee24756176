package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"zoufang/audit"
	"zoufang/report"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

// The review of finished visits (审核): the reviewers' queue, one visit's
// answers with a comment box beside each and what changed since the version
// reviewed last, and the decision (通过 / 退回修改), which is stored as the
// visit's review record (storage.Tx.SaveReview), audited in the same
// transaction, and goes down to the laptops with their next down bundle.

func init() {
	actionLabels["review.approve"] = "审核通过"
	actionLabels["review.return"] = "退回修改"
	actionLabels["ledger.merge"] = "台帐自动合并"
	kindLabel[survey.KindReview] = "审核意见"
	funcs["reviewState"] = func(s survey.ReviewState) string { return s.Label() }
}

type reviewsData struct {
	Filter   reviewFilter
	Rows     []storage.ReviewRow
	Pager    pager
	Counts   map[survey.ReviewState]int
	Waiting  int
	States   []survey.ReviewState
	Streets  []string
	Devices  []district.Device
	DevNames map[string]string
}

// reviewFilter is the parsed filter of the 审核 list.
type reviewFilter struct {
	State, Street, Device, Text string
	Page                        int
}

func parseReviewFilter(v url.Values) reviewFilter {
	f := reviewFilter{Street: filterText(v, "street"), Device: filterText(v, "device"), Text: filterText(v, "q"), Page: pageOf(v)}
	var states []string
	for _, s := range survey.ReviewStates {
		states = append(states, string(s))
	}
	f.State = filterChoice(v, "state", states...)
	return f
}

func (s *Server) reviewsPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	f := parseReviewFilter(r.URL.Query())
	data := reviewsData{Filter: f, States: survey.ReviewStates}
	var total int
	var err error
	if data.Rows, total, err = s.db.ListReviews(ctx, storage.ReviewListQuery{State: survey.ReviewState(f.State), Street: f.Street, Device: f.Device, Text: f.Text,
		Limit: pageSize, Offset: (f.Page - 1) * pageSize}); err != nil {
		return err
	}
	data.Pager = newPager(r, f.Page, total)
	if data.Counts, err = s.db.ReviewCounts(ctx); err != nil {
		return err
	}
	data.Waiting = data.Counts[survey.ReviewPending] + data.Counts[survey.ReviewResubmitted]
	if _, data.Streets, _, err = s.db.Facets(ctx); err != nil {
		return err
	}
	if data.Devices, err = s.d.Devices(ctx); err != nil {
		return err
	}
	data.DevNames = deviceNames(data.Devices)
	return s.render(w, r, sess, "reviews", "审核", "reviews", data)
}

// reviewRow is one answer on the review page.
type reviewRow struct {
	report.AnswerRow
	// Was is the answer in the version reviewed last, when it changed.
	Was     string
	Changed bool
	// Before is the comment of the last review on this answer; Comment
	// what the form shows in the box (the reviewer's input after a
	// refused post).
	Before, Comment string
}

type reviewSection struct {
	Title string
	Rows  []reviewRow
}

type reviewPageData struct {
	Visit      survey.Visit
	Version    string // the visit version shown, sent back as the form's base
	Enterprise survey.Enterprise
	State      survey.ReviewState
	Conflict   bool
	Review     *storage.ReviewInfo // the latest decision, nil before the first
	Sections   []reviewSection
	Changes    []report.AnswerChange
	// ChangedSince says which version the changes are measured from.
	ChangedSince string
	Rounds       []reviewRound
	Comment      string
	Devices      map[string]string
}

// reviewRound is one earlier decision, newest first.
type reviewRound struct {
	survey.Review
	Labels map[string]string // path → answer label, for the field comments
}

// reviewPage shows a finished visit for review.
func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	return s.renderReview(w, r, sess, http.StatusOK, "", nil)
}

// renderReview builds the review page; input, when not nil, refills the
// comment boxes after a refused post.
func (s *Server) renderReview(w http.ResponseWriter, r *http.Request, sess *Session, status int, msg string, input *storage.ReviewInput) error {
	ctx := r.Context()
	id := r.PathValue("id")
	rec, _, tip, err := s.visitRecord(r, id, "")
	if err != nil {
		return err
	}
	heads, err := s.db.Heads(ctx, id)
	if err != nil {
		return err
	}
	data := reviewPageData{Visit: rec.Visit, Version: tip.VersionID, Enterprise: rec.Enterprise, Conflict: len(heads) > 1, Devices: map[string]string{}}
	if rec.Visit.Status == survey.VisitDraft {
		return &pageError{http.StatusConflict, "这份走访记录还是草稿，完成走访后才能审核。"}
	}
	info, ok, err := s.db.ReviewOf(ctx, id)
	if err != nil {
		return err
	}
	data.State = survey.ReviewPending
	before := map[string]string{}
	var was map[string]string
	if ok {
		data.Review, data.State = &info, info.State
		for _, c := range info.Review.Fields {
			before[c.Path] = c.Comment
		}
		if info.Review.VisitVersion != tip.VersionID {
			if old, _, _, err := s.visitRecord(r, id, info.Review.VisitVersion); err == nil {
				data.Changes = report.AnswerChanges(&old, &rec)
				data.ChangedSince = info.Review.At.Local().Format("2006-01-02 15:04") + " " + info.Review.Decision.Label()
				was = map[string]string{}
				for _, c := range data.Changes {
					was[c.Path] = c.Old
				}
			}
		}
		hist, err := s.db.History(ctx, survey.ReviewID(id))
		if err != nil {
			return err
		}
		labels := map[string]string{}
		for _, row := range report.VisitAnswerRows(&rec) {
			labels[row.Path] = row.Label
		}
		for i := len(hist) - 1; i >= 0; i-- {
			var rv survey.Review
			if json.Unmarshal(hist[i].Payload, &rv) == nil {
				data.Rounds = append(data.Rounds, reviewRound{Review: rv, Labels: labels})
			}
		}
	}
	comments := map[string]string{}
	if input != nil {
		data.Comment = input.Comment
		for _, c := range input.Fields {
			comments[c.Path] = c.Comment
		}
	}
	for _, row := range report.VisitAnswerRows(&rec) {
		rr := reviewRow{AnswerRow: row, Before: before[row.Path], Comment: comments[row.Path]}
		if w, changed := was[row.Path]; changed {
			rr.Was, rr.Changed = w, true
		}
		if n := len(data.Sections); n == 0 || data.Sections[n-1].Title != row.Section {
			data.Sections = append(data.Sections, reviewSection{Title: row.Section})
		}
		sec := &data.Sections[len(data.Sections)-1]
		sec.Rows = append(sec.Rows, rr)
	}
	return s.renderStatus(w, r, sess, status, "review", "审核："+rec.Enterprise.Name, "reviews", data, msg)
}

// reviewSubmit records a decision: 通过 or 退回修改 with an overall comment
// and comments on single answers. The form names the visit version and
// review version it showed; if either changed since, nothing is saved.
func (s *Server) reviewSubmit(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		return badRequest("表单无法读取。未做任何修改。")
	}
	comment, tooLong := textValue(r, "comment", "审核意见", survey.MaxReviewComment)
	in := storage.ReviewInput{VisitID: id, VisitVersion: r.PostFormValue("version"), BaseReview: r.PostFormValue("base_review"),
		Comment: comment, Reviewer: sess.User.Name}
	switch r.PostFormValue("decision") {
	case string(survey.ReviewApproved):
		in.Decision = survey.ReviewApproved
	case string(survey.ReviewReturned):
		in.Decision = survey.ReviewReturned
	default:
		return s.renderReview(w, r, sess, http.StatusBadRequest, "请选择“审核通过”或“退回修改”。未做任何修改。", &in)
	}
	// Comment boxes are named c.<path>; only paths the page showed count.
	rec, _, _, err := s.visitRecord(r, id, "")
	if err != nil {
		return err
	}
	known := map[string]bool{}
	labels := map[string]string{}
	for _, row := range report.VisitAnswerRows(&rec) {
		known[row.Path], labels[row.Path] = row.Input, row.Label
	}
	for key := range r.PostForm {
		path, ok := strings.CutPrefix(key, "c.")
		if !ok {
			continue
		}
		text, problem := textValue(r, key, "对“"+labels[path]+"”的意见", survey.MaxReviewComment)
		if text == "" {
			continue
		}
		if problem != "" && tooLong == "" {
			tooLong = problem
		}
		if !known[path] {
			return s.renderReview(w, r, sess, http.StatusBadRequest, "意见对应的题目不在这份走访记录中，请重新打开页面。未做任何修改。", &in)
		}
		in.Fields = append(in.Fields, survey.FieldComment{Path: path, Comment: text})
	}
	// Form order, so the laptop lists them as the form does.
	order := map[string]int{}
	for i, row := range report.VisitAnswerRows(&rec) {
		order[row.Path] = i
	}
	sortComments(in.Fields, order)
	if tooLong != "" {
		return s.renderReview(w, r, sess, http.StatusBadRequest, tooLong, &in)
	}
	if in.Decision == survey.ReviewApproved && len(in.Fields) > 0 {
		return s.renderReview(w, r, sess, http.StatusBadRequest, "审核通过时不写逐项意见；需要修改的，请选择“退回修改”。未做任何修改。", &in)
	}
	if in.Decision == survey.ReviewReturned && in.Comment == "" && len(in.Fields) == 0 {
		return s.renderReview(w, r, sess, http.StatusBadRequest, "退回修改时请写明审核意见，或在要修改的题目旁写意见。未做任何修改。", &in)
	}
	var saved survey.Review
	err = s.db.Update(ctx, func(tx *storage.Tx) error {
		if err := claimToken(tx, sess, r.PostFormValue("token")); err != nil {
			return err
		}
		var err error
		if saved, err = tx.SaveReview(in); err != nil {
			return err
		}
		detail := fmt.Sprintf("走访记录（%s）%s", rec.Enterprise.Name, saved.Decision.Label())
		if saved.Comment != "" {
			detail += "：" + saved.Comment
		}
		if n := len(saved.Fields); n > 0 {
			detail += fmt.Sprintf("（逐项意见 %d 条）", n)
		}
		action := "review.approve"
		if saved.Decision == survey.ReviewReturned {
			action = "review.return"
		}
		return audit.Record(tx, audit.Entry{Actor: sess.User.Name, Action: action, Target: id, Detail: detail})
	})
	if err != nil {
		return err
	}
	msg := "已审核通过，将随下发包告知走访组"
	if saved.Decision == survey.ReviewReturned {
		msg = "已退回修改，意见将随下发包发给走访组"
	}
	return s.done(w, r, "/reviews", msg)
}

// sortComments puts field comments in form order.
func sortComments(cs []survey.FieldComment, order map[string]int) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && order[cs[j].Path] < order[cs[j-1].Path]; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}
