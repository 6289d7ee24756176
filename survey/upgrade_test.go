package survey

import (
	"encoding/json"
	"reflect"
	"testing"
)

// cloneForm deep-copies f through JSON so a test can edit the copy.
func cloneForm(t *testing.T, f *Form) *Form {
	t.Helper()
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var out Form
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// removeField deletes the field named name at any depth of fields.
func removeField(fields *[]Field, name string) bool {
	for i := range *fields {
		if (*fields)[i].Name == name {
			*fields = append((*fields)[:i], (*fields)[i+1:]...)
			return true
		}
		if removeField(&(*fields)[i].Fields, name) {
			return true
		}
	}
	return false
}

func TestCheckUpgrade(t *testing.T) {
	set := shippedForms(t)
	visit, _ := set.Get("visit", 1)
	tests := []struct {
		name string
		edit func(t *testing.T, f *Form)
		want []string // Problem.Error() of every problem, in order
	}{
		{"relabel, add, reorder, require, retire", func(t *testing.T, f *Form) {
			f.Lookup("workers_total").Label = "职工总人数"
			f.Lookup("resumption_state").Choices[0].Label = "正常生产经营"
			f.Lookup("difficulties").Choices = append(f.Lookup("difficulties").Choices, Choice{Value: "energy", Label: "能源价格上涨"})
			f.Lookup("team_members").Required = false
			f.Lookup("capacity_percent").Relevant = "false()"
			basic := f.Lookup("basic")
			basic.Fields[0], basic.Fields[1] = basic.Fields[1], basic.Fields[0]
			basic.Fields = append(basic.Fields, Field{Name: "weather", Type: TypeText, Label: "天气"})
		}, nil},
		{"move between groups keeps answers", func(t *testing.T, f *Form) {
			moved := *f.Lookup("visit_mode")
			if !removeField(&f.Fields, "visit_mode") {
				t.Fatal("visit_mode not found")
			}
			risk := f.Lookup("risk")
			risk.Fields = append(risk.Fields, moved)
		}, nil},
		{"compatible type changes", func(t *testing.T, f *Form) {
			f.Lookup("team_members").Type = TypeTextarea
			f.Lookup("workers_total").Type = TypeDecimal
			f.Lookup("workers_on_duty").Constraint = ". >= 0"
		}, nil},
		{"same version", func(t *testing.T, f *Form) { f.Version = 1 },
			[]string{"version: 新版本号 1 必须大于当前版本号 1"}},
		{"other form", func(t *testing.T, f *Form) { f.ID = "visit_2026" },
			[]string{`id: 表单编号不同：当前为 "visit"，新版本为 "visit_2026"`}},
		{"kind changed", func(t *testing.T, f *Form) { f.Kind = FormWorkerQuestionnaire },
			[]string{"kind: 表单类别不能改变：当前为 走访记录表 (visit)，新版本为 职工问卷 (worker_questionnaire)"}},
		{"removed field", func(t *testing.T, f *Form) {
			removeField(&f.Fields, "shutdown_pay")
		}, []string{"labour.shutdown_pay: 字段 shutdown_pay（停工停产期间工资是否按规定支付）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用"}},
		{"removed calculation", func(t *testing.T, f *Form) {
			removeField(&f.Fields, "on_duty_percent")
		}, []string{"operation.on_duty_percent: 字段 on_duty_percent（在岗率（%））被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用"}},
		{"removed repeat loses its children too", func(t *testing.T, f *Form) {
			removeField(&f.Fields, "demands")
			f.Lookup("demand_count").Calculation = "0"
		}, []string{
			"demands: 字段 demands（六、职工诉求）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用",
			"demands.demand_category: 字段 demand_category（诉求类别）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用",
			"demands.demand_description: 字段 demand_description（诉求内容）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用",
			"demands.demand_workers_affected: 字段 demand_workers_affected（涉及职工人数）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用",
			"demands.demand_urgency: 字段 demand_urgency（紧急程度）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用",
			"demands.demand_to_ledger: 字段 demand_to_ledger（纳入工作台帐）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用",
		}},
		{"moved out of the repeat", func(t *testing.T, f *Form) {
			moved := *f.Lookup("demand_urgency")
			removeField(&f.Fields, "demand_urgency")
			f.Fields = append(f.Fields, moved)
		}, []string{"demands.demand_urgency: 字段 demand_urgency（紧急程度）从重复组 demands移到了表单顶层，已收集的答案将无处对应"}},
		{"type changed", func(t *testing.T, f *Form) {
			f.Lookup("partner_departments").Type = TypeSelectOne
			f.Lookup("workers_interviewed").Type = TypeText
			f.Lookup("workers_interviewed").Constraint = ""
			f.Lookup("workers_interviewed").ConstraintMessage = ""
		}, []string{
			"basic.partner_departments: 字段 partner_departments（联合走访部门）的类型从 select_multiple 改为 select_one，已收集的答案将无法读取",
			"basic.workers_interviewed: 字段 workers_interviewed（面对面交流的职工人数）的类型从 integer 改为 text，已收集的答案将无法读取",
		}},
		{"removed choice", func(t *testing.T, f *Form) {
			rs := f.Lookup("resumption_state")
			rs.Choices = rs.Choices[:3]
		}, []string{
			"operation.resumption_state: 字段 resumption_state（复工复产状态）删除了选项 halted（停产），已收集的答案中可能有此选项",
			"operation.resumption_state: 字段 resumption_state（复工复产状态）删除了选项 closed（关闭），已收集的答案中可能有此选项",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := cloneForm(t, visit)
			next.Version = 2
			tt.edit(t, next)
			data, err := json.Marshal(next)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseForm(data); err != nil {
				t.Fatalf("edited form is not a valid definition: %v", err)
			}
			got := problemStrings(CheckUpgrade(visit, next))
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CheckUpgrade problems:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCheckUpgradeProperties(t *testing.T) {
	set := shippedForms(t)
	visit, _ := set.Get("visit", 1)
	next := cloneForm(t, visit)
	next.Version = 2
	rs := next.Lookup("resumption_state")
	rs.Choices = append(rs.Choices[:1], rs.Choices[2:]...)
	removeField(&next.Fields, "layoff_plan")
	next.Lookup("layoff_workers").Relevant = ""
	next.Lookup("visit_date").Type = TypeText
	next.Lookup("visit_date").Constraint = ""
	next.Lookup("visit_date").ConstraintMessage = ""
	var got []string
	for _, p := range CheckUpgrade(visit, next) {
		got = append(got, p.Field+" "+p.Property)
	}
	want := []string{"visit_date type", "resumption_state choices[1].value", "layoff_plan name"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("field and property of problems = %q, want %q", got, want)
	}
}
