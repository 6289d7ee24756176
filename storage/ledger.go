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
	if it.Deadline != "" && !validDay(it.Deadline) {
		return it, &Error{Code: "invalid", Message: "办结期限应为 YYYY-MM-DD 格式"}
	}
	if it.Status == "" {
		it.Status = survey.LedgerToAssess
	}
	err := db.Update(ctx, func(tx *Tx) error {
		if it.ID == "" {
			it.ID = uuid.NewString()
			it.CreatedAt = tx.Now()
			if it.DemandIndex == 0 && it.VisitID == "" {
				it.DemandIndex = -1
			}
		} else {
			old, err := tx.ledgerItem(it.ID)
			if err != nil {
				return err
			}
			it.Log, it.CreatedAt = old.Log, old.CreatedAt
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
		it.Log = append(it.Log, fu)
		it.Status = fu.Status
		_, err = tx.create(survey.KindLedger, it.ID, "", 0, it, false)
		return err
	})
	if err != nil {
		return survey.LedgerItem{}, fmt.Errorf("add follow-up: %w", err)
	}
	return it, nil
}
