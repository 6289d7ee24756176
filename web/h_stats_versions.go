package web

import (
	"context"

	"zoufang/survey"
)

// responseVersions says, for 统计, how many responses each questionnaire
// version has ("职工问卷（worker_questionnaire）：第 1 版 40 份，第 2 版 12
// 份") and which figure questions not every version with responses asks
// (survey.RateNotes): the figures combine versions by question name. Empty
// when every response is on one version and nothing needs saying.
func (s *Server) responseVersions(ctx context.Context) (lines, notes []string, err error) {
	counts, err := s.db.ResponseVersions(ctx)
	if err != nil {
		return nil, nil, err
	}
	forms := s.formsIn(ctx)
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
	return survey.VersionLines(forms, counts), survey.RateNotes(forms, counts), nil
}
