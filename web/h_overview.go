package web

import (
	"net/http"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

type deviceProgress struct {
	Device   district.Device
	Progress storage.Progress
	Last     time.Time
}

type overviewData struct {
	Phase         survey.Phase
	HasPhase      bool
	Campaign      string
	Totals        storage.Totals
	Devices       []deviceProgress
	Unassigned    storage.Progress
	BundlesToday  int
	Quarantined   int
	Conflicts     int
	Visited       int
	StatusDraft   int
	StatusDone    int
	StatusSigned  int
	PhaseProgress int // percent of the current phase's days gone
}

// today is the server's local calendar day, YYYY-MM-DD.
func (s *Server) today() string { return s.now().Local().Format("2006-01-02") }

func (s *Server) overview(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	now := s.now().Local()
	camp := s.campaignIn(ctx)
	data := overviewData{Campaign: camp.Name}
	data.Phase, data.HasPhase = camp.PhaseAt(now)
	if data.HasPhase {
		start, _ := time.ParseInLocation("2006-01-02", data.Phase.Start, time.Local)
		end, _ := time.ParseInLocation("2006-01-02", data.Phase.End, time.Local)
		if total := end.AddDate(0, 0, 1).Sub(start); total > 0 {
			data.PhaseProgress = int(now.Sub(start) * 100 / total)
		}
	}
	prog, totals, err := s.progress(ctx)
	if err != nil {
		return err
	}
	data.Totals = totals
	data.StatusDraft, data.StatusDone, data.StatusSigned = data.Totals.Visits[survey.VisitDraft], data.Totals.Visits[survey.VisitFinalized], data.Totals.Visits[survey.VisitSigned]
	devs, err := s.d.Devices(ctx)
	if err != nil {
		return err
	}
	last, err := s.d.LastContact(ctx)
	if err != nil {
		return err
	}
	for _, d := range devs {
		data.Devices = append(data.Devices, deviceProgress{Device: d, Progress: prog[d.ID], Last: last[d.ID]})
		data.Quarantined += d.Quarantined
	}
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	if _, data.BundlesToday, err = s.d.Bundles(ctx, district.BundleQuery{Since: midnight, Limit: 1}); err != nil {
		return err
	}
	if data.Conflicts, err = s.db.ConflictCount(ctx); err != nil {
		return err
	}
	return s.render(w, r, sess, "overview", "总览", "overview", data)
}
