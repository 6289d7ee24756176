package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"zoufang/report"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

type visitsData struct {
	Filter   visitFilter
	Rows     []storage.VisitRow
	Pager    pager
	Streets  []string
	Devices  []district.Device
	DevNames map[string]string
}

func (s *Server) visitsPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	f := parseVisitFilter(r.URL.Query())
	data := visitsData{Filter: f}
	var total int
	var err error
	if data.Rows, total, err = s.db.ListVisits(ctx, f.query()); err != nil {
		return err
	}
	data.Pager = newPager(r, f.Page, total)
	if _, data.Streets, _, err = s.db.Facets(ctx); err != nil {
		return err
	}
	if data.Devices, err = s.d.Devices(ctx); err != nil {
		return err
	}
	data.DevNames = deviceNames(data.Devices)
	return s.render(w, r, sess, "visits", "走访记录", "visits", data)
}

// deviceNames maps each device's id to its name, for lists that show
// which team a record or an enterprise belongs to.
func deviceNames(devs []district.Device) map[string]string {
	m := make(map[string]string, len(devs))
	for _, d := range devs {
		m[d.ID] = d.Name
	}
	return m
}

type historyRow struct {
	survey.Version
	Status     survey.VisitStatus
	EditReason string
	Current    bool
	Shown      bool
}

type visitData struct {
	Visit      survey.Visit
	Enterprise survey.Enterprise
	Sections   []report.Section
	History    []historyRow
	Shown      survey.Version
	Latest     bool
	Conflict   bool
	Ledger     []survey.LedgerItem
}

// visitRecord builds what the PDF prints for one version of a visit.
func (s *Server) visitRecord(r *http.Request, id, versionID string) (report.VisitRecord, []survey.Version, survey.Version, error) {
	ctx := r.Context()
	hist, err := s.db.History(ctx, id)
	if err != nil {
		return report.VisitRecord{}, nil, survey.Version{}, err
	}
	if hist[0].Kind != survey.KindVisit {
		return report.VisitRecord{}, nil, survey.Version{}, notFound("走访记录 " + id)
	}
	tip, err := s.db.Tip(ctx, id)
	if err != nil {
		return report.VisitRecord{}, nil, survey.Version{}, err
	}
	shown := tip
	if versionID != "" {
		found := false
		for _, v := range hist {
			if v.VersionID == versionID {
				shown, found = v, true
			}
		}
		if !found {
			return report.VisitRecord{}, nil, survey.Version{}, notFound("版本 " + versionID)
		}
	}
	if shown.Deleted {
		return report.VisitRecord{}, nil, survey.Version{}, &pageError{http.StatusGone, "此版本删除了走访记录"}
	}
	var v survey.Visit
	if err := json.Unmarshal(shown.Payload, &v); err != nil {
		return report.VisitRecord{}, nil, survey.Version{}, fmt.Errorf("visit %s: %w", id, err)
	}
	v.Answers = survey.NormalizeAnswers(v.Answers)
	form, ok := s.formsIn(ctx).Get(v.FormID, v.FormVersion)
	if !ok {
		return report.VisitRecord{}, nil, survey.Version{}, &pageError{http.StatusInternalServerError, fmt.Sprintf("本服务器没有走访记录所用的表单 %s 第 %d 版，无法显示", v.FormID, v.FormVersion)}
	}
	e, _ := s.db.Enterprise(ctx, v.EnterpriseID)
	responses, err := s.db.Responses(ctx, storage.ResponseFilter{VisitID: id})
	if err != nil {
		return report.VisitRecord{}, nil, survey.Version{}, err
	}
	rec := report.VisitRecord{Visit: v, Enterprise: e, Form: form, Campaign: s.campaignIn(ctx).Name, VersionID: shown.VersionID, Responses: len(responses), Today: s.now()}
	return rec, hist, tip, nil
}

func (s *Server) visitPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	id := r.PathValue("id")
	rec, hist, tip, err := s.visitRecord(r, id, r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	heads, err := s.db.Heads(r.Context(), id)
	if err != nil {
		return err
	}
	data := visitData{Visit: rec.Visit, Enterprise: rec.Enterprise, Sections: report.VisitSections(&rec), Latest: rec.VersionID == tip.VersionID, Conflict: len(heads) > 1}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		row := historyRow{Version: h, Current: h.VersionID == tip.VersionID, Shown: h.VersionID == rec.VersionID}
		var p survey.Visit
		if json.Unmarshal(h.Payload, &p) == nil {
			row.Status, row.EditReason = p.Status, p.EditReason
		}
		data.History = append(data.History, row)
		if row.Shown {
			data.Shown = h
		}
	}
	if data.Ledger, err = s.db.LedgerItems(r.Context(), storage.LedgerFilter{VisitID: id}); err != nil {
		return err
	}
	return s.render(w, r, sess, "visit", "走访记录 "+rec.Enterprise.Name, "visits", data)
}

func (s *Server) visitPDF(w http.ResponseWriter, r *http.Request, sess *Session) error {
	rec, _, _, err := s.visitRecord(r, r.PathValue("id"), r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteVisitPDF(&buf, rec); err != nil {
		return err
	}
	name := fmt.Sprintf("走访记录-%s-%s.pdf", rec.Enterprise.Name, rec.Visit.ID[:8])
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", contentDisposition(name))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}
