package survey

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"
)

// DayLayout is the one stored form of a calendar day: 2026-04-05.
const DayLayout = "2006-01-02"

// DayHint is what a date input shows while empty.
const DayHint = "年-月-日，如 2026-04-05"

// ValidDay reports whether s is a day in the stored form (YYYY-MM-DD, two
// digit month and day) that exists on the calendar. It is the one rule for
// dates in records, bundles and answers.
func ValidDay(s string) bool {
	_, ok := parseDate(s)
	return ok
}

// ParseDay reads a day the way people type it and returns it in the
// stored form: 2026-04-05, 2026-4-5, 2026.4.5, 2026/4/5, 2026年4月5日 (with
// or without 日), in full-width digits too, surrounding spaces ignored. ok is
// false when s is not such a day or the day does not exist (2026-02-30).
func ParseDay(s string) (day string, ok bool) {
	s = strings.TrimSpace(width.Narrow.String(s))
	s = strings.TrimSuffix(s, "日")
	s = strings.TrimSuffix(s, "号")
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == '-' || r == '.' || r == '/' || r == '年' || r == '月'
	})
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return "", false
	}
	// The separators must be one of the accepted kinds, each used once
	// between the parts: "2026--4-5" is a typo, not a date.
	if !sameSeparators(s, parts) {
		return "", false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return "", false
		}
		n[i] = v
	}
	d := fmt.Sprintf("%04d-%02d-%02d", n[0], n[1], n[2])
	if !ValidDay(d) {
		return "", false
	}
	return d, true
}

// sameSeparators checks that s is parts joined by exactly one separator
// rune each: "-", ".", "/" (the same twice) or "年" then "月".
func sameSeparators(s string, parts []string) bool {
	rest := strings.TrimPrefix(s, parts[0])
	sep1, rest, ok := cutRune(rest)
	if !ok || !strings.HasPrefix(rest, parts[1]) {
		return false
	}
	sep2, rest, ok := cutRune(strings.TrimPrefix(rest, parts[1]))
	if !ok || rest != parts[2] {
		return false
	}
	switch sep1 {
	case '-', '.', '/':
		return sep2 == sep1
	case '年':
		return sep2 == '月'
	}
	return false
}

func cutRune(s string) (rune, string, bool) {
	for _, r := range s {
		return r, s[len(string(r)):], true
	}
	return 0, s, false
}

// Today returns the day of t in the stored form.
func Today(t time.Time) string { return t.Format(DayLayout) }
