// Generator of this directory (device.id and device.key, a throwaway test
// identity, and zoufang.db.gz), run once with the code of commit 85ace42
// (main before the text limits): go run ./cmd/mkoverlong DIR, then
// gzip -9 DIR/zoufang.db. Kept for the record; it is not built here.

// mkoverlong writes a laptop database as the program before the text
// limits could leave it: three draft visits, the second holding a
// 2500-character 风险情况说明 and 50 demands of 2000 characters (about
// 300 KB), saved before the third was made.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"zoufang/assets"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/laptop"
)

func main() {
	dir := os.Args[1]
	ctx := context.Background()
	t := time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { t = t.Add(time.Second); return t }
	l, err := laptop.Open(dir, laptop.Options{})
	check(err)
	db, err := storage.OpenDir(dir, storage.Options{Now: now, DeviceID: l.DeviceID(), Author: "李明"})
	check(err)
	defer db.Close()
	set, err := survey.LoadForms(assets.Forms())
	check(err)
	f, _ := set.Latest("visit")
	e, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛红星纺织厂", USCC: "91370200MA0000001X", District: "城阳区", Street: "城阳街道", Industry: "制造业", Workers: 120})
	if err != nil {
		body := "91370200MA0000001"
		c, _ := survey.USCCCheckChar(body)
		e, err = db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛红星纺织厂", USCC: body + string(c), District: "城阳区", Street: "城阳街道", Industry: "制造业", Workers: 120})
		check(err)
	}
	var vs []survey.Visit
	for range 3 {
		v, err := db.CreateVisit(ctx, e.ID, f)
		check(err)
		vs = append(vs, v)
	}
	big := vs[1]
	big.Answers["team_members"] = "张伟"
	big.Answers["risk_level"] = "high"
	big.Answers["risk_explanation"] = strings.Repeat("险", 2500)
	var demands []survey.Answers
	for range 50 {
		demands = append(demands, survey.Answers{"demand_category": "wages", "demand_description": strings.Repeat("诉", 2000)})
	}
	big.Answers["demands"] = demands
	_, err = db.SaveVisit(ctx, big)
	check(err)
	after := vs[2]
	after.Answers["team_members"] = "李娜"
	_, err = db.SaveVisit(ctx, after)
	check(err)
	fmt.Println(big.ID)
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
