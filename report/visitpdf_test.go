package report

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoufang/assets"
	"zoufang/survey"
)

var testToday = time.Date(2020, 4, 20, 10, 0, 0, 0, time.Local)

func visitForm(t testing.TB) *survey.Form {
	t.Helper()
	fs, err := survey.LoadForms(assets.Forms())
	if err != nil {
		t.Fatalf("load forms: %v", err)
	}
	f, ok := fs.Latest("visit")
	if !ok {
		t.Fatal("no visit form")
	}
	return f
}

// longAnswer is a long Chinese answer with a recognisable ending.
const longAnswer = "企业受疫情影响，一季度海外订单减少三成，部分生产线停产，职工工资按最低工资标准的百分之八十发放。工会已与企业负责人沟通，建议通过工资集体协商确定停工期间的工资支付办法，并为困难职工申请帮扶资金。企业表示将在五月底前恢复全部产能，并承诺不进行规模性裁员。长答案结束标记"

// richRecord builds a finalized, signed visit with n demands whose
// descriptions are long and unique ("诉求甲NN").
func richRecord(t testing.TB, n int) VisitRecord {
	t.Helper()
	f := visitForm(t)
	a := survey.SampleVisitAnswers("2020-04-15", n)
	a["difficulties_note"] = longAnswer
	a["risk_level"] = "high"
	a["risk_kinds"] = []string{"wage_arrears", "mass_layoff"}
	a["risk_explanation"] = "部分职工工资延迟发放超过一个月，存在集体讨薪苗头，需要持续关注。"
	a["measures_taken"] = strings.Repeat("向企业宣传阶段性减免社保政策，指导企业依法支付停工期间工资。", 3)
	items := a["demands"].([]survey.Answers)
	for i := range items {
		items[i]["demand_description"] = fmt.Sprintf("诉求甲%02d：%s", i+1, strings.Repeat("职工反映复工后加班费未按规定计算，希望工会出面协商。", 1+i%4))
	}
	v := survey.Visit{
		ID: "6f1d2c3b-0000-4000-8000-000000000001", EnterpriseID: "ent-1",
		FormID: f.ID, FormVersion: f.Version, Status: survey.VisitSigned, Answers: a,
		SignOff:      &survey.SignOff{SignerName: "王强", SignerTitle: "人事经理", Date: "2020-04-16"},
		Investigator: "张伟",
	}
	return VisitRecord{
		Visit: v,
		Enterprise: survey.Enterprise{ID: "ent-1", Name: "青岛海川精密机械有限公司", USCC: "91370200MA3C8XXX1X",
			District: "市南区", Street: "八大关街道", Industry: "制造业", Workers: 120, HasUnion: true, Address: "青岛市市南区香港中路 1 号"},
		Form: f, Campaign: "2020年“真情协商·和谐共赢”品牌服务活动", VersionID: "v-0123456789abcdef",
		Responses: 7, Today: testToday,
	}
}

func render(t testing.TB, recs ...VisitRecord) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteVisitPDF(&buf, recs...); err != nil {
		t.Fatalf("WriteVisitPDF: %v", err)
	}
	return buf.Bytes()
}

// pdfText runs pdftotext on data; it skips the test when poppler is missing.
func pdfText(t *testing.T, data []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed")
	}
	p := filepath.Join(t.TempDir(), "v.pdf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func pageCount(t *testing.T, data []byte) int {
	t.Helper()
	return strings.Count(pdfText(t, data), "\f")
}

func TestWriteVisitPDFDeterministic(t *testing.T) {
	rec := richRecord(t, 3)
	a, b := render(t, rec), render(t, rec)
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs differ: %d and %d bytes", len(a), len(b))
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", a[:8])
	}
}

func TestWriteVisitPDFText(t *testing.T) {
	rec := richRecord(t, 3)
	txt := squash(pdfText(t, render(t, rec)))
	for _, want := range []string{
		"真情协商·和谐共赢", "企业走访记录表", rec.Enterprise.Name, rec.Enterprise.USCC, squash(longAnswer),
		"部分复工", "人社", "企业负责人（签字）", "企业（盖章）", "走访人员（签字）", "职务", "人事经理",
		"第1页共", ContentHash(rec.Visit)[:12], rec.Visit.ID, "高", "风险情况说明",
	} {
		if !strings.Contains(txt, squash(want)) {
			t.Errorf("text lacks %q", want)
		}
	}
	// Hidden fields are omitted: partner_other is relevant only with "other".
	if strings.Contains(txt, "其他部门名称") {
		t.Error("hidden field 其他部门名称 printed")
	}
}

func TestWriteVisitPDFManyDemands(t *testing.T) {
	rec := richRecord(t, 20)
	data := render(t, rec)
	raw := pdfText(t, data)
	txt := squash(raw)
	items := rec.Visit.Answers["demands"].([]survey.Answers)
	for i, it := range items {
		if d := squash(it["demand_description"].(string)); !strings.Contains(txt, d) {
			t.Errorf("demand %d description cut off: %q", i+1, d)
		}
	}
	pages := strings.Count(raw, "\f")
	if pages < 3 {
		t.Errorf("pages = %d, want >= 3 for 20 demands", pages)
	}
	for p := 1; p <= pages; p++ {
		if want := fmt.Sprintf("第%d页共%d页", p, pages); !strings.Contains(txt, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	t.Logf("20 demands: %d pages, %d bytes", pages, len(data))
}

func TestWriteVisitPDFBatchNumbersPerRecord(t *testing.T) {
	one := render(t, richRecord(t, 1))
	n1 := pageCount(t, one)
	long := richRecord(t, 20)
	long.Visit.ID = "6f1d2c3b-0000-4000-8000-000000000002"
	n2 := pageCount(t, render(t, long))
	batch := render(t, richRecord(t, 1), long)
	txt := squash(pdfText(t, batch))
	if got, want := pageCount(t, batch), n1+n2; got != want {
		t.Fatalf("batch pages = %d, want %d", got, want)
	}
	for _, want := range []string{fmt.Sprintf("第%d页共%d页", n1, n1), fmt.Sprintf("第%d页共%d页", n2, n2)} {
		if !strings.Contains(txt, want) {
			t.Errorf("batch lacks %q", want)
		}
	}
}

func TestWriteVisitPDFHugeAnswerSplits(t *testing.T) {
	rec := richRecord(t, 1)
	var sb strings.Builder
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&sb, "第%03d行说明内容。\n", i)
	}
	rec.Visit.Answers["measures_taken"] = sb.String()
	txt := squash(pdfText(t, render(t, rec)))
	for i := 0; i < 120; i++ {
		if want := fmt.Sprintf("第%03d行说明内容。", i); !strings.Contains(txt, want) {
			t.Fatalf("line %d of a page-long answer is missing", i)
		}
	}
	if !strings.Contains(txt, "已采取的工会措施（续）") {
		t.Error("the continued row does not repeat its label")
	}
}

func TestWriteVisitPDFErrors(t *testing.T) {
	if err := WriteVisitPDF(&bytes.Buffer{}); err == nil {
		t.Error("no records: want error")
	}
	rec := richRecord(t, 1)
	rec.Form = nil
	if err := WriteVisitPDF(&bytes.Buffer{}, rec); err == nil {
		t.Error("nil form: want error")
	}
}

func TestContentHash(t *testing.T) {
	rec := richRecord(t, 2)
	h := ContentHash(rec.Visit)
	if len(h) != 64 {
		t.Fatalf("hash %q is not SHA-256 hex", h)
	}
	tests := []struct {
		name   string
		change func(v *survey.Visit)
		same   bool
	}{
		{"timestamps ignored", func(v *survey.Visit) { v.UpdatedAt = time.Now() }, true},
		{"list as []any", func(v *survey.Visit) { v.Answers["difficulties"] = []any{"orders", "funding"} }, true},
		{"answer changed", func(v *survey.Visit) { v.Answers["workers_total"] = "121" }, false},
		{"status changed", func(v *survey.Visit) { v.Status = survey.VisitFinalized }, false},
		{"sign-off changed", func(v *survey.Visit) { v.SignOff = &survey.SignOff{SignerName: "李四"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := richRecord(t, 2).Visit
			tt.change(&v)
			if got := ContentHash(v) == h; got != tt.same {
				t.Errorf("same hash = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	r := &renderer{pdf: newDoc(), widths: map[widthKey]float64{}}
	r.pdf.AddPage()
	r.font("", bodyPt)
	tests := []struct{ name, in string }{
		{"cjk", strings.Repeat("职工反映加班费未按规定计算", 10)},
		{"latin", strings.Repeat("overtime pay was not calculated ", 12)},
		{"mixed", "企业 ABC-123 在 2020年4月 " + strings.Repeat("x", 200) + " 结束"},
		{"newlines", "第一行\n\n第三行"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := r.wrap(tt.in, 50)
			for _, l := range lines {
				if w := r.pdf.GetStringWidth(l); w > 50.01 {
					t.Errorf("line %q is %.1f mm wide", l, w)
				}
			}
			if got, want := strings.ReplaceAll(strings.Join(lines, ""), " ", ""), strings.ReplaceAll(strings.ReplaceAll(tt.in, "\n", ""), " ", ""); got != want {
				t.Errorf("characters lost:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func BenchmarkWriteVisitPDF(b *testing.B) {
	for _, demands := range []int{3, 20} {
		b.Run(fmt.Sprintf("demands=%d", demands), func(b *testing.B) {
			rec := richRecord(b, demands)
			var n int
			for b.Loop() {
				var buf bytes.Buffer
				if err := WriteVisitPDF(&buf, rec); err != nil {
					b.Fatal(err)
				}
				n = buf.Len()
			}
			b.ReportMetric(float64(n), "pdf-bytes")
		})
	}
}

func BenchmarkWriteVisitPDFBatch100(b *testing.B) {
	recs := make([]VisitRecord, 100)
	for i := range recs {
		recs[i] = richRecord(b, 1+i%8)
		recs[i].Visit.ID = fmt.Sprintf("6f1d2c3b-0000-4000-8000-%012d", i)
	}
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteVisitPDF(&buf, recs...); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "pdf-bytes")
}

// TestWrapKeepsPunctuationOffLineStarts: in the PDF's 诉求内容 no line
// starts with ，、； (it did: the old wrap broke anywhere between CJK).
func TestWrapKeepsPunctuationOffLineStarts(t *testing.T) {
	r := &renderer{pdf: newDoc(), widths: map[widthKey]float64{}}
	r.pdf.AddPage()
	r.font("", bodyPt)
	in := strings.Repeat("三月工资推迟发放，部分职工社保断缴；加班费、夜班补贴未按规定计算。", 6)
	for _, w := range []float64{20, 31, 47, 50, 63, 88} {
		for i, l := range r.wrap(in, w) {
			if strings.ContainsAny(string([]rune(l)[:1]), "，。、；：？！）") {
				t.Errorf("width %v, line %d starts with punctuation: %q", w, i, l)
			}
		}
	}
}
