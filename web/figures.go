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
	Briefs       map[string]storage.EnterpriseBrief // enterprises with responses
	ByStreet     []group
	ByIndustry   []group
}

// group is the figures of a street or an industry.
type group struct {
	Name        string
	Enterprises int
	Rates       survey.Rates
}

// rateFields are the answers the four figures on the page read; grouping
// on these alone folds 100,000 responses into a few thousand tallies.
var rateFields = []string{"awareness", "participated", "sat_overall", "rec_bargaining", "rec_service"}

// figureCache keeps the last figures until any record changes.
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
	fig, err := computeFigures(ctx, s.db)
	if err != nil {
		return nil, err
	}
	c.fig, c.version = fig, ver
	return fig, nil
}

func computeFigures(ctx context.Context, db *storage.DB) (*figures, error) {
	tallies, err := db.ResponseTallies(ctx, rateFields)
	if err != nil {
		return nil, err
	}
	fig := &figures{Total: survey.NewRates(), ByEnterprise: map[string]*survey.Rates{}}
	for _, t := range tallies {
		r := fig.ByEnterprise[t.EnterpriseID]
		if r == nil {
			nr := survey.NewRates()
			r = &nr
			fig.ByEnterprise[t.EnterpriseID] = r
		}
		resp := survey.Response{Kind: t.Kind, Answers: t.Answers}
		r.Add(resp, t.N)
		fig.Total.Add(resp, t.N)
	}
	ids := make([]string, 0, len(fig.ByEnterprise))
	for id := range fig.ByEnterprise {
		ids = append(ids, id)
	}
	if fig.Briefs, err = db.EnterpriseBriefs(ctx, ids); err != nil {
		return nil, err
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
			g = &group{Name: name, Rates: survey.NewRates()}
			m[name] = g
		}
		g.Enterprises++
		g.Rates.Merge(*r)
	}
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
