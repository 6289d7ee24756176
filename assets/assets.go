// Package assets embeds everything the binaries ship with: the CJK font, the
// form definitions and the campaign configuration. It uses the standard
// library only; parsing lives in the packages that understand the content.
package assets

import (
	"embed"
	"io/fs"
)

// The shipped CJK fonts (SIL OFL 1.1, see fonts/OFL.txt) come in two
// outline formats for two readers covering the same 30,890 characters.
var (
	// PDFFontRegular and PDFFontBold are Noto Sans SC in TrueType outlines,
	// the only ones gofpdf can embed.
	//
	//go:embed fonts/NotoSansSC-Regular.ttf
	PDFFontRegular []byte
	//go:embed fonts/NotoSansSC-Bold.ttf
	PDFFontBold []byte

	// ScreenFontRegular and ScreenFontBold are Noto Sans CJK SC in its
	// original CFF outlines (scripts/subset-fonts.py), for the GUI: Fyne's
	// text shaper decodes CFF glyphs as they are drawn but every TrueType
	// glyph when it loads a face, and it loads a face per text style, so
	// the TrueType files would cost about 31 MB of heap per load, these 6.
	//
	//go:embed fonts/NotoSansCJKsc-Regular.otf
	ScreenFontRegular []byte
	//go:embed fonts/NotoSansCJKsc-Bold.otf
	ScreenFontBold []byte
)

//go:embed forms
var forms embed.FS

// Forms returns the shipped form definitions (one JSON file per form
// version, <id>.v<version>.json) and their XLSForm templates for authors
// (<id>.v<version>.xlsx, written by survey/xlsform from the JSON and checked
// equal by its tests) as a file system rooted at the forms directory.
func Forms() fs.FS {
	sub, err := fs.Sub(forms, "forms")
	if err != nil {
		panic(err) // the directory is embedded above; cannot happen
	}
	return sub
}

// Campaign is the JSON campaign configuration (name, phases and dates).
// Dates are configuration, not code: next year's campaign edits this file.
//
//go:embed campaign.json
var Campaign []byte
