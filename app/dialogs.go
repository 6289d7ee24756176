package app

// dialogs.go is the one kind of dialog the app shows: sized to the window,
// with its error shown inside it (never somewhere behind it), Enter to
// confirm and Esc to cancel.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// appDialog is a modal dialog over the window.
type appDialog struct {
	u        *ui
	d        *dialog.CustomDialog
	errLabel *textBlock
	ok       *widget.Button // nil for a dialog with one button
	cancel   *widget.Button
	extra    map[string]*widget.Button // further buttons by text (addButton)
	// submit runs on Enter or the OK button; an error is shown in the
	// dialog, which stays open. nil closes at once.
	submit func() error
	// onCancel runs when the dialog is closed without submitting.
	onCancel func()
	focus    fyne.Focusable
	width    float32 // wished width; the window may allow less
	height   float32 // wished height (0: what the content needs)
	open     bool
}

// dialogWidth is the width a dialog asks for, within the window.
const dialogWidth = 520

// newDialog builds a dialog with content, an error line, and buttons:
// okText (submit) and cancelText; okText "" gives a single cancelText
// button that closes it.
func (u *ui) newDialog(title string, content fyne.CanvasObject, okText, cancelText string, submit func() error) *appDialog {
	ad := &appDialog{u: u, submit: submit, width: dialogWidth}
	ad.errLabel = newTextBlock("")
	ad.errLabel.Importance = widget.DangerImportance
	ad.errLabel.Hide()
	ad.cancel = widget.NewButton(cancelText, ad.dismiss)
	buttons := []fyne.CanvasObject{ad.cancel}
	if okText != "" {
		ad.cancel.Icon = theme.CancelIcon()
		ad.ok = widget.NewButtonWithIcon(okText, theme.ConfirmIcon(), ad.trySubmit)
		ad.ok.Importance = widget.HighImportance
		buttons = append(buttons, ad.ok)
	} else {
		ad.cancel.Importance = widget.HighImportance
	}
	ad.d = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil, ad.errLabel, nil, nil, content), u.win)
	ad.d.SetButtons(buttons)
	return ad
}

// bindEntries makes Enter in these entries confirm and Esc cancel.
func (ad *appDialog) bindEntries(es ...*entry) {
	for _, e := range es {
		if !e.MultiLine {
			e.OnSubmitted = func(string) { ad.trySubmit() }
		}
		e.onEscape = ad.dismiss
	}
}

// addButton puts another button between cancel and OK; it closes the
// dialog and runs fn.
func (ad *appDialog) addButton(text string, icon fyne.Resource, imp widget.Importance, fn func()) {
	b := widget.NewButtonWithIcon(text, icon, func() { ad.close(); fn() })
	b.Importance = imp
	if ad.extra == nil {
		ad.extra = map[string]*widget.Button{}
	}
	ad.extra[text] = b
	buttons := []fyne.CanvasObject{ad.cancel}
	for _, e := range ad.extra {
		buttons = append(buttons, e)
	}
	if ad.ok != nil {
		buttons = append(buttons, ad.ok)
	}
	ad.d.SetButtons(buttons)
}

// show opens the dialog, sized to the window, with focus on f (may be nil).
func (ad *appDialog) show(f fyne.Focusable) {
	ad.focus = f
	ad.open = true
	ad.u.dialogs = append(ad.u.dialogs, ad)
	ad.d.Show()
	ad.fit()
	if f != nil {
		ad.u.win.Canvas().Focus(f)
	}
}

// fit sizes the dialog to its wish, never wider or taller than the window
// (less a margin), and lets Fyne lay the content out at that width.
func (ad *appDialog) fit() {
	win := ad.u.win.Canvas().Size()
	margin := 2 * theme.Padding() * 4
	w := min(ad.width, win.Width-margin)
	ad.d.Resize(fyne.NewSize(w, 0))
	h := min(max(ad.d.MinSize().Height, ad.height), win.Height-margin)
	ad.d.Resize(fyne.NewSize(w, h))
}

// say shows msg inside the dialog ("" hides the line).
func (ad *appDialog) say(msg string) {
	ad.errLabel.SetText(msg)
	if msg == "" {
		ad.errLabel.Hide()
	} else {
		ad.errLabel.Show()
	}
	if ad.open {
		ad.fit()
	}
}

// trySubmit runs submit; on an error the dialog stays with the message.
func (ad *appDialog) trySubmit() {
	if !ad.open {
		return
	}
	if ad.submit != nil {
		if err := ad.submit(); err != nil {
			ad.say(userText(err))
			return
		}
	}
	ad.close()
}

// dismiss closes without submitting.
func (ad *appDialog) dismiss() {
	if !ad.open {
		return
	}
	ad.close()
	if ad.onCancel != nil {
		ad.onCancel()
	}
}

func (ad *appDialog) close() {
	ad.open = false
	for i, d := range ad.u.dialogs {
		if d == ad {
			ad.u.dialogs = append(ad.u.dialogs[:i:i], ad.u.dialogs[i+1:]...)
			break
		}
	}
	ad.d.Hide()
}

// onTypedKey answers Enter and Esc pressed while no input has the focus:
// they confirm or cancel the top dialog.
func (u *ui) onTypedKey(k *fyne.KeyEvent) {
	if len(u.dialogs) == 0 {
		return
	}
	top := u.dialogs[len(u.dialogs)-1]
	switch k.Name {
	case fyne.KeyEscape:
		top.dismiss()
	case fyne.KeyReturn, fyne.KeyEnter:
		if top.ok != nil {
			top.trySubmit()
		} else {
			top.dismiss()
		}
	}
}

// message is a wrapped text for dialogs and pages.
func message(text string) *textBlock { return newTextBlock(text) }

// inform shows a message with one 知道了 button.
func (u *ui) inform(title, text string) *appDialog {
	d := u.newDialog(title, message(text), "", "知道了", nil)
	d.show(nil)
	return d
}

// confirm asks a yes/no question; yes runs onYes.
func (u *ui) confirm(title, text, yesText string, onYes func()) *appDialog {
	d := u.newDialog(title, message(text), yesText, "取消", func() error { onYes(); return nil })
	d.show(nil)
	return d
}
