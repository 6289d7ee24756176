package web

import (
	"fmt"
	"net/http"

	"zoufang/survey"
	"zoufang/sync/district"
)

type quarantineData struct {
	Bundles []district.QuarantinedBundle
}

func (s *Server) quarantinePage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	qs, err := s.d.Quarantined(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, sess, "quarantine", "隔离的同步包", "bundles", quarantineData{Bundles: qs})
}

type quarantineRecord struct {
	survey.Version
	Kind  string
	Title string
}

type quarantineDetailData struct {
	Detail  *district.QuarantineDetail
	Records []quarantineRecord
}

// quarantineDetail shows what is inside a quarantined bundle, read-only:
// whether its signature checks, and its records.
func (s *Server) quarantineDetail(w http.ResponseWriter, r *http.Request, sess *Session) error {
	det, err := s.d.InspectQuarantined(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data := quarantineDetailData{Detail: det}
	for _, v := range det.Versions {
		data.Records = append(data.Records, quarantineRecord{Version: v, Kind: kindLabel[v.Kind], Title: s.recordTitle(r, v)})
	}
	return s.render(w, r, sess, "quarantine_item", "隔离的同步包", "bundles", data)
}

// quarantineDecide releases (decide again, as if just arrived) or rejects
// for good a quarantined bundle; a reason is required and both are
// audited by the district.
func (s *Server) quarantineDecide(w http.ResponseWriter, r *http.Request, sess *Session) error {
	id, action := r.PathValue("id"), r.PathValue("action")
	reason, tooLong := textValue(r, "reason", "理由", survey.MaxLongText)
	if tooLong != "" {
		return badRequest("%s", tooLong)
	}
	if reason == "" {
		return badRequest("请写明放行或拒收的理由。未做任何修改。")
	}
	if action != "release" && action != "reject" {
		return notFound("操作 " + action)
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	if action == "reject" {
		if err := s.d.RejectQuarantined(r.Context(), id, sess.User.Name, reason); err != nil {
			release()
			return err
		}
		return s.done(w, r, "/quarantine", "已拒收该同步包；其内容不会合并")
	}
	res, err := s.d.ReleaseQuarantined(r.Context(), id, sess.User.Name, reason)
	if err != nil {
		release()
		return err
	}
	return s.done(w, r, "/quarantine", fmt.Sprintf("已放行：%s", res.Message))
}
