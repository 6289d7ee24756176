package storage

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"zoufang/survey"
)

// RecordOrigin is what the district's per-record rules need to know about a
// record before merging a device's version of it: whether it exists, who
// made it, and which enterprise (and so which assigned device) it belongs
// to.
type RecordOrigin struct {
	// Exists is true when some version of the record is stored.
	Exists bool
	Kind   survey.RecordKind
	// Creator is the device id of the record's first root version (a
	// version without parents); "" for anonymous responses and for records
	// whose root has not arrived.
	Creator string
	// EnterpriseID is the enterprise the record belongs to (itself for an
	// enterprise), as its first version says.
	EnterpriseID string
	// Assignee is the device that enterprise is assigned to, "" when
	// unassigned or unknown.
	Assignee string
}

// RecordOrigin looks a record up inside the transaction, so a check made
// with it and the write it guards see the same state. The enterprise is
// the one the record's first version names: it does not change when the
// record is edited or deleted later, so the answer does not depend on the
// order versions arrived in; only the enterprise's assignment, which the
// district alone changes, is current state.
func (tx *Tx) RecordOrigin(recordID string) (RecordOrigin, error) {
	var o RecordOrigin
	var kind string
	var root bool
	var payload []byte
	err := tx.queryRow(`SELECT kind, device_id, parents = '[]', payload FROM versions WHERE record_id = ? ORDER BY parents <> '[]', seq LIMIT 1`, recordID).Scan(&kind, &o.Creator, &root, &payload)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return o, nil
	case err != nil:
		return o, fmt.Errorf("record origin %s: %w", recordID, err)
	}
	o.Exists, o.Kind = true, survey.RecordKind(kind)
	if !root {
		o.Creator = ""
	}
	if o.Kind == survey.KindEnterprise {
		o.EnterpriseID = recordID
	} else {
		var ref struct {
			EnterpriseID string `json:"enterprise_id"`
		}
		if json.Unmarshal(payload, &ref) == nil {
			o.EnterpriseID = ref.EnterpriseID
		}
	}
	if o.EnterpriseID != "" {
		if o.Assignee, err = tx.EnterpriseAssignee(o.EnterpriseID); err != nil {
			return o, err
		}
	}
	return o, nil
}

// EnterpriseAssignee returns the device an enterprise is assigned to, as
// its current projection says ("" when unassigned or unknown).
func (tx *Tx) EnterpriseAssignee(enterpriseID string) (string, error) {
	var a string
	err := tx.queryRow(`SELECT assigned_to FROM enterprises WHERE id = ?`, enterpriseID).Scan(&a)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("enterprise %s: %w", enterpriseID, err)
	}
	return a, nil
}

// ExistingRecords returns which of ids have at least one stored version,
// in a few queries however many ids there are: a merged bundle of 10,000
// new records asks once per 500 instead of once per record.
func (tx *Tx) ExistingRecords(ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		chunk := ids[start:min(start+batch, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.Query(`SELECT DISTINCT record_id FROM versions WHERE record_id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("existing records: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("existing records: %w", err)
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("existing records: %w", err)
		}
	}
	return out, nil
}
