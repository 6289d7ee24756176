package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"zoufang/survey"
)

// TestBrowserReview drives the review in headless chromium: the queue, a
// comment typed beside an answer, 退回修改; after the team's edit, the page
// shows what changed and the earlier comment, and 审核通过 ends it. It
// takes the screenshots docs/screenshots/workbench-reviews.png and
// workbench-review.png.
func TestBrowserReview(t *testing.T) {
	e := newEnv(t)
	a, _, _ := e.populate()
	vs, _, err := e.d.DB().ListReviews(bg, reviewQuery(a.l.DeviceID()))
	if err != nil || len(vs) == 0 {
		t.Fatalf("no finished visits of 张伟 to review: %v", err)
	}
	visit := vs[0].VisitID
	ctx := browser(t)
	u := e.srv.URL
	run(t, ctx, "log in",
		chromedp.Navigate(u+"/login"), chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "审核员乙"), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.CSS("nav.side")))
	run(t, ctx, "queue", chromedp.Click(chromedp.Search(`//nav//a[.="审核"]`)), chromedp.WaitVisible(chromedp.CSS(".tabs")))
	wantText(t, ctx, "queue", "待处理", "待审核", "已修改待复审")

	run(t, ctx, "return with a comment",
		chromedp.Navigate(u+"/visits/"+visit+"/review"), chromedp.WaitVisible(chromedp.ID("comment")),
		chromedp.SendKeys(chromedp.CSS(`input[name="c.workers_interviewed"]`), "访谈记录只写了一位职工，请核实谈话人数"),
		chromedp.SendKeys(chromedp.ID("comment"), "请核实后补充，并把诉求写具体"),
		chromedp.Click(chromedp.CSS(`button[value=returned]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	wantText(t, ctx, "returned", "已退回修改")

	// The team answers the comment; the reviewer sees the change.
	e.sendDown(a)
	v, err := a.db.Visit(bg, visit)
	if err != nil {
		t.Fatal(err)
	}
	v.Answers["workers_interviewed"] = "4"
	items := v.Answers["demands"].([]survey.Answers)
	items[0]["demand_description"] = "一线职工反映三月、四月加班费未按150%计发，涉及装配车间约40人"
	v.EditReason = "按区总工会审核意见修改"
	if _, err := a.db.SaveVisit(bg, v); err != nil {
		t.Fatal(err)
	}
	e.syncUp(a)
	run(t, ctx, "queue again", chromedp.Navigate(u+"/reviews"), chromedp.WaitVisible(chromedp.CSS(".tabs")))
	wantText(t, ctx, "queue again", "已修改待复审（1）")
	shot(t, ctx, "reviews")
	run(t, ctx, "re-review", chromedp.Navigate(u+"/visits/"+visit+"/review"), chromedp.WaitVisible(chromedp.ID("comment")))
	wantText(t, ctx, "re-review", "已修改待复审", "以来的修改（2 处）", "上次意见：访谈记录只写了一位职工", "加班费未按150%计发")
	shot(t, ctx, "review")
	run(t, ctx, "approve", chromedp.Click(chromedp.CSS(`button[value=approved]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	wantText(t, ctx, "approved", "已审核通过")
	if info, _, _ := e.d.DB().ReviewOf(bg, visit); info.State != survey.ReviewStateOK || !strings.Contains(info.Review.Reviewer, "审核员乙") {
		t.Errorf("after the browser's approval: %+v", info)
	}
}
