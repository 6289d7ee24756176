package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// page is one entry of the navigation stack.
type page struct {
	title   string
	content fyne.CanvasObject
	// refresh, when set, runs each time the page becomes visible again after
	// the page above it was closed (counts on the home screen, for example).
	refresh func()
	// leave, when set, is asked before the page is closed (back, home); it
	// calls proceed when the page may go (a visit with an unfinished edit
	// asks first).
	leave func(proceed func())
}

// navigator is the window's simple stack navigation: a top bar with a back
// button and the page title, and the current page below it. Questionnaire
// mode replaces the whole window content (fullScreen) so nothing else is
// reachable until leaveFullScreen.
type navigator struct {
	win      fyne.Window
	backBtn  *widget.Button
	title    *widget.Label
	who      *widget.Label // right side of the top bar: the investigator
	note     *widget.Label // beside it: a short message, until the next page
	bar      *fyne.Container
	body     *fyne.Container
	frame    fyne.CanvasObject
	stack    []page
	isFull   bool
	onChange func(title string) // called after every navigation (tests, window title)
}

func newNavigator(win fyne.Window) *navigator {
	n := &navigator{win: win}
	n.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	n.title.Truncation = fyne.TextTruncateEllipsis
	n.who = widget.NewLabel("")
	n.note = widget.NewLabel("")
	n.note.Importance = widget.SuccessImportance
	n.note.Truncation = fyne.TextTruncateEllipsis
	n.note.Hide()
	n.backBtn = widget.NewButtonWithIcon("返回", theme.NavigateBackIcon(), n.back)
	n.backBtn.Hide()
	n.body = container.NewStack()
	// The title and the note give way (truncate) before the window would
	// have to grow.
	right := container.NewHBox(n.who)
	n.bar = container.New(titleNoteLayout{}, n.title, n.note)
	top := container.NewBorder(nil, nil, n.backBtn, right, n.bar)
	n.frame = container.NewBorder(container.NewVBox(top, widget.NewSeparator()), nil, nil, nil, n.body)
	return n
}

// setRoot replaces the whole stack with one page (the home screen).
func (n *navigator) setRoot(title string, content fyne.CanvasObject, refresh func()) {
	n.stack = []page{{title: title, content: content, refresh: refresh}}
	n.render()
}

// show pushes a page; the back button returns to the previous one.
func (n *navigator) show(title string, content fyne.CanvasObject) {
	n.showPage(page{title: title, content: content})
}

// showRefreshing pushes a page that refreshes itself when it becomes
// visible again.
func (n *navigator) showRefreshing(title string, content fyne.CanvasObject, refresh func()) {
	n.showPage(page{title: title, content: content, refresh: refresh})
}

func (n *navigator) showPage(p page) {
	n.stack = append(n.stack, p)
	n.render()
}

// replace swaps the top page for another one (e.g. roster → visit form
// without returning to the roster on back).
func (n *navigator) replace(title string, content fyne.CanvasObject) {
	if len(n.stack) > 0 {
		n.stack = n.stack[:len(n.stack)-1]
	}
	n.show(title, content)
}

// back closes the top page (after asking it, see page.leave); on the root
// page it does nothing.
func (n *navigator) back() {
	if len(n.stack) <= 1 {
		return
	}
	n.leaveTop(func() {
		n.stack = n.stack[:len(n.stack)-1]
		if r := n.stack[len(n.stack)-1].refresh; r != nil {
			r()
		}
		n.render()
	})
}

// leaveTop asks the top page whether it may close, then runs proceed.
func (n *navigator) leaveTop(proceed func()) {
	if top := n.stack[len(n.stack)-1]; top.leave != nil {
		top.leave(proceed)
		return
	}
	proceed()
}

// current returns the title of the visible page ("" when empty).
func (n *navigator) current() string {
	if len(n.stack) == 0 {
		return ""
	}
	return n.stack[len(n.stack)-1].title
}

// fullScreen shows content as the only thing in the window: no top bar, no
// back button. Used by questionnaire mode; leaveFullScreen restores the
// stack exactly as it was.
func (n *navigator) fullScreen(content fyne.CanvasObject) {
	n.isFull = true
	n.win.SetContent(content)
	n.win.SetFullScreen(true)
	if n.onChange != nil {
		n.onChange("")
	}
}

// leaveFullScreen ends fullScreen and shows the page stack again.
func (n *navigator) leaveFullScreen() {
	n.isFull = false
	n.win.SetFullScreen(false)
	n.render()
}

// setWho shows the investigator at the right of the top bar.
func (n *navigator) setWho(s string) { n.who.SetText(s) }

// say shows a short message in the top bar until the next page is shown;
// the investigator's name stays.
func (n *navigator) say(s string) {
	n.note.SetText(s)
	n.note.Show()
	n.bar.Refresh()
}

func (n *navigator) render() {
	if n.isFull {
		return
	}
	if len(n.stack) == 0 {
		n.body.Objects = nil
		n.body.Refresh()
		return
	}
	top := n.stack[len(n.stack)-1]
	n.title.SetText(top.title)
	n.note.Hide()
	n.bar.Refresh()
	if len(n.stack) > 1 {
		n.backBtn.Show()
	} else {
		n.backBtn.Hide()
	}
	n.body.Objects = []fyne.CanvasObject{top.content}
	n.body.Refresh()
	if n.win.Content() != n.frame {
		n.win.SetContent(n.frame)
	}
	if n.onChange != nil {
		n.onChange(top.title)
	}
}

// titleNoteLayout shares the top bar between the page title and the note:
// the title has the whole width while there is no note, 55% with one.
type titleNoteLayout struct{}

func (titleNoteLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(0, h)
}

func (titleNoteLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	title, note := objs[0], objs[1]
	tw := size.Width
	if note.Visible() {
		tw = size.Width * 0.55
		note.Move(fyne.NewPos(tw, 0))
		note.Resize(fyne.NewSize(size.Width-tw, size.Height))
	}
	title.Move(fyne.NewPos(0, 0))
	title.Resize(fyne.NewSize(tw, size.Height))
}
