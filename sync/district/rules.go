package district

// Per-record rules at the district, for every version of an up bundle,
// deletions included (docs/bundle-format.md, "Per-record rules at the
// district"). One version that breaks a rule rejects the whole bundle.
//
// Rules that need no district state run right after decryption; a bundle
// breaking one is refused and nothing is stored, whatever order bundles
// arrive in:
//
//   - a device never sends a form or the campaign: only the district
//     publishes them (publish.go);
//   - an anonymous questionnaire response is create-only (no parents, never
//     deleted), names no author or device, is dated exactly to a day
//     (00:00:00 UTC), belongs to a questionnaire form the district knows
//     (built in or published here: the set only grows, so the answer does
//     not depend on when the bundle arrives), and answers only keys that
//     form defines; keys that would identify a
//     person (姓名, phone, id_card, ...) are refused even if a form defined
//     them, and so is free text holding a phone or ID number
//     (survey.PersonalInfo, the rule the laptop's form checks apply).
//
// Rules that depend on what the district holds run inside the import
// transaction; a bundle breaking one is quarantined with the reason, so the
// outcome does not depend on which process decided first:
//
//   - a response record that already exists cannot get another version;
//   - a device may create any enterprise, visit or ledger item;
//   - it may edit a record it created (the record's first version came from
//     it) or one that belongs to an enterprise assigned to it (the
//     enterprise itself, its visits and ledger items);
//   - it may delete only records it created: never another device's visit
//     or ledger item, never a roster enterprise, never a response;
//   - it may not change which device an enterprise is assigned to (an
//     enterprise it creates is unassigned or assigned to itself);
//   - it may not edit or delete a record the district does not have (a
//     laptop only ever edits records it made or received from the
//     district);
//   - it may not create or change a review: reviews are the district's;
//   - it may not write the district's 研判 of a ledger item (result,
//     department, route, who and when): its version carries the 研判 of one
//     of its parents (none for a new item).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// checkContent runs the rules that need no district state.
func (d *District) checkContent(p sync.Payload) *Error {
	if e := checkDistrictOnly(p.Versions); e != nil {
		return e
	}
	forms, err := d.registry.Forms(context.Background())
	if err != nil {
		return d.fail(err, "check content: forms")
	}
	for i, v := range p.Versions {
		if v.Kind != survey.KindResponse {
			continue
		}
		where := fmt.Sprintf("第 %d 条记录（问卷 %s）", i+1, short(v.RecordID))
		if v.Deleted || len(v.Parents) > 0 {
			return errorf(CodeInvalidContent, "%s：匿名问卷只能新建，不能修改或删除", where)
		}
		if v.Author != "" || v.DeviceID != "" {
			return errorf(CodeInvalidContent, "%s：匿名问卷不得带有作者或设备", where)
		}
		if c := v.Created.UTC(); c.Hour() != 0 || c.Minute() != 0 || c.Second() != 0 || c.Nanosecond() != 0 {
			return errorf(CodeInvalidContent, "%s：匿名问卷的时间只能精确到日", where)
		}
		var r survey.Response
		if err := json.Unmarshal(v.Payload, &r); err != nil {
			return errorf(CodeInvalidContent, "%s：内容无法读取", where)
		}
		if r.FormID != v.FormID || r.FormVersion != v.FormVersion {
			return errorf(CodeInvalidContent, "%s：问卷内容所属表单（%s 第 %d 版）与记录标明的（%s 第 %d 版）不符", where, r.FormID, r.FormVersion, v.FormID, v.FormVersion)
		}
		f, ok := forms.Get(v.FormID, v.FormVersion)
		if !ok {
			return errorf(CodeInvalidContent, "%s：区总工会没有表单 %s 第 %d 版", where, v.FormID, v.FormVersion)
		}
		if !f.Anonymous() {
			return errorf(CodeInvalidContent, "%s：表单 %s 不是匿名问卷", where, v.FormID)
		}
		if key, why := unknownAnswer(f.Fields, r.Answers); key != "" {
			return errorf(CodeInvalidContent, "%s：答案 %q %s", where, key, why)
		}
		for key, val := range r.Answers {
			if s, ok := val.(string); ok {
				if kind := survey.PersonalInfo(s); kind != "" {
					return errorf(CodeInvalidContent, "%s：答案 %q 中有%s，匿名问卷不收能认出答题人的信息", where, key, kind)
				}
			}
		}
	}
	return nil
}

// personal are name parts of answer keys that would identify a respondent.
// Field names are lowercase ASCII (survey.namePattern), so a key like 姓名 is
// refused as unknown; these catch a form that defines such a field anyway.
var personal = []string{"name", "phone", "mobile", "tel", "telephone", "idcard", "id_card", "id_number", "identity", "email", "wechat", "address"}

// unknownAnswer returns the first answer key the fields do not define as an
// answerable field, and why.
func unknownAnswer(fields []survey.Field, a survey.Answers) (string, string) {
	scope := map[string]*survey.Field{}
	var walk func(fs []survey.Field)
	walk = func(fs []survey.Field) {
		for i := range fs {
			f := &fs[i]
			if f.Type == survey.TypeGroup {
				walk(f.Fields) // a group's children share the scope
				continue
			}
			scope[f.Name] = f
		}
	}
	walk(fields)
	for key, val := range a {
		for _, part := range personal {
			if key == part || strings.HasPrefix(key, part+"_") || strings.HasSuffix(key, "_"+part) || strings.Contains(key, "_"+part+"_") {
				return key, "可能识别答题人，匿名问卷不收"
			}
		}
		f, ok := scope[key]
		if !ok {
			return key, "不是该问卷的题目"
		}
		switch f.Type {
		case survey.TypeNote, survey.TypeGroup:
			return key, "是说明文字，不能有答案"
		case survey.TypeRepeat:
			items, ok := val.([]any)
			if !ok {
				return key, "应为重复组"
			}
			for _, it := range items {
				m, ok := it.(map[string]any)
				if !ok {
					return key, "应为重复组"
				}
				if k, why := unknownAnswer(f.Fields, survey.Answers(m)); k != "" {
					return key + "." + k, why
				}
			}
		}
	}
	return "", ""
}

// kindText names a record kind for people.
func kindText(k survey.RecordKind) string {
	switch k {
	case survey.KindEnterprise:
		return "企业"
	case survey.KindVisit:
		return "走访记录"
	case survey.KindResponse:
		return "问卷"
	case survey.KindLedger:
		return "台帐事项"
	case survey.KindForm:
		return "表单"
	case survey.KindCampaign:
		return "活动配置"
	case survey.KindReview:
		return "审核意见"
	}
	return string(k)
}

// short is the first 8 characters of an id, as people quote it.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// checkRecordsTx runs the rules that depend on the district's records,
// inside the import transaction. It returns the first violation (nil when
// every version may be merged); the error is the database's.
func (d *District) checkRecordsTx(tx *storage.Tx, dev *deviceRow, p sync.Payload) (*Error, error) {
	origins := map[string]storage.RecordOrigin{}
	// Records this bundle creates: their root (no parents) is in it and
	// the district has no version of them yet.
	created := map[string]bool{}
	inBundle := make(map[string]survey.Version, len(p.Versions))
	for _, v := range p.Versions {
		inBundle[v.VersionID] = v
	}
	ids := make([]string, 0, len(p.Versions))
	for _, v := range p.Versions {
		ids = append(ids, v.RecordID)
	}
	// Most records of a bundle are new: find the few that are not in a
	// few queries, and look only those up one by one.
	existing, err := tx.ExistingRecords(ids)
	if err != nil {
		return nil, err
	}
	origin := func(id string) (storage.RecordOrigin, error) {
		if o, ok := origins[id]; ok {
			return o, nil
		}
		if !existing[id] {
			return storage.RecordOrigin{}, nil
		}
		o, err := tx.RecordOrigin(id)
		if err == nil {
			origins[id] = o
		}
		return o, err
	}
	for _, v := range p.Versions {
		if len(v.Parents) > 0 || v.Kind == survey.KindResponse {
			continue
		}
		o, err := origin(v.RecordID)
		if err != nil {
			return nil, err
		}
		if !o.Exists {
			created[v.RecordID] = true
		}
	}
	for i, v := range p.Versions {
		o, err := origin(v.RecordID)
		if err != nil {
			return nil, err
		}
		where := fmt.Sprintf("第 %d 条记录（%s %s）", i+1, kindText(v.Kind), short(v.RecordID))
		bad := func(format string, args ...any) (*Error, error) {
			// A version the district already has, identical, changes
			// nothing: it was allowed when it first came.
			if old, err := tx.Version(v.VersionID); err == nil && sameVersion(old, v) {
				return nil, nil
			}
			return errorf(CodeRule, "%s：%s", where, fmt.Sprintf(format, args...)), nil
		}
		if v.Kind == survey.KindReview {
			if e, err := bad("审核意见只能由区总工会填写，笔记本不能新建或修改"); e != nil || err != nil {
				return e, err
			}
			continue
		}
		if v.Kind == survey.KindLedger && !v.Deleted {
			ok, err := keepsAssessment(tx, v, inBundle)
			if err != nil {
				return nil, err
			}
			if !ok {
				if e, err := bad("研判结果、责任部门和处理途径只能由区总工会填写"); e != nil || err != nil {
					return e, err
				}
				continue
			}
		}
		if o.Exists && o.Kind != v.Kind {
			if e, err := bad("区总工会的同一记录是%s，不是%s", kindText(o.Kind), kindText(v.Kind)); e != nil || err != nil {
				return e, err
			}
			continue
		}
		if v.Kind == survey.KindResponse {
			if o.Exists {
				if e, err := bad("区总工会已有这份问卷，匿名问卷只能新建，不能再改"); e != nil || err != nil {
					return e, err
				}
			}
			continue
		}
		if !o.Exists {
			if !created[v.RecordID] {
				verb := "修改"
				if v.Deleted {
					verb = "删除"
				}
				if e, err := bad("区总工会没有这条记录，不能%s", verb); e != nil || err != nil {
					return e, err
				}
				continue
			}
			if v.Kind == survey.KindEnterprise {
				if a, ok := assignee(v); !ok || (a != "" && a != dev.id) {
					if e, err := bad("新建的企业只能不分配或分配给本设备"); e != nil || err != nil {
						return e, err
					}
				}
			}
			continue
		}
		mine := o.Creator == dev.id
		if v.Deleted {
			if !mine {
				if e, err := bad("设备只能删除自己建立的记录，这条记录由%s建立", creatorText(o.Creator, d)); e != nil || err != nil {
					return e, err
				}
			}
			continue
		}
		if !mine && o.Assignee != dev.id {
			if e, err := bad("这条记录由%s建立，所属企业也没有分配给本设备，本设备无权修改", creatorText(o.Creator, d)); e != nil || err != nil {
				return e, err
			}
			continue
		}
		if v.Kind == survey.KindEnterprise {
			a, ok := assignee(v)
			want := o.Assignee
			for _, pid := range v.Parents {
				if pv, ok := inBundle[pid]; ok {
					want, _ = assignee(pv)
				} else if pv, err := tx.Version(pid); err == nil {
					want, _ = assignee(pv)
				}
			}
			if !ok || a != want {
				if e, err := bad("笔记本不能更改企业分配给哪台设备"); e != nil || err != nil {
					return e, err
				}
			}
		}
	}
	return nil, nil
}

// assignee reads an enterprise version's assigned device.
func assignee(v survey.Version) (string, bool) {
	if v.Deleted {
		return "", true
	}
	var e struct {
		AssignedTo string `json:"assigned_to"`
	}
	if err := json.Unmarshal(v.Payload, &e); err != nil {
		return "", false
	}
	return e.AssignedTo, true
}

// creatorText names who made a record, for rule messages.
func creatorText(device string, d *District) string {
	switch device {
	case "":
		return "其他来源"
	case d.setting(setID):
		return "区总工会"
	}
	return "设备 " + device
}

// sameVersion reports whether two versions with one id have the same
// content (payloads compared as JSON).
func sameVersion(a, b survey.Version) bool {
	if a.RecordID != b.RecordID || a.Kind != b.Kind || a.Deleted != b.Deleted || a.DeviceID != b.DeviceID ||
		a.Author != b.Author || !a.Created.Equal(b.Created) || len(a.Parents) != len(b.Parents) {
		return false
	}
	for i := range a.Parents {
		if a.Parents[i] != b.Parents[i] {
			return false
		}
	}
	var x, y any
	if json.Unmarshal(a.Payload, &x) != nil || json.Unmarshal(b.Payload, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// assessment returns the district's 研判 members of a ledger version's
// payload (survey.AssessmentFields), absent ones left out.
func assessment(v survey.Version) (map[string]any, bool) {
	var m map[string]any
	if json.Unmarshal(v.Payload, &m) != nil {
		return nil, false
	}
	out := map[string]any{}
	for _, k := range survey.AssessmentFields {
		if x, ok := m[k]; ok && x != nil && x != "" {
			out[k] = x
		}
	}
	return out, true
}

// keepsAssessment reports whether a device's ledger version carries the
// 研判 of one of its parents (a new item: none). A parent the district does
// not have (it waits in the backlog) is replaced by the item's current
// version, or by none for an item the district does not have.
func keepsAssessment(tx *storage.Tx, v survey.Version, inBundle map[string]survey.Version) (bool, error) {
	mine, ok := assessment(v)
	if !ok {
		return false, nil
	}
	var parents []survey.Version
	missing := false
	for _, pid := range v.Parents {
		if pv, ok := inBundle[pid]; ok {
			parents = append(parents, pv)
			continue
		}
		pv, err := tx.Version(pid)
		switch {
		case err == nil:
			parents = append(parents, pv)
		case errors.Is(err, storage.ErrNotFound):
			missing = true
		default:
			return false, err
		}
	}
	if missing || len(v.Parents) == 0 {
		heads, err := tx.Heads(v.RecordID)
		if err != nil {
			return false, err
		}
		parents = append(parents, heads...)
	}
	if len(parents) == 0 {
		return len(mine) == 0, nil
	}
	for _, p := range parents {
		if theirs, ok := assessment(p); ok && reflect.DeepEqual(mine, theirs) {
			return true, nil
		}
	}
	return false, nil
}
