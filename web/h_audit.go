package web

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"zoufang/audit"
	"zoufang/report"
)

// actionLabels names the audit actions in Chinese.
var actionLabels = map[string]string{
	"enroll": "登记设备", "revoke": "停用设备", "quarantine": "隔离同步包", "resolve": "处理冲突",
	"assign": "分配企业", "roster.import": "导入名录", "ledger.assess": "台帐研判", "ledger.followup": "台帐跟进",
	"user.create": "新建账户", "user.role": "修改角色", "user.disable": "停用账户", "user.enable": "启用账户",
	"user.reset": "重置密码", "user.password": "修改密码", "user.lock": "账户锁定", "user.unlock": "解除锁定",
	"settings": "修改设置", "trust-renew": "签发信任文件", "retire-key": "停用区级密钥", "release": "放行隔离包", "reject": "拒收隔离包",
	"form.publish": "发布表单", "campaign.publish": "发布活动配置",
}

func actionLabel(a string) string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return a
}

type auditData struct {
	Filter  auditFilter
	Entries []audit.Entry
	Pager   pager
	Actions [][2]string
	Export  string
}

func (f auditFilter) auditQuery() audit.Filter {
	q := audit.Filter{Actor: f.Actor, Action: f.Action, Target: f.Target, Text: f.Text}
	if f.From != "" {
		q.Since, _ = time.ParseInLocation("2006-01-02", f.From, time.Local)
	}
	if f.To != "" {
		t, _ := time.ParseInLocation("2006-01-02", f.To, time.Local)
		q.Until = t.AddDate(0, 0, 1)
	}
	return q
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	f := parseAuditFilter(r.URL.Query())
	q := f.auditQuery()
	q.Limit, q.Offset = pageSize, (f.Page-1)*pageSize
	es, total, err := audit.List(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	data := auditData{Filter: f, Entries: es, Pager: newPager(r, f.Page, total)}
	for _, k := range []string{"enroll", "revoke", "quarantine", "resolve", "assign", "roster.import", "ledger.assess", "ledger.followup",
		"review.return", "review.approve", "ledger.merge",
		"user.create", "user.role", "user.disable", "user.enable", "user.reset", "user.password", "user.lock", "user.unlock", "settings", "trust-renew", "retire-key", "release", "reject",
		"form.publish", "campaign.publish"} {
		data.Actions = append(data.Actions, [2]string{k, actionLabels[k]})
	}
	qs := r.URL.Query()
	qs.Del("page")
	data.Export = "/audit.xlsx?" + qs.Encode()
	return s.render(w, r, sess, "audit", "审计日志", "audit", data)
}

func (s *Server) auditXLSX(w http.ResponseWriter, r *http.Request, sess *Session) error {
	f := parseAuditFilter(r.URL.Query())
	es, _, err := audit.List(r.Context(), s.db, f.auditQuery())
	if err != nil {
		return err
	}
	rows := make([]report.AuditRow, len(es))
	for i, e := range es {
		rows[i] = report.AuditRow{At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail, Reason: e.Reason}
	}
	var buf bytes.Buffer
	if err := report.WriteAuditXLSX(&buf, rows, actionLabel, time.Local); err != nil {
		return err
	}
	return attachment(w, fmt.Sprintf("审计日志-%s.xlsx", s.today()), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
