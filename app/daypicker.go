package app

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/survey"
)

// dayPicker is a month calendar in Chinese (Fyne's own calendar names the
// month in English): ‹ 2026年4月 › over a grid of days, Monday first.
type dayPicker struct {
	month   time.Time // first day of the shown month
	today   string
	chosen  string
	onPick  func(day string)
	heading *widget.Label
	grid    *fyne.Container
	days    map[string]*widget.Button // day -> its button, for tests
}

// weekdayNames are the column headings, Monday first as on Chinese
// calendars.
var weekdayNames = []string{"一", "二", "三", "四", "五", "六", "日"}

func newDayPicker(start string, today time.Time, onPick func(string)) *dayPicker {
	t, err := time.Parse(survey.DayLayout, start)
	if err != nil {
		t = today
	}
	p := &dayPicker{month: time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC), today: survey.Today(today), chosen: start, onPick: onPick}
	p.heading = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	p.grid = container.NewGridWithColumns(7)
	return p
}

func (p *dayPicker) content() fyne.CanvasObject {
	prev := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { p.month = p.month.AddDate(0, -1, 0); p.fill() })
	next := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { p.month = p.month.AddDate(0, 1, 0); p.fill() })
	p.fill()
	return container.NewVBox(container.NewBorder(nil, nil, prev, next, p.heading), p.grid)
}

// fill shows p.month.
func (p *dayPicker) fill() {
	p.heading.SetText(fmt.Sprintf("%d年%d月", p.month.Year(), int(p.month.Month())))
	var objs []fyne.CanvasObject
	for _, n := range weekdayNames {
		objs = append(objs, widget.NewLabelWithStyle(n, fyne.TextAlignCenter, fyne.TextStyle{}))
	}
	lead := (int(p.month.Weekday()) + 6) % 7 // Monday = 0
	for range lead {
		objs = append(objs, widget.NewLabel(""))
	}
	p.days = map[string]*widget.Button{}
	for d := p.month; d.Month() == p.month.Month(); d = d.AddDate(0, 0, 1) {
		day := d.Format(survey.DayLayout)
		b := widget.NewButton(fmt.Sprint(d.Day()), func() { p.onPick(day) })
		switch day {
		case p.chosen:
			b.Importance = widget.HighImportance
		case p.today:
			b.Importance = widget.WarningImportance
		default:
			b.Importance = widget.LowImportance
		}
		p.days[day] = b
		objs = append(objs, b)
	}
	p.grid.Objects = objs
	p.grid.Refresh()
}

// pickDay shows a calendar dialog starting at start (or today) and calls
// use with the chosen day.
func (u *ui) pickDay(title, start string, today time.Time, use func(day string)) *dayPicker {
	var d *appDialog
	p := newDayPicker(start, today, func(day string) {
		d.close()
		use(day)
	})
	d = u.newDialog(title, p.content(), "", "取消", nil)
	d.width = 420
	d.show(nil)
	return p
}
