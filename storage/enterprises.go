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

// Enterprise returns one enterprise of the roster.
func (db *DB) Enterprise(ctx context.Context, id string) (survey.Enterprise, error) {
	var e survey.Enterprise
	var body []byte
	err := db.read.QueryRowContext(ctx, `SELECT body FROM enterprises WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFound("企业", id)
	}
	if err == nil {
		err = json.Unmarshal(body, &e)
	}
	if err != nil {
		return e, fmt.Errorf("enterprise %s: %w", id, err)
	}
	return e, nil
}

// EnterpriseCount returns the number of enterprises in the roster.
func (db *DB) EnterpriseCount(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM enterprises`).Scan(&n)
	return n, err
}

// SaveEnterprise stores a new version of an enterprise, assigning an id to a
// new one. The USCC is normalised and must be valid and unique.
func (db *DB) SaveEnterprise(ctx context.Context, e survey.Enterprise) (survey.Enterprise, error) {
	e.USCC = survey.NormalizeUSCC(e.USCC)
	e.Name = strings.TrimSpace(e.Name)
	if e.Name == "" {
		return e, &Error{Code: "invalid", Message: "企业名称不能为空"}
	}
	if err := survey.ValidUSCC(e.USCC); err != nil {
		return e, &Error{Code: "invalid", Message: err.Error()}
	}
	err := db.Update(ctx, func(tx *Tx) error {
		var other string
		err := tx.QueryRow(`SELECT id FROM enterprises WHERE uscc = ? AND id <> ?`, e.USCC, e.ID).Scan(&other)
		if err == nil {
			return &Error{Code: "duplicate", Message: fmt.Sprintf("统一社会信用代码 %s 已属于另一家企业", e.USCC)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if e.ID == "" {
			e.ID = newID(false)
		}
		_, err = tx.create(survey.KindEnterprise, e.ID, "", 0, e, false)
		return err
	})
	if err != nil {
		return e, fmt.Errorf("save enterprise: %w", err)
	}
	return e, nil
}

// AssignEnterprise sets the device an enterprise is assigned to ("" to
// unassign) inside the transaction, as a new version of the enterprise.
// It reports false when the enterprise was already assigned so.
func (tx *Tx) AssignEnterprise(id, device string) (survey.Enterprise, bool, error) {
	var e survey.Enterprise
	var body []byte
	err := tx.QueryRow(`SELECT body FROM enterprises WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, notFound("企业", id)
	}
	if err == nil {
		err = json.Unmarshal(body, &e)
	}
	if err != nil {
		return e, false, fmt.Errorf("enterprise %s: %w", id, err)
	}
	if e.AssignedTo == device {
		return e, false, nil
	}
	e.AssignedTo = device
	if _, err := tx.create(survey.KindEnterprise, e.ID, "", 0, e, false); err != nil {
		return e, false, err
	}
	return e, true, nil
}
