package web

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"zoufang/survey"
)

// bar is one bar of a chart: a label and a rate.
type bar struct {
	Label string
	Rate  survey.Rate
}

// barChart draws a horizontal bar chart as SVG on the server: one bar per
// label with the percentage and the counts beside it, so the figure reads
// the same with or without the picture. Widths are fixed in the SVG's own
// units and it scales to the page. Text is escaped here: the result is
// inserted into the page as trusted HTML.
func barChart(title string, bars []bar) string {
	const (
		labelW = 170.0
		barW   = 330.0
		rowH   = 24.0
		top    = 30.0
		width  = labelW + barW + 150
	)
	height := top + rowH*float64(len(bars)) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, height, width, height, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="0" y="18" font-size="15" font-weight="bold" fill="#1f2d3d">%s</text>`, html.EscapeString(title))
	// Grid lines at 0, 25, 50, 75 and 100 percent.
	for i := 0; i <= 4; i++ {
		x := labelW + barW*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#dde3ea" stroke-width="1"/>`, x, top-4, x, height-8)
	}
	for i, br := range bars {
		y := top + rowH*float64(i)
		label := br.Label
		if r := []rune(label); len(r) > 12 {
			label = string(r[:11]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="13" text-anchor="end" fill="#333">%s</text>`, labelW-8, y+16, html.EscapeString(label))
		pct := br.Rate.Percent()
		w := barW * pct / 100
		fill := "#2f6fb3"
		if br.Rate.Valid == 0 {
			w, fill = 0, "#bbb"
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="%s"><title>%s</title></rect>`, labelW, y+4, w, rowH-8, fill, html.EscapeString(br.Label))
		text := "无有效答卷"
		if br.Rate.Valid > 0 {
			text = strconv.FormatFloat(pct, 'f', 1, 64) + "%（" + strconv.Itoa(br.Rate.Hits) + "/" + strconv.Itoa(br.Rate.Valid) + "）"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" fill="#1f2d3d">%s</text>`, labelW+w+6, y+16, html.EscapeString(text))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
