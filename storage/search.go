package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
type searchIndex struct {
	mu      gosync.RWMutex
	built   bool
	entries []indexEntry
}

// indexEntry is one enterprise in the search index. A 100,000-enterprise
// roster keeps 100,000 of them for the whole session, so the few distinct
// districts, streets, industries and devices are interned: each entry holds
// a pointer-sized handle instead of its own copy (34 MB -> 22 MB of heap).
type indexEntry struct {
	id                                     string
	hay                                    string // lower-case name, pinyin, initials, USCC, NUL-separated
	sort                                   string
	district, street, industry, assignedTo unique.Handle[string]
}

// The index keeps only what matching and ordering need; results are read
// from the table by id, which keeps a 100,000-enterprise index small.
const indexCols = `id, name, uscc, district, street, industry, assigned_to, py_full, py_initials, sort_key`

func scanIndexEntry(sc interface{ Scan(...any) error }) (indexEntry, error) {
	var e indexEntry
	var name, uscc, district, street, industry, assignedTo, full, ini string
	err := sc.Scan(&e.id, &name, &uscc, &district, &street, &industry, &assignedTo, &full, &ini, &e.sort)
	e.hay = strings.ToLower(name) + "\x00" + full + "\x00" + ini + "\x00" + strings.ToLower(uscc)
	e.district, e.street, e.industry, e.assignedTo = unique.Make(district), unique.Make(street), unique.Make(industry), unique.Make(assignedTo)
	return e, err
}

func (ix *searchIndex) build(ctx context.Context, db *DB) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.built {
		return nil
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM enterprises`).Scan(&n); err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+indexCols+` FROM enterprises`)
	if err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	defer rows.Close()
	entries := make([]indexEntry, 0, n)
	for rows.Next() {
		e, err := scanIndexEntry(rows)
		if err != nil {
			return fmt.Errorf("build search index: %w", err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("build search index: %w", err)
	}
	// Sorting here is cheaper than keeping an index on the long
	// collation keys up to date through every roster import.
	sort.Slice(entries, func(i, j int) bool { return less(entries[i], entries[j]) })
	ix.entries, ix.built = entries, true
	return nil
}

func less(a, b indexEntry) bool {
	if a.sort != b.sort {
		return a.sort < b.sort
	}
	return a.id < b.id
}

// patch brings the index up to date after a commit that changed the given
// enterprises. Big changes (a roster import) drop the index; it is rebuilt
// on the next search.
func (ix *searchIndex) patch(ctx context.Context, db *DB, ids map[string]bool) {
	if len(ids) == 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.built {
		return
	}
	if len(ids) > 500 {
		ix.built, ix.entries = false, nil
		return
	}
	kept := ix.entries[:0]
	for _, e := range ix.entries {
		if !ids[e.id] {
			kept = append(kept, e)
		}
	}
	ix.entries = kept
	for id := range ids {
		e, err := scanIndexEntry(db.write.QueryRowContext(ctx, `SELECT `+indexCols+` FROM enterprises WHERE id = ?`, id))
		if err != nil {
			continue // deleted (or unreadable: the next rebuild will tell)
		}
		i := sort.Search(len(ix.entries), func(i int) bool { return !less(ix.entries[i], e) })
		ix.entries = append(ix.entries, indexEntry{})
		copy(ix.entries[i+1:], ix.entries[i:])
		ix.entries[i] = e
	}
}

// WarmSearch builds the roster search index now (it is otherwise built by
// the first search), so a screen can do it in the background at start-up.
func (db *DB) WarmSearch(ctx context.Context) error { return db.index.build(ctx, db) }

// SearchEnterprises returns the enterprises matching q in pinyin order of
// their names.
func (db *DB) SearchEnterprises(ctx context.Context, q EnterpriseQuery) ([]survey.Enterprise, error) {
	if err := db.index.build(ctx, db); err != nil {
		return nil, err
	}
	terms := strings.Fields(strings.ToLower(width.Fold.String(q.Text)))
	district, street, industry, assignedTo := unique.Make(q.District), unique.Make(q.Street), unique.Make(q.Industry), unique.Make(q.AssignedTo)
	db.index.mu.RLock()
	var hits []*indexEntry
	for i := range db.index.entries {
		e := &db.index.entries[i]
		if q.District != "" && e.district != district ||
			q.Street != "" && e.street != street ||
			q.Industry != "" && e.industry != industry ||
			q.AssignedTo != "" && e.assignedTo != assignedTo {
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
	return db.enterprisesByID(ctx, ids)
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
// roster, for filter lists.
func (db *DB) Facets(ctx context.Context) (districts, streets, industries []string, err error) {
	get := func(col string) ([]string, error) {
		rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT `+col+` FROM enterprises WHERE `+col+` <> '' ORDER BY `+col)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, rows.Err()
	}
	if districts, err = get("district"); err == nil {
		if streets, err = get("street"); err == nil {
			industries, err = get("industry")
		}
	}
	if err != nil {
		err = fmt.Errorf("facets: %w", err)
	}
	return
}
