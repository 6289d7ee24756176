package survey

import (
	"fmt"
	"sort"
	"strings"
)

// How the figures combine responses filled on different versions of a
// questionnaire. A figure reads answers by question name, whatever the
// version: a new version keeps every name and every choice value of the
// one before (CheckUpgrade refuses anything else), so the same name is the
// same question in every version, and a relabelled question or option
// counts as before.
//
//   - A question only later versions ask (added in version 2): responses
//     on version 1 have no answer to it and are not valid answers, so its
//     share is over the version-2 responses only.
//   - A question a later version retires (relevant "false()"): responses
//     on that version do not answer it; its share is over the earlier
//     responses only.
//   - An option added to a question: counts as the figure's rule says
//     (RateRule / Rates): for 知晓率 every answer but 不了解 is a hit, so a
//     new level of awareness counts as aware; for the others only the
//     named answers (是, 4, 5) are hits, so a new option is a valid answer
//     that is not a hit.
//   - Each figure is one share over all valid answers of all versions
//     (hits of every version over valid answers of every version), never
//     an average of per-version shares.
//
// RateNotes says which of these cases apply to a set of responses, for
// the summary PDF and the workbench's 统计 page.

// VersionCounts lists the counts of versions (Rates.Versions) by form id,
// then version.
func VersionCounts(versions map[FormRef]int) []VersionCount {
	out := make([]VersionCount, 0, len(versions))
	for ref, n := range versions {
		out = append(out, VersionCount{FormRef: ref, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// VersionCount is how many responses were filled on one form version.
type VersionCount struct {
	FormRef
	N int
}

// VersionLines says, per questionnaire, how many responses each version
// has: "职工问卷（worker_questionnaire）：第 1 版 3 份，第 2 版 2 份".
func VersionLines(forms *FormSet, versions map[FormRef]int) []string {
	var out []string
	counts := VersionCounts(versions)
	for i := 0; i < len(counts); {
		j := i
		var parts []string
		for ; j < len(counts) && counts[j].ID == counts[i].ID; j++ {
			parts = append(parts, fmt.Sprintf("第 %d 版 %d 份", counts[j].Version, counts[j].N))
		}
		out = append(out, fmt.Sprintf("%s：%s", formName(forms, counts[i].ID), strings.Join(parts, "，")))
		i = j
	}
	return out
}

// formName is "职工问卷（worker_questionnaire）" when the form is known.
func formName(forms *FormSet, id string) string {
	if forms != nil {
		if f, ok := forms.Latest(id); ok {
			return kindName(f.Kind) + "（" + id + "）"
		}
	}
	return id
}

// RateQuestion is a question the figures read, worded as the newest
// version that asks it words it.
type RateQuestion struct {
	Name  string
	Label string
}

// RateQuestions lists the satisfaction (sat_*) or recognition (rec_*)
// questions of the forms of kind k in forms, newest version's order
// first, then questions only older versions have; prefix is "sat_" or
// "rec_".
func RateQuestions(forms *FormSet, k FormKind, prefix string) []RateQuestion {
	var out []RateQuestion
	seen := map[string]bool{}
	if forms == nil {
		return nil
	}
	for _, id := range forms.IDs() {
		vs := forms.Versions(id)
		for i := len(vs) - 1; i >= 0; i-- {
			f := vs[i]
			if f.Kind != k {
				continue
			}
			walkFields(f.Fields, func(fd *Field) {
				if strings.HasPrefix(fd.Name, prefix) && fd.Type.holdsAnswer() && !seen[fd.Name] {
					seen[fd.Name] = true
					out = append(out, RateQuestion{Name: fd.Name, Label: fd.Label})
				}
			})
		}
	}
	return out
}

func walkFields(fs []Field, fn func(*Field)) {
	for i := range fs {
		fn(&fs[i])
		walkFields(fs[i].Fields, fn)
	}
}

// asks reports whether version f asks question name: it has the field and
// does not retire it.
func asks(f *Form, name string) (asked, retired bool) {
	fd := f.Lookup(name)
	if fd == nil {
		return false, false
	}
	if strings.TrimSpace(fd.Relevant) == "false()" {
		return false, true
	}
	return true, false
}

// RateNotes explains, for responses counted by version (Rates.Versions),
// every figure question that not every version with responses asks, and
// so over which responses its share is taken:
// "「对技能培训和就业服务的满意度」：第 1 版没有此题（3 份），只按第 2 版的 2 份答卷计算".
// Nothing when every version asks every question.
func RateNotes(forms *FormSet, versions map[FormRef]int) []string {
	if forms == nil {
		return nil
	}
	byForm := map[string][]VersionCount{}
	for _, c := range VersionCounts(versions) {
		byForm[c.ID] = append(byForm[c.ID], c)
	}
	ids := make([]string, 0, len(byForm))
	for id := range byForm {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []string
	for _, id := range ids {
		latest, ok := forms.Latest(id)
		if !ok {
			continue
		}
		var names []RateQuestion
		switch latest.Kind {
		case FormWorkerQuestionnaire:
			for _, n := range []string{"awareness", "participated"} {
				if fd := latest.Lookup(n); fd != nil {
					names = append(names, RateQuestion{n, fd.Label})
				}
			}
			names = append(names, RateQuestions(NewFormSet(forms.Versions(id)...), FormWorkerQuestionnaire, "sat_")...)
		case FormEnterpriseQuestionnaire:
			names = RateQuestions(NewFormSet(forms.Versions(id)...), FormEnterpriseQuestionnaire, "rec_")
		default:
			continue
		}
		for _, q := range names {
			var missing, used []string
			usedN := 0
			for _, c := range byForm[id] {
				f, ok := forms.Get(id, c.Version)
				if !ok {
					missing = append(missing, fmt.Sprintf("第 %d 版表单不在本机（%d 份）", c.Version, c.N))
					continue
				}
				switch asked, retired := asks(f, q.Name); {
				case asked:
					used = append(used, fmt.Sprintf("第 %d 版", c.Version))
					usedN += c.N
				case retired:
					missing = append(missing, fmt.Sprintf("第 %d 版已停用此题（%d 份）", c.Version, c.N))
				default:
					missing = append(missing, fmt.Sprintf("第 %d 版没有此题（%d 份）", c.Version, c.N))
				}
			}
			if len(missing) == 0 || len(used) == 0 {
				continue // asked everywhere, or nowhere: nothing to explain
			}
			out = append(out, fmt.Sprintf("「%s」：%s，只按%s的 %d 份答卷计算", q.Label, strings.Join(missing, "，"), strings.Join(used, "、"), usedN))
		}
	}
	return out
}
