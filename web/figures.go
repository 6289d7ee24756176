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
// response stored (storage.DB.RateCounts: one row per enterprise and
// respondent kind), then groups them by street and industry.
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
	for i, r := range []survey.RateRule{survey.ParticipationRule, survey.AwarenessRule, survey.SatisfactionRule, survey.RecognitionRule} {
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
	for _, r := range counts {
		fig.Total.Merge(*r)
	}
	idx, err := db.IndexedEnterprises(ctx, func(id string) bool { return fig.ByEnterprise[id] != nil })
	if err != nil {
		return nil, err
	}
	fig.Order = make([]string, 0, len(idx))
	fig.Briefs = make(map[string]storage.EnterpriseBrief, len(idx))
	for _, e := range idx {
		fig.Order = append(fig.Order, e.ID)
		fig.Briefs[e.ID] = storage.EnterpriseBrief{ID: e.ID, Street: e.Street, Industry: e.Industry, AssignedTo: e.AssignedTo}
	}
	fig.ByStreet = groupBy(fig, func(b storage.EnterpriseBrief) string { return b.Street })
	fig.ByIndustry = groupBy(fig, func(b storage.EnterpriseBrief) string { return b.Industry })
	return fig, nil
}

func groupBy(fig *figures, key func(storage.EnterpriseBrief) string) []group {
	m := map[string]*group{}
	for id, r := range fig.ByEnterprise {
		name := key(fig.Briefs[id])
		if name == "" {
			name = "（未填写）"
		}
		g := m[name]
		if g == nil {
			g = &group{Name: name}
			m[name] = g
		}
		g.Enterprises++
		g.Rates.Merge(*r)
	}
	// Total, groups and enterprises carry only the four figures and the
	// counts (no per-answer breakdown); Merge leaves the maps alone.
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
