package web

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"zoufang/audit"
)

// FuzzFilters feeds arbitrary query strings to the list filters and runs
// the queries they build against a real district database: nothing
// panics, every value is bounded and clean, and no input reaches SQL as
// anything but a parameter (a query that fails to run would).
func FuzzFilters(f *testing.F) {
	for _, s := range []string{
		"street=香港中路街道&status=finalized&from=2026-04-01&to=2026-04-30&page=2",
		"q=%27%3B+DROP+TABLE+visits%3B--&device=x%22&page=-1",
		"from=2026-02-30&to=9999-99-99&page=99999999999999999999",
		"status=resolved&urgency=urgent&overdue=1&open=1&street=%00%01",
		"actor=%E7%AE%A1&action=user.lock&target=%25&q=_%25&from=2026-01-01",
		"q=" + strings.Repeat("很长", 300),
		"q=%FF%FE%FD&street=%C3",
	} {
		f.Add(s)
	}
	e := newEnv(f)
	db := e.d.DB()
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		clean := func(what, s string) {
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxFilterText || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("%s %q not cleaned", what, s)
			}
		}
		day := func(what, s string) {
			if s == "" {
				return
			}
			if _, err := time.Parse("2006-01-02", s); err != nil {
				t.Fatalf("%s %q is not a day", what, s)
			}
		}
		vf := parseVisitFilter(v)
		for _, s := range []string{vf.Street, vf.Device, vf.Text} {
			clean("visit filter", s)
		}
		day("from", vf.From)
		day("to", vf.To)
		if vf.Page < 1 || vf.Page > 10000 {
			t.Fatalf("page %d", vf.Page)
		}
		if _, _, err := db.ListVisits(bg, vf.query()); err != nil {
			t.Fatalf("visits %q: %v", raw, err)
		}
		lf := parseLedgerFilter(v)
		for _, s := range []string{lf.Street, lf.Device, lf.Text} {
			clean("ledger filter", s)
		}
		if _, _, err := db.ListLedger(bg, lf.query("2026-05-01", false)); err != nil {
			t.Fatalf("ledger %q: %v", raw, err)
		}
		af := parseAuditFilter(v)
		for _, s := range []string{af.Actor, af.Action, af.Target, af.Text} {
			clean("audit filter", s)
		}
		q := af.auditQuery()
		q.Limit = 10
		if _, _, err := audit.List(bg, db, q); err != nil {
			t.Fatalf("audit %q: %v", raw, err)
		}
		ef := parseEnterpriseFilter(v)
		if _, _, err := db.SearchEnterprisesPage(bg, ef.query(), (ef.Page-1)*pageSize, pageSize); err != nil {
			t.Fatalf("enterprises %q: %v", raw, err)
		}
	})
}
