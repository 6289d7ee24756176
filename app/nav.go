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
}

// navigator is the window's simple stack navigation: a top bar with a back
// button and the page title, and the current page below it. Questionnaire
// mode replaces the whole window content (fullScreen) so nothing else is
// reachable until leaveFullScreen.
type navigator struct {
	win      fyne.Window
	backBtn  *widget.Button
	title    *widget.Label
	status   *widget.Label // right side of the top bar: investigator, messages
	body     *fyne.Container
	frame    fyne.CanvasObject
	stack    []page
	isFull   bool
	onChange func(title string) // called after every navigation (tests, window title)
}

func newNavigator(win fyne.Window) *navigator {
	n := &navigator{win: win}
	n.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	n.status = widget.NewLabel("")
	n.backBtn = widget.NewButtonWithIcon("返回", theme.NavigateBackIcon(), n.back)
	n.backBtn.Hide()
	n.body = container.NewStack()
	top := container.NewBorder(nil, nil, container.NewHBox(n.backBtn, n.title), n.status)
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

// back closes the top page; on the root page it does nothing.
func (n *navigator) back() {
	if len(n.stack) <= 1 {
		return
	}
	n.stack = n.stack[:len(n.stack)-1]
	if r := n.stack[len(n.stack)-1].refresh; r != nil {
		r()
	}
	n.render()
}

// home returns to the root page.
func (n *navigator) home() {
	if len(n.stack) == 0 {
		return
	}
	n.stack = n.stack[:1]
	if r := n.stack[0].refresh; r != nil {
		r()
	}
	n.render()
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

// setStatus shows a short text at the right of the top bar.
func (n *navigator) setStatus(s string) { n.status.SetText(s) }

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
