package app

import (
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	fynestorage "fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/survey"
)

// maxRadioChoices is the most choices shown as radio buttons; longer lists
// use a drop-down.
const maxRadioChoices = 5

// input builds the input widget of one field, registers it under path and
// wires it to write target[fd.Name].
func (fv *formView) input(fd *survey.Field, path string, target survey.Answers) fyne.CanvasObject {
	str := func() string { s, _ := target[fd.Name].(string); return s }
	set := func(v any) {
		if emptyAnswer(v) {
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
	case survey.TypeText, survey.TypeInteger, survey.TypeDecimal, survey.TypeDate:
		e := fv.newEntry(false)
		switch fd.Type {
		case survey.TypeInteger:
			e.SetPlaceHolder("请输入整数")
		case survey.TypeDecimal:
			e.SetPlaceHolder("请输入数字")
		case survey.TypeDate:
			e.SetPlaceHolder("YYYY-MM-DD")
		}
		e.SetText(str())
		e.OnChanged = func(s string) { set(s) }
		e.OnSubmitted = func(string) { fv.focusNext(path) }
		register(e)
		if fv.readOnly {
			e.Disable()
		}
		if fd.Type != survey.TypeDate {
			return e
		}
		today := widget.NewButtonWithIcon("今天", theme.CalendarIcon(), func() { e.SetText(day(fv.now())) })
		if fv.readOnly {
			today.Hide()
		}
		return container.NewBorder(nil, nil, nil, today, e)
	case survey.TypeTextarea:
		e := fv.newEntry(true)
		e.SetMinRowsVisible(3)
		e.SetText(str())
		e.OnChanged = func(s string) { set(s) }
		register(e)
		if fv.readOnly {
			e.Disable()
		}
		return e
	case survey.TypeSelectOne:
		labels := choiceLabels(fd)
		cur := fd.ChoiceLabel(str())
		if str() == "" {
			cur = ""
		}
		onSel := func(l string) { set(choiceValue(fd, l)) }
		if len(fd.Choices) <= maxRadioChoices {
			r := widget.NewRadioGroup(labels, nil)
			r.Horizontal = true
			r.Selected = cur
			r.OnChanged = onSel
			register(r)
			if fv.readOnly {
				r.Disable()
			}
			return r
		}
		s := widget.NewSelect(labels, nil)
		s.PlaceHolder = "请选择"
		s.Selected = cur
		s.OnChanged = onSel
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
		c := widget.NewCheckGroup(choiceLabels(fd), nil)
		c.Horizontal = len(fd.Choices) <= maxRadioChoices
		c.Selected = sel
		c.OnChanged = func(ls []string) {
			out := make([]string, 0, len(ls))
			for _, l := range ls {
				out = append(out, choiceValue(fd, l))
			}
			set(out)
		}
		register(c)
		if fv.readOnly {
			c.Disable()
		}
		return c
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
		l := widget.NewLabel(name)
		fv.widgets[path] = l
		return l
	case survey.TypeImage:
		return fv.imageInput(fd, path, target, str, register)
	}
	l := widget.NewLabel(str())
	fv.widgets[path] = l
	return l
}

// formEntry is the text input of a form. It turns Ctrl+S, which a focused
// plain entry would swallow silently, into the form's save confirmation.
type formEntry struct {
	widget.Entry
	onSave func()
}

func (fv *formView) newEntry(multiLine bool) *formEntry {
	e := &formEntry{onSave: func() {
		if fv.onSaveKey != nil {
			fv.onSaveKey()
		}
	}}
	e.MultiLine = multiLine
	if multiLine {
		e.Wrapping = fyne.TextWrapWord
	}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut handles Ctrl+S; every other shortcut is the entry's.
func (e *formEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && cs.KeyName == fyne.KeyS && cs.Modifier == fyne.KeyModifierShortcutDefault {
		e.onSave()
		return
	}
	e.Entry.TypedShortcut(s)
}

// imageInput is a 选择图片 button that stores the file as an attachment and
// keeps its id as the answer.
func (fv *formView) imageInput(fd *survey.Field, path string, target survey.Answers, str func() string, register func(fyne.CanvasObject)) fyne.CanvasObject {
	state := widget.NewLabel("未附加图片")
	fv.imageStates[path] = state
	if str() != "" {
		state.SetText("已附加图片")
	}
	btn := widget.NewButtonWithIcon("选择图片文件…", theme.FileImageIcon(), func() {
		if fv.attach == nil || fv.win == nil {
			return
		}
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			defer r.Close()
			data, err := readAllLimited(r)
			if err != nil {
				state.SetText("读取图片失败：" + err.Error())
				return
			}
			fv.setImage(fd, path, target, data, mediaTypeOf(r.URI().Name()), state)
		}, fv.win)
		d.SetFilter(fynestorage.NewExtensionFileFilter([]string{".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG"}))
		d.Show()
	})
	register(btn)
	if fv.readOnly {
		btn.Hide()
	}
	return container.NewHBox(btn, state)
}

// setImage stores a picked image in the background and, once stored,
// answers the field with its attachment id.
func (fv *formView) setImage(fd *survey.Field, path string, target survey.Answers, data []byte, mediaType string, state *widget.Label) {
	state.SetText("正在保存图片…")
	var id string
	runInBackground(func() error {
		var err error
		id, err = fv.attach(data, mediaType)
		return err
	}, func(err error) {
		if err != nil {
			state.SetText("保存图片失败：" + err.Error())
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

// readAllLimited reads a picked file, refusing one above maxAttachment.
func readAllLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxAttachment+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxAttachment {
		return nil, fmt.Errorf("文件超过 %d MB", maxAttachment>>20)
	}
	return data, nil
}

// mediaTypeOf guesses the media type from a file name.
func mediaTypeOf(name string) string {
	if mt := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); mt != "" {
		return mt
	}
	return "application/octet-stream"
}
