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
// enterprise in the table rate_counts: how many responses, how many of
// each respondent kind, and for every rule the valid answers and the hits.
// Triggers on responses keep it exact for any change of that table (a
// response stored, replaced by a later or conflicting version, deleted),
// inside the transaction that makes the change, so the workbench reads one
// small row per enterprise instead of every response (a full count of
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

// newRateSchema generates the table, triggers and queries of rules. A rule
// becomes SQL text, so only safe names and projected answers are taken;
// answer values are quoted.
func newRateSchema(rules []survey.RateRule) (*rateSchema, error) {
	if len(rules) == 0 {
		return nil, errors.New("rate counts: no rules")
	}
	s := &rateSchema{rules: rules}
	// A column and what one response adds to it, as SQL over the row p
	// ("NEW.", "OLD.", or "" in a query of responses).
	type column struct {
		name  string
		count func(p string) string
	}
	ofKind := func(k survey.RespondentKind) func(string) string {
		return func(p string) string { return fmt.Sprintf("(%skind = %s)", p, quoteSQL(string(k))) }
	}
	cols := []column{
		{"responses", func(string) string { return "1" }},
		{"workers", ofKind(survey.RespondentWorker)},
		{"managers", ofKind(survey.RespondentManager)},
	}
	// A rule's valid answers and hits count in responses of its kind only.
	ruleTerms := func(r survey.RateRule, term func(field string) string) func(string) string {
		return func(p string) string {
			var terms []string
			for _, f := range r.Fields {
				terms = append(terms, term(p+f))
			}
			return ofKind(r.Kind)(p) + " * (" + strings.Join(terms, " + ") + ")"
		}
	}
	seen := map[string]bool{}
	var fields []string
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
		hit := func(f string) string { return fmt.Sprintf("(%s IN %s)", f, sqlList(r.Hits)) }
		if len(r.Hits) == 0 {
			hit = func(f string) string {
				return fmt.Sprintf("(%s NOT IN %s)", f, sqlList(append(append([]string(nil), r.Misses...), "")))
			}
		}
		cols = append(cols,
			column{r.Name + "_valid", ruleTerms(r, func(f string) string { return "(" + f + " <> '')" })},
			column{r.Name + "_hits", ruleTerms(r, hit)})
	}
	var names, defs, set, sub, neu, sums []string
	for _, c := range cols {
		names = append(names, c.name)
		defs = append(defs, c.name+" INTEGER NOT NULL")
		set = append(set, fmt.Sprintf("%s = %s + excluded.%s", c.name, c.name, c.name))
		sub = append(sub, fmt.Sprintf("%s = %s - %s", c.name, c.name, c.count("OLD.")))
		neu = append(neu, c.count("NEW."))
		sums = append(sums, "sum("+c.count("")+")")
	}
	// One row per enterprise with responses: the figures read them all,
	// and a kind of its own per row would make half as many rows again.
	create := "CREATE TABLE rate_counts (\n\tenterprise_id TEXT PRIMARY KEY,\n\t" + strings.Join(defs, ",\n\t") + "\n) WITHOUT ROWID"
	// add counts the row NEW in; remove takes the row OLD out and drops an
	// enterprise left without responses (the figures list the enterprises
	// with responses).
	add := "INSERT INTO rate_counts (enterprise_id, " + strings.Join(names, ", ") + ")\n\t\tVALUES (NEW.enterprise_id, " +
		strings.Join(neu, ", ") + ")\n\t\tON CONFLICT (enterprise_id) DO UPDATE SET " + strings.Join(set, ", ") + ";"
	remove := "UPDATE rate_counts SET " + strings.Join(sub, ", ") + " WHERE enterprise_id = OLD.enterprise_id;\n\t" +
		"DELETE FROM rate_counts WHERE enterprise_id = OLD.enterprise_id AND responses = 0;"
	s.ddl = []string{
		create,
		"CREATE TRIGGER rate_counts_insert AFTER INSERT ON responses BEGIN\n\t" + add + "\nEND",
		// A REPLACE that removes a row fires this too: the write
		// connection runs with recursive_triggers on (db.go).
		"CREATE TRIGGER rate_counts_delete AFTER DELETE ON responses BEGIN\n\t" + remove + "\nEND",
		"CREATE TRIGGER rate_counts_update AFTER UPDATE OF enterprise_id, kind, " + strings.Join(fields, ", ") +
			" ON responses BEGIN\n\t" + remove + "\n\t" + add + "\nEND",
	}
	s.fill = "INSERT INTO rate_counts (enterprise_id, " + strings.Join(names, ", ") + ")\n\tSELECT enterprise_id, " +
		strings.Join(sums, ", ") + " FROM responses GROUP BY enterprise_id"
	s.read = "SELECT enterprise_id, " + strings.Join(names, ", ") + " FROM rate_counts"
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

// RateCounts returns the counts of every enterprise with responses from
// the persisted counts: one row per enterprise, whatever the number of
// responses.
func (db *DB) RateCounts(ctx context.Context) ([]RateCounts, error) {
	rules := db.rates.rules
	rows, err := db.read.QueryContext(ctx, db.rates.read)
	if err != nil {
		return nil, fmt.Errorf("rate counts: %w", err)
	}
	defer rows.Close()
	// Scanned as int64: database/sql assigns those directly, while an int
	// goes through text (a fifth of the read with 11 columns a row).
	var (
		out  []RateCounts
		id   string
		nums = make([]int64, 3+2*len(rules))
		dst  = []any{&id}
	)
	for i := range nums {
		dst = append(dst, &nums[i])
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("rate counts: %w", err)
		}
		c := RateCounts{EnterpriseID: id, Responses: int(nums[0]), Workers: int(nums[1]), Managers: int(nums[2]), Rates: make([]survey.Rate, len(rules))}
		for i := range rules {
			c.Rates[i] = survey.Rate{Valid: int(nums[3+2*i]), Hits: int(nums[4+2*i])}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
