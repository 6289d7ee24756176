package xlsform

import "zoufang/survey"

// CheckUpgrade reports why the imported form may not replace current as the
// version used for new records (see survey.CheckUpgrade: a higher version,
// the same kind, and no answers already collected left without a field),
// each problem addressed to the workbook: the settings cell of the version,
// or the row of a question whose type or choices changed. A question that
// was removed has no row; its problem names the survey sheet. It returns
// nil when the workbook was refused (there is no form to compare) or when
// the upgrade is allowed.
func (r *Result) CheckUpgrade(current *survey.Form) []Problem {
	if r.Form == nil || current == nil || r.im == nil {
		return nil
	}
	im := r.im
	var out []located
	for _, p := range survey.CheckUpgrade(current, r.Form) {
		if col, ok := formProperties[p.Property]; ok {
			out = append(out, at(im.settings, SheetSettings, im.settingsRow, im.settings.col(col, ""), col, p.Message))
			continue
		}
		if n := im.nodes[p.Path]; n != nil && p.Property != "name" {
			out = append(out, at(im.survey, SheetSurvey, n.row, im.survey.col("type", ""), "type", p.Message))
			continue
		}
		out = append(out, at(im.survey, SheetSurvey, 0, nil, "", p.Message))
	}
	return sorted(out)
}
