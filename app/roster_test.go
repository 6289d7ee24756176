package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"zoufang/storage"
	"zoufang/survey"
)

func resultNames(r *rosterScreen) []string {
	var out []string
	for _, e := range r.results {
		out = append(out, e.Name)
	}
	return out
}

func TestRosterSearch(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		district string
		want     []string // every result must be one of these, all must appear
	}{
		{name: "name substring", text: "海信", want: []string{"青岛海信电器股份有限公司", "海信视像科技有限公司"}},
		{name: "pinyin initials", text: "qdhx", want: []string{"青岛海信电器股份有限公司"}},
		{name: "district filter", text: "海信", district: "崂山区", want: []string{"海信视像科技有限公司"}},
		{name: "uscc prefix", text: "91370200MA3107919", want: []string{"海信视像科技有限公司"}},
		{name: "nothing", text: "不存在的企业名称", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newTestUI(t)
			r := showRoster(u)
			waitIdle()
			if got := len(r.results); got != 12 {
				t.Fatalf("before typing: %d results, want the whole roster of 12", got)
			}
			if tc.district != "" {
				r.district.SetText(tc.district)
			}
			test.Type(r.search, tc.text)
			waitIdle()
			got := resultNames(r)
			if len(got) != len(tc.want) {
				t.Fatalf("results %q, want %q", got, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(got, "|"), w) {
					t.Errorf("results %q lack %q", got, w)
				}
			}
			if r.list.Length() != len(tc.want) {
				t.Errorf("list shows %d rows, want %d", r.list.Length(), len(tc.want))
			}
			if len(tc.want) == 0 && r.resultCount.Text != "没有找到符合条件的企业" {
				t.Errorf("count label %q", r.resultCount.Text)
			}
		})
	}
}

// TestRosterTypingAppliesLatest types a burst and checks only the final
// query's results are shown, however the background queries interleave.
func TestRosterTypingAppliesLatest(t *testing.T) {
	u := newTestUI(t)
	r := showRoster(u)
	waitIdle()
	before := r.queries
	test.Type(r.search, "青岛港")
	waitIdle()
	if got, want := resultNames(r), []string{"青岛港湾建设集团"}; len(got) != 1 || got[0] != want[0] {
		t.Fatalf("results %q, want %q", got, want)
	}
	if n := r.queries - before; n != 1 {
		t.Errorf("%d queries applied for one burst of typing, want 1 (debounced)", n)
	}
}

func TestStartVisit(t *testing.T) {
	u := newTestUI(t)
	r := showRoster(u)
	waitIdle()
	test.Type(r.search, "顺丰")
	waitIdle()
	if len(r.results) != 1 {
		t.Fatalf("results %q, want the one 顺丰 enterprise", resultNames(r))
	}
	r.list.Select(0)
	waitIdle()
	if got, want := r.detail.startBtn.Text, "开始走访"; got != want {
		t.Fatalf("start button %q, want %q", got, want)
	}
	if got := r.detail.fields["行业"].Text; got != "快递" {
		t.Errorf("detail 行业 = %q, want 快递", got)
	}
	test.Tap(r.detail.startBtn)
	waitIdle()

	ent := r.results[0]
	vs, err := u.db.Visits(context.Background(), storage.VisitFilter{EnterpriseID: ent.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Status != survey.VisitDraft {
		t.Fatalf("visits after 开始走访: %+v, want one draft", vs)
	}
	if got, want := u.nav.current(), "走访记录："+ent.Name; got != want {
		t.Errorf("page %q, want %q", got, want)
	}

	// Back on the roster, the enterprise shows as a draft and the button
	// resumes it instead of creating another visit.
	u.nav.back()
	waitIdle()
	if got := r.statuses[ent.ID]; got != survey.VisitDraft {
		t.Errorf("status after back = %q, want draft", got)
	}
	r.list.Select(0)
	waitIdle()
	if got, want := r.detail.startBtn.Text, "继续走访（草稿）"; got != want {
		t.Fatalf("start button %q, want %q", got, want)
	}
	test.Tap(r.detail.startBtn)
	waitIdle()
	vs, err = u.db.Visits(context.Background(), storage.VisitFilter{EnterpriseID: ent.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Errorf("%d visits after resuming, want still 1", len(vs))
	}
}

func TestHomeShowsVisitedEnterprises(t *testing.T) {
	u := newTestUI(t)
	ctx := context.Background()
	ents, err := u.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Text: "崂山矿泉水", Limit: 5})
	if err != nil || len(ents) != 1 {
		t.Fatalf("find enterprise: %v %v", ents, err)
	}
	f, _ := u.forms.Latest(u.campaign.Forms.Visit.ID)
	if _, err := u.db.CreateVisit(ctx, ents[0].ID, f); err != nil {
		t.Fatal(err)
	}
	h := newHomeScreen(u)
	h.refresh()
	waitIdle()
	if len(h.data.rows) != 1 || h.data.rows[0].ent.ID != ents[0].ID || h.data.rows[0].status != survey.VisitDraft {
		t.Fatalf("home rows %+v, want the one draft", h.data.rows)
	}
	if !strings.Contains(h.counts.Text, "草稿 1") {
		t.Errorf("counts %q lack 草稿 1", h.counts.Text)
	}
	if !strings.Contains(h.phase.Text, "排查摸底") && !strings.Contains(h.phase.Text, "宣传发动") {
		t.Errorf("phase %q, want a phase of mid-April", h.phase.Text)
	}
}
