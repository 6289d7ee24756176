package storage

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"zoufang/assets"
	"zoufang/survey"
)

// demoNames are fictional enterprises of the demo roster (any likeness to a
// real company is accidental); the USCCs are made up with valid check
// characters.
var demoNames = []struct{ name, district, street, industry string }{
	{"青岛海信电器股份有限公司", "市南区", "香港中路街道", "制造业"},
	{"青岛啤酒厂第二分厂", "市北区", "登州路街道", "制造业"},
	{"青岛顺丰速运有限公司", "李沧区", "九水街道", "交通运输业"},
	{"青岛港湾建设集团有限公司", "黄岛区", "薛家岛街道", "建筑业"},
	{"城阳区红星纺织厂", "城阳区", "流亭街道", "制造业"},
	{"崂山矿泉水饮品有限公司", "崂山区", "沙子口街道", "制造业"},
	{"即墨服装城商贸有限公司", "即墨区", "通济街道", "批发和零售业"},
	{"胶州湾海鲜酒楼", "胶州市", "阜安街道", "住宿和餐饮业"},
	{"平度市金沙机械厂", "平度市", "东阁街道", "制造业"},
	{"莱西市绿源农产品合作社", "莱西市", "水集街道", "农林牧渔业"},
	{"青岛蓝海软件科技有限公司", "崂山区", "中韩街道", "信息技术服务业"},
	{"青岛东方家政服务有限公司", "市南区", "八大关街道", "居民服务业"},
	{"青岛恒通物流有限公司", "黄岛区", "长江路街道", "交通运输业"},
	{"青岛华安保安服务有限公司", "市北区", "台东街道", "租赁和商务服务业"},
	{"青岛新天地购物中心", "李沧区", "虎山路街道", "批发和零售业"},
	{"青岛锦江之星酒店", "市南区", "八大峡街道", "住宿和餐饮业"},
	{"青岛北方重工机械有限公司", "城阳区", "棘洪滩街道", "制造业"},
	{"青岛明月海藻生物科技有限公司", "黄岛区", "灵山卫街道", "制造业"},
	{"青岛阳光幼儿园", "即墨区", "潮海街道", "教育"},
	{"青岛安居物业管理有限公司", "李沧区", "楼山街道", "房地产业"},
	{"青岛利群超市连锁有限公司", "市北区", "辽宁路街道", "批发和零售业"},
	{"青岛万达电子商务有限公司", "崂山区", "金家岭街道", "信息技术服务业"},
	{"青岛四方轨道车辆配件厂", "李沧区", "兴华路街道", "制造业"},
	{"青岛碧海游艇俱乐部", "市南区", "湛山街道", "文化体育和娱乐业"},
}

// demoUSCC makes the valid, fictional USCC of demo enterprise i.
func demoUSCC(i int) (string, error) {
	body := fmt.Sprintf("9137020%010d", 1234567+i*7919)
	c, err := survey.USCCCheckChar(body)
	if err != nil {
		return "", err
	}
	return body + string(c), nil
}

// FillDemo fills an empty database with a fictional roster assigned to this
// device, a few visits in every state, ledger items (one overdue) and
// questionnaire responses, so the app opens on something to try. It does
// nothing when the roster is not empty.
func FillDemo(ctx context.Context, db *DB) error {
	if n, err := db.EnterpriseCount(ctx); err != nil || n > 0 {
		return err
	}
	forms, err := survey.LoadForms(assets.Forms())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	visitForm, ok := forms.Latest("visit")
	workerForm, ok2 := forms.Latest("worker_questionnaire")
	if !ok || !ok2 {
		return fmt.Errorf("demo: shipped forms missing")
	}
	var ents []survey.Enterprise
	err = db.Update(ctx, func(tx *Tx) error {
		for i, d := range demoNames {
			code, err := demoUSCC(i)
			if err != nil {
				return err
			}
			e := survey.Enterprise{
				ID: uuid.NewString(), Name: d.name, USCC: code, District: d.district, Street: d.street,
				Industry: d.industry, Workers: 30 + (i*137)%900, HasUnion: i%3 != 0,
				Contact: []string{"王强", "刘芳", "陈静", "杨帆", "赵磊"}[i%5], Phone: "0532-8" + strconv.Itoa(6000000+i*1301),
				Address: "山东省青岛市" + d.district + d.street + strconv.Itoa(10+i) + "号",
			}
			if i < 16 {
				e.AssignedTo = db.opt.DeviceID
			}
			if _, err := tx.createVersion(survey.KindEnterprise, e.ID, "", 0, e, false, true); err != nil {
				return err
			}
			ents = append(ents, e)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo roster: %w", err)
	}

	today := db.now()
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format("2006-01-02") }

	// A signed visit with an overdue demand, a finalized one, and a draft.
	for i, plan := range []struct {
		status  survey.VisitStatus
		daysAgo int
		demands int
	}{{survey.VisitSigned, 30, 2}, {survey.VisitFinalized, 6, 1}, {survey.VisitDraft, 0, 0}} {
		v, err := db.CreateVisit(ctx, ents[i].ID, visitForm)
		if err != nil {
			return fmt.Errorf("demo visit: %w", err)
		}
		v.Answers = survey.SampleVisitAnswers(day(-plan.daysAgo), plan.demands)
		if plan.status == survey.VisitDraft {
			for _, k := range []string{"risk_level", "risk_kinds", "risk_immediate_report", "risk_explanation", "measures_taken", "followup_needed", "followup_plan", "followup_date"} {
				delete(v.Answers, k)
			}
			if _, err := db.SaveVisit(ctx, v); err != nil {
				return fmt.Errorf("demo visit: %w", err)
			}
			continue
		}
		if plan.daysAgo > 21 {
			v.Answers["followup_date"] = day(-plan.daysAgo + 14) // already past
		}
		v, problems, err := db.FinalizeVisit(ctx, v, visitForm)
		if err != nil || len(problems) > 0 {
			return fmt.Errorf("demo visit: %v %v", problems, err)
		}
		for r := 0; r < 3+i; r++ {
			ans := survey.Answers{"awareness": []string{"very", "know", "heard", "no"}[r%4], "participated": []string{"yes", "no"}[r%2]}
			for _, k := range []string{"sat_wages", "sat_protection", "sat_democracy", "sat_bargaining", "sat_services", "sat_overall"} {
				ans[k] = strconv.Itoa(5 - (r+len(k))%3)
			}
			if _, err := db.AddResponse(ctx, survey.Response{EnterpriseID: v.EnterpriseID, VisitID: v.ID, FormID: workerForm.ID, FormVersion: workerForm.Version, Kind: survey.RespondentWorker, Date: day(-plan.daysAgo), Answers: ans}); err != nil {
				return fmt.Errorf("demo response: %w", err)
			}
		}
		if plan.status == survey.VisitSigned {
			if _, err := db.SignOffVisit(ctx, v.ID, survey.SignOff{SignerName: "王强", SignerTitle: "人事经理", Date: day(-plan.daysAgo + 1)}, nil, ""); err != nil {
				return fmt.Errorf("demo sign-off: %w", err)
			}
			items, err := db.LedgerItems(ctx, LedgerFilter{VisitID: v.ID})
			if err != nil || len(items) == 0 {
				return fmt.Errorf("demo ledger: %v", err)
			}
			if _, err := db.AddFollowUp(ctx, items[0].ID, survey.FollowUp{Status: survey.LedgerNegotiating, Note: "已约谈企业负责人，企业承诺月底前补发加班费"}); err != nil {
				return fmt.Errorf("demo follow-up: %w", err)
			}
		}
	}
	return nil
}
