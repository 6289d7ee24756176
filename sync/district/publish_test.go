package district

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

func workerV2(t testing.TB) *survey.Form {
	t.Helper()
	data, err := os.ReadFile("../../survey/testdata/forms/worker_questionnaire.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := survey.ParseForm(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func auditActions(t testing.TB, d *District) []string {
	t.Helper()
	es, err := d.Log(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

// Publishing moves the campaign along, is audited, and every enrolled
// device gets the form and the campaign in its next down bundle, first.
func TestPublishFormAndSendDown(t *testing.T) {
	d := newDistrict(t)
	a, b := enrol(t, d, "张伟"), enrol(t, d, "李娜")
	v2 := workerV2(t)
	fc, err := d.CheckForm(ctx, v2)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Problems()) != 0 || fc.Previous == nil || fc.Previous.Version != 1 || !fc.CampaignMoves || fc.Campaign.Forms.Worker.Version != 2 {
		t.Fatalf("CheckForm = %+v", fc)
	}
	if n := countRows(t, d, `SELECT count(*) FROM published_forms`); n != 0 {
		t.Fatalf("CheckForm published %d forms", n)
	}
	res, err := d.PublishForm(ctx, v2, "王主任", "职工问卷.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if res.CampaignRevision != 1 {
		t.Errorf("campaign revision = %d, want 1", res.CampaignRevision)
	}
	c, err := d.Campaign(ctx)
	if err != nil || c.Forms.Worker.Version != 2 {
		t.Errorf("campaign after publishing: %+v %v", c, err)
	}
	forms, _ := d.Forms(ctx)
	if f, _ := forms.Latest("worker_questionnaire"); f.Version != 2 {
		t.Errorf("district forms: latest worker v%d", f.Version)
	}
	es, _ := d.Log(ctx)
	var details []string
	for _, e := range es {
		details = append(details, e.Actor+" "+e.Action+" "+e.Detail)
	}
	log := strings.Join(details, "\n")
	for _, want := range []string{
		"王主任 form.publish 发布表单 worker_questionnaire 第 2 版《“真情协商·和谐共赢”职工满意度测评问卷》（职工问卷，12 道题，来自 职工问卷.xlsx）；与第 1 版相比：",
		"新增题目「对技能培训和就业服务的满意度」",
		"王主任 campaign.publish 活动配置第 1 次发布：职工问卷改用第 2 版",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log:\n%s\nwant %q", log, want)
		}
	}
	for _, l := range []*laptop{a, b} {
		data, n, err := d.ExportDown(ctx, l.id)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("down bundle of %s has %d versions, want the form and the campaign", l.id[:8], n)
		}
		bun, err := sync.ParseBundleBytes(data, sync.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if err := bun.Verify(d.keys.Public().Signing); err != nil {
			t.Fatalf("down bundle not signed by the district: %v", err)
		}
		p, err := bun.Open(l.keys.Sealing, sync.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if p.Versions[0].Kind != survey.KindForm || p.Versions[1].Kind != survey.KindCampaign {
			t.Errorf("down bundle kinds %s, %s", p.Versions[0].Kind, p.Versions[1].Kind)
		}
		// Nothing new afterwards.
		if _, n, err := d.ExportDown(ctx, l.id); err != nil || n != 0 {
			t.Errorf("second export: %d versions, %v", n, err)
		}
	}
}

// Bad publications: each a clear Chinese error, nothing written.
func TestPublishFormRefusals(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	v1, _ := func() (*survey.Form, bool) { fs, _ := d.Forms(ctx); return fs.Get("worker_questionnaire", 1) }()
	v2 := workerV2(t)
	clone := func(f *survey.Form, edit func(*survey.Form)) *survey.Form {
		j, _ := json.Marshal(f)
		g, err := survey.ParseForm(j)
		if err != nil {
			t.Fatal(err)
		}
		edit(g)
		j, _ = json.Marshal(g)
		if g, err = survey.ParseForm(j); err != nil {
			t.Fatal(err)
		}
		return g
	}
	for _, tt := range []struct {
		name string
		f    *survey.Form
		want string
	}{
		{"same version", v1, "新版本号 1 必须大于当前版本号 1"},
		{"removed question", clone(v2, func(f *survey.Form) { f.Fields = f.Fields[:len(f.Fields)-1] }), "字段 comment（意见和建议）被删除"},
		{"removed option", clone(v2, func(f *survey.Form) {
			fd := f.Lookup("participated")
			fd.Choices = fd.Choices[:1]
		}), "删除了选项 no（否）"},
		{"other kind", clone(v2, func(f *survey.Form) { f.Kind = survey.FormEnterpriseQuestionnaire }), "表单类别不能改变"},
		{"new form without kind", clone(v2, func(f *survey.Form) { f.ID, f.Kind = "pulse_survey", "" }), "新表单必须写明类别"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := dump(t, d)
			_, err := d.PublishForm(ctx, tt.f, "王主任", "")
			var pe *PublishError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) || !strings.HasSuffix(err.Error(), "未做任何修改") {
				t.Fatalf("PublishForm = %v, want a PublishError containing %q", err, tt.want)
			}
			if after := dump(t, d); after != before || countRows(t, d, `SELECT count(*) FROM published_forms`) != 0 {
				t.Error("a refused publication changed the database")
			}
		})
	}
	// Answers actually stored: a laptop with an older build sent an
	// awareness answer no published version offers. Version 2 keeps every
	// option of version 1 and passes CheckUpgrade, but would orphan that
	// answer, so it is refused.
	r := response(uuid.NewString(), testNow.Truncate(24*time.Hour), survey.Answers{"awareness": "little", "sat_overall": "5"})
	mustImport(t, d, l.bundle(t, d, r), Applied)
	before := dump(t, d)
	_, err := d.PublishForm(ctx, v2, "王主任", "")
	if err == nil || !strings.Contains(err.Error(), "已收集的 1 份记录中字段 awareness（您对“真情协商·和谐共赢”品牌服务活动的了解程度）选了 little，新版本没有这个选项") {
		t.Fatalf("PublishForm over a stored answer = %v", err)
	}
	if dump(t, d) != before {
		t.Error("refused publication changed the database")
	}
	for _, a := range auditActions(t, d) {
		if strings.HasSuffix(a, ".publish") {
			t.Errorf("audit has %s after refusals", a)
		}
	}
	// Adding the option makes it publishable.
	fixed := clone(v2, func(f *survey.Form) {
		fd := f.Lookup("awareness")
		fd.Choices = append(fd.Choices, survey.Choice{Value: "little", Label: "知道一点"})
	})
	if _, err := d.PublishForm(ctx, fixed, "王主任", ""); err != nil {
		t.Fatalf("PublishForm with the option kept: %v", err)
	}
	// Now version 2 is the one in force: a version 2 again, or a version
	// dropping the new option, is refused against it.
	if _, err := d.PublishForm(ctx, v2, "王主任", ""); err == nil || !strings.Contains(err.Error(), "新版本号 2 必须大于当前版本号 2") {
		t.Errorf("publishing version 2 twice: %v", err)
	}
	// A version lower than the one in force (the old workbook uploaded
	// again by mistake) is refused, and nothing changes.
	before = dump(t, d)
	if _, err := d.PublishForm(ctx, v1, "王主任", ""); err == nil || !strings.Contains(err.Error(), "新版本号 1 必须大于当前版本号 2") {
		t.Errorf("publishing version 1 over version 2: %v", err)
	}
	if dump(t, d) != before {
		t.Error("publishing a lower version changed the database")
	}
	if c, err := d.Campaign(ctx); err != nil || c.Forms.Worker.Version != 2 {
		t.Errorf("campaign after refusing a lower version: worker v%d, %v", c.Forms.Worker.Version, err)
	}
}

func TestPublishCampaign(t *testing.T) {
	d := newDistrict(t)
	c, _ := d.Campaign(ctx)
	next := c.Clone()
	next.ID, next.Name, next.Year = "zhenqing-xieshang-2027", "2027 年“真情协商·和谐共赢”品牌服务活动", 2027
	for i := range next.Phases {
		next.Phases[i].Start = "2027" + next.Phases[i].Start[4:]
		next.Phases[i].End = "2027" + next.Phases[i].End[4:]
	}
	cc, err := d.CheckCampaign(ctx, next)
	if err != nil || len(cc.Problems) != 0 || cc.Revision != 0 {
		t.Fatalf("CheckCampaign = %+v, %v", cc, err)
	}
	rev, err := d.PublishCampaign(ctx, next, "王主任", "2027 年活动")
	if err != nil || rev != 1 {
		t.Fatalf("PublishCampaign = %d, %v", rev, err)
	}
	if got, _ := d.Campaign(ctx); got.Year != 2027 {
		t.Errorf("campaign in force: %+v", got)
	}
	// Publishing the same again, or one naming an unpublished form
	// version, is refused.
	if _, err := d.PublishCampaign(ctx, next, "王主任", ""); err == nil || !strings.Contains(err.Error(), "完全相同") {
		t.Errorf("same campaign again: %v", err)
	}
	bad := next.Clone()
	bad.Forms.Worker.Version = 2
	before := dump(t, d)
	if _, err := d.PublishCampaign(ctx, bad, "王主任", ""); err == nil || !strings.Contains(err.Error(), "没有第 2 版") {
		t.Errorf("campaign naming worker v2: %v", err)
	}
	if dump(t, d) != before {
		t.Error("refused campaign changed the database")
	}
	pc, err := d.PublishedCampaign(ctx)
	if err != nil || pc.Revision != 1 || pc.PublishedBy != "王主任" {
		t.Errorf("PublishedCampaign = %+v, %v", pc, err)
	}
}

// A device never sends a form or the campaign: the bundle is refused as a
// whole, nothing stored, whatever its signature.
func TestDeviceCannotSendFormsOrCampaign(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	v2 := workerV2(t)
	def, _ := json.Marshal(v2)
	id := storage.FormRecordID("worker_questionnaire", 2)
	p, _ := json.Marshal(survey.PublishedForm{ID: id, Definition: def, PublishedAt: testNow, PublishedBy: "张伟"})
	form := survey.Version{RecordID: id, VersionID: uuid.NewString(), Kind: survey.KindForm, FormID: "worker_questionnaire", FormVersion: 2,
		Author: "张伟", DeviceID: l.id, Created: testNow, Payload: p}
	c, _ := d.Campaign(ctx)
	cp, _ := json.Marshal(survey.PublishedCampaign{ID: storage.CampaignRecordID, Revision: 1, Campaign: c.JSON(), PublishedAt: testNow, PublishedBy: "张伟"})
	camp := survey.Version{RecordID: storage.CampaignRecordID, VersionID: uuid.NewString(), Kind: survey.KindCampaign,
		Author: "张伟", DeviceID: l.id, Created: testNow, Payload: cp}
	for name, v := range map[string]survey.Version{"form": form, "campaign": camp} {
		t.Run(name, func(t *testing.T) {
			before := dump(t, d)
			seq, prev := l.seq, l.prev
			defer func() { l.seq, l.prev = seq, prev }() // refused: the district did not take this seq
			own := l.visit(uuid.NewString(), 1, nil)
			res := d.Import(ctx, l.bundle(t, d, own, v))
			if res.Decision != Refused || res.Code != CodeInvalidContent || !strings.Contains(res.Message, "只能由区总工会发布，笔记本不能发送") {
				t.Errorf("bundle with a %s: %s %s %q", name, res.Decision, res.Code, res.Message)
			}
			if dump(t, d) != before || countRows(t, d, `SELECT count(*) FROM published_forms`)+countRows(t, d, `SELECT count(*) FROM published_campaign`) != 0 {
				t.Error("the refused bundle changed the district")
			}
		})
	}
	if es, _, err := audit.List(ctx, d.db, audit.Filter{Action: "form.publish"}); err != nil || len(es) != 0 {
		t.Errorf("audit form.publish entries: %v %v", es, err)
	}
}
