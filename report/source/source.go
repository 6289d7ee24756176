// Package source gathers what the report package prints from the database:
// it turns stored visits into report.VisitRecord values. It is the only part
// of report/ that imports storage, so the renderers stay pure.
package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"zoufang/report"
	"zoufang/storage"
	"zoufang/survey"
)

// VisitRecords builds one printable record per visit: its enterprise, the
// form version it was filled against, its current stored version id and the
// number of questionnaire responses tied to it. progress, if not nil, is
// called after each visit.
func VisitRecords(ctx context.Context, db *storage.DB, forms *survey.FormSet, campaign string, visits []survey.Visit, today time.Time, progress func(done, total int)) ([]report.VisitRecord, error) {
	recs := make([]report.VisitRecord, 0, len(visits))
	ents := map[string]survey.Enterprise{}
	for i, v := range visits {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, ok := forms.Get(v.FormID, v.FormVersion)
		if !ok {
			return nil, &storage.Error{Code: "form_missing", Message: fmt.Sprintf("找不到走访记录 %s 使用的表单 %s 第 %d 版", v.ID, v.FormID, v.FormVersion)}
		}
		e, ok := ents[v.EnterpriseID]
		if !ok {
			var err error
			if e, err = db.Enterprise(ctx, v.EnterpriseID); err != nil {
				return nil, fmt.Errorf("visit %s: enterprise: %w", v.ID, err)
			}
			ents[v.EnterpriseID] = e
		}
		tip, err := db.Tip(ctx, v.ID)
		if err != nil {
			return nil, fmt.Errorf("visit %s: version: %w", v.ID, err)
		}
		rs, err := db.Responses(ctx, storage.ResponseFilter{VisitID: v.ID})
		if err != nil {
			return nil, fmt.Errorf("visit %s: responses: %w", v.ID, err)
		}
		recs = append(recs, report.VisitRecord{
			Visit: v, Enterprise: e, Form: f, Campaign: campaign,
			VersionID: tip.VersionID, Responses: len(rs), Today: today,
		})
		if progress != nil {
			progress(i+1, len(visits))
		}
	}
	return recs, nil
}

// Enterprises loads the enterprises with the given ids (duplicates and
// empty ids are ignored). An id that is not in the roster is left out of
// the map, so exports print an empty name instead of failing.
func Enterprises(ctx context.Context, db *storage.DB, ids []string) (map[string]survey.Enterprise, error) {
	m := map[string]survey.Enterprise{}
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, done := m[id]; done {
			continue
		}
		e, err := db.Enterprise(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("enterprise %s: %w", id, err)
		}
		m[id] = e
	}
	return m, nil
}
