package app

// widgets.go holds the inputs every screen shares. They differ from Fyne's
// in what a visit day showed was needed:
//
//   - option rows wrap to the width they get (flowLayout), so a question
//     with many choices never makes the window wider than the screen;
//   - an input that gets the focus asks the page to scroll it into view
//     (revealer), so Tab never moves into a field off-screen;
//   - a text input focused by Tab puts the cursor after the existing text,
//     so typing adds to it instead of going in front;
//   - the mouse wheel over a text box scrolls the page unless the box
//     itself has more text to scroll.

import (
	"fmt"
	"image/color"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// revealer is told when one of its inputs got the focus (a form scrolls it
// into view).
type revealer interface {
	reveal(fyne.CanvasObject)
}

// entry is the text input of every screen.
type entry struct {
	widget.Entry
	// page is told when the entry gets the focus; nil outside a form.
	page revealer
	// outer is the page's scroll: the mouse wheel scrolls it when the
	// entry itself has nothing to scroll.
	outer *pageScroll
	// onSave runs on Ctrl+S (the form confirms that everything is saved).
	onSave func()
	// onEscape runs on Esc (a dialog cancels).
	onEscape func()
	// onFocusLost runs when the focus leaves (a date shows its stored form).
	onFocusLost func()
	// pointerDown is set between a mouse press and the focus it gives, so
	// a click keeps the cursor where it was clicked.
	pointerDown bool
	rend        *entryRenderer
	// maxRunes, when not 0, is the length limit a paste may not take the
	// text past; onPasteRefused is told why a paste was refused.
	maxRunes       int
	onPasteRefused func(msg string)
}

func newEntry() *entry {
	e := &entry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

func newMultiLineEntry(rows int) *entry {
	e := newEntry()
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(rows)
	return e
}

func newPasswordEntry() *entry {
	e := newEntry()
	e.Password = true // Fyne adds the show-password button itself
	return e
}

// MouseDown remembers that the focus comes from the pointer.
func (e *entry) MouseDown(m *desktop.MouseEvent) {
	e.pointerDown = true
	e.Entry.MouseDown(m)
	e.pointerDown = false
}

// FocusGained puts the cursor after the text when the focus came from the
// keyboard (Tab, Enter in the previous field) and asks the page to show
// the entry.
func (e *entry) FocusGained() {
	e.Entry.FocusGained()
	if !e.pointerDown {
		e.cursorToEnd()
	}
	if e.page != nil {
		e.page.reveal(e)
	}
}

// FocusLost runs onFocusLost.
func (e *entry) FocusLost() {
	e.Entry.FocusLost()
	if e.onFocusLost != nil {
		e.onFocusLost()
	}
}

// cursorToEnd moves the cursor after the last character.
func (e *entry) cursorToEnd() {
	lines := strings.Split(e.Text, "\n")
	e.CursorRow = len(lines) - 1
	e.CursorColumn = len([]rune(lines[len(lines)-1]))
	e.Refresh()
}

// TypedKey handles Esc for dialogs; everything else is the entry's.
func (e *entry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut turns Ctrl+S, which a focused plain entry would swallow
// silently, into the form's save confirmation.
func (e *entry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && cs.KeyName == fyne.KeyS && cs.Modifier == fyne.KeyModifierShortcutDefault && e.onSave != nil {
		e.onSave()
		return
	}
	if p, ok := s.(*fyne.ShortcutPaste); ok && e.maxRunes > 0 && p.Clipboard != nil {
		if msg := e.pasteTooLong(p.Clipboard.Content()); msg != "" {
			if e.onPasteRefused != nil {
				e.onPasteRefused(msg)
			}
			return
		}
	}
	e.Entry.TypedShortcut(s)
}

// pasteTooLong says why pasting text would take the entry past maxRunes
// ("" when it fits): the text replaces the selection, as a paste does.
func (e *entry) pasteTooLong(text string) string {
	pasted := utf8.RuneCountInString(text)
	after := utf8.RuneCountInString(e.Text) - utf8.RuneCountInString(e.SelectedText()) + pasted
	if after <= e.maxRunes {
		return ""
	}
	return fmt.Sprintf("未粘贴：要粘贴的内容有 %d 字，粘贴后共 %d 字，超过本题上限 %d 字。请先缩短后再粘贴。", pasted, after, e.maxRunes)
}

// CreateRenderer adds a transparent wheel catcher above Fyne's entry: the
// driver gives a wheel event to the last scrollable object under the
// pointer, which would be the entry's own scroller even when it has
// nothing to scroll.
func (e *entry) CreateRenderer() fyne.WidgetRenderer {
	e.rend = &entryRenderer{WidgetRenderer: e.Entry.CreateRenderer(), wheel: newWheelCatcher(e)}
	return e.rend
}

type entryRenderer struct {
	fyne.WidgetRenderer
	wheel *wheelCatcher
}

func (r *entryRenderer) Layout(size fyne.Size) {
	r.WidgetRenderer.Layout(size)
	r.wheel.Resize(size)
	r.wheel.Move(fyne.NewPos(0, 0))
}

func (r *entryRenderer) Objects() []fyne.CanvasObject {
	objs := r.WidgetRenderer.Objects()
	return append(objs[:len(objs):len(objs)], r.wheel)
}

// wheelCatcher is an invisible, scroll-only layer over an entry. It
// implements nothing but fyne.Scrollable, so taps and the pointer still
// reach the entry.
type wheelCatcher struct {
	widget.BaseWidget
	e *entry
}

func newWheelCatcher(e *entry) *wheelCatcher {
	w := &wheelCatcher{e: e}
	w.ExtendBaseWidget(w)
	return w
}

func (w *wheelCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

// Scrolled scrolls the entry's own text while it can move that way, the
// page otherwise.
func (w *wheelCatcher) Scrolled(ev *fyne.ScrollEvent) {
	if inner := w.innerScroll(); inner != nil && canScroll(inner, ev.Scrolled.DY) {
		inner.Scrolled(ev)
		return
	}
	if w.e.outer != nil {
		w.e.outer.Scrolled(ev)
	}
}

// innerScroll finds the entry's own scroller among its renderer's objects.
func (w *wheelCatcher) innerScroll() *container.Scroll {
	if w.e.rend == nil {
		return nil
	}
	for _, o := range w.e.rend.WidgetRenderer.Objects() {
		if s, ok := o.(*container.Scroll); ok && s.Visible() {
			return s
		}
	}
	return nil
}

// canScroll reports whether s can move its content for a wheel delta dy
// (positive: towards the top).
func canScroll(s *container.Scroll, dy float32) bool {
	if s.Direction == container.ScrollNone || s.Direction == container.ScrollHorizontalOnly || s.Content == nil {
		return false
	}
	overflow := s.Content.Size().Height - s.Size().Height
	switch {
	case overflow <= 0:
		return false
	case dy > 0:
		return s.Offset.Y > 0
	case dy < 0:
		return s.Offset.Y < overflow
	}
	return false
}

// wheelBoost multiplies wheel steps on pages: Fyne moves 25 px a notch,
// about one line of the form; people expect three.
const wheelBoost = 3

// pageScroll is the vertical scroller of a long page (the visit form,
// settings, sync). It scrolls faster per wheel notch and shows a revealed
// object with some room around it.
type pageScroll struct {
	container.Scroll
}

func newPageScroll(content fyne.CanvasObject) *pageScroll {
	s := &pageScroll{}
	s.Direction = container.ScrollVerticalOnly
	s.Content = content
	s.ExtendBaseWidget(s)
	return s
}

// Scrolled scrolls wheelBoost times as far as Fyne would.
func (s *pageScroll) Scrolled(ev *fyne.ScrollEvent) {
	e := *ev
	e.Scrolled.DX *= wheelBoost
	e.Scrolled.DY *= wheelBoost
	s.Scroll.Scrolled(&e)
}

// reveal scrolls so that o (inside the scrolled content) is in view with a
// margin, moving as little as possible.
func (s *pageScroll) reveal(o fyne.CanvasObject) {
	if s.Content == nil {
		return
	}
	d := fyne.CurrentApp().Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s.Content).Y
	bottom := top + o.Size().Height
	view := s.Size().Height
	margin := min(theme.Padding()*6, view/4)
	y := s.Offset.Y
	switch {
	case bottom-top+2*margin > view || top-margin < y:
		y = top - margin
	case bottom+margin > y+view:
		y = bottom + margin - view
	default:
		return
	}
	y = max(0, min(y, s.Content.Size().Height-view))
	s.ScrollToOffset(fyne.NewPos(s.Offset.X, y))
}

// focusButton is a button that asks its page to show it when focused.
type focusButton struct {
	widget.Button
	page revealer
}

func newFocusButton(label string, icon fyne.Resource, tapped func(), page revealer) *focusButton {
	b := &focusButton{page: page}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// FocusGained shows the button.
func (b *focusButton) FocusGained() {
	b.Button.FocusGained()
	if b.page != nil {
		b.page.reveal(b)
	}
}

// focusSelect is a drop-down that asks its page to show it when focused.
type focusSelect struct {
	widget.Select
	page revealer
}

func newFocusSelect(options []string, page revealer) *focusSelect {
	s := &focusSelect{page: page}
	s.Options = options
	s.PlaceHolder = "请选择"
	s.ExtendBaseWidget(s)
	return s
}

// FocusGained shows the drop-down.
func (s *focusSelect) FocusGained() {
	s.Select.FocusGained()
	if s.page != nil {
		s.page.reveal(s)
	}
}

// flowLayout places objects left to right at their minimum sizes and
// starts a new row when the next one does not fit: the one rule for rows
// of options and buttons. Its minimum width is that of the widest object;
// its minimum height follows the width it was last laid out at, so the
// page grows by a row when the window gets narrower (Fyne lays the parent
// out again when a minimum size changes).
type flowLayout struct {
	width    float32         // last width laid out at; 0 before the first layout
	reported float32         // the height MinSize last returned
	owner    *fyne.Container // the container using this layout
}

func newFlow(objs ...fyne.CanvasObject) *fyne.Container {
	l := &flowLayout{}
	l.owner = container.New(l, objs...)
	return l.owner
}

func (l *flowLayout) gaps() (h, v float32) {
	p := theme.Padding()
	return p * 2, p / 2
}

// rows returns the objects' positions for width w and the total height.
func (l *flowLayout) rows(objs []fyne.CanvasObject, w float32, place bool) (height float32) {
	hgap, vgap := l.gaps()
	x, y, rowH := float32(0), float32(0), float32(0)
	first := true
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		s := o.MinSize()
		if !first && x+s.Width > w {
			y += rowH + vgap
			x, rowH = 0, 0
		}
		if place {
			o.Move(fyne.NewPos(x, y))
			o.Resize(fyne.NewSize(min(s.Width, max(w, 0)), s.Height))
		}
		x += s.Width + hgap
		rowH = max(rowH, s.Height)
		first = false
	}
	return y + rowH
}

func (l *flowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.width = size.Width
	h := l.rows(objs, size.Width, true)
	if h != l.reported && l.owner != nil {
		// The height at this width differs from what the parent laid us
		// out for: have the canvas look at our minimum size again (it
		// does so on the next frame when it is marked dirty).
		canvas.Refresh(l.owner)
	}
}

func (l *flowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	widest := float32(0)
	for _, o := range objs {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	w := l.width
	if w <= 0 {
		// Not laid out yet: guess a form column's width; the first layout
		// corrects the height.
		w = 600
	}
	l.reported = l.rows(objs, max(w, widest), false)
	return fyne.NewSize(widest, l.reported)
}

// optionItem is one choice of a choiceGroup: a radio or check mark and
// its label, focusable (Space toggles), drawn like Fyne's Check.
type optionItem struct {
	widget.DisableableWidget
	label   string
	multi   bool
	checked bool
	focused bool
	hovered bool
	onTap   func()
	page    revealer
}

func newOptionItem(label string, multi bool, onTap func(), page revealer) *optionItem {
	o := &optionItem{label: label, multi: multi, onTap: onTap, page: page}
	o.ExtendBaseWidget(o)
	return o
}

// Tapped toggles the option.
func (o *optionItem) Tapped(*fyne.PointEvent) {
	if o.Disabled() {
		return
	}
	if !o.focused {
		if c := fyne.CurrentApp().Driver().CanvasForObject(o); c != nil {
			c.Focus(o)
		}
	}
	o.onTap()
}

// FocusGained marks the option and asks the page to show it.
func (o *optionItem) FocusGained() {
	o.focused = true
	o.Refresh()
	if o.page != nil {
		o.page.reveal(o)
	}
}

// FocusLost unmarks the option.
func (o *optionItem) FocusLost() { o.focused = false; o.Refresh() }

// TypedRune toggles on Space.
func (o *optionItem) TypedRune(r rune) {
	if r == ' ' && !o.Disabled() {
		o.onTap()
	}
}

// TypedKey does nothing: Tab moves on, Space is a rune.
func (o *optionItem) TypedKey(*fyne.KeyEvent) {}

// MouseIn highlights the option under the pointer.
func (o *optionItem) MouseIn(*desktop.MouseEvent) { o.hovered = true; o.Refresh() }

// MouseMoved is needed for desktop.Hoverable.
func (o *optionItem) MouseMoved(*desktop.MouseEvent) {}

// MouseOut removes the highlight.
func (o *optionItem) MouseOut() { o.hovered = false; o.Refresh() }

func (o *optionItem) CreateRenderer() fyne.WidgetRenderer {
	r := &optionRenderer{o: o, mark: canvas.NewImageFromResource(nil), text: canvas.NewText(o.label, color.Black),
		focus: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type optionRenderer struct {
	o     *optionItem
	focus *canvas.Rectangle
	mark  *canvas.Image
	text  *canvas.Text
}

func (r *optionRenderer) Destroy() {}

func (r *optionRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.focus, r.mark, r.text}
}

func (r *optionRenderer) MinSize() fyne.Size {
	th := r.o.Theme()
	pad := th.Size(theme.SizeNameInnerPadding)
	icon := th.Size(theme.SizeNameInlineIcon)
	t := r.text.MinSize()
	return fyne.NewSize(icon+t.Width+pad*2+th.Size(theme.SizeNamePadding), max(icon, t.Height)+pad)
}

func (r *optionRenderer) Layout(size fyne.Size) {
	th := r.o.Theme()
	pad := th.Size(theme.SizeNameInnerPadding)
	icon := th.Size(theme.SizeNameInlineIcon)
	r.focus.Resize(size)
	r.focus.Move(fyne.NewPos(0, 0))
	r.mark.Resize(fyne.NewSquareSize(icon))
	r.mark.Move(fyne.NewPos(pad/2, (size.Height-icon)/2))
	t := r.text.MinSize()
	r.text.Resize(t)
	r.text.Move(fyne.NewPos(pad/2+icon+th.Size(theme.SizeNamePadding), (size.Height-t.Height)/2))
}

func (r *optionRenderer) Refresh() {
	th := r.o.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	name := theme.IconNameRadioButton
	if r.o.multi {
		name = theme.IconNameCheckButton
	}
	if r.o.checked {
		name = theme.IconNameRadioButtonChecked
		if r.o.multi {
			name = theme.IconNameCheckButtonChecked
		}
	}
	res := theme.NewThemedResource(th.Icon(name))
	switch {
	case r.o.Disabled():
		res.ColorName = theme.ColorNameDisabled
	case r.o.checked:
		res.ColorName = theme.ColorNamePrimary
	default:
		res.ColorName = theme.ColorNameInputBorder
	}
	r.mark.Resource = res
	r.mark.Refresh()
	r.text.Text = r.o.label
	r.text.TextSize = th.Size(theme.SizeNameText)
	r.text.Color = th.Color(theme.ColorNameForeground, v)
	if r.o.Disabled() {
		r.text.Color = th.Color(theme.ColorNameDisabled, v)
	}
	r.text.Refresh()
	r.focus.CornerRadius = th.Size(theme.SizeNameInputRadius)
	switch {
	case r.o.Disabled():
		r.focus.FillColor = color.Transparent
	case r.o.focused:
		r.focus.FillColor = th.Color(theme.ColorNameFocus, v)
	case r.o.hovered:
		r.focus.FillColor = th.Color(theme.ColorNameHover, v)
	default:
		r.focus.FillColor = color.Transparent
	}
	r.focus.Refresh()
}

// choiceGroup is a single- or multiple-choice question: its options wrap
// into as many rows as the width needs (flowLayout). Selected holds the
// chosen labels in option order.
type choiceGroup struct {
	widget.BaseWidget
	multi     bool
	Options   []string
	Selected  []string
	OnChanged func(selected []string)
	items     []*optionItem
	box       *fyne.Container
	disabled  bool
}

func newChoiceGroup(options []string, multi bool, page revealer) *choiceGroup {
	g := &choiceGroup{multi: multi, Options: options}
	for i, l := range options {
		i := i
		g.items = append(g.items, newOptionItem(l, multi, func() { g.toggle(i) }, page))
	}
	objs := make([]fyne.CanvasObject, len(g.items))
	for i, it := range g.items {
		objs[i] = it
	}
	g.box = newFlow(objs...)
	g.ExtendBaseWidget(g)
	return g
}

func (g *choiceGroup) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(g.box) }

// toggle answers a tap on option i: a single choice picks it, a multiple
// choice adds or removes it.
func (g *choiceGroup) toggle(i int) {
	if g.disabled {
		return
	}
	label := g.Options[i]
	var next []string
	switch {
	case !g.multi:
		next = []string{label}
	case g.isSelected(label):
		for _, s := range g.Selected {
			if s != label {
				next = append(next, s)
			}
		}
	default:
		next = append(append(next, g.Selected...), label)
	}
	g.SetSelected(next...)
}

func (g *choiceGroup) isSelected(label string) bool {
	for _, s := range g.Selected {
		if s == label {
			return true
		}
	}
	return false
}

// SetSelected chooses exactly these labels (unknown ones are ignored) and
// calls OnChanged when that changed the selection.
func (g *choiceGroup) SetSelected(labels ...string) {
	var next []string
	for _, o := range g.Options { // option order, no duplicates
		for _, l := range labels {
			if l == o {
				next = append(next, o)
				break
			}
		}
	}
	if !g.multi && len(next) > 1 {
		next = next[len(next)-1:]
	}
	changed := strings.Join(next, "\x00") != strings.Join(g.Selected, "\x00")
	g.Selected = next
	for _, it := range g.items {
		if c := g.isSelected(it.label); c != it.checked {
			it.checked = c
			it.Refresh()
		}
	}
	if changed && g.OnChanged != nil {
		g.OnChanged(next)
	}
}

// Disable makes the question read-only.
func (g *choiceGroup) Disable() {
	g.disabled = true
	for _, it := range g.items {
		it.Disable()
	}
}

// Disabled reports whether the question is read-only.
func (g *choiceGroup) Disabled() bool { return g.disabled }
