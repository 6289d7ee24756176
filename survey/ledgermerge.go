package survey

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"time"
)

// MergeLedgerItems merges concurrent versions (heads) of one ledger item
// that branched from base, field by field, as a three-way merge:
//
//   - a field changed on one branch only takes that branch's value; changed
//     to the same value on several, that value;
//   - the follow-up log is append-only: the entries each branch added after
//     base are all kept, in time order (an entry added on two branches is
//     kept once);
//   - the status changed differently on two branches follows the merged
//     log (the status after its latest entry), provided each branch's status
//     is the one its own log ends with;
//   - any other field changed differently on two branches is a conflict for
//     a person: its JSON name is returned and the merge must not be used.
//
// So the district's 研判 (result, department, route, deadline) and a team's
// follow-up made the same day both survive; the same field changed on both
// sides stays a conflict. The result does not depend on the order of heads.
func MergeLedgerItems(base LedgerItem, heads ...LedgerItem) (LedgerItem, []string, error) {
	if len(heads) == 0 {
		return base, nil, nil
	}
	baseMap, err := ledgerMap(base)
	if err != nil {
		return LedgerItem{}, nil, err
	}
	maps := make([]map[string]any, len(heads))
	for i := range heads {
		if maps[i], err = ledgerMap(heads[i]); err != nil {
			return LedgerItem{}, nil, err
		}
	}
	keys := map[string]bool{}
	for k := range baseMap {
		keys[k] = true
	}
	for _, m := range maps {
		for k := range m {
			keys[k] = true
		}
	}
	merged := map[string]any{}
	var conflicts []string
	statusConflict := false
	for k := range keys {
		if k == "log" {
			continue
		}
		val, ok := mergeValue(baseMap[k], maps, k)
		switch {
		case ok:
			if val != nil {
				merged[k] = val
			}
		case k == "status":
			statusConflict = true
		default:
			conflicts = append(conflicts, k)
		}
	}
	log, ok := mergeLog(base.Log, heads)
	if !ok {
		conflicts = append(conflicts, "log")
	}
	if statusConflict {
		consistent := len(log) > 0
		for _, h := range heads {
			if len(h.Log) == 0 || h.Log[len(h.Log)-1].Status != h.Status {
				consistent = false
			}
		}
		if consistent {
			merged["status"] = string(log[len(log)-1].Status)
		} else {
			conflicts = append(conflicts, "status")
		}
	}
	sort.Strings(conflicts)
	if len(conflicts) > 0 {
		return LedgerItem{}, conflicts, nil
	}
	body, err := json.Marshal(merged)
	if err != nil {
		return LedgerItem{}, nil, fmt.Errorf("merge ledger item: %w", err)
	}
	var out LedgerItem
	if err := json.Unmarshal(body, &out); err != nil {
		return LedgerItem{}, nil, fmt.Errorf("merge ledger item: %w", err)
	}
	out.Log = log
	return out, nil, nil
}

// ledgerMap is the item's JSON members without its log.
func ledgerMap(it LedgerItem) (map[string]any, error) {
	it.Log = nil
	body, err := json.Marshal(it)
	if err != nil {
		return nil, fmt.Errorf("merge ledger item: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("merge ledger item: %w", err)
	}
	return m, nil
}

// mergeValue is the three-way merge of one member: false when two branches
// changed it differently.
func mergeValue(base any, heads []map[string]any, key string) (any, bool) {
	var changed []any
	for _, h := range heads {
		if v := h[key]; !reflect.DeepEqual(v, base) {
			changed = append(changed, v)
		}
	}
	if len(changed) == 0 {
		return base, true
	}
	for _, v := range changed[1:] {
		if !reflect.DeepEqual(v, changed[0]) {
			return nil, false
		}
	}
	return changed[0], true
}

// mergeLog keeps base's entries and every entry a branch added after them,
// in time order; false when a branch's log does not start with base's (an
// entry changed or removed: the log is append-only).
func mergeLog(base []FollowUp, heads []LedgerItem) ([]FollowUp, bool) {
	out := append([]FollowUp(nil), base...)
	var added []FollowUp
	for _, h := range heads {
		if len(h.Log) < len(base) {
			return nil, false
		}
		for i := range base {
			if !sameFollowUp(h.Log[i], base[i]) {
				return nil, false
			}
		}
	next:
		for _, f := range h.Log[len(base):] {
			for _, g := range added {
				if sameFollowUp(f, g) {
					continue next
				}
			}
			added = append(added, f)
		}
	}
	sort.SliceStable(added, func(i, j int) bool {
		a, b := added[i], added[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.By != b.By {
			return a.By < b.By
		}
		if a.Note != b.Note {
			return a.Note < b.Note
		}
		return a.Status < b.Status
	})
	return append(out, added...), true
}

func sameFollowUp(a, b FollowUp) bool {
	return a.At.Equal(b.At) && a.By == b.By && a.Status == b.Status && a.Note == b.Note
}

// MergedAt is the time a merge of versions created at the given times is
// dated: the present, but never before a merged version (so the merge sorts
// after what it merges on every machine, whatever its clock).
func MergedAt(now time.Time, created ...time.Time) time.Time {
	t := now
	for _, c := range created {
		if !t.After(c) {
			t = c.Add(time.Microsecond)
		}
	}
	return t
}
