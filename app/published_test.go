package app

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"zoufang/storage"
	"zoufang/survey"
)

// receive stores form versions and a campaign revision the district
// published in the laptop's database, as importing a down bundle does.
func receive(t *testing.T, u *ui, forms ...*survey.Form) {
	t.Helper()
	ctx := context.Background()
	district, err := storage.OpenDir(t.TempDir(), storage.Options{DeviceID: "0d1c2b3a-4f5e-4a6b-8c7d-9e0f1a2b3c4d", Author: "市南区总工会"})
	if err != nil {
		t.Fatal(err)
	}
	defer district.Close()
	var vs []survey.Version
	err = district.Update(ctx, func(tx *storage.Tx) error {
		_, camp, err := tx.Registry()
		if err != nil {
			return err
		}
		for _, f := range forms {
			v, err := tx.PublishForm(f, "王主任", "")
			if err != nil {
				return err
			}
			vs = append(vs, v)
			camp, _ = camp.WithForm(f)
		}
		camp = camp.Clone()
		camp.Name = "2026 年下半年“真情协商·和谐共赢”回访"
		_, v, err := tx.PublishCampaign(camp, "王主任", "")
		vs = append(vs, v)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.db.Update(ctx, func(tx *storage.Tx) error { _, err := tx.PutVersions(vs); return err }); err != nil {
		t.Fatal(err)
	}
}

func loadForm(t *testing.T, path string) *survey.Form {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := survey.ParseForm(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Forms and a campaign received from the district: home shows the new
// campaign, new records use the newest versions, a visit started before
// keeps its version.
func TestReceivedFormsAndCampaign(t *testing.T) {
	u := newTestUI(t)
	old, _ := openNewVisit(t, u, "顺丰")
	if old.form.Version != 1 {
		t.Fatalf("first visit on version %d", old.form.Version)
	}
	// Visit form version 2 adds a question to the first section.
	v1, _ := u.forms.Latest("visit")
	raw, _ := json.Marshal(v1)
	var v2 survey.Form
	json.Unmarshal(raw, &v2)
	v2.Version = 2
	v2.Fields[0].Fields = append(v2.Fields[0].Fields, survey.Field{Name: "visit_mode_note", Type: survey.TypeText, Label: "走访方式说明"})
	raw, _ = json.Marshal(&v2)
	visit2, err := survey.ParseForm(raw)
	if err != nil {
		t.Fatal(err)
	}
	receive(t, u, visit2, loadForm(t, "../survey/testdata/forms/worker_questionnaire.v2.json"))

	h := newHomeScreen(u) // what u.showHome shows
	h.refresh()
	waitIdle()
	if u.campaign.Name != "2026 年下半年“真情协商·和谐共赢”回访" || u.campaign.Forms.Worker.Version != 2 || u.campaign.Forms.Visit.Version != 2 {
		t.Fatalf("campaign after the refresh: %+v", u.campaign)
	}
	if h.campaign.Text != u.campaign.Name || h.phase.Text != "当前阶段：排查摸底（2026-04-01 至 2026-04-30）" {
		t.Errorf("home shows %q / %q", h.campaign.Text, h.phase.Text)
	}

	// The visit started before keeps version 1.
	v, err := u.db.Visit(context.Background(), old.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	ent, _ := u.db.Enterprise(context.Background(), v.EnterpriseID)
	openVisit(u, ent, v)
	waitIdle()
	if s := visitOnTop(t, u); s.form.Version != 1 || s.form.Lookup("visit_mode_note") != nil {
		t.Errorf("the old visit opened on version %d", s.form.Version)
	}
	// A new visit and a new questionnaire use version 2.
	fresh, _ := openNewVisit(t, u, "海信视像")
	if fresh.form.Version != 2 || fresh.v.FormVersion != 2 || fresh.form.Lookup("visit_mode_note") == nil {
		t.Errorf("new visit on version %d (stored %d)", fresh.form.Version, fresh.v.FormVersion)
	}
	q, err := newQuestionnaire(u, fresh.v, survey.RespondentWorker)
	if err != nil {
		t.Fatal(err)
	}
	if q.form.Version != 2 || q.form.Lookup("sat_skills") == nil {
		t.Errorf("new questionnaire on version %d", q.form.Version)
	}
}
