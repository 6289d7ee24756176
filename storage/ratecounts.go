package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"zoufang/survey"
)

// The figures of the district (survey.FigureRules) are counted per
// enterprise and respondent kind in the table rate_counts: how many
// responses, and for every rule the valid answers and the hits. Triggers
// on responses keep it exact for any change of that table (a response
// stored, replaced by a later or conflicting version, deleted), inside
// the transaction that makes the change, so the workbench reads one small
// row per enterprise and kind instead of every response (a full count of
// 100,000 responses took about 300 ms).
//
// The table's columns and the triggers' sums are generated from the
// rules, which package survey defines once. The generated SQL is
// fingerprinted (rate_counts_schema, migration 0010): a release whose
// rules differ drops the table and triggers at open and builds them again
// from the responses, in one write transaction.

// rateColumns are the answers the responses projection keeps in columns
// of their own (migration 0006), the only ones rules may name.
var rateColumns = map[string]bool{"awareness": true, "participated": true, "sat_overall": true, "rec_bargaining": true, "rec_service": true}

var ruleName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// rateSchema is the SQL generated from one set of rules.
type rateSchema struct {
	rules       []survey.RateRule
	ddl         []string // table and triggers, in creation order
	fill        string   // counts every stored response
	read        string   // reads the counts, by enterprise
	fingerprint string
	rulesJSON   string
}

// The objects the schema creates; dropped by name before a rebuild.
var rateObjects = []string{
	"DROP TRIGGER IF EXISTS rate_counts_insert",
	"DROP TRIGGER IF EXISTS rate_counts_delete",
	"DROP TRIGGER IF EXISTS rate_counts_update",
	"DROP TABLE IF EXISTS rate_counts",
}

func newRateSchema(rules []survey.RateRule) (*rateSchema, error) {
	if len(rules) == 0 {
		return nil, errors.New("rate counts: no rules")
	}
	s := &rateSchema{rules: rules}
	seen := map[string]bool{}
	var cols, fields []string
	// valid and hits are the SQL of rule r's valid answers and hits in the
	// row p ("NEW.", "OLD." or "" in a query): 0 for the other kind.
	valid := func(r survey.RateRule, p string) string {
		var terms []string
		for _, f := range r.Fields {
			terms = append(terms, fmt.Sprintf("(%s%s <> '')", p, f))
		}
		return fmt.Sprintf("(%skind = %s) * (%s)", p, quoteSQL(string(r.Kind)), strings.Join(terms, " + "))
	}
	hits := func(r survey.RateRule, p string) string {
		var terms []string
		for _, f := range r.Fields {
			if len(r.Hits) > 0 {
				terms = append(terms, fmt.Sprintf("(%s%s IN %s)", p, f, sqlList(r.Hits)))
			} else {
				terms = append(terms, fmt.Sprintf("(%s%s NOT IN %s)", p, f, sqlList(append(append([]string(nil), r.Misses...), ""))))
			}
		}
		return fmt.Sprintf("(%skind = %s) * (%s)", p, quoteSQL(string(r.Kind)), strings.Join(terms, " + "))
	}
	for _, r := range rules {
		if !ruleName.MatchString(r.Name) || seen[r.Name] {
			return nil, fmt.Errorf("rate counts: rule name %q is not a unique lower-case identifier", r.Name)
		}
		seen[r.Name] = true
		if r.Kind == "" || len(r.Fields) == 0 {
			return nil, fmt.Errorf("rate counts: rule %s names no kind or no answer", r.Name)
		}
		for _, f := range r.Fields {
			if !rateColumns[f] {
				return nil, fmt.Errorf("rate counts: rule %s: answer %q is not projected", r.Name, f)
			}
			if !seen["field "+f] {
				seen["field "+f] = true
				fields = append(fields, f)
			}
		}
		cols = append(cols, r.Name+"_valid", r.Name+"_hits")
	}
	expr := func(p string) []string {
		var out []string
		for _, r := range rules {
			out = append(out, valid(r, p), hits(r, p))
		}
		return out
	}
	var defs []string
	for _, c := range cols {
		defs = append(defs, c+" INTEGER NOT NULL")
	}
	create := "CREATE TABLE rate_counts (\n\tenterprise_id TEXT NOT NULL,\n\tkind TEXT NOT NULL,\n\tresponses INTEGER NOT NULL,\n\t" +
		strings.Join(defs, ",\n\t") + ",\n\tPRIMARY KEY (enterprise_id, kind)\n) WITHOUT ROWID"

	// add counts the row NEW in; remove takes the row OLD out and drops a
	// group left without responses (the figures list the enterprises with
	// responses).
	var set []string
	for _, c := range cols {
		set = append(set, fmt.Sprintf("%s = %s + excluded.%s", c, c, c))
	}
	add := "INSERT INTO rate_counts (enterprise_id, kind, responses, " + strings.Join(cols, ", ") + ")\n\t\tVALUES (NEW.enterprise_id, NEW.kind, 1, " +
		strings.Join(expr("NEW."), ", ") + ")\n\t\tON CONFLICT (enterprise_id, kind) DO UPDATE SET responses = responses + 1, " + strings.Join(set, ", ") + ";"
	var sub []string
	for i, e := range expr("OLD.") {
		sub = append(sub, fmt.Sprintf("%s = %s - %s", cols[i], cols[i], e))
	}
	remove := "UPDATE rate_counts SET responses = responses - 1, " + strings.Join(sub, ", ") +
		"\n\t\tWHERE enterprise_id = OLD.enterprise_id AND kind = OLD.kind;\n\t" +
		"DELETE FROM rate_counts WHERE enterprise_id = OLD.enterprise_id AND kind = OLD.kind AND responses = 0;"
	s.ddl = []string{
		create,
		"CREATE TRIGGER rate_counts_insert AFTER INSERT ON responses BEGIN\n\t" + add + "\nEND",
		// A REPLACE that removes a row fires this too: the write
		// connection runs with recursive_triggers on (db.go).
		"CREATE TRIGGER rate_counts_delete AFTER DELETE ON responses BEGIN\n\t" + remove + "\nEND",
		"CREATE TRIGGER rate_counts_update AFTER UPDATE OF enterprise_id, kind, " + strings.Join(fields, ", ") +
			" ON responses BEGIN\n\t" + remove + "\n\t" + add + "\nEND",
	}
	var sums []string
	for _, e := range expr("") {
		sums = append(sums, "sum("+e+")")
	}
	s.fill = "INSERT INTO rate_counts (enterprise_id, kind, responses, " + strings.Join(cols, ", ") + ")\n\tSELECT enterprise_id, kind, count(*), " +
		strings.Join(sums, ", ") + " FROM responses GROUP BY enterprise_id, kind"
	s.read = "SELECT enterprise_id, kind, responses, " + strings.Join(cols, ", ") + " FROM rate_counts ORDER BY enterprise_id, kind"
	sum := sha256.Sum256([]byte(strings.Join(append(append([]string(nil), s.ddl...), s.fill), ";\n")))
	s.fingerprint = hex.EncodeToString(sum[:])
	js, err := json.Marshal(rules)
	if err != nil {
		return nil, fmt.Errorf("rate counts: %w", err)
	}
	s.rulesJSON = string(js)
	return s, nil
}

func sqlList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quoteSQL(v)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// ensureRateCounts makes sure the counts table and its triggers are those
// of the rules this database was opened with, building them from the
// stored responses when they are not (the first open after migration
// 0010, or a release with other rules). Several processes may open the
// same database at once: the fingerprint is checked again inside the
// write transaction (BEGIN IMMEDIATE), so one of them builds and the
// others find it built.
func (db *DB) ensureRateCounts(ctx context.Context) error {
	s := db.rates
	current := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) (bool, error) {
		var fp string
		err := q.QueryRowContext(ctx, `SELECT fingerprint FROM rate_counts_schema WHERE id = 1`).Scan(&fp)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return fp == s.fingerprint, err
	}
	if ok, err := current(db.write); err != nil || ok {
		if err != nil {
			return fmt.Errorf("rate counts: %w", err)
		}
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rate counts: %w", err)
	}
	defer tx.Rollback()
	if ok, err := current(tx); err != nil || ok {
		if err != nil {
			return fmt.Errorf("rate counts: %w", err)
		}
		return nil
	}
	stmts := append(append(append([]string(nil), rateObjects...), s.ddl...), s.fill)
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rate counts: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rate_counts_schema (id, fingerprint, rules) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, rules = excluded.rules`, s.fingerprint, s.rulesJSON); err != nil {
		return fmt.Errorf("rate counts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rate counts: %w", err)
	}
	return nil
}

// RateRules are the rules whose counts this database keeps (Options.
// RateRules), in the order RateCounts returns them.
func (db *DB) RateRules() []survey.RateRule { return db.rates.rules }

// RateCounts are one enterprise's questionnaire counts: how many
// responses of each kind, and for each rule (DB.RateRules, in that order)
// the valid answers and the hits.
type RateCounts struct {
	EnterpriseID                 string
	Responses, Workers, Managers int
	Rates                        []survey.Rate
}

// RateCounts returns the counts of every enterprise with responses, by
// enterprise id, from the persisted counts: one row per enterprise and
// respondent kind, whatever the number of responses.
func (db *DB) RateCounts(ctx context.Context) ([]RateCounts, error) {
	rules := db.rates.rules
	rows, err := db.read.QueryContext(ctx, db.rates.read)
	if err != nil {
		return nil, fmt.Errorf("rate counts: %w", err)
	}
	defer rows.Close()
	var (
		out      []RateCounts
		id, kind string
		n        int
		sums     = make([]survey.Rate, len(rules))
		dst      = []any{&id, &kind, &n}
	)
	for i := range sums {
		dst = append(dst, &sums[i].Valid, &sums[i].Hits)
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("rate counts: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].EnterpriseID != id {
			out = append(out, RateCounts{EnterpriseID: id, Rates: make([]survey.Rate, len(rules))})
		}
		c := &out[len(out)-1]
		c.Responses += n
		switch survey.RespondentKind(kind) {
		case survey.RespondentWorker:
			c.Workers += n
		case survey.RespondentManager:
			c.Managers += n
		}
		for i := range rules {
			c.Rates[i].Valid += sums[i].Valid
			c.Rates[i].Hits += sums[i].Hits
		}
	}
	return out, rows.Err()
}
