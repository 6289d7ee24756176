package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	gosync "sync"
	"unicode"
	"unique"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/width"

	"zoufang/survey"
)

// EnterpriseQuery selects enterprises from the roster. Empty fields do not
// filter.
type EnterpriseQuery struct {
	// Text matches, case-insensitively, a substring of the name, of its
	// pinyin ("haixin") or pinyin initials ("hx"), or of the USCC. Several
	// words separated by spaces must all match.
	Text string
	// District, Street, Industry and AssignedTo must match exactly.
	District, Street, Industry, AssignedTo string
	// Unassigned keeps only enterprises assigned to no device.
	Unassigned bool
	// Limit caps the number of results; 0 means no cap.
	Limit int
}

// keys are the search and ordering keys of an enterprise name.
type keys struct {
	full, initials string
	sort           []byte
}

var (
	pinyinMu    gosync.Mutex
	pinyinCache = map[rune]string{}
	pinyinArgs  = pinyin.NewArgs()

	collatorMu gosync.Mutex
	collator   = collate.New(language.SimplifiedChinese)
	collateBuf collate.Buffer
)

// syllable returns the toneless pinyin of a Han character, or "" for other
// characters. go-pinyin's style conversion is slow per call; the cache
// makes a 100,000-name roster import pay for each distinct character once.
func syllable(r rune) string {
	pinyinMu.Lock()
	defer pinyinMu.Unlock()
	if s, ok := pinyinCache[r]; ok {
		return s
	}
	s := ""
	if p := pinyin.SinglePinyin(r, pinyinArgs); len(p) > 0 {
		s = p[0]
	}
	pinyinCache[r] = s
	return s
}

// searchKeys computes the pinyin keys of a name: "青岛Abc科技" gives full
// "qingdaoabckeji", initials "qdabckj", and the collation key that sorts
// names in pinyin order.
func searchKeys(name string) keys {
	var full, ini strings.Builder
	for _, r := range name {
		if s := syllable(r); s != "" {
			full.WriteString(s)
			ini.WriteByte(s[0])
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			lr := unicode.ToLower(r)
			full.WriteRune(lr)
			ini.WriteRune(lr)
		}
	}
	collatorMu.Lock()
	sk := bytes.Clone(collator.KeyFromString(&collateBuf, name))
	collateBuf.Reset()
	collatorMu.Unlock()
	return keys{full: full.String(), initials: ini.String(), sort: sk}
}

// searchIndex is an in-memory copy of the roster's search columns, sorted
// in pinyin order. One pass of strings.Contains over 100,000 short
// haystacks takes a few milliseconds, which SQLite's LIKE over several
// columns does not.
//
// Other processes may write the same database (the district's `roster`
// command while `serve` runs, an import beside the workbench): changes is
// the roster_changes counter the entries reflect, and every use compares
// it with the database's first (one row, a few microseconds), rebuilding
// when another process has changed the roster since.
type searchIndex struct {
	mu      gosync.RWMutex
	built   bool
	changes int64
	entries []indexEntry
}

// rosterChanges reads the roster_changes counter.
func rosterChanges(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT n FROM roster_changes WHERE id = 1`).Scan(&n)
	return n, err
}

// indexEntry is one enterprise in the search index. A 100,000-enterprise
// roster keeps 100,000 of them for the whole session, so they are small:
// id and hay of a bulk build are slices of one shared string, the few
// distinct districts, streets, industries and devices are interned, and the
// collation key stays in the table (order is kept by position, and patch
// reads the few keys a binary search needs): 34.5 MB -> 18.5 MB of heap
// for 100,000 (storage BenchmarkSearch100k, index-MB).
type indexEntry struct {
	id                                     string
	hay                                    string // lower-case name, pinyin, initials, USCC, NUL-separated
	district, street, industry, assignedTo unique.Handle[string]
}

// The index keeps only what matching needs; results are read from the
// table by id.
const indexCols = `id, name, uscc, district, street, industry, assigned_to, py_full, py_initials`

// readIndexEntries reads rows of indexCols into entries whose strings share
// one allocation; size is the expected total length of those strings.
func readIndexEntries(rows *sql.Rows, n, size int) ([]indexEntry, error) {
	defer rows.Close()
	var arena strings.Builder
	arena.Grow(size)
	type span struct{ idEnd, hayStart, hayEnd int }
	spans := make([]span, 0, n)
	entries := make([]indexEntry, 0, n)
	interned := map[string]unique.Handle[string]{}
	intern := func(b []byte) unique.Handle[string] {
		if h, ok := interned[string(b)]; ok {
			return h
		}
		h := unique.Make(string(b))
		interned[h.Value()] = h
		return h
	}
	// RawBytes are only valid until the next row; everything kept is
	// copied into the arena or interned.
	var id, name, uscc, district, street, industry, assignedTo, full, ini sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id, &name, &uscc, &district, &street, &industry, &assignedTo, &full, &ini); err != nil {
			return nil, err
		}
		var sp span
		arena.Write(id)
		sp.idEnd, sp.hayStart = arena.Len(), arena.Len()
		for _, r := range string(name) {
			arena.WriteRune(unicode.ToLower(r))
		}
		arena.WriteByte(0)
		arena.Write(full)
		arena.WriteByte(0)
		arena.Write(ini)
		arena.WriteByte(0)
		for _, r := range string(uscc) {
			arena.WriteRune(unicode.ToLower(r))
		}
		sp.hayEnd = arena.Len()
		spans = append(spans, sp)
		entries = append(entries, indexEntry{district: intern(district), street: intern(street), industry: intern(industry), assignedTo: intern(assignedTo)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	all, prev := arena.String(), 0
	for i, sp := range spans {
		entries[i].id, entries[i].hay = all[prev:sp.idEnd], all[sp.hayStart:sp.hayEnd]
		prev = sp.hayEnd
	}
	return entries, nil
}

// build makes the index current: built, and reflecting every change to
// the roster committed so far, by this process or another.
func (ix *searchIndex) build(ctx context.Context, db *DB) error {
	n, err := rosterChanges(ctx, db.read)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	ix.mu.RLock()
	current := ix.built && ix.changes >= n
	ix.mu.RUnlock()
	if current {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.built && ix.changes >= n {
		return nil // another search rebuilt it meanwhile
	}
	ix.built, ix.entries = false, nil // let the old entries go before reading the new
	// The counter and the rows come from one snapshot, so the index never
	// claims a change it does not hold.
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	defer tx.Rollback()
	var size int
	if n, err = rosterChanges(ctx, tx); err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(CAST(id AS BLOB)) + length(CAST(name AS BLOB)) + length(CAST(uscc AS BLOB)) + length(py_full) + length(py_initials) + 3), 0) FROM enterprises`).Scan(&count, &size); err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	// SQLite sorts by the collation key, so the keys never come into the
	// heap.
	rows, err := tx.QueryContext(ctx, `SELECT `+indexCols+` FROM enterprises ORDER BY sort_key, id`)
	if err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	entries, err := readIndexEntries(rows, count, size)
	if err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	ix.entries, ix.built, ix.changes = entries, true, n
	return nil
}

// patch brings the index up to date after a commit that changed the given
// enterprises and brought the roster_changes counter to changes. Big
// changes (a roster import) drop the index; it is rebuilt on the next
// search, as it is when patching fails or when the index had missed a
// change by another process before this commit.
func (ix *searchIndex) patch(ctx context.Context, db *DB, ids map[string]bool, changes int64) {
	if len(ids) == 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.built || ix.changes >= changes {
		return // not built, or rebuilt since the commit: it holds the change
	}
	if ix.changes != changes-1 || len(ids) > 500 || ix.patchLocked(ctx, db, ids) != nil {
		ix.built, ix.entries = false, nil
		return
	}
	ix.changes = changes
}

func (ix *searchIndex) patchLocked(ctx context.Context, db *DB, ids map[string]bool) error {
	kept := ix.entries[:0]
	for _, e := range ix.entries {
		if !ids[e.id] {
			kept = append(kept, e)
		}
	}
	clear(ix.entries[len(kept):]) // let the removed strings go
	ix.entries = kept
	sortKey := func(id string) (key []byte, err error) {
		err = db.write.QueryRowContext(ctx, `SELECT sort_key FROM enterprises WHERE id = ?`, id).Scan(&key)
		return key, err
	}
	for id := range ids {
		rows, err := db.write.QueryContext(ctx, `SELECT `+indexCols+` FROM enterprises WHERE id = ?`, id)
		if err != nil {
			return err
		}
		got, err := readIndexEntries(rows, 1, 0)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			continue // deleted
		}
		key, err := sortKey(id)
		if err != nil {
			return err
		}
		// The first entry ordered after the new one, by (sort_key, id) as
		// the build's ORDER BY.
		var searchErr error
		i := sort.Search(len(ix.entries), func(i int) bool {
			other, err := sortKey(ix.entries[i].id)
			if err != nil {
				searchErr = err
				return true
			}
			if c := bytes.Compare(other, key); c != 0 {
				return c > 0
			}
			return ix.entries[i].id > id
		})
		if searchErr != nil {
			return searchErr
		}
		ix.entries = slices.Insert(ix.entries, i, got[0])
	}
	return nil
}

// WarmSearch builds the roster search index now (it is otherwise built by
// the first search), so a screen can do it in the background at start-up.
func (db *DB) WarmSearch(ctx context.Context) error { return db.index.build(ctx, db) }

// SearchEnterprises returns the enterprises matching q in pinyin order of
// their names.
func (db *DB) SearchEnterprises(ctx context.Context, q EnterpriseQuery) ([]survey.Enterprise, error) {
	ids, err := db.searchIDs(ctx, q)
	if err != nil {
		return nil, err
	}
	return db.enterprisesByID(ctx, ids)
}

// SearchEnterprisesPage returns the enterprises matching q (Limit ignored)
// from offset on, at most limit of them, and how many match in all: a
// page of a list over the whole roster reads only that page's records.
func (db *DB) SearchEnterprisesPage(ctx context.Context, q EnterpriseQuery, offset, limit int) ([]survey.Enterprise, int, error) {
	q.Limit = 0
	ids, err := db.searchIDs(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	total := len(ids)
	offset = min(max(offset, 0), total)
	ids = ids[offset:min(offset+max(limit, 0), total)]
	es, err := db.enterprisesByID(ctx, ids)
	return es, total, err
}

// SearchEnterpriseIDs returns the ids of the enterprises matching q, in
// pinyin order of their names.
func (db *DB) SearchEnterpriseIDs(ctx context.Context, q EnterpriseQuery) ([]string, error) {
	return db.searchIDs(ctx, q)
}

func (db *DB) searchIDs(ctx context.Context, q EnterpriseQuery) ([]string, error) {
	if err := db.index.build(ctx, db); err != nil {
		return nil, err
	}
	terms := strings.Fields(strings.ToLower(width.Fold.String(q.Text)))
	district, street, industry, assignedTo := unique.Make(q.District), unique.Make(q.Street), unique.Make(q.Industry), unique.Make(q.AssignedTo)
	none := unique.Make("")
	db.index.mu.RLock()
	var hits []*indexEntry
	for i := range db.index.entries {
		e := &db.index.entries[i]
		if q.District != "" && e.district != district ||
			q.Street != "" && e.street != street ||
			q.Industry != "" && e.industry != industry ||
			q.AssignedTo != "" && e.assignedTo != assignedTo ||
			q.Unassigned && e.assignedTo != none {
			continue
		}
		ok := true
		for _, t := range terms {
			if !strings.Contains(e.hay, t) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		hits = append(hits, e)
		if q.Limit > 0 && len(hits) >= q.Limit {
			break
		}
		if i%4096 == 0 && ctx.Err() != nil {
			break
		}
	}
	db.index.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(hits))
	for i, e := range hits {
		ids[i] = e.id
	}
	return ids, nil
}

// enterprisesByID reads enterprises in the order of ids, skipping ids that
// are gone (deleted since the index was read).
func (db *DB) enterprisesByID(ctx context.Context, ids []string) ([]survey.Enterprise, error) {
	out := make([]survey.Enterprise, 0, len(ids))
	const batch = 500
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := db.read.QueryContext(ctx, `SELECT id, body FROM enterprises WHERE id IN (?`+strings.Repeat(",?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		byID := make(map[string]survey.Enterprise, len(part))
		for rows.Next() {
			var id string
			var body []byte
			var e survey.Enterprise
			if err := rows.Scan(&id, &body); err == nil {
				err = json.Unmarshal(body, &e)
			}
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("search: enterprise %s: %w", id, err)
			}
			byID[id] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		for _, id := range part {
			if e, ok := byID[id]; ok {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// Facets returns the distinct districts, streets and industries of the
// roster, for filter lists. They come from the search index (built on
// first use), which holds each distinct value once: reading them from the
// table would read every enterprise's row.
func (db *DB) Facets(ctx context.Context) (districts, streets, industries []string, err error) {
	if err := db.index.build(ctx, db); err != nil {
		return nil, nil, nil, fmt.Errorf("facets: %w", err)
	}
	ds, ss, is := map[unique.Handle[string]]bool{}, map[unique.Handle[string]]bool{}, map[unique.Handle[string]]bool{}
	db.index.mu.RLock()
	for i := range db.index.entries {
		e := &db.index.entries[i]
		ds[e.district], ss[e.street], is[e.industry] = true, true, true
	}
	db.index.mu.RUnlock()
	list := func(m map[unique.Handle[string]]bool) []string {
		var out []string
		for h := range m {
			if v := h.Value(); v != "" {
				out = append(out, v)
			}
		}
		sort.Strings(out)
		return out
	}
	return list(ds), list(ss), list(is), nil
}

// Streets returns the distinct streets (镇街) of the roster within district,
// or of the whole roster when district is "", for the street filter.
func (db *DB) Streets(ctx context.Context, district string) ([]string, error) {
	q := `SELECT DISTINCT street FROM enterprises WHERE street <> ''`
	var args []any
	if district != "" {
		q += ` AND district = ?`
		args = append(args, district)
	}
	out, err := scanStrings(db.read.QueryContext(ctx, q+` ORDER BY street`, args...))
	if err != nil {
		return nil, fmt.Errorf("streets: %w", err)
	}
	return out, nil
}
