package app

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-text/typesetting/font"

	"zoufang/assets"
	"zoufang/profile"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func TestThemeFonts(t *testing.T) {
	th := newTheme(false)
	tests := []struct {
		name  string
		style fyne.TextStyle
		want  fyne.Resource
	}{
		{"regular", fyne.TextStyle{}, fontRegular},
		{"bold", fyne.TextStyle{Bold: true}, fontBold},
		{"italic", fyne.TextStyle{Italic: true}, fontRegular},
		{"bold italic", fyne.TextStyle{Bold: true, Italic: true}, fontBold},
		{"monospace", fyne.TextStyle{Monospace: true}, fontRegular},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := th.Font(tc.style); got != tc.want {
				t.Errorf("Font(%+v) = %s, want %s", tc.style, got.Name(), tc.want.Name())
			}
		})
	}
	if len(fontRegular.Content()) < 1<<20 || len(fontBold.Content()) < 1<<20 {
		t.Error("embedded CJK fonts look truncated")
	}
}

// embeddedFonts parses the four shipped CJK fonts with go-text, the
// parser Fyne draws with.
func embeddedFonts(t *testing.T) map[string]*font.Face {
	t.Helper()
	fonts := map[string]*font.Face{}
	for name, data := range map[string][]byte{
		"screen regular": assets.ScreenFontRegular, "screen bold": assets.ScreenFontBold,
		"PDF regular": assets.PDFFontRegular, "PDF bold": assets.PDFFontBold,
	} {
		f, err := font.ParseTTF(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("parse %s font: %v", name, err)
		}
		fonts[name] = f
	}
	return fonts
}

// TestScreenAndPDFFontsCoverTheSameText: what a worker can type on screen
// must also print on the visit record, and the screen fonts must draw real
// outlines (a CFF face that parses but yields empty glyphs would show
// blanks).
func TestScreenAndPDFFontsCoverTheSameText(t *testing.T) {
	fonts := embeddedFonts(t)
	runes := func(f *font.Face) map[rune]bool {
		set := map[rune]bool{}
		for it := f.Cmap.Iter(); it.Next(); {
			r, _ := it.Char()
			set[r] = true
		}
		return set
	}
	want := runes(fonts["PDF regular"])
	if len(want) < 30000 {
		t.Fatalf("PDF font maps %d characters, want the full set of about 30,890", len(want))
	}
	for name, f := range fonts {
		got := runes(f)
		for r := range want {
			if !got[r] {
				t.Errorf("%s font has no glyph for %q (U+%04X)", name, r, r)
				break
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s font maps %d characters, the PDF font %d", name, len(got), len(want))
		}
		for _, r := range "走访职工协商䶮" {
			gid, ok := f.NominalGlyph(r)
			if !ok {
				t.Errorf("%s: no glyph for %q", name, r)
				continue
			}
			out, ok := f.GlyphData(gid).(font.GlyphOutline)
			if !ok || len(out.Segments) < 4 {
				t.Errorf("%s: glyph for %q has no outline (%T)", name, r, f.GlyphData(gid))
			}
		}
	}
}

// TestFontCoversUIText checks that every non-ASCII character of every
// string literal in the GUI's source has a glyph in every embedded font, so
// no label falls back to a system font or a missing-glyph box on a laptop
// without Chinese fonts, and every label prints.
func TestFontCoversUIText(t *testing.T) {
	fonts := embeddedFonts(t)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[rune]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, r := range v {
				if r > 0x7f {
					seen[r] = file
				}
			}
			return true
		})
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct non-ASCII characters found in the GUI source", len(seen))
	}
	for r, file := range seen {
		for name, f := range fonts {
			if _, ok := f.NominalGlyph(r); !ok {
				t.Errorf("%s font has no glyph for %q (U+%04X, used in %s)", name, r, r, file)
			}
		}
	}
}

func TestLargeFontScales(t *testing.T) {
	normal, large := newTheme(false), newTheme(true)
	for _, n := range []fyne.ThemeSizeName{theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText, theme.SizeNameCaptionText} {
		if large.Size(n) <= normal.Size(n)*1.2 {
			t.Errorf("%s: large %v vs normal %v, want at least 20%% larger", n, large.Size(n), normal.Size(n))
		}
	}
	if normal.Size(theme.SizeNameText) < 14 {
		t.Errorf("normal text size %v is smaller than Fyne's default", normal.Size(theme.SizeNameText))
	}
}

func TestLargeFontSetting(t *testing.T) {
	u := newTestUI(t)
	s := showSettings(u)
	label := widget.NewLabel("测试")
	before := label.MinSize().Height
	test.Tap(s.largeFont)
	waitIdle()
	if !u.profile.LargeFont {
		t.Fatal("profile not switched to large font")
	}
	if got := u.app.Settings().Theme().Size(theme.SizeNameText); got != newTheme(true).Size(theme.SizeNameText) {
		t.Errorf("app text size %v after switching, want the large size", got)
	}
	label.Refresh()
	if after := label.MinSize().Height; after <= before {
		t.Errorf("label height %v after switching, was %v", after, before)
	}
	p, err := profile.Load(t.Context(), u.db)
	if err != nil {
		t.Fatal(err)
	}
	if !p.LargeFont {
		t.Error("large font not saved")
	}
}
