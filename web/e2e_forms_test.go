package web

import (
	"bytes"
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zoufang/report"
	"zoufang/storage"
	"zoufang/survey"
)

// pdfToText extracts the text of a PDF with poppler's pdftotext (installed
// by scripts/install-deps.sh; a missing one fails the test).
func pdfToText(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.pdf")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (scripts/install-deps.sh installs poppler-utils): %v", err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// pageText is a page's text without tags and white space.
func pageText(body string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(body, " "))), "")
}

// addResponses fills worker questionnaires on the laptop the way the app
// does: on the newest version of the campaign's worker form in force.
func addResponses(t *testing.T, f *field, e survey.Enterprise, visitID string, today time.Time, answers ...survey.Answers) *survey.Form {
	t.Helper()
	reg := storage.NewRegistry(f.db)
	forms, err := reg.Forms(bg)
	if err != nil {
		t.Fatal(err)
	}
	camp, err := reg.Campaign(bg)
	if err != nil {
		t.Fatal(err)
	}
	form, ok := forms.Latest(camp.Forms.Worker.ID)
	if !ok {
		t.Fatal("no worker questionnaire")
	}
	for _, a := range answers {
		if ps := survey.Validate(form, a, today); len(ps) > 0 {
			t.Fatalf("answers %v invalid on version %d: %v", a, form.Version, ps)
		}
		if _, err := f.db.AddResponse(bg, survey.Response{EnterpriseID: e.ID, VisitID: visitID, FormID: form.ID, FormVersion: form.Version,
			Kind: survey.RespondentWorker, Answers: survey.Clean(form, a, today)}); err != nil {
			t.Fatal(err)
		}
	}
	return form
}

// worker is a complete worker questionnaire: satisfaction s for every
// five-point question the version asks, overall o.
func worker(version int, aware, s, o string) survey.Answers {
	a := survey.Answers{"awareness": aware, "participated": "yes", "sat_wages": s, "sat_protection": s, "sat_democracy": s, "sat_bargaining": s, "sat_overall": o}
	if version == 1 {
		a["sat_services"] = s
	} else {
		a["sat_skills"] = s
	}
	return a
}

// TestPublishedWorkerQuestionnaireEndToEnd is issue 14's end-to-end test:
// the district publishes a changed worker questionnaire from the
// workbench; a laptop receives it in a down bundle carried on a USB stick;
// questionnaires filled afterwards use it while those filled before keep
// version 1; back at the district, the summary PDF and the 统计 page count
// both versions and say how they combine.
func TestPublishedWorkerQuestionnaireEndToEnd(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(6)
	f := e.enrolField("张伟")
	if _, err := e.d.AssignEnterprises(bg, "测试", f.l.DeviceID(), []string{ents[0].ID, ents[1].ID}); err != nil {
		t.Fatal(err)
	}
	e.sendDown(f)
	visitForm, _ := e.forms.Latest("visit")
	v, err := f.db.CreateVisit(bg, ents[0].ID, visitForm)
	if err != nil {
		t.Fatal(err)
	}

	// Before: two questionnaires on version 1.
	if got := addResponses(t, f, ents[0], v.ID, e.clock.Now(), worker(1, "very", "5", "5"), worker(1, "no", "2", "3")); got.Version != 1 {
		t.Fatalf("before publishing the laptop fills version %d", got.Version)
	}
	e.syncUp(f)

	// The campaign office's workbook, published from the workbench.
	admin := e.loggedIn("管理员甲")
	preview := admin.upload("/forms/upload", "file", map[string][]byte{"职工问卷-第2版.xlsx": workbook(t, workerV2(t))}, url.Values{"token": {token(t, admin.get("/forms").body)}})
	if preview.status != http.StatusOK {
		t.Fatalf("preview: %d\n%s", preview.status, problemsOf(preview.body))
	}
	if !strings.Contains(pageText(preview.body), "本区已收到的2份记录的答案在新版本中都能读取") {
		t.Errorf("the preview does not say the 2 stored responses were checked")
	}
	if r := admin.publishFrom("/forms/publish", preview.body); r.status != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}

	// The down bundle, downloaded from the device page, on a USB stick.
	page := admin.get("/devices/" + f.l.DeviceID())
	down := admin.post("/devices/"+f.l.DeviceID()+"/down", url.Values{"token": {token(t, page.body)}})
	if down.status != http.StatusOK || down.header.Get("X-Zoufang-Records") == "" {
		t.Fatalf("down bundle: %d %s", down.status, down.body)
	}
	usb := filepath.Join(t.TempDir(), "下发包.zfb")
	if err := os.WriteFile(usb, []byte(down.body), 0o600); err != nil {
		t.Fatal(err)
	}
	stick, err := os.ReadFile(usb)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.l.Import(bg, f.db, stick)
	if err != nil {
		t.Fatalf("laptop import: %v", err)
	}
	if res.Down == nil || res.Down.Put.Applied < 2 {
		t.Fatalf("laptop import: %+v", res.Down)
	}

	// After: new questionnaires use version 2; the old ones keep 1.
	if got := addResponses(t, f, ents[1], "", e.clock.Now(), worker(2, "heard", "4", "4"), worker(2, "know", "5", "2")); got.Version != 2 {
		t.Fatalf("after publishing the laptop fills version %d", got.Version)
	}
	rs, err := f.db.Responses(bg, storage.ResponseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byVersion := map[int]int{}
	for _, r := range rs {
		byVersion[r.FormVersion]++
		if r.FormVersion == 1 && (r.Answers["sat_services"] == nil || r.Answers["sat_skills"] != nil) {
			t.Errorf("a version 1 response changed: %v", r.Answers)
		}
	}
	if byVersion[1] != 2 || byVersion[2] != 2 {
		t.Fatalf("laptop responses by version: %v", byVersion)
	}
	// The laptop's own summary (zoufang print --summary) reads both.
	lforms, _ := storage.NewRegistry(f.db).Forms(bg)
	var lbuf bytes.Buffer
	if err := report.WriteSummaryPDF(&lbuf, report.Summary{Enterprise: ents[0], Rates: survey.ComputeRates(rs), Today: e.clock.Now(), Forms: lforms}); err != nil {
		t.Fatal(err)
	}
	if txt := pdfToText(t, lbuf.Bytes()); !strings.Contains(txt, "职工问卷（worker_questionnaire）：第1版2份，第2版2份") {
		t.Errorf("laptop summary PDF:\n%s", txt)
	}
	e.syncUp(f)

	// 统计: both versions in the figures, counted, explained.
	stats := pageText(admin.get("/stats").body)
	for _, want := range []string{
		"4份问卷（职工4，经营者0）",
		"50.0%2/4", // 满意率: 5, 3 | 4, 2: 2 of 4 over both versions
		"职工问卷（worker_questionnaire）：第1版2份，第2版2份",
		"「对技能培训和就业服务的满意度」：第1版没有此题（2份），只按第2版的2份答卷计算",
		"「对法律援助、困难帮扶和心理服务的满意度」：第2版已停用此题（2份），只按第1版的2份答卷计算",
	} {
		if !strings.Contains(stats, want) {
			t.Errorf("统计 lacks %q:\n%s", want, stats)
		}
	}
	// The district's summary PDF.
	pdf := admin.get("/stats/summary.pdf")
	if pdf.status != http.StatusOK {
		t.Fatalf("summary pdf: %d", pdf.status)
	}
	txt := pdfToText(t, []byte(pdf.body))
	for _, want := range []string{
		"问卷版本职工问卷（worker_questionnaire）：第1版2份，第2版2份",
		"满意率（总体满意+非常满意）4250.0%",
		"满意：劳动保护和安全生产措施", // the new wording
		"满意：技能培训和就业服务",
		"满意：法律援助与帮扶服务",
		"「对技能培训和就业服务的满意度」：第1版没有此题（2份），只按第2版的2份答卷计算",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("summary PDF lacks %q:\n%s", want, txt)
		}
	}
	// And the city workbook has every response with its version; a
	// question a version does not ask stays blank in its rows.
	x := admin.get("/stats/city.xlsx")
	if x.status != http.StatusOK {
		t.Fatalf("city workbook: %d", x.status)
	}
	book, err := excelize.OpenReader(strings.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("职工问卷")
	if err != nil || len(rows) != 5 {
		t.Fatalf("职工问卷 sheet: %d rows, %v", len(rows), err)
	}
	col := func(head string) int {
		for i, h := range rows[0] {
			if h == head {
				return i
			}
		}
		t.Fatalf("no column %q in %v", head, rows[0])
		return 0
	}
	ver, skills, services := col("问卷版本"), col("对技能培训和就业服务的满意度"), col("对法律援助、困难帮扶和心理服务的满意度")
	cell := func(row []string, i int) string {
		if i < len(row) {
			return row[i]
		}
		return ""
	}
	seen := map[string]int{}
	for _, row := range rows[1:] {
		v := cell(row, ver)
		seen[v]++
		if (v == "第 1 版") != (cell(row, skills) == "" && cell(row, services) != "") {
			t.Errorf("row %v: version %s with 技能培训 %q, 法律援助 %q", row[0], v, cell(row, skills), cell(row, services))
		}
	}
	if seen["第 1 版"] != 2 || seen["第 2 版"] != 2 {
		t.Errorf("versions in the workbook: %v", seen)
	}
}
