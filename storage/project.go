package storage

import (
	"encoding/json"
	"fmt"
	"time"

	"zoufang/survey"
)

// project refreshes the projection row of a record from its heads: the
// provisional winner's payload, flagged when there is more than one head, or
// no row at all when the winner is a deletion.
func (tx *Tx) project(recordID string) error {
	heads, err := tx.Heads(recordID)
	if err != nil {
		return err
	}
	if len(heads) == 0 {
		return fmt.Errorf("project %s: no heads", recordID)
	}
	if len(heads) > 1 && heads[0].Kind == survey.KindLedger {
		// Concurrent versions that merge field by field show merged and
		// are not flagged (ledgermerge.go).
		if merged, ok, err := tx.mergeLedger(recordID, heads); err != nil {
			return err
		} else if ok {
			return tx.projectTip(merged, false, nil)
		}
	}
	return tx.projectTip(heads[0], len(heads) > 1, nil)
}

// projectTip writes the projection row of a record whose provisional winner
// is tip. decoded, when not nil, is tip's payload as the record struct the
// caller just encoded, which spares decoding it again on bulk imports.
func (tx *Tx) projectTip(tip survey.Version, conflicted bool, decoded any) error {
	if tip.Kind.DistrictOnly() {
		return tx.projectPublished(tip) // published.go
	}
	recordID := tip.RecordID
	conflict := 0
	if conflicted {
		conflict = 1
	}
	table, ok := projectionTable[tip.Kind]
	if !ok {
		return &Error{Code: "invalid_version", Message: fmt.Sprintf("未知的记录类型 %q", tip.Kind)}
	}
	if tip.Deleted {
		if tip.Kind == survey.KindEnterprise {
			tx.touched[recordID] = true
		}
		if tip.Kind == survey.KindLedger {
			if err := tx.exec(`DELETE FROM ledger_follow_ups WHERE item_id = ?`, recordID); err != nil {
				return err
			}
		}
		if err := tx.exec(`DELETE FROM `+table+` WHERE id = ?`, recordID); err != nil {
			return err
		}
		if tip.Kind == survey.KindVisit {
			return tx.refreshReviewState(recordID)
		}
		return nil
	}
	bad := func(err error) error {
		return &Error{Code: "invalid_version", Message: fmt.Sprintf("记录 %s 的内容无法读取", recordID), Err: err}
	}
	switch tip.Kind {
	case survey.KindEnterprise:
		e, ok := decoded.(survey.Enterprise)
		if !ok {
			if err := json.Unmarshal(tip.Payload, &e); err != nil {
				return bad(err)
			}
		}
		keys := searchKeys(e.Name)
		tx.touched[recordID] = true
		return tx.exec(`INSERT OR REPLACE INTO enterprises (id, version_id, uscc, name, district, street, industry, assigned_to, py_full, py_initials, sort_key, conflict, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			recordID, tip.VersionID, e.USCC, e.Name, e.District, e.Street, e.Industry, e.AssignedTo,
			keys.full, keys.initials, keys.sort, conflict, []byte(tip.Payload))
	case survey.KindVisit:
		// Only the projected columns are decoded: building the whole
		// answers map of every visit was a quarter of the district's
		// import time (10,000-visit bundle).
		var v struct {
			EnterpriseID string             `json:"enterprise_id"`
			Status       survey.VisitStatus `json:"status"`
			UpdatedAt    time.Time          `json:"updated_at"`
			Investigator string             `json:"investigator"`
			Answers      struct {
				VisitDate any `json:"visit_date"`
			} `json:"answers"`
		}
		if err := json.Unmarshal(tip.Payload, &v); err != nil {
			return bad(err)
		}
		visitDate, _ := v.Answers.VisitDate.(string)
		if err := tx.exec(`INSERT OR REPLACE INTO visits (id, version_id, enterprise_id, status, updated, conflict, body, visit_date, investigator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			recordID, tip.VersionID, v.EnterpriseID, string(v.Status), v.UpdatedAt.UTC().Format(time.RFC3339Nano), conflict, []byte(tip.Payload),
			visitDate, v.Investigator); err != nil {
			return err
		}
		return tx.refreshReviewState(recordID)
	case survey.KindReview:
		return tx.projectReview(tip, conflict)
	case survey.KindResponse:
		var r survey.Response
		if err := json.Unmarshal(tip.Payload, &r); err != nil {
			return bad(err)
		}
		a := r.Answers
		// An upsert rather than INSERT OR REPLACE: a replaced row is then
		// an UPDATE, which the figures' count triggers follow on any
		// connection (a REPLACE's deletion fires triggers only with
		// recursive_triggers on; ratecounts.go).
		return tx.exec(`INSERT INTO responses (id, version_id, enterprise_id, visit_id, kind, day, body, awareness, participated, sat_overall, rec_bargaining, rec_service)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET version_id = excluded.version_id, enterprise_id = excluded.enterprise_id, visit_id = excluded.visit_id,
			kind = excluded.kind, day = excluded.day, body = excluded.body, awareness = excluded.awareness, participated = excluded.participated,
			sat_overall = excluded.sat_overall, rec_bargaining = excluded.rec_bargaining, rec_service = excluded.rec_service`,
			recordID, tip.VersionID, r.EnterpriseID, r.VisitID, string(r.Kind), r.Date, []byte(tip.Payload),
			answerText(a, "awareness"), answerText(a, "participated"), answerText(a, "sat_overall"), answerText(a, "rec_bargaining"), answerText(a, "rec_service"))
	case survey.KindLedger:
		var it survey.LedgerItem
		if err := json.Unmarshal(tip.Payload, &it); err != nil {
			return bad(err)
		}
		if err := tx.exec(`INSERT OR REPLACE INTO ledger_items (id, version_id, enterprise_id, visit_id, demand_index, status, deadline, created, conflict, body, urgency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			recordID, tip.VersionID, it.EnterpriseID, it.VisitID, it.DemandIndex, string(it.Status), it.Deadline,
			it.CreatedAt.UTC().Format(time.RFC3339Nano), conflict, []byte(tip.Payload), it.Urgency); err != nil {
			return err
		}
		if err := tx.exec(`DELETE FROM ledger_follow_ups WHERE item_id = ?`, recordID); err != nil {
			return err
		}
		for i, f := range it.Log {
			if err := tx.exec(`INSERT INTO ledger_follow_ups (item_id, n, at, by, status, note) VALUES (?, ?, ?, ?, ?, ?)`,
				recordID, i, f.At.UTC().Format(time.RFC3339Nano), f.By, string(f.Status), f.Note); err != nil {
				return err
			}
		}
	}
	return nil
}

var projectionTable = map[survey.RecordKind]string{
	survey.KindEnterprise: "enterprises",
	survey.KindVisit:      "visits",
	survey.KindResponse:   "responses",
	survey.KindLedger:     "ledger_items",
	survey.KindReview:     "reviews",
}

// answerText is a text answer, "" when unanswered or not text (a
// select_one's value is text; anything else does not count).
func answerText(a survey.Answers, name string) string {
	s, _ := a[name].(string)
	return s
}
