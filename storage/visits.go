package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"zoufang/survey"
)

// VisitFilter selects visits. Empty fields do not filter.
type VisitFilter struct {
	EnterpriseID string
	Status       survey.VisitStatus
}

// CreateVisit starts a draft visit of an enterprise on form f, with the
// form's default answers and what the roster knows (survey.NewVisitAnswers).
func (db *DB) CreateVisit(ctx context.Context, enterpriseID string, f *survey.Form) (survey.Visit, error) {
	e, err := db.Enterprise(ctx, enterpriseID)
	if err != nil {
		return survey.Visit{}, err
	}
	now := db.now()
	v := survey.Visit{
		ID:           newID(false),
		EnterpriseID: enterpriseID,
		FormID:       f.ID,
		FormVersion:  f.Version,
		Status:       survey.VisitDraft,
		Answers:      survey.NewVisitAnswers(f, e),
		Investigator: db.opt.Author,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	err = db.Update(ctx, func(tx *Tx) error {
		_, err := tx.create(survey.KindVisit, v.ID, v.FormID, v.FormVersion, v, false)
		return err
	})
	if err != nil {
		return survey.Visit{}, fmt.Errorf("create visit: %w", err)
	}
	return v, nil
}

// SaveVisit stores the visit's answers as a new version, keeping its status:
// the autosave path, one small transaction. A draft may hold anything; a
// finished visit only valid answers with an EditReason, and a signed visit
// whose answers change goes back to 已完成 (the signature no longer covers
// them). See survey.CheckVisitChange.
func (db *DB) SaveVisit(ctx context.Context, v survey.Visit) (survey.Visit, error) {
	err := db.Update(ctx, func(tx *Tx) error {
		old, err := tx.visit(v.ID)
		if err != nil {
			return err
		}
		v.Status, v.SignOff = old.Status, old.SignOff
		if old.Status == survey.VisitSigned && !sameAnswers(old.Answers, v.Answers) {
			v.Status, v.SignOff = survey.VisitFinalized, nil
		}
		v, err = tx.writeVisit(old, v)
		return err
	})
	if err != nil {
		return v, fmt.Errorf("save visit: %w", err)
	}
	return v, nil
}

// sameAnswers compares two answer sets as stored.
func sameAnswers(a, b survey.Answers) bool {
	return reflect.DeepEqual(survey.NormalizeAnswers(a), survey.NormalizeAnswers(b))
}

// writeVisit writes next as the new version of the stored visit old, after
// the life-cycle check; the fields that are not the caller's to change are
// taken from old.
func (tx *Tx) writeVisit(old, next survey.Visit) (survey.Visit, error) {
	next.EnterpriseID, next.CreatedAt, next.FormID, next.FormVersion = old.EnterpriseID, old.CreatedAt, old.FormID, old.FormVersion
	if next.Investigator == "" {
		next.Investigator = old.Investigator
	}
	next.Answers = survey.NormalizeAnswers(next.Answers)
	next.UpdatedAt = tx.Now()
	f, _ := tx.db.opt.Forms.Get(next.FormID, next.FormVersion)
	if err := survey.CheckVisitChange(old, next, f, next.UpdatedAt); err != nil {
		return next, &Error{Code: "invalid", Message: err.Error(), Err: err}
	}
	_, err := tx.create(survey.KindVisit, next.ID, next.FormID, next.FormVersion, next, false)
	return next, err
}

// FinalizeVisit saves the answers and, when the form finds no problem,
// marks the visit finalized and opens a 待研判 ledger item for each demand
// meant for the ledger, all in one transaction. It also finishes an edit
// of a finished visit (with v.EditReason): a signed visit whose answers
// changed becomes 已完成 again. With problems a draft stays a draft (answers
// saved) and the problems are returned; a finished visit is not changed at
// all, and the error says so.
func (db *DB) FinalizeVisit(ctx context.Context, v survey.Visit, f *survey.Form) (survey.Visit, []survey.Problem, error) {
	if f.ID != v.FormID || f.Version != v.FormVersion {
		return v, nil, fmt.Errorf("finalize visit: form %s v%d does not match the visit's %s v%d", f.ID, f.Version, v.FormID, v.FormVersion)
	}
	now := db.now()
	problems := survey.Validate(f, v.Answers, now)
	err := db.Update(ctx, func(tx *Tx) error {
		old, err := tx.visit(v.ID)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			if old.Status != survey.VisitDraft {
				return &Error{Code: "invalid", Message: fmt.Sprintf("走访记录还有 %d 处需要填写或修改，修改没有保存", len(problems))}
			}
			v.Status, v.SignOff = survey.VisitDraft, nil
			v, err = tx.writeVisit(old, v)
			return err
		}
		v.Answers = survey.Clean(f, v.Answers, now)
		v.Status, v.SignOff = survey.VisitFinalized, nil
		if old.Status == survey.VisitSigned && sameAnswers(old.Answers, v.Answers) {
			v.Status, v.SignOff = survey.VisitSigned, old.SignOff // nothing changed: the signature stands
		}
		if v, err = tx.writeVisit(old, v); err != nil {
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
		it.ID = newID(false)
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
	if err := survey.CheckSignOff(&s); err != nil {
		return survey.Visit{}, &Error{Code: "invalid", Message: err.Error(), Err: err}
	}
	var v survey.Visit
	err := db.Update(ctx, func(tx *Tx) error {
		old, err := tx.visit(visitID)
		if err != nil {
			return err
		}
		if old.Status == survey.VisitDraft {
			return &Error{Code: "invalid", Message: "走访记录尚未完成，不能签字确认"}
		}
		if len(photo) > 0 {
			if s.PhotoID, err = tx.PutAttachment(photo, photoType); err != nil {
				return err
			}
		}
		v = old
		v.SignOff = &s
		v.Status = survey.VisitSigned
		v, err = tx.writeVisit(old, v)
		return err
	})
	if err != nil {
		return survey.Visit{}, fmt.Errorf("sign off visit: %w", err)
	}
	return v, nil
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
