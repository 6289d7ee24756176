package district

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/google/uuid"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
)

// Conflict is a record with concurrent edits, classified for staff.
type Conflict struct {
	storage.Conflict
	// Hard is true when the same field was changed differently on two
	// branches; a soft conflict touches different fields and can be merged.
	Hard bool
	// Fields lists the changed fields per head (same order as Heads).
	Fields [][]string
}

// Conflicts lists open conflicts with their classification.
func (d *District) Conflicts(ctx context.Context) ([]Conflict, error) {
	cs, err := d.db.Conflicts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Conflict, 0, len(cs))
	for _, c := range cs {
		hist, err := d.db.History(ctx, c.RecordID)
		if err != nil {
			return nil, err
		}
		out = append(out, Classify(c, hist))
	}
	return out, nil
}

// Classify compares each head with the nearest common ancestor of all heads
// field by field (visit and response answers by name, other records by
// their top-level JSON members).
func Classify(c storage.Conflict, history []survey.Version) Conflict {
	byID := map[string]survey.Version{}
	for _, v := range history {
		byID[v.VersionID] = v
	}
	ancestors := func(id string) map[string]int { // version id → distance
		dist := map[string]int{id: 0}
		queue := []string{id}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, p := range byID[cur].Parents {
				if _, seen := dist[p]; !seen {
					dist[p] = dist[cur] + 1
					queue = append(queue, p)
				}
			}
		}
		return dist
	}
	common := ancestors(c.Heads[0].VersionID)
	for _, h := range c.Heads[1:] {
		a := ancestors(h.VersionID)
		for id := range common {
			if _, ok := a[id]; !ok {
				delete(common, id)
			}
		}
	}
	base := ""
	best := -1
	for id := range common {
		v := byID[id]
		if best < 0 || v.Created.After(byID[base].Created) || (v.Created.Equal(byID[base].Created) && id > base) {
			base, best = id, 0
		}
	}
	baseFields := fields(byID[base])
	out := Conflict{Conflict: c}
	changedBy := map[string][]any{}
	for _, h := range c.Heads {
		f := fields(h)
		var changed []string
		keys := map[string]bool{}
		for k := range f {
			keys[k] = true
		}
		for k := range baseFields {
			keys[k] = true
		}
		for k := range keys {
			if h.Deleted || !reflect.DeepEqual(f[k], baseFields[k]) {
				changed = append(changed, k)
				changedBy[k] = append(changedBy[k], f[k])
			}
		}
		if h.Deleted {
			changed = []string{"（删除）"}
			out.Hard = true
		}
		sort.Strings(changed)
		out.Fields = append(out.Fields, changed)
	}
	for _, vals := range changedBy {
		for i := 1; i < len(vals); i++ {
			if !reflect.DeepEqual(vals[i], vals[0]) {
				out.Hard = true
			}
		}
	}
	return out
}

// fields flattens a version's content for comparison.
func fields(v survey.Version) map[string]any {
	var m map[string]any
	if json.Unmarshal(v.Payload, &m) != nil {
		return nil
	}
	out := map[string]any{}
	for k, x := range m {
		switch k {
		case "updated_at", "edit_reason":
			continue // bookkeeping, differs on every save
		case "answers":
			if a, ok := x.(map[string]any); ok {
				for ak, av := range a {
					out["answers."+ak] = av
				}
				continue
			}
		}
		out[k] = x
	}
	return out
}

// Resolve records a person's decision on a conflict: a new version whose
// parents are all the record's heads, carrying the content of the chosen
// head (pick) or, when merged is not nil, that JSON payload. Who and why
// are kept in the district log.
func (d *District) Resolve(ctx context.Context, recordID, pick string, merged json.RawMessage, who, why string) (survey.Version, error) {
	return d.resolve(ctx, recordID, nil, pick, merged, who, why)
}

// ResolveSeen is Resolve for a person who decided looking at the heads
// seen (version ids, any order): when the record's heads are no longer
// exactly those (another person resolved it, or a laptop sent a newer
// edit meanwhile), nothing is written and storage.ErrStale is returned.
func (d *District) ResolveSeen(ctx context.Context, recordID string, seen []string, pick string, merged json.RawMessage, who, why string) (survey.Version, error) {
	if len(seen) == 0 {
		return survey.Version{}, storage.ErrStale
	}
	return d.resolve(ctx, recordID, seen, pick, merged, who, why)
}

func (d *District) resolve(ctx context.Context, recordID string, seen []string, pick string, merged json.RawMessage, who, why string) (survey.Version, error) {
	if strings.TrimSpace(who) == "" || strings.TrimSpace(why) == "" {
		return survey.Version{}, errorf(CodeInvalidArgument, "处理冲突须写明处理人和理由")
	}
	if merged != nil {
		var probe struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(merged, &probe); err != nil || probe.ID != recordID {
			return survey.Version{}, errorf(CodeInvalidArgument, "合并后的内容不是记录 %s 的有效 JSON", recordID)
		}
	}
	author, deviceID := d.Name(), d.setting(setID)
	var v survey.Version
	// The heads are read in the transaction that writes the resolution:
	// two people (or processes) resolving at once cannot both take the same
	// heads as parents, and a head that arrived meanwhile is never hidden.
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		heads, err := tx.Heads(recordID)
		if err != nil {
			return err
		}
		if seen != nil && !sameIDs(heads, seen) {
			return storage.ErrStale
		}
		if len(heads) < 2 {
			return errorf(CodeStale, "记录 %s 没有待处理的冲突", recordID)
		}
		var chosen *survey.Version
		var parents []string
		for i := range heads {
			parents = append(parents, heads[i].VersionID)
			if heads[i].VersionID == pick {
				chosen = &heads[i]
			}
		}
		if chosen == nil {
			if merged == nil {
				return errorf(CodeInvalidArgument, "版本 %s 不是记录 %s 的冲突分支之一", pick, recordID)
			}
			chosen = &heads[0]
		}
		v = *chosen
		if merged != nil {
			v.Payload, v.Deleted = merged, false
		}
		v.VersionID, v.Parents = uuid.NewString(), parents
		v.Author, v.DeviceID = author, deviceID
		v.Created = d.now().UTC()
		for _, h := range heads {
			if !v.Created.After(h.Created) {
				v.Created = h.Created.Add(1e3)
			}
		}
		if _, err := tx.PutVersions([]survey.Version{v}); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{At: d.now().UTC(), Actor: who, Action: "resolve", Target: recordID,
			Detail: fmt.Sprintf("记录 %s 的冲突以版本 %s 解决（选用 %s）", recordID, v.VersionID, pick), Reason: why})
	})
	if err != nil {
		if errors.Is(err, storage.ErrStale) {
			return survey.Version{}, err // the workbench tells the person to look again
		}
		return survey.Version{}, d.fail(err, "resolve")
	}
	return v, nil
}

// sameIDs reports whether heads are exactly the versions ids, in any order.
func sameIDs(heads []survey.Version, ids []string) bool {
	if len(heads) != len(ids) {
		return false
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, h := range heads {
		if !want[h.VersionID] {
			return false
		}
	}
	return len(want) == len(ids)
}

// Fields returns a version's content flattened for comparison, as Classify
// compares it: top-level members by name, visit and response answers as
// "answers.NAME", bookkeeping (updated_at, edit_reason) left out.
func Fields(v survey.Version) map[string]any { return fields(v) }
