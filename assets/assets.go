// Package assets embeds everything the binaries ship with: the CJK font, the
// form definitions and the campaign configuration. It uses the standard
// library only; parsing lives in the packages that understand the content.
package assets

import (
	"embed"
	"io/fs"
)

// FontRegular and FontBold are Noto Sans SC (SIL OFL 1.1, see fonts/OFL.txt),
// shipped as plain TrueType because Fyne cannot read .ttc collections and
// gofpdf cannot read CFF outlines.
var (
	//go:embed fonts/NotoSansSC-Regular.ttf
	FontRegular []byte
	//go:embed fonts/NotoSansSC-Bold.ttf
	FontBold []byte
)

//go:embed forms
var forms embed.FS

// Forms returns the shipped form definitions (one JSON file per form
// version) as a file system rooted at the forms directory.
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
