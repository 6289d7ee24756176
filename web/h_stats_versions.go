package web

import (
	"context"
	gosync "sync"

	"zoufang/survey"
)

// versionCache keeps the responses counted per questionnaire version;
// after an upload only the responses stored since are counted (responses
// are create-only, one version each).
type versionCache struct {
	mu     gosync.Mutex
	counts map[survey.FormRef]int
	last   int64 // last versions.seq counted
}

// responseVersions says, for 统计, how many responses each questionnaire
// version has ("职工问卷（worker_questionnaire）：第 1 版 40 份，第 2 版 12
// 份") and which figure questions not every version with responses asks
// (survey.RateNotes): the figures combine versions by question name. Empty
// when every form's responses are on one version.
func (s *Server) responseVersions(ctx context.Context) (lines, notes []string, err error) {
	c := &s.verCache
	c.mu.Lock()
	add, last, err := s.db.ResponseVersionsAfter(ctx, c.last)
	if err == nil {
		if c.counts == nil {
			c.counts = map[survey.FormRef]int{}
		}
		for ref, n := range add {
			c.counts[ref] += n
		}
		c.last = last
	}
	counts := make(map[survey.FormRef]int, len(c.counts))
	for ref, n := range c.counts {
		counts[ref] = n
	}
	c.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	byForm := map[string]int{}
	for ref := range counts {
		byForm[ref.ID]++
	}
	several := false
	for _, n := range byForm {
		several = several || n > 1
	}
	if !several {
		return nil, nil, nil
	}
	forms := s.formsIn(ctx)
	return survey.VersionLines(forms, counts), survey.RateNotes(forms, counts), nil
}
