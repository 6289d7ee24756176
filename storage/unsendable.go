package storage

import (
	"encoding/json"
	"fmt"
	"slices"

	"zoufang/survey"
)

// DropUnsendable removes from the history a version made here that can
// never be sent (survey.CheckVersionSize refuses it: an older version of
// the program stored it before the limits existed) once it is superseded:
// later versions made here name it as their parent. Those later versions
// take its parents instead, so the record's history stays connected and
// the outbox no longer stops at it. afterSeq is the outbox position: the
// version and every later one of its record must come after it (never in
// a bundle, so no other machine knows them and nothing refers to them
// elsewhere). It reports whether the version was dropped; a version that
// fits, was sent, was received, or is still the record's tip is kept.
func (tx *Tx) DropUnsendable(versionID string, afterSeq int64) (bool, error) {
	var (
		seq   int64
		local bool
	)
	row := tx.QueryRow(`SELECT seq, local, `+versionCols+` FROM versions WHERE version_id = ?`, versionID)
	v, err := scanVersion(seqLocalScanner{row, &seq, &local})
	if err != nil {
		return false, fmt.Errorf("drop unsendable %s: %w", versionID, err)
	}
	if !local || seq <= afterSeq || survey.CheckVersionSize(v, nil) == nil {
		return false, nil
	}
	rows, err := tx.Query(`SELECT seq, local, `+versionCols+` FROM versions WHERE record_id = ? AND seq > ? ORDER BY seq`, v.RecordID, seq)
	if err != nil {
		return false, fmt.Errorf("drop unsendable %s: %w", versionID, err)
	}
	var children []survey.Version
	for rows.Next() {
		var (
			cseq   int64
			clocal bool
		)
		c, err := scanVersion(seqLocalScanner{rows, &cseq, &clocal})
		if err != nil {
			rows.Close()
			return false, fmt.Errorf("drop unsendable %s: %w", versionID, err)
		}
		if slices.Contains(c.Parents, versionID) {
			if !clocal {
				rows.Close()
				return false, nil // a received version names it: it is known elsewhere after all
			}
			children = append(children, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("drop unsendable %s: %w", versionID, err)
	}
	if len(children) == 0 {
		return false, nil // still the tip: the person has to shorten it first
	}
	for _, c := range children {
		var parents []string
		for _, p := range c.Parents {
			if p != versionID {
				parents = append(parents, p)
				continue
			}
			for _, gp := range v.Parents {
				if !slices.Contains(parents, gp) && !slices.Contains(c.Parents, gp) {
					parents = append(parents, gp)
				}
			}
		}
		js, err := json.Marshal(nonNil(parents))
		if err != nil {
			return false, err
		}
		if err := tx.exec(`UPDATE versions SET parents = ? WHERE version_id = ?`, string(js), c.VersionID); err != nil {
			return false, fmt.Errorf("drop unsendable %s: %w", versionID, err)
		}
	}
	if err := tx.exec(`DELETE FROM heads WHERE version_id = ?`, versionID); err != nil {
		return false, fmt.Errorf("drop unsendable %s: %w", versionID, err)
	}
	if err := tx.exec(`DELETE FROM versions WHERE version_id = ?`, versionID); err != nil {
		return false, fmt.Errorf("drop unsendable %s: %w", versionID, err)
	}
	return true, nil
}

// seqLocalScanner scans leading seq and local columns before the version
// columns.
type seqLocalScanner struct {
	sc    interface{ Scan(...any) error }
	seq   *int64
	local *bool
}

func (s seqLocalScanner) Scan(dst ...any) error {
	return s.sc.Scan(append([]any{s.seq, s.local}, dst...)...)
}
