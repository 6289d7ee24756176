package survey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Phase is one step of the campaign (宣传发动, 排查摸底, ...), with inclusive
// start and end days as YYYY-MM-DD.
type Phase struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Start string `json:"start"`
	End   string `json:"end"`
}

// Contains reports whether day t (in its own location) falls within the
// phase, both ends included.
func (p Phase) Contains(t time.Time) bool {
	d := t.Format("2006-01-02")
	return p.Start <= d && d <= p.End
}

// FormRef names one version of a form.
type FormRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

// String is "worker_questionnaire 第 2 版".
func (r FormRef) String() string { return fmt.Sprintf("%s 第 %d 版", r.ID, r.Version) }

// CampaignForms are the forms a campaign uses, one per kind: the visit
// record and the two questionnaires. Each names the version that is
// current: the newest published one, which laptops use for new records.
type CampaignForms struct {
	Visit      FormRef `json:"visit"`
	Worker     FormRef `json:"worker_questionnaire"`
	Enterprise FormRef `json:"enterprise_questionnaire"`
}

// ByKind returns the form the campaign uses for kind.
func (c CampaignForms) ByKind(k FormKind) FormRef {
	switch k {
	case FormVisit:
		return c.Visit
	case FormWorkerQuestionnaire:
		return c.Worker
	case FormEnterpriseQuestionnaire:
		return c.Enterprise
	}
	return FormRef{}
}

// set replaces the form of kind k.
func (c *CampaignForms) set(k FormKind, r FormRef) {
	switch k {
	case FormVisit:
		c.Visit = r
	case FormWorkerQuestionnaire:
		c.Worker = r
	case FormEnterpriseQuestionnaire:
		c.Enterprise = r
	}
}

// campaignKinds are the kinds of form a campaign names, in display order.
var campaignKinds = []FormKind{FormVisit, FormWorkerQuestionnaire, FormEnterpriseQuestionnaire}

// Campaign is the configuration of one year's campaign: its name, the forms
// and form versions it uses, and its phases with their dates. It is data: a
// campaign file (the built-in one is assets/campaign.json) that the district
// edits in its workbench and publishes to the laptops, so next year's
// campaign changes a file, not the code.
type Campaign struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Year      int           `json:"year"`
	Organizer string        `json:"organizer,omitempty"`
	Forms     CampaignForms `json:"forms"`
	Phases    []Phase       `json:"phases"`
}

// Limits of a campaign file: far above any real campaign (the plan has six
// phases), low enough that a hostile file costs nothing.
const (
	maxCampaignBytes = 64 << 10
	maxPhases        = 24
	maxNameRunes     = 100
)

var campaignIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// CampaignProblem is one thing wrong with a campaign file. Path names the
// property ("name", "forms.visit.version", "phases[2].end"), empty for the
// file as a whole.
type CampaignProblem struct {
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// CampaignError lists every problem of a refused campaign file.
type CampaignError struct {
	Problems []CampaignProblem
}

// Error joins the problems: "活动配置有误：…；…".
func (e *CampaignError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return "活动配置有误：" + strings.Join(msgs, "；")
}

// ParseCampaign decodes and checks a campaign file: unknown keys, missing
// names and ids, an implausible year, form references that are not form ids
// and versions, phases whose dates are not real days, end before they
// start or are out of order (see Check). On failure the error is a
// *CampaignError listing every problem, in Chinese. Whether the forms it
// names are published is CheckForms' business: that depends on the
// district, not on the file.
func ParseCampaign(data []byte) (*Campaign, error) {
	if len(data) > maxCampaignBytes {
		return nil, &CampaignError{[]CampaignProblem{{Message: fmt.Sprintf("文件过大（%d 字节），活动配置不超过 %d KB", len(data), maxCampaignBytes>>10)}}}
	}
	if !utf8.Valid(data) {
		return nil, &CampaignError{[]CampaignProblem{{Message: "文件不是 UTF-8 编码的文本，请另存为 UTF-8"}}}
	}
	var c Campaign
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, &CampaignError{[]CampaignProblem{{Message: "格式错误：" + campaignJSONError(data, err)}}}
	}
	if _, err := dec.Token(); err == nil {
		return nil, &CampaignError{[]CampaignProblem{{Message: "格式错误：配置之后还有多余内容"}}}
	}
	if ps := c.Check(); len(ps) > 0 {
		return nil, &CampaignError{ps}
	}
	return &c, nil
}

// campaignJSONError describes a JSON decoding error in Chinese.
func campaignJSONError(data []byte, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := map[string]string{"string": "文字", "int": "整数", "survey.CampaignForms": "对象", "survey.FormRef": "对象", "[]survey.Phase": "数组", "survey.Phase": "对象", "survey.Campaign": "对象"}[te.Type.String()]
		if want == "" {
			want = te.Type.String()
		}
		if te.Field != "" {
			return fmt.Sprintf("属性 %s 的值应为%s", te.Field, want)
		}
		return "活动配置应为 JSON 对象"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := min(int(se.Offset), len(data))
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		col := utf8.RuneCount(data[bytes.LastIndexByte(data[:off], '\n')+1 : off])
		return fmt.Sprintf("第 %d 行第 %d 列附近不是有效的 JSON（请检查引号、逗号和括号）", line, max(col, 1))
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "未知的属性 " + rest
	}
	return jsonErrorText(data, err)
}

// Check reports every problem of a decoded campaign that the file alone
// shows:
//
//   - id is lowercase letters, digits, "-" or "_"; name is given; year is
//     between 2000 and 2100;
//   - each of the three forms names a form id and a version ≥ 1;
//   - there is at least one phase, each with a unique id, a name, and start
//     and end days that are real dates (no 2 月 30 日), the end not before
//     the start, in the campaign's year or the next;
//   - phases are listed in order: each starts after the one before it
//     starts and ends after it ends, and overlaps at most the phase just
//     before it. The plan runs its phases 压茬推进 — 宣传发动 (late March to
//     mid-April) is still under way when 排查摸底 starts in early April —
//     so neighbours may overlap; a phase inside another, two starting the
//     same day, or three under way at once are refused, so that on any day
//     the current phase is unambiguous (PhaseAt).
func (c *Campaign) Check() []CampaignProblem {
	var ps []CampaignProblem
	add := func(path, format string, args ...any) {
		ps = append(ps, CampaignProblem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.ID == "":
		add("id", "缺少活动编号 (id)")
	case !campaignIDPattern.MatchString(c.ID):
		add("id", "活动编号 %s 无效：只能用小写字母、数字、“-”和“_”，不超过 64 个字符", quoteShort(c.ID))
	}
	checkText := func(path, what, s string, required bool) {
		switch {
		case strings.TrimSpace(s) == "" && required:
			add(path, "缺少%s (%s)", what, path)
		case utf8.RuneCountInString(s) > maxNameRunes:
			add(path, "%s过长（超过 %d 个字）", what, maxNameRunes)
		case strings.ContainsFunc(s, isControl):
			add(path, "%s含有控制字符", what)
		}
	}
	checkText("name", "活动名称", c.Name, true)
	checkText("organizer", "主办单位", c.Organizer, false)
	if c.Year < 2000 || c.Year > 2100 {
		add("year", "活动年度 (year) 应为 2000 至 2100 之间的年份，实际为 %d", c.Year)
	}
	for _, k := range campaignKinds {
		ref := c.Forms.ByKind(k)
		path := "forms." + string(k)
		switch {
		case ref.ID == "":
			add(path+".id", "缺少%s所用的表单编号 (%s.id)", kindName(k), path)
		case !validName(ref.ID):
			add(path+".id", "%s的表单编号 %s 无效：只能用小写字母开头，由小写字母、数字和下划线组成", kindName(k), quoteShort(ref.ID))
		}
		if ref.Version < 1 {
			add(path+".version", "%s的表单版本 (%s.version) 应为不小于 1 的整数", kindName(k), path)
		}
	}
	if len(c.Phases) == 0 {
		add("phases", "没有任何活动阶段 (phases)")
	}
	if len(c.Phases) > maxPhases {
		add("phases", "活动阶段过多（%d 个，最多 %d 个）", len(c.Phases), maxPhases)
		return ps
	}
	seen := map[string]int{}
	type span struct{ start, end string }
	valid := make([]*span, len(c.Phases))
	for i, p := range c.Phases {
		path := fmt.Sprintf("phases[%d]", i)
		where := phaseWhere(i, p)
		switch {
		case p.ID == "":
			add(path+".id", "%s缺少编号 (id)", where)
		case !campaignIDPattern.MatchString(p.ID):
			add(path+".id", "%s的编号 %s 无效：只能用小写字母、数字、“-”和“_”", where, quoteShort(p.ID))
		default:
			if j, dup := seen[p.ID]; dup {
				add(path+".id", "%s的编号 %s 与第 %d 个阶段重复", where, p.ID, j+1)
			}
			seen[p.ID] = i
		}
		checkText(path+".name", where+"的名称", p.Name, true)
		s, okS := parseDate(p.Start)
		e, okE := parseDate(p.End)
		if !okS {
			add(path+".start", "%s的开始日期 %q 不是有效日期，应为 YYYY-MM-DD（如 %d-04-01）", where, p.Start, max(c.Year, 2000))
		}
		if !okE {
			add(path+".end", "%s的结束日期 %q 不是有效日期，应为 YYYY-MM-DD（如 %d-04-30）", where, p.End, max(c.Year, 2000))
		}
		if !okS || !okE {
			continue
		}
		if e.Before(s) {
			add(path+".end", "%s的结束日期 %s 早于开始日期 %s", where, p.End, p.Start)
			continue
		}
		if c.Year >= 2000 && c.Year <= 2100 {
			if y := s.Year(); y != c.Year && y != c.Year+1 {
				add(path+".start", "%s开始于 %d 年，不在活动年度 %d 年（或次年）内", where, y, c.Year)
				continue
			}
			if y := e.Year(); y != c.Year && y != c.Year+1 {
				add(path+".end", "%s结束于 %d 年，不在活动年度 %d 年（或次年）内", where, y, c.Year)
				continue
			}
		}
		valid[i] = &span{p.Start, p.End}
	}
	for i := 1; i < len(c.Phases); i++ {
		cur, prev := valid[i], valid[i-1]
		if cur == nil || prev == nil {
			continue
		}
		path := fmt.Sprintf("phases[%d]", i)
		where, before := phaseWhere(i, c.Phases[i]), phaseWhere(i-1, c.Phases[i-1])
		switch {
		case cur.start <= prev.start:
			add(path+".start", "阶段应按时间先后排列：%s开始于 %s，不晚于前一个%s的开始日期 %s", where, cur.start, before, prev.start)
		case cur.end <= prev.end:
			add(path+".end", "%s（%s 至 %s）落在前一个%s（%s 至 %s）之内：阶段应按时间先后排列，后一阶段结束得更晚", where, cur.start, cur.end, before, prev.start, prev.end)
		case i >= 2 && valid[i-2] != nil && cur.start <= valid[i-2].end:
			add(path+".start", "%s开始于 %s，此时%s尚未结束（%s）：一个阶段只能与紧邻的前一阶段交叉", where, cur.start, phaseWhere(i-2, c.Phases[i-2]), valid[i-2].end)
		}
	}
	return ps
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func phaseWhere(i int, p Phase) string {
	w := fmt.Sprintf("第 %d 个阶段", i+1)
	if n := strings.TrimSpace(p.Name); n != "" && utf8.RuneCountInString(n) <= maxNameRunes {
		w += "“" + n + "”"
	}
	return w
}

// quoteShort quotes a value a problem names, its first 40 characters only:
// a pasted paragraph in an id field is named, not echoed whole.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		return strconv.Quote(string(r[:40])) + "…（共 " + strconv.Itoa(len(r)) + " 个字符）"
	}
	return strconv.Quote(s)
}

// kindName names a form kind for people.
func kindName(k FormKind) string {
	switch k {
	case FormVisit:
		return "走访记录表"
	case FormWorkerQuestionnaire:
		return "职工问卷"
	case FormEnterpriseQuestionnaire:
		return "企业经营者问卷"
	}
	return string(k)
}

// KindName names a form kind in Chinese (走访记录表, 职工问卷, 企业经营者问卷).
func KindName(k FormKind) string { return kindName(k) }

// CheckForms reports the problems of the campaign's form references against
// the forms that are published (set: the built-in and published versions):
// each named version must exist, be of the kind it is used for, and be the
// newest version of its form, because laptops always fill new records on
// the newest published version and the campaign says which one that is.
func (c *Campaign) CheckForms(set *FormSet) []CampaignProblem {
	var ps []CampaignProblem
	for _, k := range campaignKinds {
		ref := c.Forms.ByKind(k)
		if ref.ID == "" || ref.Version < 1 {
			continue // reported by Check
		}
		path := "forms." + string(k)
		latest, ok := set.Latest(ref.ID)
		if !ok {
			ps = append(ps, CampaignProblem{path + ".id", fmt.Sprintf("%s所用的表单 %s 尚未发布", kindName(k), ref.ID)})
			continue
		}
		f, ok := set.Get(ref.ID, ref.Version)
		switch {
		case !ok:
			ps = append(ps, CampaignProblem{path + ".version", fmt.Sprintf("%s所用的表单 %s 没有第 %d 版（已发布的最新版是第 %d 版）", kindName(k), ref.ID, ref.Version, latest.Version)})
		case f.Kind != k:
			ps = append(ps, CampaignProblem{path + ".id", fmt.Sprintf("表单 %s 是%s，不能用作%s", ref.ID, kindName(f.Kind), kindName(k))})
		case latest.Version != ref.Version:
			ps = append(ps, CampaignProblem{path + ".version", fmt.Sprintf("%s写的是表单 %s 第 %d 版，但已发布第 %d 版；笔记本新建记录总是使用最新发布的版本，请改为第 %d 版", kindName(k), ref.ID, ref.Version, latest.Version, latest.Version)})
		}
	}
	return ps
}

// WithForm returns a copy of the campaign whose form of f's kind is f, if
// the campaign uses f's form id; ok is false when it does not (then the
// campaign is returned unchanged). Publishing a new version of a form the
// campaign uses moves the campaign to it.
func (c *Campaign) WithForm(f *Form) (*Campaign, bool) {
	cp := c.Clone()
	for _, k := range campaignKinds {
		if ref := c.Forms.ByKind(k); ref.ID == f.ID && f.Kind == k {
			if ref.Version == f.Version {
				return cp, false
			}
			cp.Forms.set(k, FormRef{ID: f.ID, Version: f.Version})
			return cp, true
		}
	}
	return cp, false
}

// Clone returns a deep copy.
func (c *Campaign) Clone() *Campaign {
	cp := *c
	cp.Phases = append([]Phase(nil), c.Phases...)
	return &cp
}

// JSON is the campaign file: indented, keys in a fixed order, ending in a
// newline. It is what is published and what the workbench offers for
// download; ParseCampaign reads it back unchanged.
func (c *Campaign) JSON() []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	field := func(k string, v any, comma bool) {
		j, _ := json.Marshal(v)
		fmt.Fprintf(&b, "  %q: %s", k, j)
		if comma {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	field("id", c.ID, true)
	field("name", c.Name, true)
	field("year", c.Year, true)
	if c.Organizer != "" {
		field("organizer", c.Organizer, true)
	}
	b.WriteString("  \"forms\": {\n")
	for i, k := range campaignKinds {
		j, _ := json.Marshal(c.Forms.ByKind(k))
		fmt.Fprintf(&b, "    %q: %s", string(k), j)
		if i < len(campaignKinds)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  },\n  \"phases\": [\n")
	for i, p := range c.Phases {
		j, _ := json.Marshal(p)
		b.WriteString("    ")
		b.Write(j)
		if i < len(c.Phases)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes()
}

// PhasesAt returns every phase that contains day t, in configuration order.
func (c *Campaign) PhasesAt(t time.Time) []Phase {
	var out []Phase
	for _, p := range c.Phases {
		if p.Contains(t) {
			out = append(out, p)
		}
	}
	return out
}

// PhaseAt returns the current phase on day t: of the phases containing t,
// the one that started last (when 宣传发动 and 排查摸底 overlap in April, the
// visits are what is under way). ok is false before, between and after
// the phases.
func (c *Campaign) PhaseAt(t time.Time) (Phase, bool) {
	var best Phase
	found := false
	for _, p := range c.Phases {
		if p.Contains(t) && (!found || p.Start >= best.Start) {
			best, found = p, true
		}
	}
	return best, found
}

// Status says in one line where day t stands in the campaign: the current
// phase with its dates, or when the campaign starts, resumes or ended.
func (c *Campaign) Status(t time.Time) string {
	if p, ok := c.PhaseAt(t); ok {
		return fmt.Sprintf("当前阶段：%s（%s 至 %s）", p.Name, p.Start, p.End)
	}
	d := t.Format("2006-01-02")
	if len(c.Phases) == 0 {
		return "活动没有设置阶段"
	}
	first, last := c.Phases[0], c.Phases[len(c.Phases)-1]
	for _, p := range c.Phases {
		if p.Start < first.Start {
			first = p
		}
		if p.End > last.End {
			last = p
		}
	}
	switch {
	case d < first.Start:
		return fmt.Sprintf("活动尚未开始：第一阶段“%s”从 %s 开始", first.Name, first.Start)
	case d > last.End:
		return fmt.Sprintf("本年度活动已于 %s 结束（最后阶段“%s”）", last.End, last.Name)
	}
	next := last
	for _, p := range c.Phases {
		if p.Start > d && p.Start <= next.Start {
			next = p
		}
	}
	return fmt.Sprintf("今天（%s）不在活动阶段内，下一阶段“%s”从 %s 开始", d, next.Name, next.Start)
}
