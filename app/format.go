package app

import (
	"fmt"
	"math"
	"time"

	"zoufang/survey"
)

// formatProgress is the text under a progress bar: "已处理 1,234 / 100,000".
func formatProgress(done, total int64) string {
	return fmt.Sprintf("已处理 %s / %s", groupDigits(done), groupDigits(total))
}

// groupDigits writes n with thousands separators.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// day formats t as YYYY-MM-DD, the date format of every record.
func day(t time.Time) string { return survey.Today(t) }

// daysBetween returns the number of whole days from day a to day b (both
// YYYY-MM-DD in loc), negative when b is before a.
func daysBetween(a, b string, loc *time.Location) (int, error) {
	ta, err := time.ParseInLocation(survey.DayLayout, a, loc)
	if err != nil {
		return 0, err
	}
	tb, err := time.ParseInLocation(survey.DayLayout, b, loc)
	if err != nil {
		return 0, err
	}
	return int(math.Round(tb.Sub(ta).Hours() / 24)), nil
}

// statusLabel is the Chinese visit status of an enterprise; "" means no
// visit yet.
func statusLabel(s survey.VisitStatus) string {
	if s == "" {
		return "未走访"
	}
	return s.Label()
}
