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
