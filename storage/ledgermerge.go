package storage

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"zoufang/survey"
)

// Ledger items are shared between the district (its 研判) and the team (its
// follow-ups): concurrent versions that touch different fields merge by
// survey.MergeLedgerItems. Where they merge:
//
//   - On every replica, a ledger item whose heads merge is projected merged
//     and not flagged as a conflict, and an edit of it names every head as a
//     parent (versions.go createVersion): the edit carries the merge.
//   - At the district, MergeLedgerHeads writes the merge as a version of
//     its own after a bundle is merged, so the item has one head again and
//     the merge travels down to the laptops.
//
// Heads that do not merge (the same field changed on both sides, a
// deletion) stay a conflict for a person, as for any other record.

// mergeLedger merges a ledger item's heads. ok is false when they do not
// merge; merged is then the zero version. merged carries the provisional
// winner's ids with the merged payload.
func (tx *Tx) mergeLedger(recordID string, heads []survey.Version) (merged survey.Version, ok bool, err error) {
	base, found, err := tx.mergeBase(recordID, heads)
	if err != nil || !found || base.Deleted {
		return survey.Version{}, false, err
	}
	var b survey.LedgerItem
	if json.Unmarshal(base.Payload, &b) != nil {
		return survey.Version{}, false, nil
	}
	items := make([]survey.LedgerItem, len(heads))
	for i, h := range heads {
		if h.Deleted || h.Kind != survey.KindLedger || json.Unmarshal(h.Payload, &items[i]) != nil {
			return survey.Version{}, false, nil
		}
	}
	it, conflicts, err := survey.MergeLedgerItems(b, items...)
	if err != nil || len(conflicts) > 0 {
		return survey.Version{}, false, err
	}
	body, err := json.Marshal(it)
	if err != nil {
		return survey.Version{}, false, fmt.Errorf("merge ledger item %s: %w", recordID, err)
	}
	merged = heads[0]
	merged.Payload = body
	return merged, true, nil
}

// mergeBase finds the nearest common ancestor of heads in the record's
// history, as the district's conflict classification does: of the
// versions every head descends from, the latest created (then the
// greatest id), so every replica picks the same base.
func (tx *Tx) mergeBase(recordID string, heads []survey.Version) (survey.Version, bool, error) {
	hist, err := collectVersions(tx.query(`SELECT `+versionCols+` FROM versions WHERE record_id = ? ORDER BY seq`, recordID))
	if err != nil {
		return survey.Version{}, false, fmt.Errorf("merge base %s: %w", recordID, err)
	}
	byID := make(map[string]survey.Version, len(hist))
	for _, v := range hist {
		byID[v.VersionID] = v
	}
	ancestors := func(id string) map[string]bool {
		seen := map[string]bool{id: true}
		queue := []string{id}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, p := range byID[cur].Parents {
				if !seen[p] {
					seen[p] = true
					queue = append(queue, p)
				}
			}
		}
		return seen
	}
	common := ancestors(heads[0].VersionID)
	for _, h := range heads[1:] {
		a := ancestors(h.VersionID)
		for id := range common {
			if !a[id] {
				delete(common, id)
			}
		}
	}
	var best survey.Version
	found := false
	for id := range common {
		v, ok := byID[id]
		if !ok {
			continue
		}
		if !found || v.Created.After(best.Created) || (v.Created.Equal(best.Created) && id > best.VersionID) {
			best, found = v, true
		}
	}
	return best, found, nil
}

// MergeLedgerHeads writes, for every ledger item that got a version in this
// transaction and now has several heads that merge, the merged item as a
// new version whose parents are all its heads (author and device of this
// database: the district). It returns the ids of the items merged. Heads
// that do not merge are left for a person.
func (tx *Tx) MergeLedgerHeads() ([]string, error) {
	ids := make([]string, 0, len(tx.ledgers))
	for id := range tx.ledgers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []string
	for _, id := range ids {
		heads, err := tx.Heads(id)
		if err != nil {
			return out, err
		}
		if len(heads) < 2 {
			continue
		}
		merged, ok, err := tx.mergeLedger(id, heads)
		if err != nil {
			return out, err
		}
		if !ok {
			continue
		}
		v := survey.Version{
			RecordID: id, VersionID: uuid.NewString(), Kind: survey.KindLedger,
			Author: tx.db.opt.Author, DeviceID: tx.db.opt.DeviceID, Created: tx.Now(), Payload: merged.Payload,
		}
		for _, h := range heads {
			v.Parents = append(v.Parents, h.VersionID)
			v.Created = survey.MergedAt(v.Created, h.Created)
		}
		if err := tx.apply(v, true, false, nil); err != nil {
			return out, err
		}
		out = append(out, id)
	}
	return out, nil
}
