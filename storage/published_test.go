package storage

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"zoufang/survey"
)

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

// A form and a campaign published on one database reach another through
// PutVersions (a down bundle), and both registries show them.
func TestPublishAndReceive(t *testing.T) {
	district, laptop := openTest(t), openTest(t)
	reg, lreg := NewRegistry(district), NewRegistry(laptop)
	before, err := reg.Forms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := before.Latest("worker_questionnaire"); f.Version != 1 {
		t.Fatalf("built-in worker questionnaire is version %d", f.Version)
	}
	camp, err := reg.Campaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v2 := workerV2(t)
	moved, _ := camp.WithForm(v2)
	var fv, cv survey.Version
	err = district.Update(ctx, func(tx *Tx) error {
		var err error
		if fv, err = tx.PublishForm(v2, "王主任", "职工问卷.xlsx"); err != nil {
			return err
		}
		rev, v, err := tx.PublishCampaign(moved, "王主任", "发布 worker_questionnaire 第 2 版")
		if rev != 1 {
			t.Errorf("first revision = %d", rev)
		}
		cv = v
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fv.RecordID != FormRecordID("worker_questionnaire", 2) || fv.FormID != "worker_questionnaire" || fv.FormVersion != 2 || fv.DeviceID != testDevice || len(fv.Parents) != 0 {
		t.Errorf("form version = %+v", fv)
	}
	for name, r := range map[string]*Registry{"district": reg} {
		set, err := r.Forms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f, _ := set.Latest("worker_questionnaire"); f.Version != 2 || f.Lookup("sat_skills") == nil {
			t.Errorf("%s: latest worker questionnaire = v%d", name, f.Version)
		}
		if _, ok := set.Get("worker_questionnaire", 1); !ok {
			t.Errorf("%s: version 1 gone from the registry", name)
		}
		c, _ := r.Campaign(ctx)
		if c.Forms.Worker.Version != 2 {
			t.Errorf("%s: campaign names worker v%d", name, c.Forms.Worker.Version)
		}
	}
	// A second revision has the first as its parent.
	var rev2 survey.Version
	err = district.Update(ctx, func(tx *Tx) error {
		c := moved.Clone()
		c.Name = "第二次修订"
		rev, v, err := tx.PublishCampaign(c, "李科长", "改名称")
		if rev != 2 {
			t.Errorf("second revision = %d", rev)
		}
		rev2 = v
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rev2.Parents) != 1 || rev2.Parents[0] != cv.VersionID {
		t.Errorf("revision 2 parents = %v, want [%s]", rev2.Parents, cv.VersionID)
	}
	// The laptop receives them.
	err = laptop.Update(ctx, func(tx *Tx) error {
		_, err := tx.PutVersions([]survey.Version{fv, cv, rev2})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	set, err := lreg.Forms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := set.Latest("worker_questionnaire"); f.Version != 2 {
		t.Errorf("laptop: latest worker questionnaire = v%d", f.Version)
	}
	c, _ := lreg.Campaign(ctx)
	if c.Name != "第二次修订" || c.Forms.Worker.Version != 2 {
		t.Errorf("laptop campaign = %+v", c)
	}
	pc, err := laptop.PublishedCampaign(ctx)
	if err != nil || pc.Revision != 2 || pc.PublishedBy != "李科长" || pc.Reason != "改名称" {
		t.Errorf("laptop PublishedCampaign = %+v, %v", pc, err)
	}
	infos, err := laptop.PublishedForms(ctx)
	if err != nil || len(infos) != 1 || infos[0].PublishedBy != "王主任" || infos[0].Source != "职工问卷.xlsx" {
		t.Errorf("laptop PublishedForms = %+v, %v", infos, err)
	}
	// Publishing the same form version again is refused.
	err = district.Update(ctx, func(tx *Tx) error { _, err := tx.PublishForm(v2, "王主任", ""); return err })
	if err == nil || !strings.Contains(err.Error(), "已经发布过") {
		t.Errorf("second publication of v2: %v", err)
	}
}

// What a laptop receives as a form or campaign must be one: valid, matching
// its record, never deleted, never a second content for one version.
func TestReceivedPublicationsAreChecked(t *testing.T) {
	district := openTest(t)
	v2 := workerV2(t)
	var fv survey.Version
	if err := district.Update(ctx, func(tx *Tx) error {
		var err error
		fv, err = tx.PublishForm(v2, "王主任", "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	payload := func(edit func(p *survey.PublishedForm)) json.RawMessage {
		var p survey.PublishedForm
		if err := json.Unmarshal(fv.Payload, &p); err != nil {
			t.Fatal(err)
		}
		edit(&p)
		b, _ := json.Marshal(p)
		return b
	}
	bad := map[string]struct {
		v    survey.Version
		want string
	}{}
	broken := fv
	broken.VersionID = "0b9e4c1a-8f1e-4d5e-9a6b-3c2d1e0f9a8b"
	broken.Payload = payload(func(p *survey.PublishedForm) {
		p.Definition = json.RawMessage(`{"id":"worker_questionnaire","version":2,"title":"x","fields":[{"name":"a","type":"text","label":"甲","relevant":"${a} = 1 and ${b}"}]}`)
	})
	bad["invalid definition"] = struct {
		v    survey.Version
		want string
	}{broken, "下发的表单 worker_questionnaire 第 2 版无效"}
	mislabelled := fv
	mislabelled.FormVersion = 3
	bad["mislabelled"] = struct {
		v    survey.Version
		want string
	}{mislabelled, "内容却是 worker_questionnaire 第 2 版"}
	other := fv
	other.RecordID = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
	other.VersionID = "4e3d2c1b-0a9f-4e8d-8c7b-6a5f4e3d2c1b"
	other.Payload = payload(func(p *survey.PublishedForm) { p.ID = other.RecordID })
	bad["second content"] = struct {
		v    survey.Version
		want string
	}{other, "已有另一份发布，内容不同"}
	unknown := fv
	unknown.Payload = json.RawMessage(strings.Replace(string(fv.Payload), `"published_by"`, `"extra":1,"published_by"`, 1))
	bad["unknown key"] = struct {
		v    survey.Version
		want string
	}{unknown, "无法读取"}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			laptop := openTest(t)
			vs := []survey.Version{tt.v}
			if name == "second content" {
				vs = []survey.Version{fv, tt.v}
			}
			err := laptop.Update(ctx, func(tx *Tx) error { _, err := tx.PutVersions(vs); return err })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PutVersions = %v, want %q", err, tt.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a storage error", err)
			}
			if infos, _ := laptop.PublishedForms(ctx); len(infos) != 0 {
				t.Errorf("%d forms stored after a refused write", len(infos))
			}
		})
	}
}

func TestCollectAnswersAndResponseVersions(t *testing.T) {
	db := openTest(t)
	e := addEnterprise(t, db, "青岛海信电器股份有限公司", uscc("91370200163562681"))
	for _, r := range []survey.Response{
		{EnterpriseID: e.ID, FormID: "worker_questionnaire", FormVersion: 1, Answers: survey.Answers{"awareness": "very", "old_q": "x"}},
		{EnterpriseID: e.ID, FormID: "worker_questionnaire", FormVersion: 2, Answers: survey.Answers{"awareness": "little"}},
		{EnterpriseID: e.ID, FormID: "enterprise_questionnaire", FormVersion: 1, Kind: survey.RespondentManager, Answers: survey.Answers{"gone": "x"}},
	} {
		if _, err := db.AddResponse(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	census := survey.NewAnswerCensus(workerV2(t))
	through, err := db.CollectAnswers(ctx, "worker_questionnaire", census)
	if err != nil {
		t.Fatal(err)
	}
	// What arrives after the read is added inside the transaction.
	if _, err := db.AddResponse(ctx, survey.Response{EnterpriseID: e.ID, FormID: "worker_questionnaire", FormVersion: 1, Answers: survey.Answers{"late_q": "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.CollectAnswersAfter("worker_questionnaire", census, through) }); err != nil {
		t.Fatal(err)
	}
	if census.Records != 3 {
		t.Errorf("census of worker_questionnaire has %d records, want 3", census.Records)
	}
	var msgs []string
	for _, p := range census.Problems() {
		msgs = append(msgs, p.Message)
	}
	if got := strings.Join(msgs, "\n"); !strings.Contains(got, "old_q") || !strings.Contains(got, "late_q") || !strings.Contains(got, "选了 little") || strings.Contains(got, "gone") {
		t.Errorf("census problems:\n%s", got)
	}
	counts, err := db.ResponseVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[survey.FormRef]int{{ID: "worker_questionnaire", Version: 1}: 2, {ID: "worker_questionnaire", Version: 2}: 1, {ID: "enterprise_questionnaire", Version: 1}: 1}
	if len(counts) != len(want) {
		t.Errorf("ResponseVersions = %v", counts)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("ResponseVersions[%v] = %d, want %d", k, counts[k], n)
		}
	}
}
