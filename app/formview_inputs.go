package app

import (
	"mime"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/survey"
)

// maxRadioChoices is the most choices of a single-choice question shown as
// options; longer lists use a drop-down. Multiple-choice questions always
// show their options (they wrap, see flowLayout).
const maxRadioChoices = 6

// input builds the input widget of one field, registers it under path and
// wires it to write target[fd.Name].
func (fv *formView) input(fd *survey.Field, path string, target survey.Answers) fyne.CanvasObject {
	str := func() string { s, _ := target[fd.Name].(string); return s }
	set := func(v any) {
		if !survey.Answered(v) {
			delete(target, fd.Name)
		} else {
			target[fd.Name] = v
		}
		fv.changed(path)
	}
	register := func(w fyne.CanvasObject) {
		fv.widgets[path] = w
		fv.order = append(fv.order, path)
	}
	switch fd.Type {
	case survey.TypeText, survey.TypeInteger, survey.TypeDecimal:
		e := fv.newEntry(false)
		switch fd.Type {
		case survey.TypeInteger:
			e.SetPlaceHolder("请输入整数")
		case survey.TypeDecimal:
			e.SetPlaceHolder("请输入数字")
		}
		e.SetText(str())
		e.OnChanged = func(s string) { set(s) }
		e.OnSubmitted = func(string) { fv.focusNext(path) }
		fv.limitPaste(e, fd, path)
		register(e)
		if fv.readOnly {
			e.Disable()
		}
		return e
	case survey.TypeDate:
		return fv.dateInput(path, str(), set, register)
	case survey.TypeTextarea:
		e := fv.newEntry(true)
		e.SetText(str())
		e.OnChanged = func(s string) { set(s) }
		fv.limitPaste(e, fd, path)
		register(e)
		if fv.readOnly {
			e.Disable()
		}
		return e
	case survey.TypeSelectOne:
		labels := choiceLabels(fd)
		cur := ""
		if str() != "" {
			cur = fd.ChoiceLabel(str())
		}
		if len(fd.Choices) <= maxRadioChoices {
			g := newChoiceGroup(labels, false, fv)
			g.SetSelected(cur)
			g.OnChanged = func(ls []string) {
				v := ""
				if len(ls) > 0 {
					v = choiceValue(fd, ls[0])
				}
				set(v)
			}
			register(g)
			if fv.readOnly {
				g.Disable()
			}
			return g
		}
		s := newFocusSelect(labels, fv)
		s.Selected = cur
		s.OnChanged = func(l string) { set(choiceValue(fd, l)) }
		register(s)
		if fv.readOnly {
			s.Disable()
		}
		return s
	case survey.TypeSelectMultiple:
		vals, _ := target[fd.Name].([]string)
		var sel []string
		for _, v := range vals {
			sel = append(sel, fd.ChoiceLabel(v))
		}
		g := newChoiceGroup(choiceLabels(fd), true, fv)
		g.SetSelected(sel...)
		g.OnChanged = func(ls []string) {
			out := make([]string, 0, len(ls))
			for _, l := range ls {
				out = append(out, choiceValue(fd, l))
			}
			set(out)
		}
		register(g)
		if fv.readOnly {
			g.Disable()
		}
		return g
	case survey.TypeCalculate:
		l := widget.NewLabel("—")
		fv.calcs[path] = l
		fv.widgets[path] = l
		return l
	case survey.TypeEnterprise:
		name := fv.entName
		if name == "" {
			name = str()
		}
		l := newTextBlock(name)
		fv.widgets[path] = l
		return l
	case survey.TypeImage:
		return fv.imageInput(fd, path, target, str, register)
	}
	l := newTextBlock(str())
	fv.widgets[path] = l
	return l
}

// limitPaste makes e refuse a paste that would take the answer over the
// field's length limit (survey.TextLimit), with the reason under the field:
// nothing is cut and nothing pasted, so the person decides what to keep.
// Typing past the limit stays possible (the problem then shows under the
// field and the answer is not saved until it is shortened).
func (fv *formView) limitPaste(e *entry, fd *survey.Field, path string) {
	e.maxRunes = survey.TextLimit(fd.Type)
	e.onPasteRefused = func(msg string) { fv.refusePaste(path, msg) }
}

// newEntry is a text input of this form: it reveals itself when focused,
// passes the mouse wheel on to the form and answers Ctrl+S.
func (fv *formView) newEntry(multiLine bool) *entry {
	var e *entry
	if multiLine {
		e = newMultiLineEntry(3)
	} else {
		e = newEntry()
	}
	e.page, e.outer = fv, fv.scroll
	e.onSave = func() {
		if fv.onSaveKey != nil {
			fv.onSaveKey()
		}
	}
	return e
}

// dateInput is a date entry that accepts the ways people write dates
// (survey.ParseDay) and stores the day as 2026-04-05, with 选日期 (a
// calendar) and 今天 beside it.
func (fv *formView) dateInput(path, cur string, set func(any), register func(fyne.CanvasObject)) fyne.CanvasObject {
	e := fv.newEntry(false)
	e.SetPlaceHolder(survey.DayHint)
	e.SetText(cur)
	e.OnChanged = func(s string) {
		if d, ok := survey.ParseDay(s); ok {
			set(d)
			return
		}
		set(s) // kept as typed: the error under the field says what is wrong
	}
	e.onFocusLost = func() {
		// Show the day as it is stored once the typing is done.
		if d, ok := survey.ParseDay(e.Text); ok && d != e.Text {
			e.SetText(d)
		}
	}
	e.OnSubmitted = func(string) { fv.focusNext(path) }
	register(e)
	pick := newFocusButton("选日期", theme.CalendarIcon(), func() {
		if fv.u == nil {
			return
		}
		start, _ := survey.ParseDay(e.Text)
		fv.picker = fv.u.pickDay("选择日期", start, fv.now(), func(d string) { e.SetText(d) })
	}, fv)
	today := newFocusButton("今天", nil, func() { e.SetText(survey.Today(fv.now())) }, fv)
	fv.dateBtns[path] = pick
	if fv.readOnly {
		e.Disable()
		pick.Hide()
		today.Hide()
	}
	return container.NewBorder(nil, nil, nil, container.NewHBox(pick, today), e)
}

// imageInput is a 选择图片 button that stores the file as an attachment and
// keeps its id as the answer.
func (fv *formView) imageInput(fd *survey.Field, path string, target survey.Answers, str func() string, register func(fyne.CanvasObject)) fyne.CanvasObject {
	state := newTextBlock("未附加图片")
	fv.imageStates[path] = state
	if str() != "" {
		state.SetText("已附加图片")
	}
	btn := newFocusButton("选择图片文件…", theme.FileImageIcon(), func() {
		if fv.attach == nil || fv.u == nil {
			return
		}
		fv.u.pickFile("选择图片", imageFiles, func(p string) { fv.loadImage(fd, path, target, p, state) })
	}, fv)
	register(btn)
	if fv.readOnly {
		btn.Hide()
	}
	return container.NewBorder(nil, nil, btn, nil, state)
}

// loadImage reads a picked image file off the UI goroutine, then stores it.
func (fv *formView) loadImage(fd *survey.Field, path string, target survey.Answers, file string, state *textBlock) {
	var data []byte
	runInBackground(func() error {
		var err error
		data, err = readPicked(file, maxAttachment)
		return err
	}, func(err error) {
		if err != nil {
			state.SetText("读取图片失败：" + userText(err))
			return
		}
		fv.setImage(fd, path, target, data, mediaTypeOf(file), state)
	})
}

// setImage stores a picked image in the background and, once stored,
// answers the field with its attachment id.
func (fv *formView) setImage(fd *survey.Field, path string, target survey.Answers, data []byte, mediaType string, state *textBlock) {
	state.SetText("正在保存图片…")
	var id string
	runInBackground(func() error {
		var err error
		id, err = fv.attach(data, mediaType)
		return err
	}, func(err error) {
		if err != nil {
			state.SetText("保存图片失败：" + userText(err))
			return
		}
		target[fd.Name] = id
		state.SetText("已附加图片")
		fv.changed(path)
	})
}

// choiceLabels returns the labels of a select field in order.
func choiceLabels(fd *survey.Field) []string {
	out := make([]string, len(fd.Choices))
	for i, c := range fd.Choices {
		out[i] = c.Label
	}
	return out
}

// choiceValue maps a shown label back to its stored value ("" when none).
func choiceValue(fd *survey.Field, label string) string {
	if i := slices.IndexFunc(fd.Choices, func(c survey.Choice) bool { return c.Label == label }); i >= 0 {
		return fd.Choices[i].Value
	}
	return ""
}

// maxAttachment is the largest image file accepted (a phone photo is a few
// MB).
const maxAttachment = 32 << 20

// mediaTypeOf guesses the media type from a file name.
func mediaTypeOf(name string) string {
	if mt := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); mt != "" {
		return mt
	}
	return "application/octet-stream"
}
