package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"zoufang/survey"
)

// VisitFilter selects visits. Empty fields do not filter.
type VisitFilter struct {
	EnterpriseID string
	Status       survey.VisitStatus
}

// CreateVisit starts a draft visit of an enterprise on form f, with the
// form's default answers.
func (db *DB) CreateVisit(ctx context.Context, enterpriseID string, f *survey.Form) (survey.Visit, error) {
	if _, err := db.Enterprise(ctx, enterpriseID); err != nil {
		return survey.Visit{}, err
	}
	now := db.now()
	v := survey.Visit{
		ID:           uuid.NewString(),
		EnterpriseID: enterpriseID,
		FormID:       f.ID,
		FormVersion:  f.Version,
		Status:       survey.VisitDraft,
		Answers:      survey.NewAnswers(f),
		Investigator: db.opt.Author,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.create(survey.KindVisit, v.ID, v.FormID, v.FormVersion, v, false)
		return err
	})
	if err != nil {
		return survey.Visit{}, fmt.Errorf("create visit: %w", err)
	}
	return v, nil
}

// SaveVisit stores the visit's answers as a new version. It is the autosave
// path: one small transaction. Editing a finalized or signed visit needs an
// EditReason.
func (db *DB) SaveVisit(ctx context.Context, v survey.Visit) (survey.Visit, error) {
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		v, err = tx.saveVisit(v, false)
		return err
	})
	if err != nil {
		return v, fmt.Errorf("save visit: %w", err)
	}
	return v, nil
}

// saveVisit writes v as the next version of the stored visit, keeping the
// fields that are not the caller's to change.
func (tx *Tx) saveVisit(v survey.Visit, statusChange bool) (survey.Visit, error) {
	old, err := tx.visit(v.ID)
	if err != nil {
		return v, err
	}
	if old.Status != survey.VisitDraft && !statusChange && strings.TrimSpace(v.EditReason) == "" {
		return v, ErrFinalized
	}
	if !statusChange {
		v.Status = old.Status
		v.SignOff = old.SignOff
	}
	v.EnterpriseID, v.CreatedAt, v.FormID, v.FormVersion = old.EnterpriseID, old.CreatedAt, old.FormID, old.FormVersion
	if v.Investigator == "" {
		v.Investigator = old.Investigator
	}
	v.Answers = survey.NormalizeAnswers(v.Answers)
	v.UpdatedAt = tx.Now()
	_, err = tx.create(survey.KindVisit, v.ID, v.FormID, v.FormVersion, v, false)
	return v, err
}

// FinalizeVisit saves the answers and, when the form finds no problem,
// marks the visit finalized and opens a 待研判 ledger item for each demand
// meant for the ledger, all in one transaction. With problems the visit
// stays a draft (answers saved) and the problems are returned.
func (db *DB) FinalizeVisit(ctx context.Context, v survey.Visit, f *survey.Form) (survey.Visit, []survey.Problem, error) {
	if f.ID != v.FormID || f.Version != v.FormVersion {
		return v, nil, fmt.Errorf("finalize visit: form %s v%d does not match the visit's %s v%d", f.ID, f.Version, v.FormID, v.FormVersion)
	}
	now := db.now()
	problems := survey.Validate(f, v.Answers, now)
	err := db.Update(ctx, func(tx *Tx) error {
		if len(problems) > 0 {
			old, err := tx.visit(v.ID)
			if err != nil {
				return err
			}
			if old.Status != survey.VisitDraft {
				return &Error{Code: "invalid", Message: "走访记录有错误，不能保存"}
			}
			v, err = tx.saveVisit(v, false)
			return err
		}
		v.Answers = survey.Clean(f, v.Answers, now)
		v.Status = survey.VisitFinalized
		var err error
		if v, err = tx.saveVisit(v, true); err != nil {
			return err
		}
		return tx.openLedgerItems(v)
	})
	if err != nil {
		return v, nil, fmt.Errorf("finalize visit: %w", err)
	}
	return v, problems, nil
}

// openLedgerItems creates the ledger items of a visit's demands that do not
// have one yet, so finalizing after an edit adds only new demands.
func (tx *Tx) openLedgerItems(v survey.Visit) error {
	for _, it := range survey.LedgerItemsFromVisit(v, tx.Now()) {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM ledger_items WHERE visit_id = ? AND demand_index = ?`, v.ID, it.DemandIndex).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		it.ID = uuid.NewString()
		if _, err := tx.create(survey.KindLedger, it.ID, "", 0, it, false); err != nil {
			return err
		}
	}
	return nil
}

// SignOffVisit records that the enterprise signed the printed record: a new
// version with status 已签字确认, and the optional photo of the sheet.
func (db *DB) SignOffVisit(ctx context.Context, visitID string, s survey.SignOff, photo []byte, photoType string) (survey.Visit, error) {
	s.SignerName, s.SignerTitle = strings.TrimSpace(s.SignerName), strings.TrimSpace(s.SignerTitle)
	if s.SignerName == "" {
		return survey.Visit{}, &Error{Code: "invalid", Message: "请填写签字人姓名"}
	}
	if !validDay(s.Date) {
		return survey.Visit{}, &Error{Code: "invalid", Message: "签字日期应为 YYYY-MM-DD 格式"}
	}
	var v survey.Visit
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if v, err = tx.visit(visitID); err != nil {
			return err
		}
		if v.Status == survey.VisitDraft {
			return &Error{Code: "invalid", Message: "走访记录尚未完成，不能签字确认"}
		}
		if len(photo) > 0 {
			if s.PhotoID, err = tx.PutAttachment(photo, photoType); err != nil {
				return err
			}
		}
		v.SignOff = &s
		v.Status = survey.VisitSigned
		v, err = tx.saveVisit(v, true)
		return err
	})
	if err != nil {
		return survey.Visit{}, fmt.Errorf("sign off visit: %w", err)
	}
	return v, nil
}

func validDay(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := parseDay(s)
	return err == nil
}

// Visit returns the current version of a visit.
func (db *DB) Visit(ctx context.Context, id string) (survey.Visit, error) {
	var body []byte
	err := db.read.QueryRowContext(ctx, `SELECT body FROM visits WHERE id = ?`, id).Scan(&body)
	return decodeVisit(id, body, err)
}

func (tx *Tx) visit(id string) (survey.Visit, error) {
	var body []byte
	err := tx.QueryRow(`SELECT body FROM visits WHERE id = ?`, id).Scan(&body)
	return decodeVisit(id, body, err)
}

func decodeVisit(id string, body []byte, err error) (survey.Visit, error) {
	var v survey.Visit
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound("走访记录", id)
	}
	if err == nil {
		err = json.Unmarshal(body, &v)
	}
	if err != nil {
		return v, fmt.Errorf("visit %s: %w", id, err)
	}
	v.Answers = survey.NormalizeAnswers(v.Answers)
	return v, nil
}

// Visits returns the visits matching f, most recently updated first.
func (db *DB) Visits(ctx context.Context, f VisitFilter) ([]survey.Visit, error) {
	q := `SELECT id, body FROM visits WHERE 1=1`
	var args []any
	if f.EnterpriseID != "" {
		q += ` AND enterprise_id = ?`
		args = append(args, f.EnterpriseID)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY updated DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("visits: %w", err)
	}
	defer rows.Close()
	var out []survey.Visit
	for rows.Next() {
		var id string
		var body []byte
		err := rows.Scan(&id, &body)
		v, err := decodeVisit(id, body, err)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

var statusRank = map[survey.VisitStatus]int{survey.VisitDraft: 1, survey.VisitFinalized: 2, survey.VisitSigned: 3}

// VisitStatuses maps each visited enterprise to the most advanced status of
// its visits; enterprises never visited are absent (未走访).
func (db *DB) VisitStatuses(ctx context.Context) (map[string]survey.VisitStatus, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT enterprise_id, status FROM visits`)
	if err != nil {
		return nil, fmt.Errorf("visit statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]survey.VisitStatus{}
	for rows.Next() {
		var id, s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, fmt.Errorf("visit statuses: %w", err)
		}
		if st := survey.VisitStatus(s); statusRank[st] > statusRank[out[id]] {
			out[id] = st
		}
	}
	return out, rows.Err()
}
