package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"zoufang/storage"
	"zoufang/survey"
)

var errDuplicateForm = errors.New("这张表单已经提交过，第二次提交没有做任何修改。请回到页面查看结果。")

// claimToken records a form's one-time token inside the transaction of the
// change it carries: a second post of the same form (double click, reload,
// back button) fails here and its transaction changes nothing.
func claimToken(tx *storage.Tx, sess *Session, token string) error {
	if token == "" || len(token) > 64 {
		return badRequest("表单缺少提交标记，请重新打开页面后再提交。未做任何修改。")
	}
	res, err := tx.Exec(`INSERT OR IGNORE INTO web_form_tokens (token, user_id, used) VALUES (?, ?, ?)`, token, sess.User.ID, tx.Now().Format(time.RFC3339))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errDuplicateForm
	}
	return nil
}

// claimFor claims a form token in a transaction of its own, for changes
// made by the district package (which opens its own transactions). If the
// change fails, release gives the token back so the same form can be
// posted again after fixing the problem.
func (s *Server) claimFor(ctx context.Context, sess *Session, token string) (release func(), err error) {
	err = s.db.Update(ctx, func(tx *storage.Tx) error { return claimToken(tx, sess, token) })
	if err != nil {
		return nil, err
	}
	return func() {
		s.db.Update(context.WithoutCancel(ctx), func(tx *storage.Tx) error {
			_, err := tx.Exec(`DELETE FROM web_form_tokens WHERE token = ?`, token)
			return err
		})
	}, nil
}

// Query-string filters. Every list page parses its filters with these:
// outside input, so bounded, validated and never trusted (fuzzed in
// forms_fuzz_test.go).

const maxFilterText = 100

// filterText returns a trimmed text filter, cut to maxFilterText runes
// and free of control characters.
func filterText(v url.Values, key string) string {
	s := strings.TrimSpace(v.Get(key))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxFilterText {
		s = string([]rune(s)[:maxFilterText])
	}
	return s
}

// filterDay returns a YYYY-MM-DD filter, or "" with ok false when the value
// is not a real date.
func filterDay(v url.Values, key string) (string, bool) {
	s := strings.TrimSpace(v.Get(key))
	if s == "" {
		return "", true
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return "", false
	}
	return t.Format("2006-01-02"), true
}

// filterChoice returns v[key] when it is one of allowed, else "".
func filterChoice(v url.Values, key string, allowed ...string) string {
	s := v.Get(key)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	return ""
}

const pageSize = 50

// pageOf returns the 1-based page number of a list, at least 1 and at
// most 10,000.
func pageOf(v url.Values) int {
	n, err := strconv.Atoi(v.Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, 10000)
}

// pager describes the page links under a list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string // URLs, "" when none
}

func newPager(r *http.Request, page, total int) pager {
	p := pager{Page: page, Total: total, Pages: max(1, (total+pageSize-1)/pageSize)}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(min(page-1, p.Pages))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// visitFilter is the parsed filter of the 走访记录 list.
type visitFilter struct {
	Street, Device, Status, From, To, Text string
	Page                                   int
	Problems                               []string
}

func parseVisitFilter(v url.Values) visitFilter {
	f := visitFilter{Street: filterText(v, "street"), Device: filterText(v, "device"), Text: filterText(v, "q"), Page: pageOf(v)}
	f.Status = filterChoice(v, "status", string(survey.VisitDraft), string(survey.VisitFinalized), string(survey.VisitSigned))
	var ok bool
	if f.From, ok = filterDay(v, "from"); !ok {
		f.Problems = append(f.Problems, "开始日期应为 YYYY-MM-DD 格式，已忽略")
	}
	if f.To, ok = filterDay(v, "to"); !ok {
		f.Problems = append(f.Problems, "结束日期应为 YYYY-MM-DD 格式，已忽略")
	}
	if f.From != "" && f.To != "" && f.To < f.From {
		f.Problems = append(f.Problems, "结束日期早于开始日期，没有符合的记录")
	}
	return f
}

func (f visitFilter) query() storage.VisitListQuery {
	return storage.VisitListQuery{Street: f.Street, Device: f.Device, Status: survey.VisitStatus(f.Status), From: f.From, To: f.To, Text: f.Text,
		Limit: pageSize, Offset: (f.Page - 1) * pageSize}
}

// ledgerFilter is the parsed filter of the 工作台帐 list.
type ledgerFilter struct {
	Status, Street, Urgency, Device, Text string
	Overdue, Open                         bool
	Page                                  int
}

func ledgerStatusValues() []string {
	out := make([]string, len(survey.LedgerStatuses))
	for i, s := range survey.LedgerStatuses {
		out[i] = string(s)
	}
	return out
}

func parseLedgerFilter(v url.Values) ledgerFilter {
	f := ledgerFilter{Street: filterText(v, "street"), Device: filterText(v, "device"), Text: filterText(v, "q"), Page: pageOf(v)}
	f.Status = filterChoice(v, "status", ledgerStatusValues()...)
	f.Urgency = filterChoice(v, "urgency", "normal", "pressing", "urgent")
	f.Overdue = v.Get("overdue") == "1"
	f.Open = v.Get("open") == "1"
	return f
}

func (f ledgerFilter) query(today string, all bool) storage.LedgerListQuery {
	q := storage.LedgerListQuery{Status: survey.LedgerStatus(f.Status), Street: f.Street, Urgency: f.Urgency, Device: f.Device, Text: f.Text, Open: f.Open,
		Limit: pageSize, Offset: (f.Page - 1) * pageSize}
	if f.Overdue {
		q.OverdueOn = today
	}
	if all {
		q.Limit, q.Offset = 0, 0
	}
	return q
}

// auditFilter is the parsed filter of the 审计日志 page.
type auditFilter struct {
	Actor, Action, Target, Text, From, To string
	Page                                  int
	Problems                              []string
}

func parseAuditFilter(v url.Values) auditFilter {
	f := auditFilter{Actor: filterText(v, "actor"), Action: filterText(v, "action"), Target: filterText(v, "target"), Text: filterText(v, "q"), Page: pageOf(v)}
	var ok bool
	if f.From, ok = filterDay(v, "from"); !ok {
		f.Problems = append(f.Problems, "开始日期应为 YYYY-MM-DD 格式，已忽略")
	}
	if f.To, ok = filterDay(v, "to"); !ok {
		f.Problems = append(f.Problems, "结束日期应为 YYYY-MM-DD 格式，已忽略")
	}
	return f
}

// textValue returns the trimmed form value of free text that travels down
// to laptops (comments, 研判, follow-ups, reasons) and, when it is longer
// than max characters, a Chinese problem naming it (what) and saying by how
// much: such text is refused, never cut, with the same rule
// (survey.CheckText) the laptop and storage apply.
func textValue(r *http.Request, key, what string, max int) (string, string) {
	s := strings.TrimSpace(r.PostFormValue(key))
	if err := survey.CheckText(what, s, max); err != nil {
		return s, err.Error() + "。未做任何修改。"
	}
	return s, ""
}

// trimValid is a form value as typed, trimmed and with invalid UTF-8
// dropped. Nothing is cut: a value that is too long is refused by the
// check of what it is (textValue, a date, an account name, a campaign).
func trimValid(s string) string { return strings.TrimSpace(strings.ToValidUTF8(s, "")) }
