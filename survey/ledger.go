package survey

import (
	"strconv"
	"time"
)

// Default follow-up deadlines by demand urgency, in days after the visit,
// used when the visit record names no follow-up date.
var urgencyDays = map[string]int{"urgent": 3, "pressing": 7, "normal": 15}

// LedgerItemsFromVisit returns the ledger items a finalized visit creates:
// one 待研判 item per demand whose "add to ledger" answer is not "no".
// Items have no ID; DemandIndex ties each to its demand so that finalizing
// the same visit again finds the items it already made.
func LedgerItemsFromVisit(v Visit, now time.Time) []LedgerItem {
	demands, _ := v.Answers[FieldDemands].([]Answers)
	visitDate := v.Day()
	followUp, _ := v.Answers[FieldFollowUpDate].(string)
	var out []LedgerItem
	for i, d := range demands {
		if s, _ := d[FieldDemandToLedger].(string); s == "no" {
			continue
		}
		str := func(k string) string { s, _ := d[k].(string); return s }
		workers, _ := strconv.Atoi(str(FieldDemandWorkers))
		it := LedgerItem{
			EnterpriseID:    v.EnterpriseID,
			VisitID:         v.ID,
			DemandIndex:     i,
			Category:        str(FieldDemandCategory),
			Description:     str(FieldDemandText),
			WorkersAffected: workers,
			Urgency:         str(FieldDemandUrgency),
			Status:          LedgerToAssess,
			Owner:           v.Investigator,
			Deadline:        followUp,
			CreatedAt:       now,
		}
		if it.Deadline == "" {
			if base, err := time.Parse(DayLayout, visitDate); err == nil {
				days, ok := urgencyDays[it.Urgency]
				if !ok {
					days = urgencyDays["normal"]
				}
				it.Deadline = base.AddDate(0, 0, days).Format(DayLayout)
			}
		}
		out = append(out, it)
	}
	return out
}

// CheckLedgerText refuses free text of next over its limit
// (*TextLengthError): the description, owner, 研判 result, department and
// every follow-up note that next adds or changes relative to prev (the
// stored item; the zero item for a new one). Text that prev already holds
// is not checked again, so an item stored over the limit by an older
// version can still be followed up.
func CheckLedgerText(prev, next LedgerItem) error {
	fields := []struct {
		what     string
		old, new string
		max      int
	}{
		{"问题描述", prev.Description, next.Description, MaxLongText},
		{"负责人", prev.Owner, next.Owner, MaxLineText},
		{"研判结果", prev.Assessment, next.Assessment, MaxLongText},
		{"责任部门", prev.Department, next.Department, MaxLineText},
	}
	for _, f := range fields {
		if f.new == f.old {
			continue
		}
		if err := CheckText(f.what, f.new, f.max); err != nil {
			return err
		}
	}
	for i, fu := range next.Log {
		if i < len(prev.Log) && prev.Log[i].Note == fu.Note && prev.Log[i].By == fu.By {
			continue
		}
		if err := CheckText("跟进情况", fu.Note, MaxLongText); err != nil {
			return err
		}
		if err := CheckText("跟进人", fu.By, MaxLineText); err != nil {
			return err
		}
	}
	return nil
}
