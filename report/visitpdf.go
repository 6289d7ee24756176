// Package report renders the printed documents and exports of the visit kit:
// the 走访记录表 PDF the enterprise signs, the questionnaire summary PDF and the
// Excel workbooks. It depends on package survey only (no storage, no GUI), so
// every function here is a pure function of its input.
package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/jung-kurt/gofpdf"

	"zoufang/assets"
	"zoufang/linebreak"
	"zoufang/survey"
)

// VisitTitle is the printed title of the visit record.
const VisitTitle = "《“真情协商·和谐共赢”大走访企业走访记录表》"

// VisitRecord is everything printed on one visit record.
type VisitRecord struct {
	Visit      survey.Visit
	Enterprise survey.Enterprise
	// Form is the form the visit was filled against (Visit.FormID and
	// Visit.FormVersion); it gives labels, choice labels and relevance.
	Form *survey.Form
	// Campaign is the campaign name printed under the title.
	Campaign string
	// VersionID is the stored version of the visit being printed; it is
	// printed in the verification footer and the QR code.
	VersionID string
	// Responses is the number of questionnaire responses counted on the
	// visit.
	Responses int
	// Today is the print date (and the date relevance is evaluated at).
	Today time.Time
}

// fixedCreation is the creation date written into every PDF so the same
// input always gives the same bytes.
var fixedCreation = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// ContentHash returns the SHA-256 (hex) of the canonical JSON of the visit's
// content: ids, form, status, answers and sign-off. Timestamps, the
// investigator and the edit reason are not part of it. encoding/json writes
// map keys sorted, so the hash does not depend on map order, and answers are
// normalised first so a JSON round trip does not change it.
func ContentHash(v survey.Visit) string {
	c := struct {
		ID           string             `json:"id"`
		EnterpriseID string             `json:"enterprise_id"`
		FormID       string             `json:"form_id"`
		FormVersion  int                `json:"form_version"`
		Status       survey.VisitStatus `json:"status"`
		Answers      survey.Answers     `json:"answers"`
		SignOff      *survey.SignOff    `json:"sign_off"`
	}{v.ID, v.EnterpriseID, v.FormID, v.FormVersion, v.Status, survey.NormalizeAnswers(v.Answers), v.SignOff}
	b, err := json.Marshal(c)
	if err != nil {
		// Answers hold only strings, string lists and nested Answers after
		// normalisation; marshalling them cannot fail.
		panic("report: content hash: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Page geometry in millimetres (A4 portrait).
const (
	pageW       = 210.0
	pageH       = 297.0
	marginL     = 15.0
	marginR     = 15.0
	contentW    = pageW - marginL - marginR
	bodyTop     = 22.0
	bodyBottom  = 280.0
	cellPad     = 1.6
	lineH       = 4.8
	bodyPt      = 9.5
	fontFamily  = "noto"
	labelColW   = 58.0
	answerColW  = contentW - labelColW
	emptyAnswer = "（未填写）"
)

// newDoc creates a deterministic A4 document with the CJK font registered.
func newDoc() *gofpdf.Fpdf {
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(fontFamily, "", assets.PDFFontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", assets.PDFFontBold)
	pdf.SetCreationDate(fixedCreation)
	pdf.SetModificationDate(fixedCreation)
	pdf.SetCatalogSort(true)
	pdf.SetMargins(marginL, bodyTop, marginR)
	pdf.SetAutoPageBreak(false, 0) // every break is decided by the layout below
	pdf.SetCellMargin(0)
	pdf.SetCreator("zoufang", true)
	pdf.SetLineWidth(0.2)
	return pdf
}

// WriteVisitPDF writes one PDF holding the given visit records. Every record
// starts on a new page and has its own page numbers ("第 N 页 共 M 页"),
// header and footer, so a batch can be printed and split by enterprise.
func WriteVisitPDF(w io.Writer, recs ...VisitRecord) error {
	if len(recs) == 0 {
		return fmt.Errorf("write visit pdf: no record")
	}
	pdf := newDoc()
	r := &renderer{pdf: pdf, widths: map[widthKey]float64{}}
	pdf.SetHeaderFuncMode(r.header, false)
	pdf.SetFooterFunc(r.footer)
	for i := range recs {
		if recs[i].Form == nil {
			return fmt.Errorf("write visit pdf: visit %s: no form", recs[i].Visit.ID)
		}
		r.visit(&recs[i])
		if err := pdf.Error(); err != nil {
			return fmt.Errorf("write visit pdf: visit %s: %w", recs[i].Visit.ID, err)
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write visit pdf: %w", err)
	}
	return nil
}

type widthKey struct {
	style string
	size  float64
	r     rune
}

// renderer lays out records on a gofpdf document. It decides every page
// break itself (auto page break is off) so table rows split cleanly.
type renderer struct {
	pdf    *gofpdf.Fpdf
	widths map[widthKey]float64
	style  string
	size   float64

	rec       *VisitRecord
	hash      string
	firstPage int
	// repeatHeader redraws the header row of the table being drawn after a
	// page break; nil outside tables.
	repeatHeader func()
}

func (r *renderer) font(style string, size float64) {
	r.style, r.size = style, size
	r.pdf.SetFont(fontFamily, style, size)
}

// forceFont selects the font even when gofpdf believes it is already
// selected; needed when drawing on a page other than the last one.
func (r *renderer) forceFont(style string, size float64) {
	r.pdf.SetFont(fontFamily, style, size+0.01)
	r.font(style, size)
}

func (r *renderer) runeWidth(c rune) float64 {
	k := widthKey{r.style, r.size, c}
	if w, ok := r.widths[k]; ok {
		return w
	}
	w := r.pdf.GetStringWidth(string(c))
	r.widths[k] = w
	return w
}

// wrap breaks s into lines no wider than w in the current font, by the
// rules of package linebreak (no line starts with ，。、； and the like).
// gofpdf's SplitText is not used: it drops the character at every break
// between CJK characters.
func (r *renderer) wrap(s string, w float64) []string {
	return linebreak.Wrap(s, w, r.runeWidth)
}

// header draws the running header of the current record.
func (r *renderer) header() {
	if r.rec == nil {
		return
	}
	pdf := r.pdf
	r.forceFont("", 8)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetXY(marginL, 10)
	pdf.CellFormat(contentW/2, 5, "“真情协商·和谐共赢”大走访", "", 0, "L", false, 0, "")
	right := r.rec.Enterprise.Name + " · 企业走访记录表"
	pdf.SetXY(marginL+contentW/2, 10)
	pdf.CellFormat(contentW/2, 5, r.fit(right, contentW/2), "", 0, "R", false, 0, "")
	pdf.SetDrawColor(150, 150, 150)
	pdf.Line(marginL, 15.5, pageW-marginR, 15.5)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	r.font("", bodyPt)
	pdf.SetXY(marginL, bodyTop)
}

// footer draws the running footer; the page number is added when the
// record is complete and its page count is known (see numberPages).
func (r *renderer) footer() {
	if r.rec == nil {
		return
	}
	pdf := r.pdf
	r.forceFont("", 7.5)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetDrawColor(150, 150, 150)
	pdf.Line(marginL, 284, pageW-marginR, 284)
	pdf.SetDrawColor(0, 0, 0)
	left := fmt.Sprintf("记录编号 %s · 版本 %s · 校验码 %s", r.rec.Visit.ID, short(r.rec.VersionID, 8), r.hash[:12])
	pdf.SetXY(marginL, 285.5)
	pdf.CellFormat(contentW-40, 4, r.fit(left, contentW-40), "", 0, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
}

// numberPages writes "第 N 页 共 M 页" on every page of the record just
// finished, then returns to its last page.
func (r *renderer) numberPages() {
	pdf := r.pdf
	last := pdf.PageNo()
	total := last - r.firstPage + 1
	for p := r.firstPage; p <= last; p++ {
		pdf.SetPage(p)
		r.forceFont("", 8)
		pdf.SetTextColor(0, 0, 0)
		pdf.SetXY(pageW-marginR-40, 285.3)
		pdf.CellFormat(40, 4.4, fmt.Sprintf("第 %d 页 共 %d 页", p-r.firstPage+1, total), "", 0, "R", false, 0, "")
	}
	pdf.SetPage(last)
}

// fit shortens s with an ellipsis so it fits width w in the current font.
func (r *renderer) fit(s string, w float64) string {
	if r.pdf.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && r.pdf.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (r *renderer) newPage() {
	r.pdf.AddPage()
	r.font("", bodyPt)
	r.pdf.SetXY(marginL, bodyTop)
	if r.repeatHeader != nil {
		r.repeatHeader()
	}
}

// ensure starts a new page unless h millimetres fit below the current
// position.
func (r *renderer) ensure(h float64) {
	if r.pdf.GetY()+h > bodyBottom {
		r.newPage()
	}
}

// visit lays out one record.
func (r *renderer) visit(rec *VisitRecord) {
	pdf := r.pdf
	r.rec = rec
	r.hash = ContentHash(rec.Visit)
	r.repeatHeader = nil
	pdf.AddPage()
	r.firstPage = pdf.PageNo()

	// Title block.
	r.font("B", 15)
	pdf.SetXY(marginL, bodyTop+2)
	pdf.CellFormat(contentW, 8, VisitTitle, "", 1, "C", false, 0, "")
	r.font("", 9.5)
	sub := []string{}
	if rec.Campaign != "" {
		sub = append(sub, "活动："+rec.Campaign)
	}
	if rec.Enterprise.District != "" {
		sub = append(sub, "区市："+rec.Enterprise.District)
	}
	sub = append(sub, "记录状态："+rec.Visit.Status.Label())
	pdf.SetX(marginL)
	pdf.CellFormat(contentW, 6, r.fit(strings.Join(sub, "　　"), contentW), "", 1, "C", false, 0, "")
	pdf.SetY(pdf.GetY() + 3)

	ev := survey.Evaluate(rec.Form, rec.Visit.Answers, rec.Today)
	e := rec.Enterprise
	r.section("企业基本情况")
	r.kvTable([][2]string{
		{"企业名称", e.Name},
		{"统一社会信用代码", e.USCC},
		{"所属区市", e.District},
		{"镇街", e.Street},
		{"行业", e.Industry},
		{"职工人数", intText(e.Workers)},
		{"是否建会", yesNo(e.HasUnion)},
		{"地址", e.Address},
	})
	extra := [][2]string{}
	if rec.Visit.Investigator != "" {
		extra = append(extra, [2]string{"填报人", rec.Visit.Investigator})
	}
	extra = append(extra, [2]string{"现场问卷份数", strconv.Itoa(rec.Responses)})
	if rec.Visit.EditReason != "" {
		extra = append(extra, [2]string{"完成后修改原因", rec.Visit.EditReason})
	}

	var loose [][2]string // top-level answers outside any section
	for i := range rec.Form.Fields {
		fd := &rec.Form.Fields[i]
		switch fd.Type {
		case survey.TypeGroup:
			if !ev.Relevant(fd.Name) {
				continue
			}
			r.flushLoose(&loose)
			rows, repeats := r.groupRows(ev, fd, rec)
			if fd.Name == "basic" {
				rows = append(rows, extra...)
				extra = nil
			}
			if len(rows) == 0 && len(repeats) == 0 {
				continue
			}
			r.section(fd.Label)
			r.kvTable(rows)
			for _, rp := range repeats {
				r.repeatTable(ev, rp, rec)
			}
		case survey.TypeRepeat:
			if !ev.Relevant(fd.Name) {
				continue
			}
			r.flushLoose(&loose)
			r.section(fd.Label)
			r.repeatTable(ev, fd, rec)
		case survey.TypeNote:
		default:
			if ev.Relevant(fd.Name) {
				loose = append(loose, [2]string{fd.Label, answerText(ev, fd, fd.Name, rec)})
			}
		}
	}
	r.flushLoose(&loose)
	if len(extra) > 0 {
		r.section("其他")
		r.kvTable(extra)
	}
	r.signatures(rec)
	r.verification(rec)
	r.numberPages()
	r.rec = rec // the footer of the last page is drawn by the next AddPage or Close
}

func (r *renderer) flushLoose(loose *[][2]string) {
	if len(*loose) == 0 {
		return
	}
	r.kvTable(*loose)
	*loose = nil
}

// groupRows returns the question/answer rows of a group (nested groups
// flattened) and the relevant repeat groups inside it.
func (r *renderer) groupRows(ev *survey.Evaluation, g *survey.Field, rec *VisitRecord) (rows [][2]string, repeats []*survey.Field) {
	for i := range g.Fields {
		fd := &g.Fields[i]
		if !ev.Relevant(fd.Name) {
			continue
		}
		switch fd.Type {
		case survey.TypeNote:
		case survey.TypeGroup:
			sub, rp := r.groupRows(ev, fd, rec)
			rows = append(rows, sub...)
			repeats = append(repeats, rp...)
		case survey.TypeRepeat:
			repeats = append(repeats, fd)
		default:
			rows = append(rows, [2]string{fd.Label, answerText(ev, fd, fd.Name, rec)})
		}
	}
	return rows, repeats
}

// answerText is the printed text of one answer: choice labels for selects,
// computed values for calculations, a placeholder when unanswered.
func answerText(ev *survey.Evaluation, fd *survey.Field, path string, rec *VisitRecord) string {
	v := ev.Value(path)
	var s string
	switch x := v.(type) {
	case nil:
	case string:
		s = x
	case []string:
		labels := make([]string, len(x))
		for i, c := range x {
			labels[i] = fd.ChoiceLabel(c)
		}
		return nonEmpty(strings.Join(labels, "、"))
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
		if fd.Type == survey.TypeCalculate && strings.Contains(s, ".") {
			s = strconv.FormatFloat(x, 'f', 1, 64)
		}
	case bool:
		s = yesNo(x)
	default:
		s = fmt.Sprint(x)
	}
	switch fd.Type {
	case survey.TypeSelectOne:
		if s != "" {
			s = fd.ChoiceLabel(s)
		}
	case survey.TypeSelectMultiple:
		if s != "" {
			s = fd.ChoiceLabel(s)
		}
	case survey.TypeEnterprise:
		if s != "" && s == rec.Enterprise.ID {
			s = rec.Enterprise.Name
		}
	case survey.TypeImage:
		if s != "" {
			s = "已附图片（编号 " + short(s, 12) + "）"
		}
	}
	return nonEmpty(s)
}

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return emptyAnswer
	}
	return s
}

func intText(n int) string {
	if n <= 0 {
		return emptyAnswer
	}
	return strconv.Itoa(n)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// section draws a section title, keeping it on the same page as at least
// two lines of what follows.
func (r *renderer) section(title string) {
	r.repeatHeader = nil
	r.ensure(8 + 2*lineH + 2*cellPad + 2)
	pdf := r.pdf
	pdf.SetY(pdf.GetY() + 2)
	r.font("B", 11)
	pdf.SetFillColor(225, 232, 242)
	pdf.SetX(marginL)
	pdf.CellFormat(contentW, 7, " "+title, "", 1, "L", true, 0, "")
	pdf.SetY(pdf.GetY() + 1)
	r.font("", bodyPt)
}

type column struct {
	w     float64
	align string
}

// kvTable draws a question / answer table.
func (r *renderer) kvTable(rows [][2]string) {
	cols := []column{{labelColW, "L"}, {answerColW, "L"}}
	for _, row := range rows {
		r.row(cols, []string{row[0], nonEmpty(row[1])}, []bool{true, false})
	}
}

// repeatTable draws a repeat group as a sub-table, one row per item; the
// demands repeat gets its own column layout.
func (r *renderer) repeatTable(ev *survey.Evaluation, rp *survey.Field, rec *VisitRecord) {
	items, _ := survey.NormalizeAnswers(survey.Answers{"x": rec.Visit.Answers[rp.Name]})["x"].([]survey.Answers)
	if len(items) == 0 {
		r.kvTable([][2]string{{rp.Label, "无"}})
		return
	}
	var children []*survey.Field
	for i := range rp.Fields {
		if t := rp.Fields[i].Type; t != survey.TypeNote && t != survey.TypeGroup && t != survey.TypeRepeat {
			children = append(children, &rp.Fields[i])
		}
	}
	// Column widths: the longest text column (textarea) takes what is left.
	widths := make([]float64, len(children)+1)
	widths[0] = 10
	rest := contentW - widths[0]
	wide := -1
	for i, c := range children {
		switch c.Type {
		case survey.TypeTextarea:
			if wide < 0 {
				wide = i
				continue
			}
			widths[i+1] = 30
		case survey.TypeInteger, survey.TypeDecimal:
			widths[i+1] = 18
		case survey.TypeDate:
			widths[i+1] = 22
		default:
			widths[i+1] = 22
		}
		rest -= widths[i+1]
	}
	if wide >= 0 {
		widths[wide+1] = rest
	} else {
		for i := range children {
			widths[i+1] = (contentW - widths[0]) / float64(len(children))
		}
	}
	if wide >= 0 && rest < 30 {
		even := (contentW - widths[0]) / float64(len(children))
		for i := range children {
			widths[i+1] = even
		}
	}
	cols := make([]column, len(widths))
	head := make([]string, len(widths))
	cols[0], head[0] = column{widths[0], "C"}, "序号"
	for i, c := range children {
		al := "L"
		if c.Type == survey.TypeInteger || c.Type == survey.TypeDecimal {
			al = "C"
		}
		cols[i+1], head[i+1] = column{widths[i+1], al}, c.Label
	}
	shade := make([]bool, len(cols))
	drawHead := func() {
		hc := make([]column, len(cols))
		for i := range cols {
			hc[i] = column{cols[i].w, "C"}
		}
		r.font("B", 9)
		r.row(hc, head, allTrue(len(cols)))
		r.font("", bodyPt)
	}
	r.ensure(2*(2*lineH+2*cellPad) + 1)
	drawHead()
	r.repeatHeader = drawHead
	for i := range items {
		cells := make([]string, len(cols))
		cells[0] = strconv.Itoa(i + 1)
		for j, c := range children {
			path := fmt.Sprintf("%s[%d].%s", rp.Name, i, c.Name)
			if !ev.Relevant(path) {
				cells[j+1] = "—"
				continue
			}
			cells[j+1] = answerText(ev, c, path, rec)
		}
		r.row(cols, cells, shade)
	}
	r.repeatHeader = nil
}

func allTrue(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

// row draws one table row. A row that does not fit below the current
// position moves to the next page; a row taller than a whole page is split
// line by line across pages, each part with its own borders.
func (r *renderer) row(cols []column, cells []string, shaded []bool) {
	pdf := r.pdf
	style, size := r.style, r.size
	lines := make([][]string, len(cols))
	n := 1
	for i, c := range cols {
		if shaded[i] && style == "" {
			r.font("B", size-0.5)
		}
		lines[i] = r.wrap(cells[i], c.w-2*cellPad)
		r.font(style, size)
		if len(lines[i]) > n {
			n = len(lines[i])
		}
	}
	full := float64(n)*lineH + 2*cellPad
	if pdf.GetY()+full > bodyBottom && full <= bodyBottom-bodyTop-12 {
		r.newPage()
	}
	start := 0
	for start < n {
		avail := int((bodyBottom - pdf.GetY() - 2*cellPad) / lineH)
		if avail < 1 {
			r.newPage()
			continue
		}
		end := min(start+avail, n)
		h := float64(end-start)*lineH + 2*cellPad
		y := pdf.GetY()
		x := marginL
		for i, c := range cols {
			if shaded[i] {
				pdf.SetFillColor(244, 246, 249)
				pdf.Rect(x, y, c.w, h, "FD")
				if style == "" {
					r.font("B", size-0.5)
				}
			} else {
				pdf.Rect(x, y, c.w, h, "D")
			}
			for k := start; k < end && k < len(lines[i]); k++ {
				pdf.SetXY(x+cellPad, y+cellPad+float64(k-start)*lineH)
				pdf.CellFormat(c.w-2*cellPad, lineH, lines[i][k], "", 0, c.align, false, 0, "")
			}
			if start > 0 && start >= len(lines[i]) && shaded[i] {
				// A label already printed on an earlier page: say whose
				// answer continues here.
				pdf.SetXY(x+cellPad, y+cellPad)
				pdf.CellFormat(c.w-2*cellPad, lineH, r.fit(cells[i], c.w-2*cellPad-r.pdf.GetStringWidth("（续）"))+"（续）", "", 0, c.align, false, 0, "")
			}
			r.font(style, size)
			x += c.w
		}
		pdf.SetXY(marginL, y+h)
		start = end
		if start < n {
			r.newPage()
		}
	}
}

// signatures draws the sign-off block, kept on one page.
func (r *renderer) signatures(rec *VisitRecord) {
	pdf := r.pdf
	r.repeatHeader = nil
	const h = 62.0
	r.ensure(h + 10)
	r.section("签字栏")
	y := pdf.GetY()
	half := contentW / 2
	pdf.Rect(marginL, y, half, h, "D")
	pdf.Rect(marginL+half, y, half, h, "D")
	r.font("", 10)
	lineAt := func(x, yy float64, label, value string) {
		lw := pdf.GetStringWidth(label) + 2
		pdf.SetXY(x+3, yy)
		pdf.CellFormat(lw, 6, label, "", 0, "L", false, 0, "")
		pdf.Line(x+3+lw, yy+6, x+half-4, yy+6)
		if value != "" {
			pdf.SetXY(x+5+lw, yy)
			pdf.CellFormat(half-10-lw, 6, r.fit(value, half-10-lw), "", 0, "L", false, 0, "")
		}
	}
	var name, title, date string
	if so := rec.Visit.SignOff; so != nil {
		name, title, date = so.SignerName, so.SignerTitle, so.Date
	}
	lineAt(marginL, y+5, "企业负责人（签字）", "")
	lineAt(marginL, y+19, "职务", title)
	lineAt(marginL, y+33, "日期", date)
	if name != "" {
		r.font("", 8)
		pdf.SetXY(marginL+3, y+44)
		pdf.MultiCell(half-6, 4.2, fmt.Sprintf("已于 %s 由 %s 签字确认，本记录状态：%s。", nonEmpty(date), name, rec.Visit.Status.Label()), "", "L", false)
	}
	r.font("", 10)
	pdf.SetXY(marginL+half+3, y+5)
	pdf.CellFormat(half-6, 6, "企业（盖章）", "", 0, "L", false, 0, "")
	pdf.SetDrawColor(170, 170, 170)
	pdf.Circle(marginL+half+half/2, y+34, 19, "D")
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetY(y + h + 3)
	y = pdf.GetY()
	pdf.Rect(marginL, y, contentW, 16, "D")
	pdf.SetXY(marginL+3, y+5)
	pdf.CellFormat(34, 6, "走访人员（签字）", "", 0, "L", false, 0, "")
	pdf.Line(marginL+38, y+11, marginL+120, y+11)
	pdf.SetXY(marginL+125, y+5)
	pdf.CellFormat(12, 6, "日期", "", 0, "L", false, 0, "")
	pdf.Line(marginL+137, y+11, pageW-marginR-4, y+11)
	pdf.SetY(y + 19)
	r.font("", bodyPt)
}

// verification draws the block tying the paper to the stored version: ids,
// short content hash and a QR code carrying them.
func (r *renderer) verification(rec *VisitRecord) {
	pdf := r.pdf
	const h = 34.0
	r.ensure(h + 2)
	y := pdf.GetY() + 1
	pdf.SetDrawColor(120, 120, 120)
	pdf.SetDashPattern([]float64{1, 1}, 0)
	pdf.Rect(marginL, y, contentW, h, "D")
	pdf.SetDashPattern(nil, 0)
	pdf.SetDrawColor(0, 0, 0)
	payload := fmt.Sprintf("zoufang-visit;id=%s;version=%s;sha256=%s", rec.Visit.ID, rec.VersionID, r.hash[:12])
	if name, err := r.qrImage(payload); err == nil {
		pdf.ImageOptions(name, marginL+2, y+2, 30, 30, false, gofpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	} else {
		pdf.SetError(fmt.Errorf("qr code: %w", err))
		return
	}
	x := marginL + 36
	r.font("B", 9)
	pdf.SetXY(x, y+2.5)
	pdf.CellFormat(contentW-38, 5, "核验信息", "", 1, "L", false, 0, "")
	r.font("", 8)
	for _, l := range []string{
		"记录编号：" + rec.Visit.ID,
		"版本编号：" + nonEmpty(rec.VersionID),
		"内容校验码（SHA-256 前 12 位）：" + r.hash[:12],
		fmt.Sprintf("表单：%s 第 %d 版　　打印日期：%s", rec.Form.Title, rec.Form.Version, rec.Today.Format("2006-01-02")),
		"扫描二维码或核对以上编号，可确认本表与系统中保存的记录版本一致。",
	} {
		pdf.SetX(x)
		pdf.CellFormat(contentW-38, 4.6, r.fit(l, contentW-38), "", 1, "L", false, 0, "")
	}
	pdf.SetXY(marginL, y+h+1)
	r.font("", bodyPt)
}

// qrImage registers a QR code PNG for payload and returns its image name.
func (r *renderer) qrImage(payload string) (string, error) {
	code, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	scaled, err := barcode.Scale(code, code.Bounds().Dx()*4, code.Bounds().Dy()*4)
	if err != nil {
		return "", err
	}
	// The QR image is 16-bit gray, which gofpdf cannot embed; copy it to
	// an 8-bit image.
	b := scaled.Bounds()
	gray := image.NewGray(b)
	draw.Draw(gray, b, scaled, b.Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, gray); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(payload))
	name := "qr-" + hex.EncodeToString(sum[:8])
	r.pdf.RegisterImageOptionsReader(name, gofpdf.ImageOptions{ImageType: "PNG"}, &buf)
	return name, r.pdf.Error()
}
