package web

import (
	"context"
	"fmt"
	"sort"
	gosync "sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"zoufang/storage"
	"zoufang/survey"
)

// figures are the campaign rates of the district, by street, by industry
// and by enterprise, computed from every questionnaire response.
type figures struct {
	Total        survey.Rates
	ByEnterprise map[string]*survey.Rates
	Briefs       map[string]storage.EnterpriseBrief // enterprises with responses (no name)
	Order        []string                           // their ids, by street then name
	ByStreet     []group
	ByIndustry   []group
}

// group is the figures of a street or an industry.
type group struct {
	Name        string
	Enterprises int
	Rates       survey.Rates
}

// figureCache keeps the last figures until any record changes. Computing
// them reads the per-enterprise counts storage keeps current with every
// response stored (storage.DB.RateCounts: one row per enterprise with
// responses), then groups them by street and industry.
type figureCache struct {
	mu      gosync.Mutex
	version int64
	fig     *figures
	// off disables the cache (benchmarks of the cold path).
	off bool
}

// figures returns the current figures, recomputed when the records
// changed since the last computation.
func (s *Server) figures(ctx context.Context) (*figures, error) {
	ver, err := s.db.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.figCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fig != nil && c.version == ver && !c.off {
		return c.fig, nil
	}
	counts, err := s.db.RateCounts(ctx)
	if err != nil {
		return nil, err
	}
	byEnterprise, err := figureRates(s.db.RateRules(), counts)
	if err != nil {
		return nil, err
	}
	fig, err := groupFigures(ctx, s.db, byEnterprise)
	if err != nil {
		return nil, err
	}
	c.fig, c.version = fig, ver
	return fig, nil
}

// figureRates turns storage's counts (one rate per rule, in the order of
// rules) into the four figures of every enterprise.
func figureRates(rules []survey.RateRule, counts []storage.RateCounts) (map[string]*survey.Rates, error) {
	at := map[string]int{}
	for i, r := range rules {
		at[r.Name] = i
	}
	var idx [4]int
	for i, r := range survey.FigureRules {
		j, ok := at[r.Name]
		if !ok {
			return nil, fmt.Errorf("figures: the database keeps no counts of %s", r.Name)
		}
		idx[i] = j
	}
	out := make(map[string]*survey.Rates, len(counts))
	for _, c := range counts {
		out[c.EnterpriseID] = &survey.Rates{Responses: c.Responses, Workers: c.Workers, Managers: c.Managers,
			Participation: c.Rates[idx[0]], Awareness: c.Rates[idx[1]], Satisfaction: c.Rates[idx[2]], Recognition: c.Rates[idx[3]]}
	}
	return out, nil
}

// groupFigures adds up per-enterprise counts (kept as the figures'
// ByEnterprise) for the district, by street and by industry (streets and
// industries from the roster's search index, enterprises in pinyin order
// of their names).
func groupFigures(ctx context.Context, db *storage.DB, counts map[string]*survey.Rates) (*figures, error) {
	fig := &figures{ByEnterprise: counts}
	idx, err := db.IndexedEnterprises(ctx, func(id string) bool { return counts[id] != nil })
	if err != nil {
		return nil, err
	}
	fig.Order = make([]string, 0, len(idx))
	fig.Briefs = make(map[string]storage.EnterpriseBrief, len(idx))
	// One pass adds every enterprise to the district, its street and its
	// industry, from the index entry in hand (looking each one up again
	// per grouping was a third of the grouping's time).
	streets, industries := map[string]*group{}, map[string]*group{}
	add := func(r *survey.Rates, street, industry string) {
		fig.Total.Merge(*r)
		for _, k := range []struct {
			m    map[string]*group
			name string
		}{{streets, street}, {industries, industry}} {
			if k.name == "" {
				k.name = "（未填写）"
			}
			g := k.m[k.name]
			if g == nil {
				g = &group{Name: k.name}
				k.m[k.name] = g
			}
			g.Enterprises++
			g.Rates.Merge(*r)
		}
	}
	for _, e := range idx {
		fig.Order = append(fig.Order, e.ID)
		fig.Briefs[e.ID] = storage.EnterpriseBrief{ID: e.ID, Street: e.Street, Industry: e.Industry, AssignedTo: e.AssignedTo}
		add(counts[e.ID], e.Street, e.Industry)
	}
	if len(idx) < len(counts) {
		// Responses naming an enterprise the roster does not hold count
		// for the district, under no street and no industry.
		for id, r := range counts {
			if _, ok := fig.Briefs[id]; !ok {
				add(r, "", "")
			}
		}
	}
	fig.ByStreet, fig.ByIndustry = sortedGroups(streets), sortedGroups(industries)
	return fig, nil
}

// sortedGroups lists the groups in pinyin order of their names. Total,
// groups and enterprises carry only the four figures and the counts (no
// per-answer breakdown); Merge leaves the maps alone.
func sortedGroups(m map[string]*group) []group {
	out := make([]group, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	sortZh(out, func(g group) string { return g.Name })
	return out
}

// sortZh sorts by a Chinese name in pinyin order. A collator is not safe
// for concurrent use: each call makes its own.
func sortZh[T any](xs []T, name func(T) string) {
	c := collate.New(language.SimplifiedChinese)
	sort.SliceStable(xs, func(i, j int) bool { return c.CompareString(name(xs[i]), name(xs[j])) < 0 })
}

// progressCache keeps the per-device progress and the district totals
// until any record changes, like the figures: the overview and the 设备
// page read them on every view.
type progressCache struct {
	mu      gosync.Mutex
	version int64
	today   string
	prog    map[string]storage.Progress
	totals  storage.Totals
	off     bool
}

func (s *Server) progress(ctx context.Context) (map[string]storage.Progress, storage.Totals, error) {
	ver, err := s.db.DataVersion(ctx)
	if err != nil {
		return nil, storage.Totals{}, err
	}
	today := s.today()
	c := &s.progCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prog != nil && c.version == ver && c.today == today && !c.off {
		return c.prog, c.totals, nil
	}
	prog, err := s.db.ProgressByDevice(ctx)
	if err != nil {
		return nil, storage.Totals{}, err
	}
	totals, err := s.db.CountTotals(ctx, today)
	if err != nil {
		return nil, storage.Totals{}, err
	}
	c.prog, c.totals, c.version, c.today = prog, totals, ver, today
	return prog, totals, nil
}
