package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEveryPageRenders opens every page of a populated district as each
// role and checks that it answers 200 and in Chinese.
func TestEveryPageRenders(t *testing.T) {
	e := newEnv(t)
	a, _, conflictID := e.populate()
	items, _, err := e.d.DB().ListLedger(bg, ledgerQuery())
	if err != nil || len(items) == 0 {
		t.Fatalf("ledger: %v %v", items, err)
	}
	visits, _, err := e.d.DB().ListVisits(bg, visitsQuery())
	if err != nil || len(visits) == 0 {
		t.Fatalf("visits: %v %v", visits, err)
	}
	pages := []struct {
		path, want string
		roles      []Role
	}{
		{"/", "各走访组进度", Roles},
		{"/devices", "张伟的笔记本", Roles},
		{"/devices/" + a.l.DeviceID(), "收到的同步包", Roles},
		{"/bundles", "已合并", Roles},
		{"/conflicts", "硬冲突", Roles},
		{"/conflicts/" + conflictID, "面对面交流的职工人数", Roles},
		{"/enterprises", "批量分配", []Role{RoleAdmin, RoleReviewer}},
		{"/enterprises?q=" + url.QueryEscape("qd"), "统一社会信用代码", Roles},
		{"/enterprises?device=none", "未分配", Roles},
		{"/visits", "走访日期", Roles},
		{"/visits?status=signed", "已签字确认", Roles},
		{"/visits/" + visits[0].ID, "版本历史", Roles},
		{"/ledger", "研判结果", Roles},
		{"/ledger?overdue=1", "逾期", Roles},
		{"/ledger/" + items[0].Item.ID, "跟进记录", Roles},
		{"/stats", "满意率", Roles},
		{"/stats?by=industry&rate=awareness", "按行业", Roles},
		{"/stats?by=enterprise", "按企业", Roles},
		{"/audit", "审计日志", Roles},
		{"/accounts", "新建账户", []Role{RoleAdmin}},
		{"/settings", "信任文件", []Role{RoleAdmin}},
		{"/password", "修改密码", Roles},
		{"/forms", "下载 Excel", Roles},
		{"/forms/worker_questionnaire/v1", "当「您最希望工会在哪方面提供帮助」选“其他”时显示", Roles},
		{"/campaign", "宣传发动", Roles},
	}
	for _, u := range testUsers {
		c := e.loggedIn(u.name)
		for _, p := range pages {
			allowed := false
			for _, r := range p.roles {
				allowed = allowed || r == u.role
			}
			r := c.get(p.path)
			switch {
			case p.path == "/enterprises" && !allowed:
				if r.status != 200 || strings.Contains(r.body, "批量分配") {
					t.Errorf("%s as %s: status %d, shows bulk assignment: %v", p.path, u.role, r.status, strings.Contains(r.body, "批量分配"))
				}
			case allowed && (r.status != 200 || !strings.Contains(r.body, p.want)):
				t.Errorf("%s as %s: status %d, want 200 with %q\n%s", p.path, u.role, r.status, p.want, r.body)
			case !allowed && p.path != "/enterprises" && r.status != http.StatusForbidden:
				t.Errorf("%s as %s: status %d, want 403", p.path, u.role, r.status)
			}
		}
	}
	c := e.loggedIn("督导丙")
	for _, dl := range []struct{ path, ctype string }{
		{"/visits/" + visits[0].ID + "/pdf", "application/pdf"},
		{"/ledger.xlsx?open=1", "spreadsheetml"},
		{"/stats/summary.pdf", "application/pdf"},
		{"/stats/city.xlsx", "spreadsheetml"},
		{"/audit.xlsx", "spreadsheetml"},
	} {
		r := c.get(dl.path)
		if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), dl.ctype) || len(r.body) < 1000 {
			t.Errorf("%s: status %d, type %q, %d bytes", dl.path, r.status, r.header.Get("Content-Type"), len(r.body))
		}
	}
}
