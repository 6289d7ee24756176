package linebreak

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// one is a width function: every rune is one unit wide, a Latin one half.
func one(r rune) float64 {
	if r < 0x80 {
		return 0.5
	}
	return 1
}

func width(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += one(r)
	}
	return w
}

func TestNoPunctuationStartsALine(t *testing.T) {
	// At width 6 a plain break-anywhere would start lines with "，", "；"
	// and "、" (the 诉求内容).
	in := "三月工资延期，部分职工；社保断缴、加班费未付。"
	lines := Wrap(in, 6, one)
	for i, l := range lines {
		first, _ := utf8.DecodeRuneInString(l)
		if strings.ContainsRune(noStart, first) {
			t.Errorf("line %d %q starts with %q (lines %q)", i, l, first, lines)
		}
		if width(l) > 6 {
			t.Errorf("line %d %q is %.1f wide", i, l, width(l))
		}
	}
	if got := strings.Join(lines, ""); got != in {
		t.Errorf("text changed: %q", got)
	}
}

func TestNoOpeningPunctuationEndsALine(t *testing.T) {
	lines := Wrap("职工反映《劳动合同》未签订（共三人）", 5, one)
	for i, l := range lines {
		last, _ := utf8.DecodeLastRuneInString(l)
		if strings.ContainsRune(noEnd, last) {
			t.Errorf("line %d %q ends with %q (lines %q)", i, l, last, lines)
		}
	}
}

func TestLatinWordsBreakAtSpaces(t *testing.T) {
	lines := Wrap("overtime pay was not calculated", 8, one)
	for _, l := range lines {
		if strings.HasPrefix(l, " ") || strings.HasSuffix(l, " ") {
			t.Errorf("line %q has an edge space", l)
		}
		for _, w := range strings.Fields(l) {
			if !strings.Contains("overtime pay was not calculated", w) {
				t.Errorf("word broken: %q", w)
			}
		}
	}
	// A word longer than a line is cut where it overflows.
	long := Wrap(strings.Repeat("x", 30), 5, one)
	if len(long) != 3 || long[0] != strings.Repeat("x", 10) {
		t.Errorf("long word: %q", long)
	}
}

func TestNewlinesAndEmpty(t *testing.T) {
	got := Wrap("第一行\r\n\r\n第三行", 10, one)
	if len(got) != 3 || got[0] != "第一行" || got[1] != "" || got[2] != "第三行" {
		t.Errorf("got %q", got)
	}
	if got := Wrap("", 10, one); len(got) != 1 || got[0] != "" {
		t.Errorf("empty: %q", got)
	}
	// All punctuation: no allowed break at all, still progresses.
	if got := Wrap("，，，，，，，，", 3, one); strings.Join(got, "") != "，，，，，，，，" {
		t.Errorf("punctuation only: %q", got)
	}
}

func FuzzWrap(f *testing.F) {
	for _, s := range []string{"三月工资延期，部分职工；社保断缴、加班费未付。", "overtime pay", "（《“", "a，b。c", "\n\n"} {
		f.Add(s, 4.0)
	}
	f.Fuzz(func(t *testing.T, s string, w float64) {
		if !utf8.ValidString(s) || w < 1 || w > 1000 {
			return
		}
		lines := Wrap(s, w, one)
		norm := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\t", " ")
		if strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(strings.ReplaceAll(norm, "\n", ""), " ", "") {
			t.Fatalf("characters lost: %q -> %q", s, lines)
		}
		for _, l := range lines {
			if utf8.RuneCountInString(l) > 1 && width(l) > w+1e-9 {
				t.Fatalf("line %q wider than %v", l, w)
			}
		}
	})
}
