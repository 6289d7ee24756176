package survey

import "strings"

// Rate is a share: Hits of Valid answers. A response that left the
// question blank is not a valid answer and counts in neither.
type Rate struct {
	Hits  int `json:"hits"`
	Valid int `json:"valid"`
}

// Percent returns the share in percent, 0 when there is no valid answer.
func (r Rate) Percent() float64 {
	if r.Valid == 0 {
		return 0
	}
	return float64(r.Hits) * 100 / float64(r.Valid)
}

func (r *Rate) addN(answer string, n int, hit func(string) bool) {
	if answer == "" {
		return
	}
	r.Valid += n
	if hit(answer) {
		r.Hits += n
	}
}

// SatisfactionFields are the five-point satisfaction questions of the
// first worker questionnaire, in form order; "sat_overall" is the last.
// Later versions may add more: every worker question named sat_* counts
// as a satisfaction item (Rates.SatisfactionItems).
var SatisfactionFields = []string{"sat_wages", "sat_protection", "sat_democracy", "sat_bargaining", "sat_services", "sat_overall"}

// RecognitionFields are the five-point recognition questions of the
// enterprise (manager) questionnaire that make up 企业认可度. Manager
// questions named rec_* added later count as recognition items.
var RecognitionFields = []string{"rec_bargaining", "rec_service"}

// Rates are the figures the campaign is judged by (组织保障(四)), computed
// from anonymous questionnaire responses:
//
//   - 知晓率 Awareness: workers whose awareness is 非常了解, 了解 or 听说过
//     (anything but 不了解) — a worker who has heard of the campaign knows
//     of it; the finer split is in AwarenessLevels.
//   - 参与率 Participation: workers who answered participated = 是.
//   - 满意率 Satisfaction: sat_overall ∈ {5 非常满意, 4 满意} of the valid
//     sat_overall answers, as the plan defines (满意 + 非常满意) / 有效答卷.
//     SatisfactionItems gives the same share for every satisfaction question.
//   - 企业认可度 Recognition: answers 5 非常认可 or 4 认可 among all valid
//     answers to rec_bargaining and rec_service of manager questionnaires
//     (each question counts once per response).
type Rates struct {
	Responses int `json:"responses"` // all responses
	Workers   int `json:"workers"`   // worker questionnaires
	Managers  int `json:"managers"`  // enterprise (manager) questionnaires

	Awareness     Rate `json:"awareness"`
	Participation Rate `json:"participation"`
	Satisfaction  Rate `json:"satisfaction"`
	Recognition   Rate `json:"recognition"`

	// AwarenessLevels counts worker answers by awareness choice value.
	AwarenessLevels map[string]int `json:"awareness_levels"`
	// SatisfactionItems is the satisfied share (answers 4 and 5) per worker
	// question named sat_*, whichever form version asked it.
	SatisfactionItems map[string]Rate `json:"satisfaction_items"`
	// RecognitionItems is the recognising share per manager question named
	// rec_*.
	RecognitionItems map[string]Rate `json:"recognition_items"`
	// Versions counts the responses by the form version they were filled
	// on (see RateNotes for how versions combine).
	Versions map[FormRef]int `json:"-"`
}

func isTopTwo(s string) bool { return s == "5" || s == "4" }

// RateRule is one of the campaign figures as data: which questionnaires
// and answers it reads, and which answers count as a hit. A blank answer
// is not valid; every other answer of the named fields is. Storage turns
// these rules into the SQL that keeps the district's per-enterprise counts
// current as responses are stored; ComputeRates applies the same rules in
// Go.
type RateRule struct {
	// Name identifies the figure (lower-case letters, digits and _):
	// storage names the columns of its counts after it.
	Name   string
	Kind   RespondentKind
	Fields []string // each answered field counts once per response
	Hits   []string // answers that count as hits...
	Misses []string // ...or, when Hits is empty, every answer but these
}

// Hit reports whether a (non-blank) answer counts as a hit.
func (r RateRule) Hit(answer string) bool {
	if len(r.Hits) > 0 {
		for _, h := range r.Hits {
			if answer == h {
				return true
			}
		}
		return false
	}
	for _, m := range r.Misses {
		if answer == m {
			return false
		}
	}
	return true
}

// The rules of the four figures (see Rates).
var (
	ParticipationRule = RateRule{Name: "participation", Kind: RespondentWorker, Fields: []string{"participated"}, Hits: []string{"yes"}}
	AwarenessRule     = RateRule{Name: "awareness", Kind: RespondentWorker, Fields: []string{"awareness"}, Misses: []string{"no"}}
	SatisfactionRule  = RateRule{Name: "satisfaction", Kind: RespondentWorker, Fields: []string{"sat_overall"}, Hits: []string{"4", "5"}}
	RecognitionRule   = RateRule{Name: "recognition", Kind: RespondentManager, Fields: RecognitionFields, Hits: []string{"4", "5"}}
)

// FigureRules are the rules of the four figures, in the order the
// workbench shows them: the counts storage keeps for every enterprise.
var FigureRules = []RateRule{ParticipationRule, AwarenessRule, SatisfactionRule, RecognitionRule}

// ComputeRates computes the campaign figures over rs.
func ComputeRates(rs []Response) Rates {
	r := NewRates()
	for _, resp := range rs {
		r.Add(resp, 1)
	}
	return r
}

// NewRates returns empty figures, ready for Add.
func NewRates() Rates {
	return Rates{
		AwarenessLevels:   map[string]int{},
		SatisfactionItems: map[string]Rate{},
		RecognitionItems:  map[string]Rate{},
		Versions:          map[FormRef]int{},
	}
}

// Add counts n identical responses resp into r (r from NewRates). The
// district workbench adds responses grouped by their answers, so a
// district of 100,000 responses is tallied from a few thousand groups
// with the same rules as ComputeRates.
func (r *Rates) Add(resp Response, n int) {
	if n <= 0 {
		return
	}
	if r.AwarenessLevels == nil || r.SatisfactionItems == nil || r.RecognitionItems == nil || r.Versions == nil {
		fresh := NewRates()
		if r.AwarenessLevels == nil {
			r.AwarenessLevels = fresh.AwarenessLevels
		}
		if r.SatisfactionItems == nil {
			r.SatisfactionItems = fresh.SatisfactionItems
		}
		if r.RecognitionItems == nil {
			r.RecognitionItems = fresh.RecognitionItems
		}
		if r.Versions == nil {
			r.Versions = fresh.Versions
		}
	}
	r.Responses += n
	if resp.FormID != "" {
		r.Versions[FormRef{resp.FormID, resp.FormVersion}] += n
	}
	a := resp.Answers
	switch resp.Kind {
	case RespondentWorker:
		r.Workers += n
		aw := answerString(a, "awareness")
		r.Awareness.addN(aw, n, AwarenessRule.Hit)
		if aw != "" {
			r.AwarenessLevels[aw] += n
		}
		r.Participation.addN(answerString(a, "participated"), n, ParticipationRule.Hit)
		r.Satisfaction.addN(answerString(a, "sat_overall"), n, SatisfactionRule.Hit)
		for f, v := range a {
			if strings.HasPrefix(f, "sat_") {
				it := r.SatisfactionItems[f]
				it.addN(asString(v), n, isTopTwo)
				r.SatisfactionItems[f] = it
			}
		}
	case RespondentManager:
		r.Managers += n
		for _, f := range RecognitionFields {
			r.Recognition.addN(answerString(a, f), n, RecognitionRule.Hit)
		}
		for f, v := range a {
			if strings.HasPrefix(f, "rec_") {
				it := r.RecognitionItems[f]
				it.addN(asString(v), n, isTopTwo)
				r.RecognitionItems[f] = it
			}
		}
	}
}

// Merge adds the counts of o to r; r may be the zero Rates.
func (r *Rates) Merge(o Rates) {
	r.Responses += o.Responses
	r.Workers += o.Workers
	r.Managers += o.Managers
	for _, p := range []struct{ dst, src *Rate }{{&r.Awareness, &o.Awareness}, {&r.Participation, &o.Participation}, {&r.Satisfaction, &o.Satisfaction}, {&r.Recognition, &o.Recognition}} {
		p.dst.Hits += p.src.Hits
		p.dst.Valid += p.src.Valid
	}
	r.AwarenessLevels = mergeCounts(r.AwarenessLevels, o.AwarenessLevels)
	r.Versions = mergeCounts(r.Versions, o.Versions)
	r.SatisfactionItems = mergeRates(r.SatisfactionItems, o.SatisfactionItems)
	r.RecognitionItems = mergeRates(r.RecognitionItems, o.RecognitionItems)
}

func mergeCounts[K comparable](dst, src map[K]int) map[K]int {
	if dst == nil && len(src) > 0 {
		dst = make(map[K]int, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

func mergeRates(dst, src map[string]Rate) map[string]Rate {
	if dst == nil && len(src) > 0 {
		dst = make(map[string]Rate, len(src))
	}
	for k, v := range src {
		it := dst[k]
		it.Hits, it.Valid = it.Hits+v.Hits, it.Valid+v.Valid
		dst[k] = it
	}
	return dst
}

// RateFields are the answers the campaign figures read, per respondent
// kind: whoever groups responses to tally them must group by these.
var RateFields = append(append([]string{"awareness", "participated"}, SatisfactionFields...), RecognitionFields...)

func answerString(a Answers, name string) string {
	s, _ := a[name].(string)
	return s
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
