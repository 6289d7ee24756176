package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"zoufang/survey"
)

// ResponseFilter selects questionnaire responses. Empty fields do not filter.
type ResponseFilter struct {
	EnterpriseID, VisitID string
	Kind                  survey.RespondentKind
}

// AddResponse stores one anonymous questionnaire response. The version
// carries no author or device and is dated to the day only.
func (db *DB) AddResponse(ctx context.Context, r survey.Response) (survey.Response, error) {
	if r.EnterpriseID == "" || r.FormID == "" {
		return r, fmt.Errorf("add response: enterprise and form are required")
	}
	if r.Kind == "" {
		r.Kind = survey.RespondentWorker
	}
	if r.Date == "" {
		r.Date = survey.Today(db.now())
	}
	if !survey.ValidDay(r.Date) {
		return r, &Error{Code: "invalid", Message: "问卷日期应按“年-月-日”填写，如 2026-04-05"}
	}
	r.ID = uuid.NewString()
	r.Answers = survey.NormalizeAnswers(r.Answers)
	if f, ok := db.opt.Forms.Get(r.FormID, r.FormVersion); ok {
		if ps := survey.LengthProblems(f, r.Answers); len(ps) > 0 {
			label := ps[0].Path
			if fd := f.Lookup(ps[0].Field); fd != nil {
				label = "“" + fd.Label + "”"
			}
			return r, &Error{Code: "invalid", Message: label + ps[0].Message + "，请缩短后再提交；问卷未保存"}
		}
	}
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.create(survey.KindResponse, r.ID, r.FormID, r.FormVersion, r, true)
		return err
	})
	if err != nil {
		return r, fmt.Errorf("add response: %w", err)
	}
	return r, nil
}

// Responses returns the responses matching f, in a stable order.
func (db *DB) Responses(ctx context.Context, f ResponseFilter) ([]survey.Response, error) {
	q := `SELECT body FROM responses WHERE 1=1`
	var args []any
	for _, c := range []struct{ col, val string }{{"enterprise_id", f.EnterpriseID}, {"visit_id", f.VisitID}, {"kind", string(f.Kind)}} {
		if c.val != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.val)
		}
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY day, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("responses: %w", err)
	}
	defer rows.Close()
	var out []survey.Response
	for rows.Next() {
		var body []byte
		var r survey.Response
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("responses: %w", err)
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("responses: %w", err)
		}
		r.Answers = survey.NormalizeAnswers(r.Answers)
		out = append(out, r)
	}
	return out, rows.Err()
}
