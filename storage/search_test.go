package storage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mozillazg/go-pinyin"

	"zoufang/survey"
)

func TestSearchEnterprises(t *testing.T) {
	db := openTest(t)
	if err := FillDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	code, _ := demoUSCC(3)
	for _, tc := range []struct {
		name string
		q    EnterpriseQuery
		want []string
	}{
		{"pinyin initials", EnterpriseQuery{Text: "hx"}, []string{"城阳区红星纺织厂", "胶州湾海鲜酒楼", "青岛海信电器股份有限公司"}},
		{"initials upper case", EnterpriseQuery{Text: "QDHX"}, []string{"青岛海信电器股份有限公司"}},
		{"full pinyin", EnterpriseQuery{Text: "haixin"}, []string{"青岛海信电器股份有限公司"}},
		{"name substring", EnterpriseQuery{Text: "啤酒"}, []string{"青岛啤酒厂第二分厂"}},
		{"USCC prefix", EnterpriseQuery{Text: code[:14]}, []string{"青岛港湾建设集团有限公司"}},
		{"full-width USCC", EnterpriseQuery{Text: "９１３７０２０" + code[7:14]}, []string{"青岛港湾建设集团有限公司"}},
		{"two words", EnterpriseQuery{Text: "青岛 wl"}, []string{"青岛恒通物流有限公司"}},
		{"district filter", EnterpriseQuery{District: "莱西市"}, []string{"莱西市绿源农产品合作社"}},
		{"text and industry", EnterpriseQuery{Text: "qd", Industry: "交通运输业"}, []string{"青岛恒通物流有限公司", "青岛顺丰速运有限公司"}},
		{"no match", EnterpriseQuery{Text: "不存在的企业"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.SearchEnterprises(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range got {
				names = append(names, e.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("SearchEnterprises(%+v) = %v, want %v", tc.q, names, tc.want)
			}
		})
	}
}

// Results come in pinyin order of the names, whatever the insertion order.
func TestSearchOrderIsPinyin(t *testing.T) {
	db := openTest(t)
	if err := FillDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	all, err := db.SearchEnterprises(ctx, EnterpriseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(demoNames) {
		t.Fatalf("%d results, want %d", len(all), len(demoNames))
	}
	a := pinyin.NewArgs()
	key := func(s string) string { return strings.Join(pinyin.LazyPinyin(s, a), " ") }
	for i := 1; i < len(all); i++ {
		if key(all[i-1].Name) > key(all[i].Name) {
			t.Errorf("%s (%s) before %s (%s)", all[i-1].Name, key(all[i-1].Name), all[i].Name, key(all[i].Name))
		}
	}
	if lim, _ := db.SearchEnterprises(ctx, EnterpriseQuery{Limit: 5}); len(lim) != 5 {
		t.Errorf("Limit 5 gave %d", len(lim))
	}
}

// The index follows edits made after it was built.
func TestSearchIndexFollowsEdits(t *testing.T) {
	db := openTest(t)
	e := addEnterprise(t, db, "甲乙机械厂", uscc("91370200163562681"))
	if got, _ := db.SearchEnterprises(ctx, EnterpriseQuery{Text: "jyjx"}); len(got) != 1 {
		t.Fatalf("before rename: %d hits", len(got))
	}
	e.Name = "丙丁机械厂"
	if _, err := db.SaveEnterprise(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SearchEnterprises(ctx, EnterpriseQuery{Text: "jyjx"}); len(got) != 0 {
		t.Errorf("old name still found: %v", got)
	}
	if got, _ := db.SearchEnterprises(ctx, EnterpriseQuery{Text: "bdjx"}); len(got) != 1 || got[0].ID != e.ID {
		t.Errorf("new name not found: %v", got)
	}
}

// Edits after the index was built (renames that move an enterprise in the
// pinyin order, new enterprises, including names with equal collation keys)
// leave it exactly as a fresh build from the table would be.
func TestSearchIndexPatchesMatchAFreshBuild(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDir(dir, Options{DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names := []string{"青岛海信", "崂山矿泉水", "阿里物流", "Zeta科技", "zeta科技", "八方快递", "城阳纺织", "青岛海信", "东方机械"}
	var ents []survey.Enterprise
	for i := range 40 {
		ents = append(ents, addEnterprise(t, db, fmt.Sprintf("%s%d", names[i%len(names)], i%7), uscc(fmt.Sprintf("913702000000%05d", i))))
	}
	if err := db.WarmSearch(ctx); err != nil {
		t.Fatal(err)
	}
	for i, e := range ents[:15] {
		e.Name = names[(i*5)%len(names)] + "新"
		if i%4 == 0 {
			e.District = "黄岛区"
		}
		if _, err := db.SaveEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		addEnterprise(t, db, names[i%len(names)]+"分公司", uscc(fmt.Sprintf("913702000001%05d", i)))
	}
	fresh, err := OpenDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.WarmSearch(ctx); err != nil {
		t.Fatal(err)
	}
	got, want := db.index.entries, fresh.index.entries
	if !db.index.built || len(got) != len(want) {
		t.Fatalf("patched index: built %v, %d entries; fresh: %d", db.index.built, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: patched %q %q %s, fresh %q %q %s", i, got[i].id, got[i].hay, got[i].district.Value(), want[i].id, want[i].hay, want[i].district.Value())
		}
	}
}

func TestStreetsByDistrict(t *testing.T) {
	db := openTest(t)
	for i, e := range []survey.Enterprise{
		{Name: "甲", District: "市南区", Street: "香港中路街道"},
		{Name: "乙", District: "市南区", Street: "八大关街道"},
		{Name: "丙", District: "崂山区", Street: "中韩街道"},
		{Name: "丁", District: "崂山区", Street: "中韩街道"},
	} {
		e.USCC = uscc(fmt.Sprintf("9137020000000000%d", i))
		if _, err := db.SaveEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Streets(ctx, "崂山区")
	if err != nil || len(got) != 1 || got[0] != "中韩街道" {
		t.Errorf("Streets(崂山区) = %q, %v", got, err)
	}
	if all, _ := db.Streets(ctx, ""); len(all) != 3 {
		t.Errorf("Streets(\"\") = %q, want 3", all)
	}
}

// Follow-up of issue 12: two handles on one database, as `serve` and
// `zoufang-server roster` (or an import) are two processes on one data
// dir. Before, the index a handle had built kept answering from what it
// had read, whatever the other wrote: new enterprises were not found, a
// renamed or reassigned one was found under its old name or device until
// the process restarted. Now every search notices the other's commits
// (roster_changes), including when the first handle writes in between
// (a patch on top of a stale index would hide the other's change).
func TestSearchIndexSeesOtherProcesses(t *testing.T) {
	dir := t.TempDir()
	serve, err := OpenDir(dir, Options{DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	cli, err := OpenDir(dir, Options{DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	a := addEnterprise(t, serve, "甲乙机械厂", uscc("91370200163562681"))
	count := func(q EnterpriseQuery) int {
		t.Helper()
		got, err := serve.SearchEnterprises(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if n := count(EnterpriseQuery{}); n != 1 {
		t.Fatalf("%d enterprises", n)
	}

	// A roster import by the other process.
	var roster strings.Builder
	if err := survey.WriteRosterCSV(&roster, survey.FakeRoster(30, 5), false); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ImportRoster(ctx, strings.NewReader(roster.String()), "名录.csv", nil); err != nil {
		t.Fatal(err)
	}
	if n := count(EnterpriseQuery{}); n != 31 {
		t.Errorf("after the other process's roster import: %d enterprises found, want 31", n)
	}

	// An assignment and a rename by the other process, then a write by
	// this one (which patches its index) before it searches again.
	err = cli.Update(ctx, func(tx *Tx) error {
		_, _, err := tx.AssignEnterprise(a.ID, "device-1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	renamed, err := cli.Enterprise(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	renamed.Name = "戊己纺织厂"
	if _, err := cli.SaveEnterprise(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	addEnterprise(t, serve, "丙丁物流公司", uscc("91370200163562690"))
	if n := count(EnterpriseQuery{AssignedTo: "device-1"}); n != 1 {
		t.Errorf("the other process's assignment: %d enterprises assigned, want 1", n)
	}
	if n, old := count(EnterpriseQuery{Text: "wjfz"}), count(EnterpriseQuery{Text: "jyjx"}); n != 1 || old != 0 {
		t.Errorf("the other process's rename: %d found by the new name, %d by the old", n, old)
	}
	if n := count(EnterpriseQuery{Text: "bdwl"}); n != 1 {
		t.Errorf("this process's own new enterprise: %d found", n)
	}
	if n := count(EnterpriseQuery{}); n != 32 {
		t.Errorf("%d enterprises, want 32", n)
	}
	// Facets come from the same index.
	_, _, industries, err := serve.Facets(ctx)
	if err != nil || len(industries) < 2 {
		t.Errorf("facets after the other's import: %v %v", industries, err)
	}
}
