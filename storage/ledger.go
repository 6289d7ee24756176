package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"zoufang/survey"
)

// LedgerFilter selects ledger items. Empty fields do not filter.
type LedgerFilter struct {
	EnterpriseID, VisitID string
	Status                survey.LedgerStatus
	// OpenOnly leaves out resolved, reported and transferred items.
	OpenOnly bool
}

// LedgerItems returns the ledger items matching f, by deadline (items
// without one last), then creation.
func (db *DB) LedgerItems(ctx context.Context, f LedgerFilter) ([]survey.LedgerItem, error) {
	q := `SELECT body FROM ledger_items WHERE 1=1`
	var args []any
	for _, c := range []struct{ col, val string }{{"enterprise_id", f.EnterpriseID}, {"visit_id", f.VisitID}, {"status", string(f.Status)}} {
		if c.val != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.val)
		}
	}
	if f.OpenOnly {
		var closed []string
		for _, s := range survey.LedgerStatuses {
			if s.Closed() {
				closed = append(closed, "'"+string(s)+"'")
			}
		}
		q += ` AND status NOT IN (` + strings.Join(closed, ",") + `)`
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY deadline = '', deadline, created, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	var out []survey.LedgerItem
	for rows.Next() {
		var body []byte
		var it survey.LedgerItem
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		if err := json.Unmarshal(body, &it); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// LedgerItem returns one ledger item.
func (db *DB) LedgerItem(ctx context.Context, id string) (survey.LedgerItem, error) {
	var body []byte
	err := db.read.QueryRowContext(ctx, `SELECT body FROM ledger_items WHERE id = ?`, id).Scan(&body)
	return decodeLedgerItem(id, body, err)
}

func (tx *Tx) ledgerItem(id string) (survey.LedgerItem, error) {
	var body []byte
	err := tx.QueryRow(`SELECT body FROM ledger_items WHERE id = ?`, id).Scan(&body)
	return decodeLedgerItem(id, body, err)
}

func decodeLedgerItem(id string, body []byte, err error) (survey.LedgerItem, error) {
	var it survey.LedgerItem
	if errors.Is(err, sql.ErrNoRows) {
		return it, notFound("台帐事项", id)
	}
	if err == nil {
		err = json.Unmarshal(body, &it)
	}
	if err != nil {
		return it, fmt.Errorf("ledger item %s: %w", id, err)
	}
	return it, nil
}

// SaveLedgerItem stores a new version of a ledger item (a new item when ID
// is empty). The follow-up log can only grow: entries are added with
// AddFollowUp.
func (db *DB) SaveLedgerItem(ctx context.Context, it survey.LedgerItem) (survey.LedgerItem, error) {
	if strings.TrimSpace(it.Description) == "" {
		return it, &Error{Code: "invalid", Message: "请填写问题描述"}
	}
	if it.Deadline != "" && !survey.ValidDay(it.Deadline) {
		return it, &Error{Code: "invalid", Message: "办结期限应按“年-月-日”填写，如 2026-04-05"}
	}
	if it.Status == "" {
		it.Status = survey.LedgerToAssess
	}
	err := db.Update(ctx, func(tx *Tx) error {
		if it.ID == "" {
			it.ID = newID(false)
			it.CreatedAt = tx.Now()
			if it.DemandIndex == 0 && it.VisitID == "" {
				it.DemandIndex = -1
			}
			if err := checkLedgerText(survey.LedgerItem{}, it); err != nil {
				return err
			}
		} else {
			old, err := tx.ledgerItem(it.ID)
			if err != nil {
				return err
			}
			it.Log, it.CreatedAt = old.Log, old.CreatedAt
			if err := checkLedgerText(old, it); err != nil {
				return err
			}
		}
		_, err := tx.create(survey.KindLedger, it.ID, "", 0, it, false)
		return err
	})
	if err != nil {
		return it, fmt.Errorf("save ledger item: %w", err)
	}
	return it, nil
}

// AddFollowUp appends a dated entry to a ledger item's log and moves the
// item to the entry's status: who, when and why are kept for every change.
func (db *DB) AddFollowUp(ctx context.Context, itemID string, fu survey.FollowUp) (survey.LedgerItem, error) {
	fu.Note = strings.TrimSpace(fu.Note)
	if fu.Note == "" {
		return survey.LedgerItem{}, &Error{Code: "invalid", Message: "请填写跟进情况"}
	}
	if fu.Status == "" {
		return survey.LedgerItem{}, &Error{Code: "invalid", Message: "请选择跟进后的状态"}
	}
	if fu.By == "" {
		fu.By = db.opt.Author
	}
	var it survey.LedgerItem
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		if it, err = tx.ledgerItem(itemID); err != nil {
			return err
		}
		if fu.At.IsZero() {
			fu.At = tx.Now()
		}
		old := it
		it.Log = append(it.Log[:len(it.Log):len(it.Log)], fu)
		it.Status = fu.Status
		if err := checkLedgerText(old, it); err != nil {
			return err
		}
		_, err = tx.create(survey.KindLedger, it.ID, "", 0, it, false)
		return err
	})
	if err != nil {
		return survey.LedgerItem{}, fmt.Errorf("add follow-up: %w", err)
	}
	return it, nil
}

// ErrStale means a form was filled against a version of a record that is no
// longer the current one: someone else changed it meanwhile. The change is
// refused so that theirs is not silently overwritten.
var ErrStale = &Error{Code: "stale", Message: "此记录在您打开页面之后已被他人修改，您的修改没有保存。请重新打开页面，查看最新内容后再修改。"}

// ErrInConflict means a record has concurrent versions that a person must
// reconcile before it can be edited.
var ErrInConflict = &Error{Code: "in_conflict", Message: "此记录有尚未处理的冲突，请先在“冲突”页处理后再修改。"}

// EditLedgerItem changes a ledger item inside the transaction, provided its
// current version is base (the version the person's form showed): edit
// gets the current item and changes it in place, and the result is stored
// as a new version. The follow-up log cannot shrink or change: edit may
// only append to it.
func (tx *Tx) EditLedgerItem(id, base string, edit func(*survey.LedgerItem) error) (survey.LedgerItem, error) {
	var body []byte
	var version string
	var conflict bool
	err := tx.QueryRow(`SELECT body, version_id, conflict FROM ledger_items WHERE id = ?`, id).Scan(&body, &version, &conflict)
	it, err := decodeLedgerItem(id, body, err)
	if err != nil {
		return it, err
	}
	if conflict {
		return it, ErrInConflict
	}
	if version != base {
		return it, ErrStale
	}
	old := it
	old.Log = append([]survey.FollowUp(nil), it.Log...)
	if err := edit(&it); err != nil {
		return it, err
	}
	if len(it.Log) < len(old.Log) {
		return it, &Error{Code: "invalid", Message: "跟进记录只能增加，不能删除或修改"}
	}
	for i := range old.Log {
		if !old.Log[i].At.Equal(it.Log[i].At) || old.Log[i].By != it.Log[i].By || old.Log[i].Note != it.Log[i].Note || old.Log[i].Status != it.Log[i].Status {
			return it, &Error{Code: "invalid", Message: "跟进记录只能增加，不能删除或修改"}
		}
	}
	if it.Deadline != "" && !survey.ValidDay(it.Deadline) {
		return it, &Error{Code: "invalid", Message: "办结期限应按“年-月-日”填写，如 2026-04-05"}
	}
	if err := checkLedgerText(old, it); err != nil {
		return it, err
	}
	it.ID, it.EnterpriseID, it.VisitID, it.DemandIndex, it.CreatedAt = old.ID, old.EnterpriseID, old.VisitID, old.DemandIndex, old.CreatedAt
	if _, err := tx.create(survey.KindLedger, it.ID, "", 0, it, false); err != nil {
		return it, err
	}
	return it, nil
}

// LedgerItemVersion returns a ledger item with the id of its current
// version, which an edit form sends back as its base.
func (db *DB) LedgerItemVersion(ctx context.Context, id string) (survey.LedgerItem, string, bool, error) {
	var body []byte
	var version string
	var conflict bool
	err := db.read.QueryRowContext(ctx, `SELECT body, version_id, conflict FROM ledger_items WHERE id = ?`, id).Scan(&body, &version, &conflict)
	it, err := decodeLedgerItem(id, body, err)
	return it, version, conflict, err
}

// checkLedgerText is survey.CheckLedgerText as a storage error.
func checkLedgerText(old, next survey.LedgerItem) error {
	if err := survey.CheckLedgerText(old, next); err != nil {
		return &Error{Code: "invalid", Message: err.Error() + "。未保存", Err: err}
	}
	return nil
}
