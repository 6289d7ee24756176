package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/linebreak"
)

// textBlock is wrapped text, broken into lines by package linebreak (the
// PDF's rule) instead of Fyne's, which breaks anywhere in Chinese and so
// started lines with ，、；. It draws a Label with the lines it computed for
// its width, and asks for the height of those lines and little width, so
// it never widens a page.
type textBlock struct {
	widget.BaseWidget
	Text       string
	Importance widget.Importance
	SizeName   fyne.ThemeSizeName
	TextStyle  fyne.TextStyle

	label  *widget.Label
	width  float32 // the width the lines were broken for
	broken string  // the text they were broken from
}

func newTextBlock(text string) *textBlock {
	t := &textBlock{Text: text, label: widget.NewLabel("")}
	t.ExtendBaseWidget(t)
	t.sync()
	return t
}

// SetText changes the text.
func (t *textBlock) SetText(s string) {
	t.Text = s
	t.Refresh()
}

// Refresh applies Text, Importance, SizeName and TextStyle.
func (t *textBlock) Refresh() {
	t.sync()
	t.BaseWidget.Refresh()
}

// Resize breaks the lines again for a new width.
func (t *textBlock) Resize(size fyne.Size) {
	t.BaseWidget.Resize(size)
	if size.Width != t.width {
		t.width = size.Width
		before := t.label.MinSize().Height
		t.sync()
		if t.label.MinSize().Height != before {
			t.BaseWidget.Refresh() // the parent lays out the new height
		}
	}
}

// MinSize is one character wide and as high as the lines at the current
// width.
func (t *textBlock) MinSize() fyne.Size {
	h := t.label.MinSize().Height
	pad := t.Theme().Size(theme.SizeNameInnerPadding)
	return fyne.NewSize(2*pad+t.textSize(), h)
}

func (t *textBlock) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.label) }

func (t *textBlock) textSize() float32 {
	name := t.SizeName
	if name == "" {
		name = theme.SizeNameText
	}
	return t.Theme().Size(name)
}

// sync copies the style to the label and breaks the text for t.width.
func (t *textBlock) sync() {
	t.label.Importance, t.label.SizeName, t.label.TextStyle = t.Importance, t.SizeName, t.TextStyle
	text := t.Text
	if t.width > 0 {
		avail := float64(t.width - 2*t.Theme().Size(theme.SizeNameInnerPadding))
		size, style := t.textSize(), t.TextStyle
		widths := map[rune]float64{}
		rw := func(r rune) float64 {
			w, ok := widths[r]
			if !ok {
				w = float64(fyne.MeasureText(string(r), size, style).Width)
				widths[r] = w
			}
			return w
		}
		text = strings.Join(linebreak.Wrap(t.Text, avail, rw), "\n")
	}
	if text != t.label.Text || t.broken != t.Text {
		t.broken = t.Text
		t.label.SetText(text)
	} else {
		t.label.Refresh()
	}
}

// boldText is a bold textBlock (titles that may wrap).
func boldText(text string) *textBlock {
	t := newTextBlock(text)
	t.TextStyle = fyne.TextStyle{Bold: true}
	t.sync()
	return t
}
