package app

import (
	_ "embed"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"zoufang/assets"
)

// The embedded screen fonts, wrapped once.
var (
	fontRegular = fyne.NewStaticResource("NotoSansCJKsc-Regular.otf", assets.ScreenFontRegular)
	fontBold    = fyne.NewStaticResource("NotoSansCJKsc-Bold.otf", assets.ScreenFontBold)
)

// zoufangTheme serves Noto Sans CJK SC for every text style, so Chinese renders
// on machines without CJK fonts, and a calm light palette with strong text
// contrast for older users. large scales text and controls up by a third.
type zoufangTheme struct {
	large bool
}

var _ fyne.Theme = (*zoufangTheme)(nil)

func newTheme(large bool) *zoufangTheme { return &zoufangTheme{large: large} }

// palette is light only: rooms are bright and the users prefer dark text
// on a pale background.
var palette = map[fyne.ThemeColorName]color.Color{
	theme.ColorNameBackground:          color.NRGBA{0xF6, 0xF4, 0xEF, 0xFF},
	theme.ColorNameForeground:          color.NRGBA{0x1F, 0x23, 0x28, 0xFF},
	theme.ColorNamePrimary:             color.NRGBA{0x2B, 0x64, 0x82, 0xFF},
	theme.ColorNameForegroundOnPrimary: color.White,
	theme.ColorNameButton:              color.NRGBA{0xE6, 0xE2, 0xD9, 0xFF},
	theme.ColorNameDisabledButton:      color.NRGBA{0xEC, 0xEA, 0xE4, 0xFF},
	theme.ColorNameDisabled:            color.NRGBA{0x8A, 0x8A, 0x85, 0xFF},
	theme.ColorNameInputBackground:     color.White,
	theme.ColorNameInputBorder:         color.NRGBA{0xB8, 0xB3, 0xA8, 0xFF},
	theme.ColorNameHeaderBackground:    color.NRGBA{0xEA, 0xE6, 0xDC, 0xFF},
	theme.ColorNameMenuBackground:      color.NRGBA{0xFB, 0xFA, 0xF7, 0xFF},
	theme.ColorNameOverlayBackground:   color.NRGBA{0xFB, 0xFA, 0xF7, 0xFF},
	theme.ColorNameSeparator:           color.NRGBA{0xD6, 0xD1, 0xC6, 0xFF},
	theme.ColorNameHover:               color.NRGBA{0x2B, 0x64, 0x82, 0x1A},
	theme.ColorNamePressed:             color.NRGBA{0x2B, 0x64, 0x82, 0x33},
	theme.ColorNameSelection:           color.NRGBA{0x2B, 0x64, 0x82, 0x30},
	theme.ColorNameFocus:               color.NRGBA{0x2B, 0x64, 0x82, 0x66},
	theme.ColorNamePlaceHolder:         color.NRGBA{0x75, 0x75, 0x70, 0xFF},
	theme.ColorNameHyperlink:           color.NRGBA{0x1F, 0x5A, 0x8C, 0xFF},
	theme.ColorNameError:               color.NRGBA{0xB3, 0x26, 0x1E, 0xFF},
	theme.ColorNameSuccess:             color.NRGBA{0x2E, 0x7D, 0x32, 0xFF},
	theme.ColorNameWarning:             color.NRGBA{0xA8, 0x5C, 0x00, 0xFF},
	theme.ColorNameScrollBar:           color.NRGBA{0x00, 0x00, 0x00, 0x55},
	theme.ColorNameShadow:              color.NRGBA{0x00, 0x00, 0x00, 0x33},
}

// Color returns the palette colour; the variant is ignored on purpose.
func (t *zoufangTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if c, ok := palette[n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

// Font returns Noto Sans CJK SC (bold for bold styles) for every style except
// symbols, which stay with Fyne's own symbol font.
func (t *zoufangTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	if s.Bold {
		return fontBold
	}
	return fontRegular
}

// Icon returns Fyne's default icons.
func (t *zoufangTheme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(n)
}

// Size enlarges text a little by default (CJK needs it) and by a third
// more with the large-font setting.
func (t *zoufangTheme) Size(n fyne.ThemeSizeName) float32 {
	scale := float32(1.0)
	if t.large {
		scale = 1.3
	}
	switch n {
	case theme.SizeNameText:
		return 15 * scale
	case theme.SizeNameHeadingText:
		return 24 * scale
	case theme.SizeNameSubHeadingText:
		return 18 * scale
	case theme.SizeNameCaptionText:
		return 12 * scale
	case theme.SizeNameInlineIcon:
		return 20 * scale
	case theme.SizeNamePadding, theme.SizeNameInnerPadding, theme.SizeNameLineSpacing:
		return theme.DefaultTheme().Size(n) * (1 + (scale-1)/2)
	}
	return theme.DefaultTheme().Size(n)
}

//go:embed icon.png
var iconPNG []byte

// appIcon is the window and application icon.
var appIcon = fyne.NewStaticResource("icon.png", iconPNG)
