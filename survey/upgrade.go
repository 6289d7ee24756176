package survey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// CheckUpgrade reports why next may not replace current as the version of a
// form used for new records, or nil when it may. Records keep the id and
// version they were filled against, but statistics, exports and the ledger
// read answers by field name across versions, so a new version must not
// orphan answers already collected:
//
//   - the id stays the same and the version number is higher;
//   - the kind (visit, worker or enterprise questionnaire) stays the same;
//   - every field that stores an answer (calculations and repeats included)
//     still exists in the same repeat, under the same name;
//   - its type stays the same, except text ↔ textarea and integer → decimal,
//     whose stored answers stay valid;
//   - a select keeps every choice value (labels may change, choices may be
//     added).
//
// Fields may be added, reordered, moved between groups, relabelled, made
// required or hidden with relevant "false()" — the way to retire a
// question. Both forms must be valid definitions. Path of each problem is
// the field's path in next (or in current when it is gone), Property the
// form property or "name", "type" or "choices[i].value" of current.
func CheckUpgrade(current, next *Form) []Problem {
	var ps []Problem
	add := func(path, field, property, msg string) {
		ps = append(ps, Problem{Path: path, Field: field, Property: property, Message: msg})
	}
	if next.ID != current.ID {
		add("id", "id", "id", fmt.Sprintf("表单编号不同：当前为 %q，新版本为 %q", current.ID, next.ID))
		return ps
	}
	if next.Version <= current.Version {
		add("version", "version", "version", fmt.Sprintf("新版本号 %d 必须大于当前版本号 %d", next.Version, current.Version))
	}
	if next.Kind != current.Kind {
		add("kind", "kind", "kind", fmt.Sprintf("表单类别不能改变：当前为 %s，新版本为 %s", kindText(current.Kind), kindText(next.Kind)))
	}
	oldFields, newFields := answerFields(current), answerFields(next)
	newByName := map[string][]stored{}
	for _, s := range newFields.order {
		newByName[s.field.Name] = append(newByName[s.field.Name], s)
	}
	for _, o := range oldFields.order {
		fd := o.field
		n, ok := newFields.byKey[o.key]
		if !ok {
			msg := fmt.Sprintf("字段 %s（%s）被删除，已收集的答案将无处对应；如不再需要此题，请保留字段并把显示条件 (relevant) 设为 false() 停用", fd.Name, fieldText(fd))
			if moved := newByName[fd.Name]; len(moved) > 0 {
				msg = fmt.Sprintf("字段 %s（%s）从%s移到了%s，已收集的答案将无处对应", fd.Name, fieldText(fd), o.where(), moved[0].where())
			}
			add(o.path, fd.Name, "name", msg)
			continue
		}
		nf := n.field
		if nf.Type != fd.Type && !compatibleTypes(fd.Type, nf.Type) {
			add(n.path, fd.Name, "type", fmt.Sprintf("字段 %s（%s）的类型从 %s 改为 %s，已收集的答案将无法读取", fd.Name, fieldText(fd), fd.Type, nf.Type))
			continue
		}
		if fd.Type.isSelect() {
			have := map[string]bool{}
			for _, c := range nf.Choices {
				have[c.Value] = true
			}
			for j, c := range fd.Choices {
				if !have[c.Value] {
					add(n.path, fd.Name, fmt.Sprintf("choices[%d].value", j),
						fmt.Sprintf("字段 %s（%s）删除了选项 %s（%s），已收集的答案中可能有此选项", fd.Name, fieldText(fd), c.Value, c.Label))
				}
			}
		}
	}
	return ps
}

// compatibleTypes reports whether answers stored for a field of type from
// remain valid answers of type to.
func compatibleTypes(from, to FieldType) bool {
	switch {
	case from == TypeText && to == TypeTextarea, from == TypeTextarea && to == TypeText:
		return true
	case from == TypeInteger && to == TypeDecimal:
		return true
	}
	return false
}

func kindText(k FormKind) string {
	switch k {
	case "":
		return "未指定"
	case FormVisit:
		return "走访记录表 (visit)"
	case FormWorkerQuestionnaire:
		return "职工问卷 (worker_questionnaire)"
	case FormEnterpriseQuestionnaire:
		return "企业经营者问卷 (enterprise_questionnaire)"
	}
	return string(k)
}

func fieldText(fd *Field) string {
	if l := strings.TrimSpace(fd.Label); l != "" {
		return l
	}
	return string(fd.Type)
}

// stored is one field that keeps a value in stored answers: key is its
// place in the answers (the names of the enclosing repeats and its own
// name), path its definition path as in Problem.Path.
type stored struct {
	key, path string
	repeats   []string
	field     *Field
}

// where names the answer level of s in Chinese: the top level or a repeat.
func (s stored) where() string {
	if len(s.repeats) == 0 {
		return "表单顶层"
	}
	return "重复组 " + strings.Join(s.repeats, " → ")
}

type storedFields struct {
	byKey map[string]stored
	order []stored
}

// answerFields lists the fields of f that store answers, by their place in
// the answers. Groups do not nest answers, so a field may move between
// groups without changing its key.
func answerFields(f *Form) storedFields {
	out := storedFields{byKey: map[string]stored{}}
	var walk func(fields []Field, prefix string, repeats []string)
	walk = func(fields []Field, prefix string, repeats []string) {
		for i := range fields {
			fd := &fields[i]
			p := joinPath(prefix, fd.Name, i)
			if fd.Type != TypeGroup && fd.Type != TypeNote {
				s := stored{key: strings.Join(append(append([]string(nil), repeats...), fd.Name), "/"), path: p, repeats: repeats, field: fd}
				if _, dup := out.byKey[s.key]; !dup {
					out.byKey[s.key] = s
					out.order = append(out.order, s)
				}
			}
			switch fd.Type {
			case TypeGroup:
				walk(fd.Fields, p, repeats)
			case TypeRepeat:
				walk(fd.Fields, p, append(append([]string(nil), repeats...), fd.Name))
			}
		}
	}
	walk(f.Fields, "", nil)
	return out
}

// maxCensusValues bounds the distinct values an AnswerCensus keeps per
// select field: a real select has a few dozen options at most.
const maxCensusValues = 256

// AnswerCensus sums up the answers actually collected on a form (every
// version), as far as a new version must keep them readable: which answer
// keys hold values, of which shape, and which choice values the select
// fields of the new version hold. CheckUpgrade compares a new version with
// the newest published one; a census catches what that cannot see, such as
// answers stored from a version that was never published here.
type AnswerCensus struct {
	next    storedFields
	Records int // records added
	keys    map[string]*censusKey
	order   []string
}

type censusKey struct {
	records  int
	shapes   map[string]int // records by answer shape: "value", "list", "items"
	values   map[string]int
	overflow bool
}

// NewAnswerCensus starts a census for checking next.
func NewAnswerCensus(next *Form) *AnswerCensus {
	return &AnswerCensus{next: answerFields(next), keys: map[string]*censusKey{}}
}

// Add counts the answers of one record.
func (c *AnswerCensus) Add(a Answers) {
	c.Records++
	c.add(a, "")
}

func (c *AnswerCensus) add(a map[string]any, prefix string) {
	for name, v := range a {
		key := prefix + name
		k := c.keys[key]
		if k == nil {
			if len(c.keys) >= 4096 {
				continue // a record with thousands of keys is not a form's
			}
			k = &censusKey{shapes: map[string]int{}, values: map[string]int{}}
			c.keys[key] = k
			c.order = append(c.order, key)
		}
		k.records++
		var shape string
		var values []string
		switch x := v.(type) {
		case string:
			shape, values = "value", []string{x}
		case []string:
			shape, values = "list", x
		case []any:
			shape = "list"
			if len(x) == 0 {
				shape = "" // an empty list fits a select_multiple and a repeat
			}
			for _, e := range x {
				switch y := e.(type) {
				case string:
					values = append(values, y)
				case map[string]any:
					shape = "items"
					c.add(y, key+"/")
				}
			}
		case []Answers:
			shape = "items"
			for _, it := range x {
				c.add(it, key+"/")
			}
		case []map[string]any:
			shape = "items"
			for _, it := range x {
				c.add(it, key+"/")
			}
		default:
			shape = "value"
		}
		if shape != "" {
			k.shapes[shape]++
		}
		c.countValues(k, key, values)
	}
}

// AddJSON counts the answers of one record given as the JSON object of
// its answers, without decoding what the census does not look at (free
// text, numbers): a publication checks every stored record inside a write
// transaction, so this is the path that must be quick.
func (c *AnswerCensus) AddJSON(answers []byte) error {
	var a map[string]json.RawMessage
	if err := json.Unmarshal(answers, &a); err != nil {
		return err
	}
	c.Records++
	return c.addRaw(a, "")
}

func (c *AnswerCensus) addRaw(a map[string]json.RawMessage, prefix string) error {
	for name, raw := range a {
		key := prefix + name
		k := c.keys[key]
		if k == nil {
			if len(c.keys) >= 4096 {
				continue
			}
			k = &censusKey{shapes: map[string]int{}, values: map[string]int{}}
			c.keys[key] = k
			c.order = append(c.order, key)
		}
		k.records++
		raw = bytes.TrimLeft(raw, " \t\r\n")
		s, known := c.next.byKey[key]
		isSelect := known && s.field.Type.isSelect()
		var values []string
		shape := "value"
		switch {
		case len(raw) == 0:
			shape = ""
		case raw[0] == '"':
			if isSelect {
				var v string
				if err := json.Unmarshal(raw, &v); err != nil {
					return err
				}
				values = []string{v}
			}
		case raw[0] == '[':
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				return err
			}
			shape = "list"
			if len(items) == 0 {
				shape = "" // an empty list fits a select_multiple and a repeat
			}
			for _, it := range items {
				it = bytes.TrimLeft(it, " \t\r\n")
				if len(it) > 0 && it[0] == '{' {
					shape = "items"
					var sub map[string]json.RawMessage
					if err := json.Unmarshal(it, &sub); err != nil {
						return err
					}
					if err := c.addRaw(sub, key+"/"); err != nil {
						return err
					}
					continue
				}
				if isSelect && len(it) > 0 && it[0] == '"' {
					var v string
					if err := json.Unmarshal(it, &v); err != nil {
						return err
					}
					values = append(values, v)
				}
			}
		case string(raw) == "null":
			shape = ""
		}
		if shape != "" {
			k.shapes[shape]++
		}
		c.countValues(k, key, values)
	}
	return nil
}

// countValues counts the choice values of a select field's answer.
func (c *AnswerCensus) countValues(k *censusKey, key string, values []string) {
	if s, ok := c.next.byKey[key]; !ok || !s.field.Type.isSelect() {
		return
	}
	for _, val := range values {
		if val == "" {
			continue
		}
		if _, seen := k.values[val]; !seen && len(k.values) >= maxCensusValues {
			k.overflow = true
			continue
		}
		k.values[val]++
	}
}

// Problems reports the collected answers next would orphan: answer keys it
// has no field for (or only a note or group), answers of another shape
// than the field now takes (a list for a single choice, items for a
// question), and choice values it no longer offers. Each problem says how
// many records hold such answers.
func (c *AnswerCensus) Problems() []Problem {
	var ps []Problem
	keys := append([]string(nil), c.order...)
	sort.Strings(keys)
	for _, key := range keys {
		k := c.keys[key]
		name := key[strings.LastIndexByte(key, '/')+1:]
		shown := strings.ReplaceAll(key, "/", " → ")
		s, ok := c.next.byKey[key]
		if !ok {
			ps = append(ps, Problem{Path: shown, Field: name, Property: "name",
				Message: fmt.Sprintf("已收集的 %d 份记录中有字段 %s 的答案，新版本没有这个字段（或把它移到了别处），这些答案将无处对应", k.records, shown)})
			continue
		}
		fd := s.field
		want := "value"
		switch fd.Type {
		case TypeSelectMultiple:
			want = "list"
		case TypeRepeat:
			want = "items"
		}
		for _, shape := range []string{"value", "list", "items"} {
			if n := k.shapes[shape]; n > 0 && shape != want {
				ps = append(ps, Problem{Path: s.path, Field: fd.Name, Property: "type",
					Message: fmt.Sprintf("已收集的 %d 份记录中字段 %s（%s）的答案是%s，新版本的%s类型不能读取", n, fd.Name, fieldText(fd), shapeText(shape), fd.Type)})
			}
		}
		if !fd.Type.isSelect() {
			continue
		}
		offered := map[string]bool{}
		for _, ch := range fd.Choices {
			offered[ch.Value] = true
		}
		vals := make([]string, 0, len(k.values))
		for v := range k.values {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		for _, v := range vals {
			if !offered[v] {
				ps = append(ps, Problem{Path: s.path, Field: fd.Name, Property: "choices",
					Message: fmt.Sprintf("已收集的 %d 份记录中字段 %s（%s）选了 %s，新版本没有这个选项", k.values[v], fd.Name, fieldText(fd), v)})
			}
		}
		if k.overflow {
			ps = append(ps, Problem{Path: s.path, Field: fd.Name, Property: "choices",
				Message: fmt.Sprintf("已收集的答案中字段 %s（%s）有超过 %d 种不同的选项值，无法逐一核对", fd.Name, fieldText(fd), maxCensusValues)})
		}
	}
	return ps
}

func shapeText(shape string) string {
	switch shape {
	case "list":
		return "多个选项"
	case "items":
		return "重复填写的多组"
	}
	return "单个值"
}
