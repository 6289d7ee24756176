package web

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPublish publishes a changed worker questionnaire and a new
// campaign in headless chromium as a district administrator would: upload
// the workbook, read the preview, publish; edit the campaign's phases,
// preview, publish. Screenshots: workbench-form-preview(-outline),
// workbench-forms, workbench-campaign(-preview).
func TestBrowserPublish(t *testing.T) {
	e := newEnv(t)
	e.populate()
	ctx := browser(t)
	u := e.srv.URL
	run(t, ctx, "log in",
		chromedp.Navigate(u+"/login"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "管理员甲"), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.CSS("nav.side")))

	book := filepath.Join(t.TempDir(), "职工问卷-2027.xlsx")
	if err := os.WriteFile(book, workbook(t, workerV2(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "forms", chromedp.Navigate(u+"/forms"), chromedp.WaitVisible(chromedp.ID("form-upload")))
	run(t, ctx, "upload workbook",
		chromedp.SetUploadFiles(chromedp.CSS(`#form-upload input[type=file]`), []string{book}),
		chromedp.Click(chromedp.CSS(`#form-upload button`)),
		chromedp.WaitVisible(chromedp.ID("form-outline")))
	wantText(t, ctx, "preview", "预览：", "与第 1 版相比", "新增题目「对技能培训和就业服务的满意度」", "当「您最希望工会在哪方面提供帮助」选“其他”时显示", "发布第 2 版")
	shot(t, ctx, "form-preview")
	run(t, ctx, "scroll to the questions", chromedp.ScrollIntoView(chromedp.CSS(`#form-outline section`)))
	shot(t, ctx, "form-preview-outline")
	if n := e.publishedCount(); n != 0 {
		t.Fatalf("%d forms published by the preview", n)
	}
	run(t, ctx, "publish", chromedp.Click(chromedp.CSS(`#form-publish button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	wantText(t, ctx, "published", "已发布职工问卷", "新记录使用此版")
	shot(t, ctx, "forms")
	if n := e.publishedCount(); n != 1 {
		t.Fatalf("%d forms published, want 1", n)
	}

	run(t, ctx, "campaign", chromedp.Navigate(u+"/campaign"), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	wantText(t, ctx, "campaign", "宣传发动", "职工问卷", "第 2 版")
	run(t, ctx, "edit campaign",
		chromedp.Click(chromedp.CSS(`#campaign-edit summary`)),
		chromedp.SetValue(chromedp.CSS(`input[name=year]`), "2027"),
		chromedp.SetValue(chromedp.CSS(`input[name=id]`), "zhenqing-xieshang-2027"),
		chromedp.SetValue(chromedp.CSS(`input[name=name]`), "2027 年“真情协商·和谐共赢”品牌服务活动"),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name=phase_start], input[name=phase_end]').forEach(i => { if (i.value) i.value = '2027' + i.value.slice(4) })`),
		chromedp.SetValue(chromedp.CSS(`input[name=reason]`), "2027 年活动时间安排"),
		chromedp.Click(chromedp.CSS(`#campaign-edit form[action="/campaign/preview"] button`)),
		chromedp.WaitVisible(chromedp.ID("campaign-publish")))
	wantText(t, ctx, "campaign preview", "年度：2026 → 2027", "发布活动配置")
	shot(t, ctx, "campaign-preview")
	run(t, ctx, "publish campaign", chromedp.Click(chromedp.CSS(`#campaign-publish button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	wantText(t, ctx, "campaign published", "已发布活动配置", "2027 年“真情协商·和谐共赢”品牌服务活动", "第 2 次发布")
	shot(t, ctx, "campaign")
	if c, _ := e.d.Campaign(bg); c.Year != 2027 {
		t.Errorf("campaign in force is for %d", c.Year)
	}
}
