package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// countsByRule are one enterprise's counts: responses, workers, managers,
// then valid and hits per rule.
type countsByRule []int

// independentCounts counts the stored responses row by row in Go, with the
// rules' own Hit method: no SQL sums, no triggers.
func independentCounts(t *testing.T, db *DB, rules []survey.RateRule) map[string]countsByRule {
	t.Helper()
	rows, err := db.read.Query(`SELECT enterprise_id, kind, awareness, participated, sat_overall, rec_bargaining, rec_service FROM responses`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]countsByRule{}
	for rows.Next() {
		var ent, kind string
		a := map[string]*string{}
		var aw, pa, so, rb, rs string
		a["awareness"], a["participated"], a["sat_overall"], a["rec_bargaining"], a["rec_service"] = &aw, &pa, &so, &rb, &rs
		if err := rows.Scan(&ent, &kind, &aw, &pa, &so, &rb, &rs); err != nil {
			t.Fatal(err)
		}
		c := out[ent]
		if c == nil {
			c = make(countsByRule, 3+2*len(rules))
			out[ent] = c
		}
		c[0]++
		switch survey.RespondentKind(kind) {
		case survey.RespondentWorker:
			c[1]++
		case survey.RespondentManager:
			c[2]++
		}
		for i, r := range rules {
			if string(r.Kind) != kind {
				continue
			}
			for _, f := range r.Fields {
				if v := *a[f]; v != "" {
					c[3+2*i]++
					if r.Hit(v) {
						c[4+2*i]++
					}
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// persistedCounts reads the counts the way the workbench does.
func persistedCounts(t *testing.T, db *DB) map[string]countsByRule {
	t.Helper()
	rcs, err := db.RateCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]countsByRule{}
	for _, rc := range rcs {
		if out[rc.EnterpriseID] != nil {
			t.Fatalf("enterprise %s listed twice", rc.EnterpriseID)
		}
		c := countsByRule{rc.Responses, rc.Workers, rc.Managers}
		for _, r := range rc.Rates {
			c = append(c, r.Valid, r.Hits)
		}
		out[rc.EnterpriseID] = c
	}
	return out
}

func checkRateCounts(t *testing.T, db *DB, step string) {
	t.Helper()
	want, got := independentCounts(t, db, db.RateRules()), persistedCounts(t, db)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatalf("%s: persisted counts differ from a count of the rows\npersisted   %v\nindependent %v", step, got, want)
	}
	var zero int
	if err := db.read.QueryRow(`SELECT count(*) FROM rate_counts WHERE responses <= 0`).Scan(&zero); err != nil || zero != 0 {
		t.Fatalf("%s: %d groups left without responses (%v)", step, zero, err)
	}
}

// randomAnswers fills some of the answers the figures read, leaves others
// blank or out, and sometimes gives a number (not a text answer: blank to
// the figures).
func randomAnswers(rng *rand.Rand, kind survey.RespondentKind) survey.Answers {
	a := survey.Answers{}
	pick := func(name string, values ...string) {
		switch rng.Intn(6) {
		case 0: // not asked
		case 1:
			a[name] = ""
		case 2:
			a[name] = float64(rng.Intn(5) + 1)
		default:
			a[name] = values[rng.Intn(len(values))]
		}
	}
	if kind == survey.RespondentWorker || rng.Intn(8) == 0 {
		pick("awareness", "very", "know", "heard", "no")
		pick("participated", "yes", "no")
		pick("sat_overall", "1", "2", "3", "4", "5")
	}
	if kind == survey.RespondentManager || rng.Intn(8) == 0 {
		pick("rec_bargaining", "1", "2", "3", "4", "5")
		pick("rec_service", "1", "2", "3", "4", "5")
	}
	return a
}

// rateCountsWorkload applies n random changes to the responses through
// every path that writes them: a questionnaire saved on this machine, one
// merged from a bundle, a later version, a conflicting version, a
// deletion, a rolled-back transaction, and raw SQL (INSERT OR REPLACE,
// UPDATE, DELETE) for whatever path comes next.
func rateCountsWorkload(t *testing.T, db *DB, rng *rand.Rand, n int) {
	t.Helper()
	ents := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	kinds := []survey.RespondentKind{survey.RespondentWorker, survey.RespondentManager}
	day := time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)
	randomResponse := func(id string) survey.Response {
		k := kinds[rng.Intn(2)]
		form := "worker_questionnaire"
		if k == survey.RespondentManager {
			form = "enterprise_questionnaire"
		}
		return survey.Response{ID: id, EnterpriseID: ents[rng.Intn(len(ents))], FormID: form, FormVersion: 1, Kind: k,
			Date: day.Format("2006-01-02"), Answers: randomAnswers(rng, k)}
	}
	version := func(r survey.Response, parents ...string) survey.Version {
		body, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return survey.Version{RecordID: r.ID, VersionID: uuid.NewString(), Kind: survey.KindResponse, FormID: r.FormID, FormVersion: r.FormVersion,
			Created: day, Payload: body, Parents: parents}
	}
	put := func(vs ...survey.Version) {
		t.Helper()
		if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.PutVersions(vs); return err }); err != nil {
			t.Fatal(err)
		}
	}
	// someResponse returns a stored response's id and its heads (none for
	// a row written with raw SQL).
	someResponse := func() (string, []string) {
		ids, err := scanStrings(db.read.Query(`SELECT id FROM responses ORDER BY id`))
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			return "", nil
		}
		id := ids[rng.Intn(len(ids))]
		heads, err := db.Heads(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		var hs []string
		for _, h := range heads {
			hs = append(hs, h.VersionID)
		}
		return id, hs
	}
	rawRow := func(r survey.Response) []any {
		body, _ := json.Marshal(r)
		return []any{r.ID, uuid.NewString(), r.EnterpriseID, "", string(r.Kind), r.Date, body,
			answerText(r.Answers, "awareness"), answerText(r.Answers, "participated"), answerText(r.Answers, "sat_overall"),
			answerText(r.Answers, "rec_bargaining"), answerText(r.Answers, "rec_service")}
	}
	const rawInsert = `INSERT OR REPLACE INTO responses (id, version_id, enterprise_id, visit_id, kind, day, body, awareness, participated, sat_overall, rec_bargaining, rec_service)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	errRollback := errors.New("rolled back")
	for i := range n {
		op := rng.Intn(12)
		switch op {
		case 0, 1, 2: // saved on this machine (the laptop's path)
			r := randomResponse("")
			if _, err := db.AddResponse(ctx, r); err != nil {
				t.Fatal(err)
			}
		case 3, 4: // merged from a bundle (the district's path)
			put(version(randomResponse(uuid.NewString())))
		case 5: // a later version: the projection row is replaced
			if id, heads := someResponse(); len(heads) > 0 {
				put(version(randomResponse(id), heads[0]))
			}
		case 6: // two concurrent versions: a conflict, either may win
			if id, heads := someResponse(); len(heads) > 0 {
				put(version(randomResponse(id), heads[0]), version(randomResponse(id), heads[0]))
			}
		case 7: // a deletion version: the projection row goes
			if id, heads := someResponse(); len(heads) > 0 {
				d := version(survey.Response{ID: id}, heads...)
				d.Deleted, d.Payload = true, json.RawMessage(`{}`)
				put(d)
			}
		case 8: // stored, then the transaction fails: nothing counted
			err := db.Update(ctx, func(tx *Tx) error {
				if _, err := tx.PutVersions([]survey.Version{version(randomResponse(uuid.NewString()))}); err != nil {
					return err
				}
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Fatal(err)
			}
		case 9: // INSERT OR REPLACE, new or over an existing row
			id, _ := someResponse()
			if id == "" || rng.Intn(3) == 0 {
				id = uuid.NewString()
			}
			if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.Exec(rawInsert, rawRow(randomResponse(id))...); return err }); err != nil {
				t.Fatal(err)
			}
		case 10: // UPDATE of counted columns, or of others only
			if id, _ := someResponse(); id != "" {
				r := randomResponse(id)
				q, args := `UPDATE responses SET enterprise_id = ?, kind = ?, awareness = ?, sat_overall = ?, rec_service = ? WHERE id = ?`,
					[]any{r.EnterpriseID, string(r.Kind), answerText(r.Answers, "awareness"), answerText(r.Answers, "sat_overall"), answerText(r.Answers, "rec_service"), id}
				if rng.Intn(3) == 0 {
					q, args = `UPDATE responses SET day = '2026-05-01', body = body WHERE id = ?`, []any{id}
				}
				if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
					t.Fatal(err)
				}
			}
		case 11: // DELETE, one row or an enterprise's
			id, _ := someResponse()
			q, arg := `DELETE FROM responses WHERE id = ?`, any(id)
			if rng.Intn(4) == 0 {
				q, arg = `DELETE FROM responses WHERE enterprise_id = ?`, ents[rng.Intn(len(ents))]
			}
			if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.Exec(q, arg); return err }); err != nil {
				t.Fatal(err)
			}
		}
		if i%10 == 9 {
			checkRateCounts(t, db, fmt.Sprintf("after change %d (op %d)", i+1, op))
		}
	}
	checkRateCounts(t, db, "after the workload")
}

// otherRules are a rule set of another release: a figure renamed and
// redefined, one gone, one new, one reading another answer.
var otherRules = []survey.RateRule{
	{Name: "top_box", Kind: survey.RespondentWorker, Fields: []string{"sat_overall"}, Hits: []string{"5"}},
	{Name: "recognition", Kind: survey.RespondentManager, Fields: []string{"rec_bargaining", "rec_service"}, Misses: []string{"1", "2"}},
	{Name: "aware", Kind: survey.RespondentWorker, Fields: []string{"awareness"}, Misses: []string{"no", "heard"}},
	{Name: "manager_participation", Kind: survey.RespondentManager, Fields: []string{"participated"}, Hits: []string{"yes"}},
}

func TestRateCountsFollowEveryWrite(t *testing.T) {
	dir := t.TempDir()
	open := func(rules []survey.RateRule) *DB {
		t.Helper()
		db, err := OpenDir(dir, Options{RateRules: rules})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open(nil)
	if fmt.Sprint(db.RateRules()) != fmt.Sprint(survey.FigureRules) {
		t.Fatalf("rules %v, want the four figures", db.RateRules())
	}
	rng := rand.New(rand.NewSource(1))
	rateCountsWorkload(t, db, rng, 300)
	if got := len(persistedCounts(t, db)); got == 0 {
		t.Fatal("the workload left no responses to count")
	}
	db.Close()

	// A release with other rules rebuilds the counts once, at open, and
	// its triggers keep them.
	db = open(otherRules)
	checkRateCounts(t, db, "reopened with other rules")
	if got := len(db.RateRules()); got != len(otherRules) {
		t.Fatalf("%d rules, want %d", got, len(otherRules))
	}
	rateCountsWorkload(t, db, rng, 100)
	db.Close()
	db = open(otherRules) // same rules: nothing to rebuild
	checkRateCounts(t, db, "reopened with the same rules")
	db.Close()
	db = open(nil)
	defer db.Close()
	checkRateCounts(t, db, "reopened with the four figures")
	rateCountsWorkload(t, db, rng, 50)

	for _, bad := range [][]survey.RateRule{
		{{Name: "x", Kind: survey.RespondentWorker, Fields: []string{"body"}, Hits: []string{"1"}}},
		{{Name: "x; DROP TABLE responses", Kind: survey.RespondentWorker, Fields: []string{"awareness"}}},
		{{Name: "x", Kind: survey.RespondentWorker, Fields: []string{"awareness"}}, {Name: "x", Kind: survey.RespondentWorker, Fields: []string{"awareness"}}},
		{},
	} {
		if _, err := OpenDir(t.TempDir(), Options{RateRules: bad}); err == nil {
			t.Errorf("rules %v accepted", bad)
		}
	}
}

// downgradeToBeforeRateCounts turns a database into one made by the
// release before migration 0010: no counts, no fingerprint, no index of
// the response versions, the covering index of the rates back.
func downgradeToBeforeRateCounts(t *testing.T, db *DB) {
	t.Helper()
	for _, q := range append(append([]string(nil), rateObjects...),
		`DROP TABLE rate_counts_schema`,
		`DROP INDEX versions_response_forms`,
		`DELETE FROM schema_migrations WHERE version = 10`,
		`CREATE INDEX responses_rates ON responses (enterprise_id, kind, awareness, participated, sat_overall, rec_bargaining, rec_service)`) {
		if _, err := db.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

const rateOpenEnv = "ZOUFANG_RATE_OPEN_DIR"

// rateOpenChild is the child process of
// TestConcurrentOpensBuildOneRateCountsTable (see TestMain): it opens the
// database and says whether it is usable.
func rateOpenChild(dir string) int {
	db, err := OpenDir(dir, Options{})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer db.Close()
	if _, err := db.RateCounts(ctx); err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

// Processes that open a database of the release before the counts at the
// same moment (the server and an import started together) all open it,
// and it ends with one counts table, one set of triggers and exact counts.
func TestConcurrentOpensBuildOneRateCountsTable(t *testing.T) {
	for round := range 3 {
		dir := t.TempDir()
		db, err := OpenDir(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(int64(round)))
		var vs []survey.Version
		for i := range 3000 {
			k := []survey.RespondentKind{survey.RespondentWorker, survey.RespondentManager}[i%2]
			r := survey.Response{ID: uuid.NewString(), EnterpriseID: fmt.Sprintf("e%03d", rng.Intn(300)), FormID: "worker_questionnaire", FormVersion: 1, Kind: k,
				Date: "2026-04-15", Answers: randomAnswers(rng, k)}
			body, _ := json.Marshal(r)
			vs = append(vs, survey.Version{RecordID: r.ID, VersionID: uuid.NewString(), Kind: survey.KindResponse, FormID: r.FormID, FormVersion: 1, Created: time.Now().UTC(), Payload: body})
		}
		if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.PutVersions(vs); return err }); err != nil {
			t.Fatal(err)
		}
		want := independentCounts(t, db, db.RateRules())
		downgradeToBeforeRateCounts(t, db)
		db.Close()

		var cmds []*exec.Cmd
		var outs []*strings.Builder
		for range 4 {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), rateOpenEnv+"="+dir)
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil || !strings.Contains(outs[i].String(), "ok") {
				t.Fatalf("round %d: process %d: %v %s", round, i, err, outs[i].String())
			}
		}

		db, err = OpenDir(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		objects, err := scanStrings(db.read.Query(`SELECT type || ' ' || name FROM sqlite_master WHERE name LIKE 'rate_counts%' OR name IN ('responses_rates', 'versions_response_forms') ORDER BY 1`))
		if err != nil {
			t.Fatal(err)
		}
		wantObjects := "[index versions_response_forms table rate_counts table rate_counts_schema trigger rate_counts_delete trigger rate_counts_insert trigger rate_counts_update]"
		if fmt.Sprint(objects) != wantObjects {
			t.Errorf("round %d: schema %v, want %s", round, objects, wantObjects)
		}
		var migrated, fingerprints int
		db.read.QueryRow(`SELECT (SELECT count(*) FROM schema_migrations WHERE version = 10), (SELECT count(*) FROM rate_counts_schema)`).Scan(&migrated, &fingerprints)
		if migrated != 1 || fingerprints != 1 {
			t.Errorf("round %d: migration 10 recorded %d times, %d fingerprints", round, migrated, fingerprints)
		}
		if got := persistedCounts(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: counts after concurrent opens\n got  %v\n want %v", round, got, want)
		}
		checkRateCounts(t, db, "after concurrent opens")
		db.Close()
	}
}
