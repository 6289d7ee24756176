// Package linebreak breaks Chinese (and mixed) text into lines the way
// Chinese typesetting expects, for the PDF visit record and the GUI alike:
// a line may break between any two CJK characters and at spaces between
// Latin words, but never so that a line starts with closing punctuation
// (，。、；：？！）》” …) or ends with opening punctuation (（《“ …): the
// character before is carried to the next line with it (禁则, kinsoku).
// It does not measure text; the caller passes the width of each rune in
// its own units (millimetres of PDF, pixels of screen).
package linebreak

import "strings"

// noStart are characters a line must not start with.
const noStart = "，。、；：？！）」』》〉】〕］｝”’…—·%,.;:?!)]}%" + "～"

// noEnd are characters a line must not end with.
const noEnd = "（「『《〈【〔［｛“‘([{"

// Wrap breaks s into lines no wider than width, where runeWidth gives the
// width of one rune. Newlines in s start new lines; tabs count as spaces;
// spaces at line ends are dropped. A word or run that fits no line is
// broken where it overflows.
func Wrap(s string, width float64, runeWidth func(rune) float64) []string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.ReplaceAll(s, "\t", " ")
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		lines = append(lines, wrapParagraph([]rune(para), width, runeWidth)...)
	}
	return lines
}

func wrapParagraph(rs []rune, width float64, runeWidth func(rune) float64) []string {
	if len(rs) == 0 {
		return []string{""}
	}
	var lines []string
	start := 0
	for start < len(rs) {
		end, w := start, 0.0
		for end < len(rs) && (end == start || w+runeWidth(rs[end]) <= width) {
			w += runeWidth(rs[end])
			end++
		}
		if end < len(rs) {
			end = breakBefore(rs, start, end)
		}
		lines = append(lines, strings.TrimRight(string(rs[start:end]), " "))
		start = end
		for start < len(rs) && rs[start] == ' ' {
			start++
		}
	}
	return lines
}

// breakBefore returns where to end the line that may hold rs[start:end]:
// the last allowed break at or before end, or end itself when the line
// has none (a very long word).
func breakBefore(rs []rune, start, end int) int {
	for b := end; b > start; b-- {
		if CanBreak(rs[b-1], rs[b]) {
			return b
		}
	}
	return end
}

// CanBreak reports whether a line may end after a and the next start with b.
func CanBreak(a, b rune) bool {
	switch {
	case strings.ContainsRune(noStart, b), strings.ContainsRune(noEnd, a):
		return false
	case a == ' ' || b == ' ':
		return true
	case isCJK(a) || isCJK(b):
		return true
	}
	return false // inside a Latin word or a number
}

// isCJK reports whether c is a CJK ideograph, kana, full-width form or CJK
// punctuation: text a line may break around.
func isCJK(c rune) bool {
	return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x3000 && c <= 0x303F) || c == '“' || c == '”' || c == '‘' || c == '’' || c == '…' || c == '—' || c == '·'
}
