package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2/test"

	"zoufang/assets"
	"zoufang/survey"
)

// BenchmarkFormViewKeystroke measures what one typed character in the visit
// form costs on the UI goroutine: writing the answer, re-evaluating
// relevance and calculations, validating, updating the shown section and
// the section list. The answers hold 20 demands, a heavy visit.
func BenchmarkFormViewKeystroke(b *testing.B) {
	forms, err := survey.LoadForms(assets.Forms())
	if err != nil {
		b.Fatal(err)
	}
	f, ok := forms.Latest("visit")
	if !ok {
		b.Fatal("no visit form")
	}
	a := test.NewTempApp(b)
	win := a.NewWindow("bench")
	answers := survey.NewAnswers(f)
	demands := make([]survey.Answers, 20)
	for i := range demands {
		d := survey.NewRepeatItem(f.Lookup("demands"))
		d["demand_category"] = "wages"
		d["demand_description"] = fmt.Sprintf("第 %d 条诉求的详细说明", i+1)
		d["demand_workers_affected"] = "12"
		demands[i] = d
	}
	answers["demands"] = demands
	answers["workers_total"] = "300"
	fv := newFormView(f, answers, testNow, &ui{app: a, win: win, now: testNow}, false)
	win.SetContent(fv.content)
	fv.showSection(fv.sectionByName("demands"))
	e := fv.widgets["demands[19].demand_description"].(*entry)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			test.Type(e, "加")
		} else {
			e.SetText(e.Text[:len(e.Text)-len("加")])
		}
	}
}
