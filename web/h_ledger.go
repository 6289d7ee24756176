package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"zoufang/audit"
	"zoufang/report"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

type ledgerData struct {
	Filter     ledgerFilter
	Rows       []storage.LedgerRow
	Pager      pager
	Streets    []string
	Devices    []district.Device
	Statuses   []survey.LedgerStatus
	Today      time.Time
	Categories map[string]string
	Urgencies  map[string]string
	ExportURL  string
}

func (s *Server) choiceLabels(ctx context.Context, name string) map[string]string {
	m := map[string]string{}
	if f, ok := s.formsIn(ctx).Latest(string(survey.FormVisit)); ok {
		if fd := f.Lookup(name); fd != nil {
			for _, c := range fd.Choices {
				m[c.Value] = c.Label
			}
		}
	}
	return m
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	f := parseLedgerFilter(r.URL.Query())
	data := ledgerData{Filter: f, Statuses: survey.LedgerStatuses, Today: s.now(), Categories: s.choiceLabels(r.Context(), "demand_category"), Urgencies: s.choiceLabels(r.Context(), "demand_urgency")}
	var total int
	var err error
	if data.Rows, total, err = s.db.ListLedger(ctx, f.query(s.today(), false)); err != nil {
		return err
	}
	data.Pager = newPager(r, f.Page, total)
	if _, data.Streets, _, err = s.db.Facets(ctx); err != nil {
		return err
	}
	if data.Devices, err = s.d.Devices(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	q.Del("page")
	data.ExportURL = "/ledger.xlsx?" + q.Encode()
	return s.render(w, r, sess, "ledger", "工作台帐", "ledger", data)
}

// ledgerXLSX exports the filtered ledger in the workbook format the
// laptops export (report.WriteLedgerXLSX).
func (s *Server) ledgerXLSX(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	f := parseLedgerFilter(r.URL.Query())
	rows, _, err := s.db.ListLedger(ctx, f.query(s.today(), true))
	if err != nil {
		return err
	}
	items := make([]survey.LedgerItem, len(rows))
	ids := make([]string, 0, len(rows))
	for i, row := range rows {
		items[i] = row.Item
		ids = append(ids, row.Item.EnterpriseID)
	}
	ents, err := s.enterprisesByID(r, ids)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.WriteLedgerXLSX(&buf, items, ents, s.formsIn(r.Context()), s.now().Local()); err != nil {
		return err
	}
	return attachment(w, fmt.Sprintf("工作台帐-%s.xlsx", s.today()), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

func (s *Server) enterprisesByID(r *http.Request, ids []string) (map[string]survey.Enterprise, error) {
	uniq := map[string]bool{}
	var list []string
	for _, id := range ids {
		if !uniq[id] {
			uniq[id] = true
			list = append(list, id)
		}
	}
	briefs, err := s.db.EnterpriseBriefs(r.Context(), list)
	if err != nil {
		return nil, err
	}
	out := make(map[string]survey.Enterprise, len(briefs))
	for id := range briefs {
		e, err := s.db.Enterprise(r.Context(), id)
		if err != nil {
			return nil, err
		}
		out[id] = e
	}
	return out, nil
}

type ledgerItemData struct {
	Item       survey.LedgerItem
	Version    string
	Conflict   bool
	Enterprise survey.Enterprise
	Statuses   []survey.LedgerStatus
	Routes     []survey.HandlingRoute
	Overdue    bool
	Category   string
	Urgency    string
	History    []audit.Entry
	// The text of the 研判 and follow-up forms: the stored 研判, or what
	// the person typed when it was refused (so nothing typed is lost).
	Assessment, Department, Note string
}

// ledgerTyped is what a refused form had typed, shown again.
type ledgerTyped struct{ Assessment, Department, Note string }

func (s *Server) ledgerItemPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	return s.renderLedgerItem(w, r, sess, http.StatusOK, "")
}

func (s *Server) renderLedgerItem(w http.ResponseWriter, r *http.Request, sess *Session, status int, msg string) error {
	return s.renderLedgerItemTyped(w, r, sess, status, msg, nil)
}

// renderLedgerItemTyped is renderLedgerItem showing typed (when not nil) in
// the forms instead of the stored 研判.
func (s *Server) renderLedgerItemTyped(w http.ResponseWriter, r *http.Request, sess *Session, status int, msg string, typed *ledgerTyped) error {
	ctx := r.Context()
	id := r.PathValue("id")
	it, ver, conflict, err := s.db.LedgerItemVersion(ctx, id)
	if err != nil {
		return err
	}
	data := ledgerItemData{Item: it, Version: ver, Conflict: conflict, Statuses: survey.LedgerStatuses, Routes: survey.HandlingRoutes, Overdue: it.Overdue(s.now().Local())}
	data.Enterprise, _ = s.db.Enterprise(ctx, it.EnterpriseID)
	data.Assessment, data.Department = it.Assessment, it.Department
	if typed != nil {
		data.Assessment, data.Department, data.Note = typed.Assessment, typed.Department, typed.Note
	}
	data.Category = s.choiceLabels(r.Context(), "demand_category")[it.Category]
	data.Urgency = s.choiceLabels(r.Context(), "demand_urgency")[it.Urgency]
	if data.History, _, err = audit.List(ctx, s.db, audit.Filter{Target: id, Limit: 50}); err != nil {
		return err
	}
	return s.renderStatus(w, r, sess, status, "ledger_item", "台帐事项", "ledger", data, msg)
}

func parseStatus(v string) (survey.LedgerStatus, bool) {
	for _, s := range survey.LedgerStatuses {
		if string(s) == v {
			return s, true
		}
	}
	return "", false
}

// ledgerAssess saves the district's 研判: result, responsible department,
// deadline and status. The form carries the version it was filled
// against; if the item changed since, nothing is saved.
func (s *Server) ledgerAssess(w http.ResponseWriter, r *http.Request, sess *Session) error {
	id := r.PathValue("id")
	deadline := trimValid(r.PostFormValue("deadline"))
	assessment, p1 := textValue(r, "assessment", "研判结果", survey.MaxLongText)
	dept, p2 := textValue(r, "department", "责任部门", survey.MaxLineText)
	if p := p1 + p2; p != "" {
		return s.renderLedgerItemTyped(w, r, sess, http.StatusBadRequest, p, &ledgerTyped{Assessment: assessment, Department: dept})
	}
	status, ok := parseStatus(r.PostFormValue("status"))
	if !ok {
		return s.renderLedgerItem(w, r, sess, http.StatusBadRequest, "请选择状态。未做任何修改。")
	}
	route := survey.HandlingRoute(r.PostFormValue("route"))
	if !route.Valid() {
		return s.renderLedgerItem(w, r, sess, http.StatusBadRequest, "请从列表中选择处理途径。未做任何修改。")
	}
	if deadline != "" {
		if t, err := time.Parse("2006-01-02", deadline); err != nil || t.Year() < 2000 || t.Year() > 2100 {
			return s.renderLedgerItem(w, r, sess, http.StatusBadRequest, "办结期限应为有效日期（YYYY-MM-DD）。未做任何修改。")
		}
	}
	base := r.PostFormValue("base")
	var changes []string
	err := s.db.Update(r.Context(), func(tx *storage.Tx) error {
		if err := claimToken(tx, sess, r.PostFormValue("token")); err != nil {
			return err
		}
		changes = nil
		_, err := tx.EditLedgerItem(id, base, func(it *survey.LedgerItem) error {
			note := func(label, from, to string) {
				if from != to {
					changes = append(changes, fmt.Sprintf("%s：%s → %s", label, orDash(from), orDash(to)))
				}
			}
			note("研判结果", it.Assessment, assessment)
			note("责任部门", it.Department, dept)
			note("处理途径", it.Route.Label(), route.Label())
			note("办结期限", it.Deadline, deadline)
			note("状态", it.Status.Label(), status.Label())
			if it.Assessment != assessment || it.Department != dept || it.Route != route {
				// Who decided the 研判 and when travel down with it.
				it.AssessedBy, it.AssessedAt = sess.User.Name, tx.Now()
			}
			it.Assessment, it.Department, it.Route, it.Deadline = assessment, dept, route, deadline
			if it.Status != status {
				// A status change is a dated entry in the follow-up log, as
				// on the laptop: who, when and why stay with the item.
				it.Log = append(it.Log, survey.FollowUp{At: tx.Now(), By: sess.User.Name, Status: status, Note: assessNote(assessment)})
				it.Status = status
			}
			if len(changes) == 0 {
				return &pageError{http.StatusBadRequest, "没有任何改动，未保存。"}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{Actor: sess.User.Name, Action: "ledger.assess", Target: id, Detail: "台帐事项研判：" + strings.Join(changes, "；")})
	})
	if err != nil {
		return err
	}
	return s.done(w, r, "/ledger/"+id, "研判已保存，将随下发包发给负责的笔记本")
}

// assessNote is the follow-up entry a status change by the 研判 writes: the
// result quoted, shortened to fit a follow-up note when it is long (the
// whole text is the item's 研判结果).
func assessNote(assessment string) string {
	const prefix = "区总工会研判："
	r := []rune(orDash(assessment))
	if room := survey.MaxLongText - utf8.RuneCountInString(prefix); len(r) > room {
		r = append(r[:room-1], '…')
	}
	return prefix + string(r)
}

func orDash(s string) string {
	if s == "" {
		return "（空）"
	}
	return s
}

// ledgerFollowUp adds a dated follow-up entry, which may move the status.
func (s *Server) ledgerFollowUp(w http.ResponseWriter, r *http.Request, sess *Session) error {
	id := r.PathValue("id")
	note, problem := textValue(r, "note", "跟进情况", survey.MaxLongText)
	if problem != "" {
		return s.renderLedgerItemTyped(w, r, sess, http.StatusBadRequest, problem, &ledgerTyped{Note: note})
	}
	status, ok := parseStatus(r.PostFormValue("status"))
	if note == "" || !ok {
		return s.renderLedgerItem(w, r, sess, http.StatusBadRequest, "请填写跟进情况并选择跟进后的状态。未做任何修改。")
	}
	base := r.PostFormValue("base")
	err := s.db.Update(r.Context(), func(tx *storage.Tx) error {
		if err := claimToken(tx, sess, r.PostFormValue("token")); err != nil {
			return err
		}
		var from survey.LedgerStatus
		if _, err := tx.EditLedgerItem(id, base, func(it *survey.LedgerItem) error {
			from = it.Status
			it.Log = append(it.Log, survey.FollowUp{At: tx.Now(), By: sess.User.Name, Status: status, Note: note})
			it.Status = status
			return nil
		}); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{Actor: sess.User.Name, Action: "ledger.followup", Target: id,
			Detail: fmt.Sprintf("台帐跟进（%s → %s）：%s", from.Label(), status.Label(), note)})
	})
	if err != nil {
		return err
	}
	return s.done(w, r, "/ledger/"+id, "跟进已记录")
}
