package web

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/survey/xlsform"
)

// workerV2 is the changed worker questionnaire of the tests (see
// survey/testdata/forms): two questions reworded, one retired, one added,
// an option added.
func workerV2(t testing.TB) *survey.Form {
	t.Helper()
	data, err := os.ReadFile("../survey/testdata/forms/worker_questionnaire.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := survey.ParseForm(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func workbook(t testing.TB, f *survey.Form) []byte {
	t.Helper()
	data, err := xlsform.Write(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// editWorkbook changes a workbook the way a person would in Excel.
func editWorkbook(t testing.TB, data []byte, edit func(x *excelize.File)) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	edit(x)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// surveyRow returns the row number of the survey sheet whose name column
// holds name, and the column letter of a header.
func surveyRow(t testing.TB, x *excelize.File, name, header string) (int, string) {
	t.Helper()
	rows, err := x.GetRows("survey")
	if err != nil {
		t.Fatal(err)
	}
	nameCol, hdrCol := -1, -1
	for i, h := range rows[0] {
		if h == "name" {
			nameCol = i
		}
		if h == header {
			hdrCol = i
		}
	}
	for r, row := range rows {
		if nameCol < len(row) && row[nameCol] == name {
			col, _ := excelize.ColumnNumberToName(hdrCol + 1)
			return r + 1, col
		}
	}
	t.Fatalf("no row %s", name)
	return 0, ""
}

var hiddenRE = regexp.MustCompile(`name="(definition|digest|source|campaign)" value="([^"]*)"`)

// publishForm posts the publish form of a preview page.
func (c *client) publishFrom(path, page string) resp {
	c.e.t.Helper()
	form := url.Values{"token": {token(c.e.t, page)}}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	return c.post(path, form)
}

func (e *env) publishedCount() int {
	e.t.Helper()
	fs, err := e.d.PublishedForms(bg)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(fs)
}

func (e *env) auditCount(action string) int {
	e.t.Helper()
	_, n, err := audit.List(bg, e.d.DB(), audit.Filter{Action: action})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// The administrator uploads a changed workbook, reads the preview, and
// publishes it; the campaign moves to the new version; the audit log says
// who and what; a second post of the same form changes nothing.
func TestPublishFormFromWorkbook(t *testing.T) {
	e := newEnv(t)
	admin := e.loggedIn("管理员甲")
	page := admin.get("/forms")
	r := admin.upload("/forms/upload", "file", map[string][]byte{"职工问卷-2027.xlsx": workbook(t, workerV2(t))}, url.Values{"token": {token(t, page.body)}})
	if r.status != http.StatusOK {
		t.Fatalf("upload: %d\n%s", r.status, r.body)
	}
	for _, want := range []string{
		"预览：“真情协商·和谐共赢”职工满意度测评问卷",
		"第 2 版（替换第 1 版）",
		"新增题目「对技能培训和就业服务的满意度」",
		"停用题目「对法律援助、困难帮扶和心理服务的满意度」（不再显示，已收集的答案保留）",
		"当「您最希望工会在哪方面提供帮助」选“其他”时显示",
		"答案须满足：本题答案的字数不大于 500（不满足时提示：意见和建议不超过 500 字）",
		"子女入托入学",
		"发布后活动改用这一版",
		"发布第 2 版",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if n := e.publishedCount(); n != 0 {
		t.Fatalf("the preview published %d forms", n)
	}
	pub := admin.publishFrom("/forms/publish", r.body)
	if pub.status != http.StatusSeeOther || pub.header.Get("Location") != "/forms" {
		t.Fatalf("publish: %d %s", pub.status, pub.body)
	}
	if n := e.publishedCount(); n != 1 {
		t.Fatalf("%d forms published, want 1", n)
	}
	c, _ := e.d.Campaign(bg)
	if c.Forms.Worker.Version != 2 {
		t.Errorf("campaign uses worker v%d", c.Forms.Worker.Version)
	}
	list := admin.get("/forms")
	if !strings.Contains(list.body, "已发布职工问卷《") || !strings.Contains(list.body, "管理员甲 于") || !strings.Contains(list.body, "职工问卷-2027.xlsx") {
		t.Errorf("forms page after publishing:\n%s", list.body)
	}
	if e.auditCount("form.publish") != 1 || e.auditCount("campaign.publish") != 1 {
		t.Errorf("audit: %d form.publish, %d campaign.publish", e.auditCount("form.publish"), e.auditCount("campaign.publish"))
	}
	if again := admin.publishFrom("/forms/publish", r.body); again.status != http.StatusConflict {
		t.Errorf("second post of the same preview: %d", again.status)
	}
	if e.publishedCount() != 1 || e.auditCount("form.publish") != 1 {
		t.Error("the second post changed something")
	}
	// Everyone may look at the published version and download it.
	ro := e.loggedIn("督导丙")
	if v := ro.get("/forms/worker_questionnaire/v2"); v.status != http.StatusOK || !strings.Contains(v.body, "管理员甲 于") {
		t.Errorf("view v2: %d", v.status)
	}
	x := ro.get("/forms/worker_questionnaire/v2/xlsx")
	if x.status != http.StatusOK {
		t.Fatalf("download: %d", x.status)
	}
	if res := xlsform.Parse([]byte(x.body), "v2.xlsx"); res.Err() != nil || res.Form.Version != 2 {
		t.Errorf("downloaded workbook: %v", res.Err())
	}
	if j := ro.get("/forms/worker_questionnaire/v2/json"); j.status != http.StatusOK || !json.Valid([]byte(j.body)) {
		t.Errorf("download json: %d", j.status)
	}
	if r := ro.get("/forms/worker_questionnaire/v9"); r.status != http.StatusNotFound {
		t.Errorf("unknown version: %d", r.status)
	}
}

// Bad input: a clear Chinese error naming where, nothing published.
func TestPublishFormRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	admin := e.loggedIn("管理员甲")
	v1, _ := e.forms.Get("worker_questionnaire", 1)
	good := workbook(t, workerV2(t))
	dup := editWorkbook(t, good, func(x *excelize.File) {
		row, col := surveyRow(t, x, "sat_skills", "name")
		x.SetCellValue("survey", col+strconv.Itoa(row), "sat_wages")
	})
	cycle := editWorkbook(t, good, func(x *excelize.File) {
		row, col := surveyRow(t, x, "help_other", "relevant")
		x.SetCellValue("survey", col+strconv.Itoa(row), "${help_other} = 'x'")
	})
	var commentRow int
	deleted := editWorkbook(t, good, func(x *excelize.File) {
		commentRow, _ = surveyRow(t, x, "comment", "name")
		x.RemoveRow("survey", commentRow)
	})
	badExpr := editWorkbook(t, good, func(x *excelize.File) {
		row, col := surveyRow(t, x, "help_other", "relevant")
		x.SetCellValue("survey", col+strconv.Itoa(row), "${help_mst} = 'other'")
	})
	for _, tt := range []struct {
		name string
		file string
		data []byte
		want []string
	}{
		{"broken workbook", "坏文件.xlsx", []byte("PK\x03\x04 这不是工作簿"), []string{"坏文件.xlsx", "无法读取 Excel 文件：文件不是 .xlsx 格式或已损坏"}},
		{"not a form file", "名录.csv", []byte("企业名称,统一社会信用代码\n"), []string{"请上传 XLSForm 工作簿（.xlsx）或表单定义文件（.json）"}},
		{"duplicate name", "重复.xlsx", dup, []string{"survey 表第 10 行 name 列（B10）：字段名 \"sat_wages\" 与第 6 行重复"}},
		{"cycle", "循环.xlsx", cycle, []string{"循环引用"}},
		{"unknown reference", "引用.xlsx", badExpr, []string{"引用了不存在的字段 ${help_mst}", "relevant 列"}},
		{"lower version", "旧版.xlsx", workbook(t, v1), []string{"settings 表", "新版本号 1 必须大于当前版本号 1"}},
		{"deleted question", "删题.xlsx", deleted, []string{"字段 comment（意见和建议）被删除"}},
		{"bad json", "定义.json", []byte(`{"id":"worker_questionnaire","version":2,"title":"x","fields":[{"name":"a","type":"radio","label":"甲"}]}`), []string{"未知的字段类型 \"radio\""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page := admin.get("/forms")
			r := admin.upload("/forms/upload", "file", map[string][]byte{tt.file: tt.data}, url.Values{"token": {token(t, page.body)}})
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", r.status, r.body)
			}
			body := html.UnescapeString(r.body)
			for _, want := range append(tt.want, "没有通过检查，未发布") {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, problemsOf(r.body))
				}
			}
			if strings.Contains(r.body, `action="/forms/publish"`) {
				t.Error("a refused upload offers to publish")
			}
		})
	}
	if e.publishedCount() != 0 || e.auditCount("form.publish") != 0 {
		t.Fatal("a refused upload published something")
	}
	// Reviewers and read-only accounts cannot publish at all.
	for _, name := range []string{"审核员乙", "督导丙"} {
		c := e.loggedIn(name)
		page := c.get("/forms")
		if strings.Contains(page.body, `action="/forms/upload"`) {
			t.Errorf("%s sees the upload form", name)
		}
		if r := c.upload("/forms/upload", "file", map[string][]byte{"a.xlsx": good}, url.Values{"token": {token(t, admin.get("/forms").body)}}); r.status != http.StatusForbidden {
			t.Errorf("%s upload: %d", name, r.status)
		}
	}
}

func problemsOf(body string) string {
	i := strings.Index(body, `id="form-problems"`)
	if i < 0 {
		i = strings.Index(body, `id="campaign-problems"`)
	}
	if i < 0 {
		return body
	}
	return body[i:min(len(body), i+3000)]
}

// A published preview that is stale when posted (another administrator
// published meanwhile) is checked again and refused, nothing written.
func TestPublishFormRechecksAtPublish(t *testing.T) {
	e := newEnv(t)
	a1, a2 := e.loggedIn("管理员甲"), e.client()
	if err := e.d.DB().Update(bg, func(tx *storage.Tx) error {
		_, err := CreateUser(tx, "测试", "管理员丁", RoleAdmin, testPassword, false)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r := a2.login("管理员丁", testPassword); r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	p1 := a1.upload("/forms/upload", "file", map[string][]byte{"a.xlsx": workbook(t, workerV2(t))}, url.Values{"token": {token(t, a1.get("/forms").body)}})
	p2 := a2.upload("/forms/upload", "file", map[string][]byte{"b.xlsx": workbook(t, workerV2(t))}, url.Values{"token": {token(t, a2.get("/forms").body)}})
	if p1.status != 200 || p2.status != 200 {
		t.Fatalf("previews: %d %d", p1.status, p2.status)
	}
	if r := a1.publishFrom("/forms/publish", p1.body); r.status != http.StatusSeeOther {
		t.Fatalf("first publish: %d", r.status)
	}
	r := a2.publishFrom("/forms/publish", p2.body)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "新版本号 2 必须大于当前版本号 2") {
		t.Errorf("second publish of version 2: %d\n%s", r.status, problemsOf(r.body))
	}
	if e.publishedCount() != 1 || e.auditCount("form.publish") != 1 {
		t.Error("the stale preview published")
	}
}

// Answers stored at the district that a new version would orphan: an
// older laptop build sent an option no published version has.
func TestPublishFormRefusesOrphaningStoredAnswers(t *testing.T) {
	e := newEnv(t)
	ents := e.importRoster(3)
	f := e.enrolField("张伟")
	if _, err := f.db.AddResponse(bg, survey.Response{EnterpriseID: ents[0].ID, VisitID: uuid.NewString(), FormID: "worker_questionnaire", FormVersion: 1,
		Answers: survey.Answers{"awareness": "little", "sat_overall": "4"}}); err != nil {
		t.Fatal(err)
	}
	e.syncUp(f)
	admin := e.loggedIn("管理员甲")
	r := admin.upload("/forms/upload", "file", map[string][]byte{"v2.xlsx": workbook(t, workerV2(t))}, url.Values{"token": {token(t, admin.get("/forms").body)}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "已收集的 1 份记录中字段 awareness（您对“真情协商·和谐共赢”品牌服务活动的了解程度）选了 little，新版本没有这个选项") {
		t.Errorf("upload over a stored answer: %d\n%s", r.status, problemsOf(r.body))
	}
	if e.publishedCount() != 0 {
		t.Error("published")
	}
}

func TestPublishCampaignFromPage(t *testing.T) {
	e := newEnv(t)
	admin := e.loggedIn("管理员甲")
	page := admin.get("/campaign")
	if !strings.Contains(page.body, "本年度活动已于") && !strings.Contains(page.body, "当前阶段") && !strings.Contains(page.body, "活动尚未开始") {
		t.Errorf("campaign page has no status line")
	}
	form := url.Values{
		"token": {token(t, page.body)}, "id": {"zhenqing-xieshang-2027"}, "name": {"2027 年“真情协商·和谐共赢”品牌服务活动"}, "year": {"2027"}, "organizer": {"市总工会"},
		"form_visit": {"visit"}, "form_worker": {"worker_questionnaire"}, "form_enterprise": {"enterprise_questionnaire"},
		"phase_id":    {"publicity", "survey", "summary", ""},
		"phase_name":  {"宣传发动", "排查摸底", "总结", ""},
		"phase_start": {"2027-03-20", "2027-04-01", "2027-11-01", ""},
		"phase_end":   {"2027-04-15", "2027-04-30", "2027-11-30", ""},
		"reason":      {"2027 年活动时间安排"},
	}
	r := admin.post("/campaign/preview", form)
	if r.status != http.StatusOK {
		t.Fatalf("preview: %d\n%s", r.status, problemsOf(r.body))
	}
	for _, want := range []string{"年度：2026 → 2027", "阶段“排查摸底”：2026-04-01 至 2026-04-30 → 2027-04-01 至 2027-04-30", "删除阶段“分析研判”", "发布活动配置"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if pc, _ := e.d.PublishedCampaign(bg); pc != nil {
		t.Fatal("the preview published")
	}
	if p := admin.publishFrom("/campaign/publish", r.body); p.status != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", p.status, p.body)
	}
	c, _ := e.d.Campaign(bg)
	if c.Year != 2027 || len(c.Phases) != 3 {
		t.Errorf("campaign in force: %+v", c)
	}
	if e.auditCount("campaign.publish") != 1 {
		t.Error("no audit entry")
	}
	if dl := admin.get("/campaign.json"); dl.status != 200 || !strings.Contains(dl.body, `"year": 2027`) {
		t.Errorf("download: %d %s", dl.status, dl.body)
	}
	// Bad edits: shown again as entered, with every problem; nothing
	// published.
	bad := func(edit func(url.Values)) resp {
		f := url.Values{}
		for k, v := range form {
			f[k] = append([]string(nil), v...)
		}
		f.Set("token", token(t, admin.get("/campaign").body))
		edit(f)
		return admin.post("/campaign/preview", f)
	}
	for name, tt := range map[string]struct {
		edit func(url.Values)
		want string
	}{
		"nested":      {func(f url.Values) { f["phase_start"][1], f["phase_end"][1] = "2027-03-25", "2027-04-10" }, "落在前一个第 1 个阶段“宣传发动”"},
		"not a date":  {func(f url.Values) { f["phase_end"][2] = "2027-11-31" }, `结束日期 "2027-11-31" 不是有效日期`},
		"order":       {func(f url.Values) { f["phase_start"][2], f["phase_end"][2] = "2027-01-01", "2027-01-31" }, "阶段应按时间先后排列"},
		"no form":     {func(f url.Values) { f.Set("form_worker", "no_such_form") }, "职工问卷所用的表单 no_such_form 尚未发布"},
		"wrong kind":  {func(f url.Values) { f.Set("form_visit", "worker_questionnaire") }, "表单 worker_questionnaire 是职工问卷，不能用作走访记录表"},
		"unchanged":   {func(f url.Values) {}, "与正在使用的活动配置完全相同"},
		"no name":     {func(f url.Values) { f.Set("name", "") }, "缺少活动名称"},
		"year letter": {func(f url.Values) { f.Set("year", "二〇二七") }, "活动年度应为四位数字的年份"},
		// Too long: refused by the campaign's check, never cut to fit
		// (the editor used to cut them to 100 and 64 characters and
		// publish what was left).
		"long name":      {func(f url.Values) { f.Set("name", strings.Repeat("真情协商", 30)) }, "活动名称过长（超过 100 个字）"},
		"long organizer": {func(f url.Values) { f.Set("organizer", strings.Repeat("市总工会", 30)) }, "过长（超过 100 个字）"},
		"long phase id":  {func(f url.Values) { f["phase_id"][0] = strings.Repeat("publicity-", 10) }, "…（共 100 个字符）"},
		"long id":        {func(f url.Values) { f.Set("id", strings.Repeat("zhenqing-", 10)) }, "活动编号 \"zhenqing-zhenqing-zhenqing-zhenqing-zhen\"…（共 90 个字符） 无效"},
	} {
		t.Run(name, func(t *testing.T) {
			r := bad(tt.edit)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.body), tt.want) {
				t.Errorf("%d, want 422 with %q\n%s", r.status, tt.want, problemsOf(r.body))
			}
		})
	}
	// A campaign file upload with a syntax error.
	r = admin.upload("/campaign/upload", "file", map[string][]byte{"活动.json": []byte(`{"id": "x",}`)}, url.Values{"token": {token(t, admin.get("/campaign").body)}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "不是有效的 JSON") {
		t.Errorf("broken campaign file: %d\n%s", r.status, problemsOf(r.body))
	}
	if e.auditCount("campaign.publish") != 1 {
		t.Error("a refused campaign was published")
	}
}
