package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

type conflictSummary struct {
	district.Conflict
	Title string
	Kind  string
	Sides []string // per head: who, when, which fields
}

func (s *Server) summarize(r *http.Request, c district.Conflict) conflictSummary {
	cs := conflictSummary{Conflict: c, Title: s.recordTitle(r, c.Heads[0]), Kind: kindLabel[c.Kind]}
	var form *survey.Form
	if c.Kind == survey.KindVisit {
		form, _ = s.formsIn(r.Context()).Get(c.Heads[0].FormID, c.Heads[0].FormVersion)
	}
	for i, h := range c.Heads {
		var labels []string
		for _, f := range c.Fields[i] {
			labels = append(labels, fieldLabel(c.Kind, form, f))
		}
		who := h.Author
		if who == "" {
			who = "（未署名）"
		}
		cs.Sides = append(cs.Sides, fmt.Sprintf("%s，%s：改了%s", who, h.Created.Local().Format("2006-01-02 15:04"), strings.Join(labels, "、")))
	}
	return cs
}

var kindLabel = map[survey.RecordKind]string{
	survey.KindEnterprise: "企业", survey.KindVisit: "走访记录", survey.KindResponse: "问卷", survey.KindLedger: "台帐事项",
}

func (s *Server) conflictsPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	cs, err := s.d.Conflicts(r.Context())
	if err != nil {
		return err
	}
	out := make([]conflictSummary, 0, len(cs))
	for _, c := range cs {
		out = append(out, s.summarize(r, c))
	}
	return s.render(w, r, sess, "conflicts", "冲突", "conflicts", out)
}

// recordTitle names a record for people: the enterprise name, and for a
// ledger item its description.
func (s *Server) recordTitle(r *http.Request, v survey.Version) string {
	var p struct {
		Name         string `json:"name"`
		EnterpriseID string `json:"enterprise_id"`
		Description  string `json:"description"`
	}
	json.Unmarshal(v.Payload, &p)
	switch v.Kind {
	case survey.KindEnterprise:
		return p.Name
	case survey.KindLedger:
		e, _ := s.db.Enterprise(r.Context(), p.EnterpriseID)
		return e.Name + "：" + p.Description
	default:
		e, _ := s.db.Enterprise(r.Context(), p.EnterpriseID)
		return e.Name
	}
}

// diffRow is one field of the side-by-side view.
type diffRow struct {
	Key, Label string
	Values     []string // per head
	Differs    bool
	Chosen     int // head index preselected for the merge
}

type conflictData struct {
	Conflict conflictSummary
	Rows     []diffRow
	Same     []diffRow
	CanMerge bool
	Reason   string
}

func (s *Server) loadConflict(r *http.Request, id string) (district.Conflict, error) {
	cs, err := s.d.Conflicts(r.Context())
	if err != nil {
		return district.Conflict{}, err
	}
	for _, c := range cs {
		if c.RecordID == id {
			return c, nil
		}
	}
	return district.Conflict{}, &pageError{http.StatusNotFound, "记录 " + id + " 没有待处理的冲突（可能已由他人处理）。"}
}

func (s *Server) conflictPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	c, err := s.loadConflict(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, sess, "conflict", "处理冲突", "conflicts", s.conflictView(r, c))
}

func (s *Server) conflictView(r *http.Request, c district.Conflict) conflictData {
	data := conflictData{Conflict: s.summarize(r, c), CanMerge: true}
	flat := make([]map[string]any, len(c.Heads))
	keys := map[string]bool{}
	for i, h := range c.Heads {
		if h.Deleted {
			data.CanMerge = false
		}
		flat[i] = district.Fields(h)
		for k := range flat[i] {
			keys[k] = true
		}
	}
	var form *survey.Form
	if c.Kind == survey.KindVisit || c.Kind == survey.KindResponse {
		form, _ = s.formsIn(r.Context()).Get(c.Heads[0].FormID, c.Heads[0].FormVersion)
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		row := diffRow{Key: k, Label: fieldLabel(c.Kind, form, k)}
		for i := range c.Heads {
			v, ok := flat[i][k]
			row.Values = append(row.Values, valueText(form, k, v, ok))
			if i > 0 && !jsonEqual(flat[i][k], flat[0][k]) {
				row.Differs = true
			}
		}
		if row.Differs {
			data.Rows = append(data.Rows, row)
		} else {
			data.Same = append(data.Same, row)
		}
	}
	return data
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

var memberLabels = map[string]string{
	"id": "编号", "name": "企业名称", "uscc": "统一社会信用代码", "district": "所属区市", "street": "镇街", "industry": "行业",
	"workers": "职工人数", "has_union": "是否建会", "contact": "联系人", "phone": "联系电话", "address": "地址", "assigned_to": "分配给设备",
	"enterprise_id": "企业", "form_id": "表单", "form_version": "表单版本", "status": "状态", "sign_off": "企业签字确认",
	"investigator": "走访人", "created_at": "创建时间", "visit_id": "走访记录", "demand_index": "诉求序号", "category": "诉求类别",
	"description": "问题描述", "workers_affected": "涉及职工人数", "urgency": "紧急程度", "owner": "责任人", "deadline": "办结期限",
	"log": "跟进记录", "assessment": "研判结果", "department": "责任部门", "kind": "问卷类型", "date": "日期",
}

func fieldLabel(kind survey.RecordKind, form *survey.Form, key string) string {
	if name, ok := strings.CutPrefix(key, "answers."); ok {
		if form != nil {
			if fd := form.Lookup(name); fd != nil {
				return fd.Label
			}
		}
		return name
	}
	if l, ok := memberLabels[key]; ok {
		return l
	}
	return key
}

// valueText shows a stored value for people: choice labels, lists joined,
// repeat groups and nested objects summarised.
func valueText(form *survey.Form, key string, v any, present bool) string {
	if !present || v == nil {
		return "（空）"
	}
	var fd *survey.Field
	if name, ok := strings.CutPrefix(key, "answers."); ok && form != nil {
		fd = form.Lookup(name)
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return "（空）"
		}
		if fd != nil && fd.Type == survey.TypeSelectOne {
			return fd.ChoiceLabel(x)
		}
		if key == "status" {
			if l := survey.VisitStatus(x).Label(); l != x {
				return l
			}
			return survey.LedgerStatus(x).Label()
		}
		return x
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		if len(x) == 0 {
			return "（空）"
		}
		var parts []string
		for _, e := range x {
			switch y := e.(type) {
			case string:
				if fd != nil {
					parts = append(parts, fd.ChoiceLabel(y))
				} else {
					parts = append(parts, y)
				}
			default:
				b, _ := json.Marshal(y)
				parts = append(parts, string(b))
			}
		}
		if fd != nil && fd.Type == survey.TypeRepeat {
			return fmt.Sprintf("%d 条：%s", len(x), strings.Join(parts, "；"))
		}
		return strings.Join(parts, "、")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// conflictResolve takes the person's decision: a whole version (mode
// pick) or, field by field, a value from either side (mode merge), with a
// reason. The heads the page showed must still be the record's heads.
func (s *Server) conflictResolve(w http.ResponseWriter, r *http.Request, sess *Session) error {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		return badRequest("表单无效。未做任何修改。")
	}
	seen := r.PostForm["head"]
	reason, tooLong := textValue(r, "reason", "处理理由", survey.MaxLongText)
	c, err := s.loadConflict(r, id)
	if err != nil {
		return err
	}
	if tooLong != "" {
		return s.renderStatus(w, r, sess, http.StatusBadRequest, "conflict", "处理冲突", "conflicts", s.conflictView(r, c), tooLong)
	}
	heads := make([]string, len(c.Heads))
	for i, h := range c.Heads {
		heads[i] = h.VersionID
	}
	if len(seen) == 0 || !sameSet(heads, seen) {
		return storage.ErrStale
	}
	if reason == "" {
		return s.renderStatus(w, r, sess, http.StatusBadRequest, "conflict", "处理冲突", "conflicts", s.conflictView(r, c), "请写明处理理由（例如“与企业电话核实”）。未做任何修改。")
	}
	var pick string
	var merged json.RawMessage
	switch r.PostFormValue("mode") {
	case "pick":
		pick = r.PostFormValue("pick")
		if !contains(heads, pick) {
			return badRequest("请选择要采用的版本。未做任何修改。")
		}
	case "merge":
		view := s.conflictView(r, c)
		if !view.CanMerge {
			return badRequest("其中一方删除了此记录，只能整条选用一个版本。未做任何修改。")
		}
		choice := map[string]int{}
		for _, row := range view.Rows {
			n, err := strconv.Atoi(r.PostFormValue("f." + row.Key))
			if err != nil || n < 0 || n >= len(c.Heads) {
				return badRequest("请为每个不同的字段选择一方的内容（“%s”未选择）。未做任何修改。", row.Label)
			}
			choice[row.Key] = n
		}
		if merged, err = mergePayload(c.Heads, choice); err != nil {
			return err
		}
		pick = heads[0]
	default:
		return badRequest("请选择处理方式。未做任何修改。")
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	v, err := s.d.ResolveSeen(r.Context(), id, seen, pick, merged, sess.User.Name, reason)
	if err != nil {
		release()
		return err
	}
	return s.done(w, r, "/conflicts", fmt.Sprintf("冲突已处理：%s 的新版本 %s 将随下发包发回笔记本", kindLabel[c.Kind], v.VersionID[:8]))
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// mergePayload builds the merged record: the first head's content with,
// for every differing field, the value of the head chosen for it.
func mergePayload(heads []survey.Version, choice map[string]int) (json.RawMessage, error) {
	var base map[string]any
	if err := json.Unmarshal(heads[0].Payload, &base); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	flat := make([]map[string]any, len(heads))
	for i, h := range heads {
		flat[i] = district.Fields(h)
	}
	for key, n := range choice {
		v, ok := flat[n][key]
		if name, isAnswer := strings.CutPrefix(key, "answers."); isAnswer {
			answers, _ := base["answers"].(map[string]any)
			if answers == nil {
				answers = map[string]any{}
				base["answers"] = answers
			}
			if ok {
				answers[name] = v
			} else {
				delete(answers, name)
			}
			continue
		}
		if ok {
			base[key] = v
		} else {
			delete(base, key)
		}
	}
	out, err := json.Marshal(base)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return out, nil
}
