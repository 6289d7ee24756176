package app

import (
	"fmt"
	"image/color"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/survey"
)

// formSection is one page of a form: a top-level group, a top-level repeat,
// or a run of loose top-level fields (which join the section before them).
type formSection struct {
	name   string // name of the group or repeat; "" for loose fields at the start
	title  string
	fields []*survey.Field // top-level fields shown on this page
}

// formView renders a survey.Form section by section: a list of sections
// with their completion on the left and the current section's fields on the
// right. Every change updates the answers in place, re-evaluates relevance,
// calculations and problems, and calls onChange.
//
// Widgets are rebuilt only when the section or the number of repeat items
// changes, so typing never loses focus.
type formView struct {
	form    *survey.Form
	answers survey.Answers
	now     func() time.Time
	u       *ui // for dialogs (date picker, confirmations); nil in some tests
	win     fyne.Window
	// single shows every section on one page without the section list
	// (questionnaires).
	single   bool
	readOnly bool
	entName  string
	// attach stores an image file and returns its attachment id; it runs
	// off the UI goroutine. Nil disables image fields.
	attach func(data []byte, mediaType string) (string, error)

	sections  []formSection
	sectionOf map[string]int // top-level field or descendant name -> section
	cur       int

	eval     *survey.Evaluation
	problems []survey.Problem
	byPath   map[string]string // path -> problem message
	touched  map[string]bool
	showAll  bool // after a failed finalize or submit every problem is shown
	// comments are the district reviewer's comments by field path, shown
	// under their fields (review.go); commentLabels the rendered ones.
	comments      map[string]string
	commentLabels map[string]*textBlock

	// Widgets of the rendered section(s), by field path ("workers_total",
	// "demands[1].demand_category"). Tests drive them by these names.
	widgets     map[string]fyne.CanvasObject
	rows        map[string]fyne.CanvasObject // the whole block of a field, for hiding
	errLabels   map[string]*textBlock
	calcs       map[string]*widget.Label
	addBtns     map[string]*focusButton // repeat path -> 添加
	delBtns     map[string]*focusButton // item path "demands[0]" -> 删除此条
	dateBtns    map[string]*focusButton // date path -> 选日期
	imageStates map[string]*textBlock   // image path -> 已附加图片 / 未附加图片
	// counters show how much of its length limit a text answer uses once
	// it comes near it (lengthCounter).
	counters map[string]lengthLine
	// refused is the message of a paste refused for being too long, by
	// path; shown under the field until the field changes again.
	refused map[string]string
	// overLong are the paths of answers over their length limit: their
	// problem shows even before the field is touched (text an older
	// version stored, which the person has to shorten).
	overLong map[string]bool
	order    []string // rendered input paths in form order

	picker      *dayPicker // the last calendar opened, for tests
	sectionList *widget.List
	body        *fyne.Container
	scroll      *pageScroll
	content     fyne.CanvasObject

	// onChange runs after every change of an answer (autosave).
	onChange func()
	// onSaveKey runs when Ctrl+S is pressed in a text input.
	onSaveKey func()
	// onSection runs when the user switches to another section.
	onSection func(name string)
}

func newFormView(f *survey.Form, a survey.Answers, now func() time.Time, u *ui, single bool) *formView {
	if a == nil {
		a = survey.NewAnswers(f)
	}
	fv := &formView{form: f, answers: survey.NormalizeAnswers(a), now: now, u: u, single: single,
		sectionOf: map[string]int{}, touched: map[string]bool{}, refused: map[string]string{}}
	if u != nil {
		fv.win = u.win
	}
	fv.buildSections()
	fv.body = container.NewVBox()
	fv.scroll = newPageScroll(container.NewPadded(fv.body))
	if single {
		fv.content = fv.scroll
	} else {
		fv.sectionList = widget.NewList(
			func() int { return len(fv.sections) },
			func() fyne.CanvasObject {
				// Two lines: the whole name, and its completion below in
				// small type (on one line the names were cut: "4/4（已完…").
				title := widget.NewLabel("十一、企业签字确认")
				title.Truncation = fyne.TextTruncateEllipsis
				state := canvas.NewText("00/00 已完成", color.Black)
				return container.New(sectionItemLayout{}, title, state)
			},
			func(id widget.ListItemID, o fyne.CanvasObject) {
				c := o.(*fyne.Container)
				fv.updateSectionItem(id, c.Objects[0].(*widget.Label), c.Objects[1].(*canvas.Text))
			})
		fv.sectionList.OnSelected = func(id widget.ListItemID) {
			if id != fv.cur {
				fv.showSection(id)
			}
		}
		split := container.NewHSplit(fv.sectionList, fv.scroll)
		split.Offset = 0.26
		fv.content = split
	}
	fv.evaluate()
	fv.render()
	if fv.sectionList != nil {
		fv.sectionList.Select(0)
	}
	return fv
}

// reveal scrolls the form so that o, an input that got the focus, is in
// view: Tab never leaves the cursor in a field nobody can see.
func (fv *formView) reveal(o fyne.CanvasObject) { fv.scroll.reveal(o) }

// buildSections splits the top-level fields into pages.
func (fv *formView) buildSections() {
	var walk func(fs []survey.Field, sec int)
	walk = func(fs []survey.Field, sec int) {
		for i := range fs {
			fv.sectionOf[fs[i].Name] = sec
			if fs[i].Type == survey.TypeGroup {
				walk(fs[i].Fields, sec)
			}
		}
	}
	for i := range fv.form.Fields {
		fd := &fv.form.Fields[i]
		if fd.Type == survey.TypeGroup || fd.Type == survey.TypeRepeat || len(fv.sections) == 0 {
			s := formSection{name: fd.Name, title: fd.Label}
			if fd.Type != survey.TypeGroup && fd.Type != survey.TypeRepeat {
				s.name, s.title = "", fv.form.Title
			}
			fv.sections = append(fv.sections, s)
		}
		sec := len(fv.sections) - 1
		fv.sections[sec].fields = append(fv.sections[sec].fields, fd)
		fv.sectionOf[fd.Name] = sec
		if fd.Type == survey.TypeGroup {
			walk(fd.Fields, sec)
		}
	}
}

// sectionIndex returns the section of a problem or field path.
func (fv *formView) sectionIndex(path string) int {
	root := path
	if i := strings.IndexAny(root, "[."); i >= 0 {
		root = root[:i]
	}
	return fv.sectionOf[root]
}

// sectionByName returns the index of the section with that name, or -1.
func (fv *formView) sectionByName(name string) int {
	for i, s := range fv.sections {
		if s.name == name {
			return i
		}
	}
	return -1
}

// showSection renders section i.
func (fv *formView) showSection(i int) {
	if i < 0 || i >= len(fv.sections) {
		return
	}
	changed := i != fv.cur
	fv.cur = i
	if !fv.single {
		fv.render()
		fv.selectInList(i)
		fv.scroll.ScrollToTop()
	}
	if changed && fv.onSection != nil {
		fv.onSection(fv.sections[i].name)
	}
}

// selectInList marks section i in the list and scrolls the list to it, so
// the open section is always visible in the list.
func (fv *formView) selectInList(i int) {
	fv.sectionList.Select(i)
	fv.sectionList.ScrollTo(i)
}

// setAnswers replaces all answers (the next questionnaire respondent) and
// forgets what was touched.
func (fv *formView) setAnswers(a survey.Answers) {
	fv.answers = survey.NormalizeAnswers(a)
	fv.touched = map[string]bool{}
	fv.showAll = false
	fv.evaluate()
	fv.render()
	fv.scroll.ScrollToTop()
}

// setReadOnly switches between viewing and editing.
func (fv *formView) setReadOnly(ro bool) {
	fv.readOnly = ro
	fv.render()
}

// setEnterpriseName fills enterprise fields and notes.
func (fv *formView) setEnterpriseName(name string) {
	fv.entName = name
	fv.render()
}

// setComments shows the district reviewer's comments (by field path)
// under their fields; nil removes them.
func (fv *formView) setComments(c map[string]string) {
	fv.comments = c
	fv.render()
}

// commentsIn counts the reviewer's comments on fields of section i.
func (fv *formView) commentsIn(i int) int {
	n := 0
	for p := range fv.comments {
		if fv.sectionIndex(p) == i {
			n++
		}
	}
	return n
}

// revealProblems shows every problem (also of untouched fields).
func (fv *formView) revealProblems() {
	fv.showAll = true
	fv.refreshState()
}

// evaluate recomputes relevance, calculations and problems.
func (fv *formView) evaluate() {
	today := fv.now()
	fv.eval = survey.Evaluate(fv.form, fv.answers, today)
	fv.problems = survey.Validate(fv.form, fv.answers, today)
	fv.byPath = make(map[string]string, len(fv.problems))
	for _, p := range fv.problems {
		if _, dup := fv.byPath[p.Path]; !dup {
			fv.byPath[p.Path] = p.Message
		}
	}
	fv.overLong = map[string]bool{}
	for _, p := range survey.LengthProblems(fv.form, fv.answers) {
		fv.overLong[p.Path] = true
		if _, ok := fv.byPath[p.Path]; !ok {
			fv.byPath[p.Path] = p.Message // not relevant, yet stored: still to shorten
		}
	}
}

// visibleProblem returns the message shown under the field at path: a
// refused paste, or the field's problem once it was touched (an answer
// over its length limit at once).
func (fv *formView) visibleProblem(path string) string {
	if msg := fv.refused[path]; msg != "" {
		return msg
	}
	if !fv.showAll && !fv.touched[path] && !fv.overLong[path] {
		return ""
	}
	return fv.byPath[path]
}

// refusePaste shows under the field at path why a paste was refused; the
// text in the field stays as it was.
func (fv *formView) refusePaste(path, msg string) {
	fv.refused[path] = msg
	fv.refreshState()
}

// lengthCounter is the line under a text input near its limit: empty
// below 80 % of it and above it (the problem says so then).
func lengthCounter(s string, max int) string {
	n := utf8.RuneCountInString(s)
	if max == 0 || n < max*4/5 || n > max {
		return ""
	}
	return fmt.Sprintf("已输入 %d 字，最多 %d 字", n, max)
}

// lengthLine is the counter under a text input and its limit.
type lengthLine struct {
	text *textBlock
	max  int
}

// changed is called by every input after it wrote its answer.
func (fv *formView) changed(path string) {
	delete(fv.refused, path)
	fv.touched[path] = true
	fv.refreshState()
	if fv.onChange != nil {
		fv.onChange()
	}
}

// refreshState applies a new evaluation to the rendered widgets.
func (fv *formView) refreshState() {
	fv.evaluate()
	relayout := false
	for path, row := range fv.rows {
		if show := fv.eval.Relevant(path); show != row.Visible() {
			relayout = true
			if show {
				row.Show()
			} else {
				row.Hide()
			}
		}
	}
	for path, l := range fv.calcs {
		v, _ := fv.eval.Value(path).(string)
		if v == "" {
			v = "—"
		}
		if l.Text != v {
			l.SetText(v)
		}
	}
	for path, c := range fv.counters {
		s, _ := fv.eval.Value(path).(string)
		relayout = showMessage(c.text, lengthCounter(s, c.max)) || relayout
	}
	for path, l := range fv.errLabels {
		relayout = showMessage(l, fv.visibleProblem(path)) || relayout
	}
	if fv.sectionList != nil {
		fv.sectionList.Refresh()
	}
	if relayout {
		fv.body.Refresh() // lay out the fields that appeared or went away
		fv.scroll.Refresh()
	}
}

// sectionStats counts relevant required inputs of section i, how many are
// answered (survey.Answered), and the shown problems in it.
func (fv *formView) sectionStats(i int) (answered, total, shownProblems int) {
	var count func(fs []survey.Field, prefix string, target survey.Answers)
	count = func(fs []survey.Field, prefix string, target survey.Answers) {
		for j := range fs {
			fd := &fs[j]
			path := prefix + fd.Name
			if !fv.eval.Relevant(path) {
				continue
			}
			switch fd.Type {
			case survey.TypeGroup:
				count(fd.Fields, prefix, target)
			case survey.TypeRepeat:
				items, _ := target[fd.Name].([]survey.Answers)
				for k, it := range items {
					count(fd.Fields, fmt.Sprintf("%s[%d].", path, k), it)
				}
			case survey.TypeNote, survey.TypeCalculate:
			default:
				if fd.Required {
					total++
					if survey.Answered(target[fd.Name]) {
						answered++
					}
				}
			}
		}
	}
	for _, fd := range fv.sections[i].fields {
		count([]survey.Field{*fd}, "", fv.answers)
	}
	for _, p := range fv.problems {
		if fv.sectionIndex(p.Path) == i && fv.visibleProblem(p.Path) != "" {
			shownProblems++
		}
	}
	return
}

// sectionState is the second line of a section in the list: "3/6",
// "6/6 已完成" or "3/6 有误".
func (fv *formView) sectionState(i int) (string, widget.Importance) {
	a, t, bad := fv.sectionStats(i)
	text := fmt.Sprintf("%d/%d", a, t)
	switch {
	case bad > 0:
		return text + " 有误", widget.DangerImportance
	case fv.commentsIn(i) > 0:
		return fmt.Sprintf("%s 意见%d条", text, fv.commentsIn(i)), widget.WarningImportance
	case t > 0 && a == t:
		return text + " 已完成", widget.SuccessImportance
	case t == 0:
		return "无必填项", widget.LowImportance
	}
	return text, widget.MediumImportance
}

func (fv *formView) updateSectionItem(id int, title *widget.Label, state *canvas.Text) {
	if id >= len(fv.sections) {
		return
	}
	title.SetText(fv.sections[id].title)
	text, imp := fv.sectionState(id)
	th := fyne.CurrentApp().Settings().Theme()
	name := theme.ColorNameForeground
	switch imp {
	case widget.DangerImportance:
		name = theme.ColorNameError
	case widget.SuccessImportance:
		name = theme.ColorNameSuccess
	case widget.LowImportance:
		name = theme.ColorNamePlaceHolder
	case widget.WarningImportance:
		name = theme.ColorNameWarning
	}
	state.Color = th.Color(name, fyne.CurrentApp().Settings().ThemeVariant())
	state.TextSize = th.Size(theme.SizeNameCaptionText)
	state.Text = text
	state.Refresh()
}

// sectionItemLayout puts a section's completion right under its name,
// inside the name label's bottom padding.
type sectionItemLayout struct{}

func (sectionItemLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	t, s := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(t.Width, s.Width+2*theme.InnerPadding()), t.Height+s.Height-theme.InnerPadding()/2)
}

func (sectionItemLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	t, s := objs[0].MinSize(), objs[1].MinSize()
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, t.Height))
	objs[1].Move(fyne.NewPos(theme.InnerPadding(), t.Height-theme.InnerPadding()/2))
	objs[1].Resize(s)
}

// sectionSummary is the text of section i as shown in the list.
func (fv *formView) sectionSummary(i int) string {
	text, _ := fv.sectionState(i)
	return fv.sections[i].title + "　" + text
}

// focusPath shows the section holding path, scrolls to the field and
// focuses its input where it takes focus.
func (fv *formView) focusPath(path string) {
	if i := fv.sectionIndex(path); i != fv.cur && !fv.single {
		fv.showSection(i)
	}
	if row := fv.rows[path]; row != nil {
		fv.scroll.reveal(row)
	}
	if f, ok := fv.widgets[path].(fyne.Focusable); ok && fv.win != nil {
		fv.win.Canvas().Focus(f)
	} else if g, ok := fv.widgets[path].(*choiceGroup); ok && fv.win != nil && len(g.items) > 0 {
		fv.win.Canvas().Focus(g.items[0])
	}
}

// focusNext moves the focus to the next shown text input after path
// (Enter in a text field).
func (fv *formView) focusNext(path string) {
	seen := false
	for _, p := range fv.order {
		if p == path {
			seen = true
			continue
		}
		if !seen || !fv.eval.Relevant(p) {
			continue
		}
		if e, ok := fv.widgets[p].(*entry); ok && fv.win != nil && !e.Disabled() {
			fv.win.Canvas().Focus(e)
			return
		}
	}
}

// render rebuilds the widgets of the current section (or all of them).
func (fv *formView) render() {
	fv.widgets = map[string]fyne.CanvasObject{}
	fv.rows = map[string]fyne.CanvasObject{}
	fv.errLabels = map[string]*textBlock{}
	fv.calcs = map[string]*widget.Label{}
	fv.addBtns = map[string]*focusButton{}
	fv.delBtns = map[string]*focusButton{}
	fv.dateBtns = map[string]*focusButton{}
	fv.imageStates = map[string]*textBlock{}
	fv.commentLabels = map[string]*textBlock{}
	fv.counters = map[string]lengthLine{}
	fv.order = nil
	var objs []fyne.CanvasObject
	secs := []int{fv.cur}
	if fv.single {
		secs = secs[:0]
		for i := range fv.sections {
			secs = append(secs, i)
		}
	}
	for _, i := range secs {
		s := fv.sections[i]
		if !fv.single || s.name != "" {
			h := widget.NewLabelWithStyle(s.title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			h.SizeName = theme.SizeNameSubHeadingText
			objs = append(objs, h)
		}
		for _, fd := range s.fields {
			if fd.Type == survey.TypeGroup {
				objs = append(objs, fv.fieldObjects(fd.Fields, "", fv.answers)...)
				continue
			}
			objs = append(objs, fv.fieldObjects([]survey.Field{*fd}, "", fv.answers)...)
		}
	}
	fv.body.Objects = objs
	fv.refreshState()
	fv.body.Refresh()
}

// fieldObjects builds the blocks of fields whose answers live in target,
// with paths starting with prefix.
func (fv *formView) fieldObjects(fs []survey.Field, prefix string, target survey.Answers) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for i := range fs {
		fd := &fs[i]
		path := prefix + fd.Name
		var block fyne.CanvasObject
		switch fd.Type {
		case survey.TypeGroup:
			h := widget.NewLabelWithStyle(fd.Label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			block = container.NewVBox(append([]fyne.CanvasObject{h}, fv.fieldObjects(fd.Fields, prefix, target)...)...)
		case survey.TypeRepeat:
			block = fv.repeatBlock(fd, path, target)
		default:
			block = fv.inputBlock(fd, path, target)
		}
		fv.rows[path] = block
		out = append(out, block)
	}
	return out
}

// inputBlock is the label, hint, input and error line of one field.
func (fv *formView) inputBlock(fd *survey.Field, path string, target survey.Answers) fyne.CanvasObject {
	if fd.Type == survey.TypeNote {
		l := newTextBlock(fd.Label)
		if fd.Hint != "" {
			l.SetText(fd.Label + "\n" + fd.Hint)
		}
		l.Importance = widget.LowImportance
		return l
	}
	title := fd.Label
	if fd.Required {
		title += " *"
	}
	label := boldText(title)
	objs := []fyne.CanvasObject{label}
	if fd.Hint != "" {
		h := newTextBlock(fd.Hint)
		h.Importance = widget.LowImportance
		h.SizeName = theme.SizeNameCaptionText
		objs = append(objs, h)
	}
	if c := fv.comments[path]; c != "" {
		cl := newTextBlock("区总工会意见：" + c)
		cl.Importance = widget.WarningImportance
		cl.TextStyle = fyne.TextStyle{Bold: true}
		fv.commentLabels[path] = cl
		objs = append(objs, cl)
	}
	in := fv.input(fd, path, target)
	objs = append(objs, in)
	if max := survey.TextLimit(fd.Type); max > 0 {
		s, _ := target[fd.Name].(string)
		c := newTextBlock(lengthCounter(s, max))
		c.Importance = widget.LowImportance
		c.SizeName = theme.SizeNameCaptionText
		if c.Text == "" {
			c.Hide()
		}
		fv.counters[path] = lengthLine{c, max}
		objs = append(objs, c)
	}
	if fd.Type != survey.TypeCalculate {
		errl := newTextBlock("")
		errl.Importance = widget.DangerImportance
		errl.Hide()
		fv.errLabels[path] = errl
		objs = append(objs, errl)
	}
	return container.NewVBox(objs...)
}

// repeatBlock shows the items of a repeat as cards with 删除此条 and an
// 添加 button below.
func (fv *formView) repeatBlock(fd *survey.Field, path string, target survey.Answers) fyne.CanvasObject {
	items, _ := target[fd.Name].([]survey.Answers)
	objs := []fyne.CanvasObject{}
	if fd.Hint != "" {
		h := newTextBlock(fd.Hint)
		h.Importance = widget.LowImportance
		objs = append(objs, h)
	}
	if len(items) == 0 {
		empty := newTextBlock("尚未填写，点击下方按钮添加。")
		objs = append(objs, empty)
	}
	for k, it := range items {
		itemPath := fmt.Sprintf("%s[%d]", path, k)
		inner := fv.fieldObjects(fd.Fields, itemPath+".", it)
		k := k
		del := newFocusButton("删除此条", theme.DeleteIcon(), func() { fv.confirmRemove(fd, path, target, k) }, fv)
		del.Importance = widget.DangerImportance
		fv.delBtns[itemPath] = del
		if fv.readOnly {
			del.Hide()
		}
		inner = append(inner, newFlow(del))
		objs = append(objs, widget.NewCard("", fmt.Sprintf("第 %d 条", k+1), container.NewVBox(inner...)))
	}
	add := newFocusButton(survey.AddItemLabel(fd), theme.ContentAddIcon(), func() { fv.addItem(fd, path, target) }, fv)
	add.Importance = widget.HighImportance
	fv.addBtns[path] = add
	if fv.readOnly {
		add.Hide()
	}
	objs = append(objs, newFlow(add))
	errl := newTextBlock("")
	errl.Importance = widget.DangerImportance
	errl.Hide()
	fv.errLabels[path] = errl
	objs = append(objs, errl)
	return container.NewVBox(objs...)
}

// addItem appends a new item with the repeat's defaults.
func (fv *formView) addItem(fd *survey.Field, path string, target survey.Answers) {
	items, _ := target[fd.Name].([]survey.Answers)
	target[fd.Name] = append(items, survey.NewRepeatItem(fd))
	fv.touched[path] = true
	fv.render()
	if fv.onChange != nil {
		fv.onChange()
	}
	// Put the cursor in the first input of the new item.
	first := fmt.Sprintf("%s[%d].", path, len(items))
	for _, p := range fv.order {
		if strings.HasPrefix(p, first) {
			fv.focusPath(p)
			break
		}
	}
}

// confirmRemove asks before deleting item k.
func (fv *formView) confirmRemove(fd *survey.Field, path string, target survey.Answers, k int) {
	if fv.u == nil {
		fv.removeItem(fd, path, target, k)
		return
	}
	fv.u.confirm("删除此条", fmt.Sprintf("确定删除第 %d 条吗？删除后不能恢复。", k+1), "删除", func() {
		fv.removeItem(fd, path, target, k)
	})
}

// removeItem deletes item k of the repeat at path.
func (fv *formView) removeItem(fd *survey.Field, path string, target survey.Answers, k int) {
	items, _ := target[fd.Name].([]survey.Answers)
	if k < 0 || k >= len(items) {
		return
	}
	target[fd.Name] = append(items[:k:k], items[k+1:]...)
	// Touched marks of later items would now point at other items.
	for p := range fv.touched {
		if strings.HasPrefix(p, path+"[") {
			delete(fv.touched, p)
		}
	}
	fv.touched[path] = true
	fv.render()
	if fv.onChange != nil {
		fv.onChange()
	}
}

// removeItemAt deletes item k of the top-level repeat name without asking.
func (fv *formView) removeItemAt(name string, k int) {
	if fd := fv.form.Lookup(name); fd != nil && fd.Type == survey.TypeRepeat {
		fv.removeItem(fd, name, fv.answers, k)
	}
}

// showMessage shows msg under a field (a problem, a length counter), or
// hides the line when msg is empty, and says whether the line appeared or
// went away (the form must then be laid out again). A hidden line keeps
// its last text: nothing reads it.
func showMessage(l *textBlock, msg string) (toggled bool) {
	if msg != "" && msg != l.Text {
		l.SetText(msg)
	}
	if (msg != "") == l.Visible() {
		return false
	}
	if msg != "" {
		l.Show()
	} else {
		l.Hide()
	}
	return true
}
