package web

import (
	"context"
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

// figureCache keeps the last figures until any record changes, and the
// per-enterprise counts behind them: after an upload only the responses
// stored since are counted (responses are create-only), then regrouped.
type figureCache struct {
	mu      gosync.Mutex
	version int64
	fig     *figures
	counts  map[string]*survey.Rates // per enterprise
	lastRow int64                    // last response row counted
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
	if c.off || c.counts == nil {
		c.counts, c.lastRow = map[string]*survey.Rates{}, 0
	}
	add, last, total, err := s.db.CountRatesAfter(ctx, figureRules, c.lastRow)
	if err != nil {
		return nil, err
	}
	addCounts(c.counts, add)
	if sumResponses(c.counts) != total {
		// Something other than new responses changed the table: count
		// everything again rather than trust the sum.
		c.counts = map[string]*survey.Rates{}
		if add, last, _, err = s.db.CountRatesAfter(ctx, figureRules, 0); err != nil {
			return nil, err
		}
		addCounts(c.counts, add)
	}
	c.lastRow = last
	fig, err := groupFigures(ctx, s.db, c.counts)
	if err != nil {
		return nil, err
	}
	c.fig, c.version = fig, ver
	return fig, nil
}

func addCounts(m map[string]*survey.Rates, add []storage.RateCounts) {
	for _, a := range add {
		r := m[a.EnterpriseID]
		if r == nil {
			r = &survey.Rates{}
			m[a.EnterpriseID] = r
		}
		r.Merge(survey.Rates{Responses: a.Responses, Workers: a.Workers, Managers: a.Managers,
			Participation: a.Rates[0], Awareness: a.Rates[1], Satisfaction: a.Rates[2], Recognition: a.Rates[3]})
	}
}

func sumResponses(m map[string]*survey.Rates) int {
	n := 0
	for _, r := range m {
		n += r.Responses
	}
	return n
}

// figureRules are the four figures' rules, in the order CountRates
// returns them.
var figureRules = []survey.RateRule{survey.ParticipationRule, survey.AwarenessRule, survey.SatisfactionRule, survey.RecognitionRule}

// groupFigures adds up per-enterprise counts for the district, by street
// and by industry (streets and industries from the roster's search index,
// enterprises in pinyin order of their names).
func groupFigures(ctx context.Context, db *storage.DB, counts map[string]*survey.Rates) (*figures, error) {
	fig := &figures{ByEnterprise: make(map[string]*survey.Rates, len(counts))}
	for id, r := range counts {
		cp := *r
		fig.ByEnterprise[id] = &cp
		fig.Total.Merge(cp)
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
