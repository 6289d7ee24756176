package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unique"

	"zoufang/survey"
)

// The district workbench (package web) reads the merged records through the
// queries below: filtered, paged lists that join each record with its
// enterprise, and the counts behind the overview and the figures. They read
// the projection tables, which only this package writes.

// VisitListQuery selects visits for a list. Empty fields do not filter.
type VisitListQuery struct {
	Street string             // the enterprise's 镇街
	Device string             // the device (visit team) the enterprise is assigned to
	Status survey.VisitStatus // 草稿 / 已完成 / 已签字确认
	// From and To bound the visit date (answer visit_date, YYYY-MM-DD),
	// both included.
	From, To string
	// Text is a substring of the enterprise name.
	Text          string
	Limit, Offset int
}

// VisitRow is one visit in a list.
type VisitRow struct {
	ID, VersionID, EnterpriseID string
	Enterprise, Street, Device  string
	Investigator, VisitDate     string
	Status                      survey.VisitStatus
	Updated                     time.Time
	Conflict                    bool
}

// ListVisits returns one page of the visits matching q, latest visit date
// first, and how many match in all. The page's ids are chosen from the
// indexed columns first; only those rows' bodies are read.
func (db *DB) ListVisits(ctx context.Context, q VisitListQuery) ([]VisitRow, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	join := false
	if q.Street != "" {
		add("e.street = ?", q.Street)
		join = true
	}
	if q.Device != "" {
		add("e.assigned_to = ?", q.Device)
		join = true
	}
	if q.Text != "" {
		add("instr(e.name, ?) > 0", q.Text)
		join = true
	}
	if q.Status != "" {
		add("v.status = ?", string(q.Status))
	}
	if q.From != "" {
		add("v.visit_date >= ?", q.From)
	}
	if q.To != "" {
		add("v.visit_date <= ?", q.To)
	}
	from := ` FROM visits v`
	if join {
		from += ` JOIN enterprises e INDEXED BY enterprises_brief ON e.id = v.enterprise_id`
	}
	if len(where) > 0 {
		from += " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list visits: %w", err)
	}
	const order = ` ORDER BY v.visit_date DESC, v.updated DESC, v.id`
	rows, err := db.read.QueryContext(ctx, `WITH page AS (SELECT v.id`+from+order+` LIMIT ? OFFSET ?)
		SELECT v.id, v.version_id, v.enterprise_id, ifnull(e.name, ''), ifnull(e.street, ''), ifnull(e.assigned_to, ''),
		v.investigator, v.visit_date, v.status, v.updated, v.conflict
		FROM page JOIN visits v ON v.id = page.id LEFT JOIN enterprises e ON e.id = v.enterprise_id`+order,
		append(args, limitOf(q.Limit), max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list visits: %w", err)
	}
	defer rows.Close()
	var out []VisitRow
	for rows.Next() {
		var r VisitRow
		var status, updated string
		if err := rows.Scan(&r.ID, &r.VersionID, &r.EnterpriseID, &r.Enterprise, &r.Street, &r.Device, &r.Investigator, &r.VisitDate, &status, &updated, &r.Conflict); err != nil {
			return nil, 0, fmt.Errorf("list visits: %w", err)
		}
		r.Status = survey.VisitStatus(status)
		r.Updated, _ = time.Parse(time.RFC3339Nano, updated)
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// textOf turns a json_extract result into text: JSON strings come back as
// text, anything else (a number, an object in a hostile payload) as its
// printed form.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func limitOf(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// LedgerListQuery selects ledger items for a list. Empty fields do not
// filter.
type LedgerListQuery struct {
	Status survey.LedgerStatus
	// Open leaves out closed items (已解决, 已上报, 已转办).
	Open    bool
	Street  string
	Urgency string // choice value: normal, pressing, urgent
	// OverdueOn, a day YYYY-MM-DD, keeps only open items whose deadline is
	// before that day.
	OverdueOn     string
	Device        string // the device the enterprise is assigned to
	Text          string // substring of the description or enterprise name
	Limit, Offset int
}

// LedgerRow is one ledger item in a list with its enterprise.
type LedgerRow struct {
	Item               survey.LedgerItem
	VersionID          string
	Enterprise, Street string
	Conflict           bool
}

func closedStatuses() string {
	var closed []string
	for _, s := range survey.LedgerStatuses {
		if s.Closed() {
			closed = append(closed, "'"+string(s)+"'")
		}
	}
	return "(" + strings.Join(closed, ",") + ")"
}

// ListLedger returns one page of the ledger items matching q, by deadline
// (items without one last), and how many match in all.
func (db *DB) ListLedger(ctx context.Context, q LedgerListQuery) ([]LedgerRow, int, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	join := false
	if q.Status != "" {
		add("l.status = ?", string(q.Status))
	}
	if q.Open {
		add("l.status NOT IN " + closedStatuses())
	}
	if q.Street != "" {
		add("e.street = ?", q.Street)
		join = true
	}
	if q.Device != "" {
		add("e.assigned_to = ?", q.Device)
		join = true
	}
	if q.Urgency != "" {
		add("l.urgency = ?", q.Urgency)
	}
	if q.OverdueOn != "" {
		add("l.status NOT IN "+closedStatuses()+" AND l.deadline <> '' AND l.deadline < ?", q.OverdueOn)
	}
	if q.Text != "" {
		add("(instr(json_extract(l.body, '$.description'), ?) > 0 OR instr(e.name, ?) > 0)", q.Text, q.Text)
		join = true
	}
	from := ` FROM ledger_items l`
	if join {
		from += ` JOIN enterprises e INDEXED BY enterprises_brief ON e.id = l.enterprise_id`
	}
	if len(where) > 0 {
		from += " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list ledger: %w", err)
	}
	const order = ` ORDER BY l.deadline = '', l.deadline, l.created, l.id`
	rows, err := db.read.QueryContext(ctx, `WITH page AS (SELECT l.id`+from+order+` LIMIT ? OFFSET ?)
		SELECT l.body, l.version_id, ifnull(e.name, ''), ifnull(e.street, ''), l.conflict
		FROM page JOIN ledger_items l ON l.id = page.id LEFT JOIN enterprises e ON e.id = l.enterprise_id`+order,
		append(args, limitOf(q.Limit), max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list ledger: %w", err)
	}
	defer rows.Close()
	var out []LedgerRow
	for rows.Next() {
		var r LedgerRow
		var body []byte
		if err := rows.Scan(&body, &r.VersionID, &r.Enterprise, &r.Street, &r.Conflict); err != nil {
			return nil, 0, fmt.Errorf("list ledger: %w", err)
		}
		if err := json.Unmarshal(body, &r.Item); err != nil {
			return nil, 0, fmt.Errorf("list ledger: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// Progress counts one visit team's work: enterprises assigned to its
// device, and of those how many have a visit (any status), a finalized or
// signed one, and a signed one.
type Progress struct {
	Assigned, Visited, Finalized, Signed int
}

// ProgressByDevice returns the progress of every device that has
// enterprises assigned, keyed by device id. The visits are read grouped by
// enterprise (the covering index on enterprise and status, a few
// thousand rows); the assignments come from the roster's search index,
// which holds every enterprise's device and is kept current across
// processes (roster_changes). Joining the visits to the enterprises in SQL
// looked up each visited enterprise in a 100,000-row index and sorted the
// result by device: most of the overview's time after an upload.
func (db *DB) ProgressByDevice(ctx context.Context) (map[string]Progress, error) {
	const (
		visited = iota + 1
		finalized
		signed
	)
	rank := map[string]int8{}
	rows, err := db.read.QueryContext(ctx, `SELECT enterprise_id, max(CASE status WHEN 'signed' THEN 3 WHEN 'finalized' THEN 2 ELSE 1 END)
		FROM visits GROUP BY enterprise_id`)
	if err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	for rows.Next() {
		var id string
		var r int8
		if err := rows.Scan(&id, &r); err != nil {
			rows.Close()
			return nil, fmt.Errorf("progress: %w", err)
		}
		rank[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	if err := db.index.build(ctx, db); err != nil {
		return nil, err
	}
	db.index.mu.RLock()
	defer db.index.mu.RUnlock()
	byDevice := map[unique.Handle[string]]*Progress{}
	unassigned := unique.Make("")
	for i := range db.index.entries {
		e := &db.index.entries[i]
		if e.assignedTo == unassigned {
			continue
		}
		p := byDevice[e.assignedTo]
		if p == nil {
			p = &Progress{}
			byDevice[e.assignedTo] = p
		}
		p.Assigned++
		switch rank[e.id] {
		case signed:
			p.Signed++
			fallthrough
		case finalized:
			p.Finalized++
			fallthrough
		case visited:
			p.Visited++
		}
	}
	out := make(map[string]Progress, len(byDevice))
	for dev, p := range byDevice {
		out[dev.Value()] = *p
	}
	return out, nil
}

// Totals are the district-wide counts on the overview.
type Totals struct {
	Enterprises, Assigned                int
	Visits                               map[survey.VisitStatus]int
	LedgerOpen, LedgerOverdue, Responses int
}

// CountTotals counts the district's records; overdue ledger items are the
// open ones with a deadline before today (YYYY-MM-DD).
func (db *DB) CountTotals(ctx context.Context, today string) (Totals, error) {
	t := Totals{Visits: map[survey.VisitStatus]int{}}
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM enterprises), (SELECT count(*) FROM enterprises WHERE assigned_to <> ''),
		(SELECT count(*) FROM ledger_items WHERE status NOT IN `+closedStatuses()+`),
		(SELECT count(*) FROM ledger_items WHERE status NOT IN `+closedStatuses()+` AND deadline <> '' AND deadline < ?),
		(SELECT count(*) FROM responses)`, today).Scan(&t.Enterprises, &t.Assigned, &t.LedgerOpen, &t.LedgerOverdue, &t.Responses)
	if err != nil {
		return t, fmt.Errorf("totals: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT status, count(*) FROM visits GROUP BY status`)
	if err != nil {
		return t, fmt.Errorf("totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return t, fmt.Errorf("totals: %w", err)
		}
		t.Visits[survey.VisitStatus(s)] = n
	}
	return t, rows.Err()
}

// IndexedEnterprise is an enterprise as the search index holds it.
type IndexedEnterprise struct {
	ID, Street, Industry, AssignedTo string
}

// IndexedEnterprises returns, in pinyin order of their names, the
// enterprises whose ids keep accepts, from the in-memory search index
// (built on first use): grouping figures by street or industry needs no
// table read.
func (db *DB) IndexedEnterprises(ctx context.Context, keep func(id string) bool) ([]IndexedEnterprise, error) {
	if err := db.index.build(ctx, db); err != nil {
		return nil, err
	}
	db.index.mu.RLock()
	defer db.index.mu.RUnlock()
	var out []IndexedEnterprise
	for i := range db.index.entries {
		e := &db.index.entries[i]
		if keep(e.id) {
			out = append(out, IndexedEnterprise{ID: e.id, Street: e.street.Value(), Industry: e.industry.Value(), AssignedTo: e.assignedTo.Value()})
		}
	}
	return out, nil
}

// EnterpriseBrief is the part of an enterprise the figures group by.
type EnterpriseBrief struct {
	ID, Name, USCC, Street, Industry, AssignedTo string
}

// EnterpriseBriefs returns the named enterprises (all with responses, for
// the figures), keyed by id. With ids nil it returns every enterprise.
func (db *DB) EnterpriseBriefs(ctx context.Context, ids []string) (map[string]EnterpriseBrief, error) {
	out := map[string]EnterpriseBrief{}
	scan := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b EnterpriseBrief
			if err := rows.Scan(&b.ID, &b.Name, &b.USCC, &b.Street, &b.Industry, &b.AssignedTo); err != nil {
				return err
			}
			out[b.ID] = b
		}
		return rows.Err()
	}
	const cols = `SELECT id, name, uscc, street, industry, assigned_to FROM enterprises`
	if ids == nil {
		if err := scan(db.read.QueryContext(ctx, cols)); err != nil {
			return nil, fmt.Errorf("enterprise briefs: %w", err)
		}
		return out, nil
	}
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if err := scan(db.read.QueryContext(ctx, cols+` WHERE id IN (?`+strings.Repeat(",?", len(part)-1)+`)`, args...)); err != nil {
			return nil, fmt.Errorf("enterprise briefs: %w", err)
		}
	}
	return out, nil
}

// DataVersion is a number that grows whenever any record changes (the
// highest version sequence number): caches of figures computed from the
// records stay valid while it is unchanged.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT max(seq) FROM versions`).Scan(&n)
	return n.Int64, err
}

// ConflictCount counts the records in conflict (more than one head) that
// have a projection row, from the projections' conflict flags.
func (db *DB) ConflictCount(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM enterprises WHERE conflict = 1) + (SELECT count(*) FROM visits WHERE conflict = 1) + (SELECT count(*) FROM ledger_items WHERE conflict = 1)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("conflict count: %w", err)
	}
	return n, nil
}
