package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"zoufang/survey"
)

// The reviews projection (migration 0007): one row per reviewed visit, the
// tip of its review record, with the review state derived from the visit
// (survey.ReviewStateOf) kept current by projectReview and
// refreshReviewState.

// projectReview writes the projection row of a review record's tip.
func (tx *Tx) projectReview(tip survey.Version, conflict int) error {
	var r survey.Review
	if err := json.Unmarshal(tip.Payload, &r); err != nil {
		return &Error{Code: "invalid_version", Message: fmt.Sprintf("审核记录 %s 的内容无法读取", tip.RecordID), Err: err}
	}
	creator, err := tx.rootDevice(r.VisitID)
	if err != nil {
		return err
	}
	state, err := tx.reviewState(r.VisitID, &r)
	if err != nil {
		return err
	}
	return tx.exec(`INSERT OR REPLACE INTO reviews (id, version_id, visit_id, enterprise_id, visit_device, decision, visit_version, state, reviewer, at, conflict, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tip.RecordID, tip.VersionID, r.VisitID, r.EnterpriseID, creator, string(r.Decision), r.VisitVersion, string(state),
		r.Reviewer, r.At.UTC().Format(time.RFC3339Nano), conflict, []byte(tip.Payload))
}

// rootDevice returns the device that made a record's first version ("" when
// unknown).
func (tx *Tx) rootDevice(recordID string) (string, error) {
	var dev string
	err := tx.queryRow(`SELECT device_id FROM versions WHERE record_id = ? AND parents = '[]' ORDER BY seq LIMIT 1`, recordID).Scan(&dev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("record %s: %w", recordID, err)
	}
	return dev, nil
}

// refreshReviewState recomputes the review state of a visit whose tip just
// changed; a visit without a review has no row.
func (tx *Tx) refreshReviewState(visitID string) error {
	var body []byte
	err := tx.queryRow(`SELECT body FROM reviews WHERE visit_id = ?`, visitID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("review of %s: %w", visitID, err)
	}
	var r survey.Review
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("review of %s: %w", visitID, err)
	}
	state, err := tx.reviewState(visitID, &r)
	if err != nil {
		return err
	}
	return tx.exec(`UPDATE reviews SET state = ? WHERE visit_id = ?`, string(state), visitID)
}

// reviewState is survey.ReviewStateOf for the visit as projected now.
func (tx *Tx) reviewState(visitID string, r *survey.Review) (survey.ReviewState, error) {
	var body []byte
	var version string
	err := tx.queryRow(`SELECT body, version_id FROM visits WHERE id = ?`, visitID).Scan(&body, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil // the visit has not arrived, or was deleted
	}
	if err != nil {
		return "", fmt.Errorf("review state %s: %w", visitID, err)
	}
	var cur survey.Visit
	if err := json.Unmarshal(body, &cur); err != nil {
		return "", fmt.Errorf("review state %s: %w", visitID, err)
	}
	var reviewed *survey.Visit
	if r != nil && r.VisitVersion != version {
		v, err := tx.Version(r.VisitVersion)
		switch {
		case err == nil && v.RecordID == visitID && !v.Deleted:
			var rv survey.Visit
			if json.Unmarshal(v.Payload, &rv) == nil {
				reviewed = &rv
			}
		case err != nil && !errors.Is(err, ErrNotFound):
			return "", err
		}
	}
	return survey.ReviewStateOf(cur, version, r, reviewed), nil
}

// ReviewInfo is a visit's review as projected: the latest decision, the
// version of the review record (an edit form sends it back as its base)
// and the state the visit is in.
type ReviewInfo struct {
	Review    survey.Review
	VersionID string
	State     survey.ReviewState
}

// ReviewOf returns the review of a visit; ok is false when the visit has
// not been reviewed.
func (db *DB) ReviewOf(ctx context.Context, visitID string) (ReviewInfo, bool, error) {
	var info ReviewInfo
	var body []byte
	var state string
	err := db.read.QueryRowContext(ctx, `SELECT body, version_id, state FROM reviews WHERE visit_id = ?`, visitID).Scan(&body, &info.VersionID, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return info, false, nil
	}
	if err != nil {
		return info, false, fmt.Errorf("review of %s: %w", visitID, err)
	}
	if err := json.Unmarshal(body, &info.Review); err != nil {
		return info, false, fmt.Errorf("review of %s: %w", visitID, err)
	}
	info.State = survey.ReviewState(state)
	return info, true, nil
}

// ReviewStates maps every reviewed visit to its review state (a laptop has
// a few hundred; the home screen lists returned visits first).
func (db *DB) ReviewStates(ctx context.Context) (map[string]survey.ReviewState, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT visit_id, state FROM reviews`)
	if err != nil {
		return nil, fmt.Errorf("review states: %w", err)
	}
	defer rows.Close()
	out := map[string]survey.ReviewState{}
	for rows.Next() {
		var id, s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, fmt.Errorf("review states: %w", err)
		}
		out[id] = survey.ReviewState(s)
	}
	return out, rows.Err()
}

// ReviewedVisits returns the visits in review state s with their reviews,
// most recently reviewed first.
func (db *DB) ReviewedVisits(ctx context.Context, s survey.ReviewState) ([]ReviewInfo, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT body, version_id, state FROM reviews WHERE state = ? ORDER BY at DESC, visit_id`, string(s))
	if err != nil {
		return nil, fmt.Errorf("reviewed visits: %w", err)
	}
	defer rows.Close()
	var out []ReviewInfo
	for rows.Next() {
		var info ReviewInfo
		var body []byte
		var state string
		if err := rows.Scan(&body, &info.VersionID, &state); err != nil {
			return nil, fmt.Errorf("reviewed visits: %w", err)
		}
		if err := json.Unmarshal(body, &info.Review); err != nil {
			return nil, fmt.Errorf("reviewed visits: %w", err)
		}
		info.State = survey.ReviewState(state)
		out = append(out, info)
	}
	return out, rows.Err()
}

// ReviewInput is a reviewer's decision as the workbench submits it, with
// the versions the reviewer was looking at.
type ReviewInput struct {
	VisitID string
	// VisitVersion is the visit version shown; BaseReview the review
	// version shown ("" when the visit had no review). When either is no
	// longer current, nothing is written (ErrStale).
	VisitVersion, BaseReview string
	Decision                 survey.ReviewDecision
	Comment                  string
	Fields                   []survey.FieldComment
	Reviewer                 string
}

// ErrVisitNotReviewable refuses a review of a visit that is still a draft.
var ErrVisitNotReviewable = &Error{Code: "invalid", Message: "走访记录尚未完成，不能审核"}

// SaveReview stores a reviewer's decision on a visit as the next version of
// its review record, inside the transaction, after checking that the visit
// is finished, not in conflict, and still the version the reviewer saw, and
// that nobody reviewed it meanwhile. The district alone calls it.
func (tx *Tx) SaveReview(in ReviewInput) (survey.Review, error) {
	var body []byte
	var version string
	var conflict bool
	err := tx.QueryRow(`SELECT body, version_id, conflict FROM visits WHERE id = ?`, in.VisitID).Scan(&body, &version, &conflict)
	v, err := decodeVisit(in.VisitID, body, err)
	if err != nil {
		return survey.Review{}, err
	}
	if conflict {
		return survey.Review{}, ErrInConflict
	}
	if version != in.VisitVersion {
		return survey.Review{}, ErrStale
	}
	if v.Status == survey.VisitDraft {
		return survey.Review{}, ErrVisitNotReviewable
	}
	id := survey.ReviewID(in.VisitID)
	heads, err := tx.Heads(id)
	if err != nil {
		return survey.Review{}, err
	}
	switch {
	case len(heads) > 1:
		return survey.Review{}, ErrInConflict
	case len(heads) == 1 && heads[0].VersionID != in.BaseReview, len(heads) == 0 && in.BaseReview != "":
		return survey.Review{}, ErrStale
	}
	r := survey.Review{
		ID: id, VisitID: in.VisitID, EnterpriseID: v.EnterpriseID, VisitVersion: version, Decision: in.Decision,
		Comment: strings.TrimSpace(in.Comment), Reviewer: strings.TrimSpace(in.Reviewer), At: tx.Now(),
	}
	for _, c := range in.Fields {
		if c.Comment = strings.TrimSpace(c.Comment); c.Comment != "" {
			r.Fields = append(r.Fields, c)
		}
	}
	if err := r.Check(); err != nil {
		return survey.Review{}, &Error{Code: "invalid", Message: err.Error()}
	}
	if _, err := tx.create(survey.KindReview, id, "", 0, r, false); err != nil {
		return survey.Review{}, err
	}
	return r, nil
}

// ReviewListQuery selects finished visits for the reviewers' list. Empty
// fields do not filter, except State.
type ReviewListQuery struct {
	// State is one review state; "" means the visits waiting for a
	// reviewer (待审核 and 已修改待复审).
	State         survey.ReviewState
	Street        string // the enterprise's 镇街
	Device        string // the device the enterprise is assigned to
	Text          string // substring of the enterprise name
	Limit, Offset int
}

// ReviewRow is one finished visit in the reviewers' list.
type ReviewRow struct {
	VisitID, EnterpriseID      string
	Enterprise, Street, Device string
	Investigator, VisitDate    string
	Status                     survey.VisitStatus
	State                      survey.ReviewState
	Reviewer                   string
	ReviewedAt, Updated        time.Time
	Conflict                   bool
}

// reviewStateExpr is a visit's review state in SQL: its review's, or
// 待审核 for a finished visit nobody reviewed.
const reviewStateExpr = `coalesce(nullif(r.state, ''), 'pending')`

// ListReviews returns one page of the finished visits matching q and how
// many match in all: waiting ones as a queue (visits sent back after a
// return first, then the oldest change first), decided ones latest
// decision first.
func (db *DB) ListReviews(ctx context.Context, q ReviewListQuery) ([]ReviewRow, int, error) {
	where := []string{`v.status <> 'draft'`}
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	order := `r.at DESC, v.updated DESC, v.id`
	if q.State == "" {
		where = append(where, reviewStateExpr+` IN ('pending', 'resubmitted')`)
		order = reviewStateExpr + ` = 'resubmitted' DESC, v.updated, v.id`
	} else {
		add(reviewStateExpr+` = ?`, string(q.State))
		if q.State == survey.ReviewPending {
			order = `v.updated, v.id`
		}
	}
	if q.Street != "" {
		add("e.street = ?", q.Street)
	}
	if q.Device != "" {
		add("e.assigned_to = ?", q.Device)
	}
	if q.Text != "" {
		add("instr(e.name, ?) > 0", q.Text)
	}
	from := ` FROM visits v LEFT JOIN enterprises e ON e.id = v.enterprise_id LEFT JOIN reviews r ON r.visit_id = v.id WHERE ` + strings.Join(where, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list reviews: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT v.id, v.enterprise_id, ifnull(e.name, ''), ifnull(e.street, ''), ifnull(e.assigned_to, ''),
		v.investigator, v.visit_date, v.status, `+reviewStateExpr+`,
		ifnull(r.reviewer, ''), ifnull(r.at, ''), v.updated, v.conflict`+from+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(args, limitOf(q.Limit), max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list reviews: %w", err)
	}
	defer rows.Close()
	var out []ReviewRow
	for rows.Next() {
		var r ReviewRow
		var status, state, at, updated string
		var investigator, day any
		if err := rows.Scan(&r.VisitID, &r.EnterpriseID, &r.Enterprise, &r.Street, &r.Device, &investigator, &day, &status, &state,
			&r.Reviewer, &at, &updated, &r.Conflict); err != nil {
			return nil, 0, fmt.Errorf("list reviews: %w", err)
		}
		r.Investigator, r.VisitDate = textOf(investigator), textOf(day)
		r.Status, r.State = survey.VisitStatus(status), survey.ReviewState(state)
		r.ReviewedAt, _ = time.Parse(time.RFC3339Nano, at)
		r.Updated, _ = time.Parse(time.RFC3339Nano, updated)
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// ReviewCounts counts the finished visits in each review state.
func (db *DB) ReviewCounts(ctx context.Context) (map[survey.ReviewState]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+reviewStateExpr+`, count(*) FROM visits v LEFT JOIN reviews r ON r.visit_id = v.id
		WHERE v.status <> 'draft' GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("review counts: %w", err)
	}
	defer rows.Close()
	out := map[survey.ReviewState]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("review counts: %w", err)
		}
		out[survey.ReviewState(s)] = n
	}
	return out, rows.Err()
}
