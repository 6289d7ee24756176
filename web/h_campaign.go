package web

// 活动: the campaign in force (name, year, forms, phases) and, for an
// administrator, changing it: edited on the page or uploaded as a campaign
// file, checked (survey.Campaign.Check and CheckForms, the same checks the
// district's publishing transaction runs again), previewed with what
// changes, then published to every laptop.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

// campaignEditForm is the campaign as the edit form holds it: strings as
// typed, so a refused edit is shown again as it was entered.
type campaignEditForm struct {
	ID, Name, Year, Organizer string
	Visit, Worker, Enterprise string // form ids
	Phases                    []survey.Phase
	Reason                    string
}

// formChoice is a form the campaign may use for one kind.
type formChoice struct {
	ID, Title string
	Version   int
}

type campaignData struct {
	Campaign *survey.Campaign
	Info     *storage.PublishedCampaignInfo // nil: the built-in campaign
	Today    string
	Current  string // the current phase id, "" when none
	Status   string
	Titles   map[string]string // titles of the forms in use, by kind
	Edit     campaignEditForm
	Choices  map[string][]formChoice // by kind
	Problems []string
	Timeline string // SVG
}

func campaignEditOf(c *survey.Campaign) campaignEditForm {
	e := campaignEditForm{ID: c.ID, Name: c.Name, Year: strconv.Itoa(c.Year), Organizer: c.Organizer,
		Visit: c.Forms.Visit.ID, Worker: c.Forms.Worker.ID, Enterprise: c.Forms.Enterprise.ID}
	e.Phases = append([]survey.Phase(nil), c.Phases...)
	return e
}

func (s *Server) campaignData(r *http.Request) (campaignData, error) {
	ctx := r.Context()
	c, err := s.d.Campaign(ctx)
	if err != nil {
		return campaignData{}, err
	}
	info, err := s.d.PublishedCampaign(ctx)
	if err != nil {
		return campaignData{}, err
	}
	set, err := s.d.Forms(ctx)
	if err != nil {
		return campaignData{}, err
	}
	now := s.now().Local()
	data := campaignData{Campaign: c, Info: info, Today: now.Format("2006-01-02"), Status: c.Status(now),
		Titles: map[string]string{}, Edit: campaignEditOf(c), Choices: map[string][]formChoice{}}
	if p, ok := c.PhaseAt(now); ok {
		data.Current = p.ID
	}
	data.Timeline = phaseTimeline(c, data.Today)
	for _, k := range []survey.FormKind{survey.FormVisit, survey.FormWorkerQuestionnaire, survey.FormEnterpriseQuestionnaire} {
		if f, ok := set.Get(c.Forms.ByKind(k).ID, c.Forms.ByKind(k).Version); ok {
			data.Titles[string(k)] = f.Title
		}
	}
	for _, id := range set.IDs() {
		f, _ := set.Latest(id)
		data.Choices[string(f.Kind)] = append(data.Choices[string(f.Kind)], formChoice{ID: id, Title: f.Title, Version: f.Version})
	}
	return data, nil
}

func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	data, err := s.campaignData(r)
	if err != nil {
		return err
	}
	return s.render(w, r, sess, "campaign", "活动", "campaign", data)
}

// campaignDownload is the campaign file in force, to edit and upload
// again or keep.
func (s *Server) campaignDownload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	c := s.campaignIn(r.Context())
	return attachment(w, c.ID+".json", "application/json; charset=utf-8", c.JSON())
}

// maxPhaseRows bounds the phase rows an edit form may post.
const maxPhaseRows = 30

// campaignEdit builds a campaign from the edit form and previews it, or
// shows the form again with every problem.
func (s *Server) campaignEdit(w http.ResponseWriter, r *http.Request, sess *Session) error {
	if err := r.ParseForm(); err != nil {
		return badRequest("表单内容无法读取。未做任何修改。")
	}
	// Values are taken whole (the body is capped): a name that is too long
	// is refused by the campaign's own check, never cut to fit.
	v := func(key string) string { return trimValid(r.PostFormValue(key)) }
	e := campaignEditForm{
		ID: v("id"), Name: v("name"), Year: v("year"), Organizer: v("organizer"),
		Visit: v("form_visit"), Worker: v("form_worker"), Enterprise: v("form_enterprise"),
	}
	var reasonProblem string
	e.Reason, reasonProblem = textValue(r, "reason", "修改原因", survey.MaxLineText)
	ids, names, starts, ends := r.PostForm["phase_id"], r.PostForm["phase_name"], r.PostForm["phase_start"], r.PostForm["phase_end"]
	if len(ids) > maxPhaseRows || len(names) != len(ids) || len(starts) != len(ids) || len(ends) != len(ids) {
		return badRequest("活动阶段的内容不完整，请重新打开页面后再提交。未做任何修改。")
	}
	for i := range ids {
		p := survey.Phase{ID: trimValid(ids[i]), Name: trimValid(names[i]), Start: trimValid(starts[i]), End: trimValid(ends[i])}
		if p == (survey.Phase{}) {
			continue // an empty row: not a phase
		}
		e.Phases = append(e.Phases, p)
	}
	set := s.formsIn(r.Context())
	ref := func(id string) survey.FormRef {
		f, ok := set.Latest(id)
		if !ok {
			return survey.FormRef{ID: id, Version: 1}
		}
		return survey.FormRef{ID: id, Version: f.Version}
	}
	year, _ := strconv.Atoi(e.Year)
	c := &survey.Campaign{ID: e.ID, Name: e.Name, Year: year, Organizer: e.Organizer,
		Forms:  survey.CampaignForms{Visit: ref(e.Visit), Worker: ref(e.Worker), Enterprise: ref(e.Enterprise)},
		Phases: e.Phases}
	if e.Year != "" && year == 0 {
		return s.campaignRefused(w, r, sess, e, []string{"活动年度应为四位数字的年份，如 " + strconv.Itoa(s.now().Year())})
	}
	if reasonProblem != "" {
		return s.campaignRefused(w, r, sess, e, []string{strings.TrimSuffix(reasonProblem, "。未做任何修改。")})
	}
	return s.campaignPreview(w, r, sess, c, e, "在工作台中修改")
}

// campaignUpload previews an uploaded campaign file.
func (s *Server) campaignUpload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	data, name, err := uploadedFile(r, "file", 1<<20)
	if err != nil {
		return err
	}
	c, err := survey.ParseCampaign(data)
	if err != nil {
		var ce *survey.CampaignError
		var lines []string
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				lines = append(lines, campaignProblemLine(p))
			}
		} else {
			lines = []string{err.Error()}
		}
		cur := s.campaignIn(r.Context())
		return s.campaignRefused(w, r, sess, campaignEditOf(cur), append([]string{"文件 " + name + " 没有通过检查："}, lines...))
	}
	return s.campaignPreview(w, r, sess, c, campaignEditOf(c), "上传文件 "+name)
}

func campaignProblemLine(p survey.CampaignProblem) string {
	if p.Path == "" {
		return p.Message
	}
	return p.Message + "（" + p.Path + "）"
}

// campaignRefused shows the campaign page with the edit as entered and
// its problems, status 422; nothing was stored.
func (s *Server) campaignRefused(w http.ResponseWriter, r *http.Request, sess *Session, e campaignEditForm, problems []string) error {
	data, err := s.campaignData(r)
	if err != nil {
		return err
	}
	data.Edit, data.Problems = e, problems
	return s.renderStatus(w, r, sess, http.StatusUnprocessableEntity, "campaign", "活动", "campaign", data,
		fmt.Sprintf("活动配置没有通过检查，未发布（共 %d 个问题，见下）。", len(problems)))
}

type campaignPreviewData struct {
	Campaign *survey.Campaign
	Current  *survey.Campaign
	Revision int // of Current; 0: built in
	Changes  []string
	Titles   map[string]string
	Encoded  string
	Digest   string
	Reason   string
	Origin   string
	Timeline string
}

// campaignPreview checks c against what is published and shows what
// publishing it would change, with the publish button.
func (s *Server) campaignPreview(w http.ResponseWriter, r *http.Request, sess *Session, c *survey.Campaign, e campaignEditForm, origin string) error {
	cc, err := s.d.CheckCampaign(r.Context(), c)
	if err != nil {
		return err
	}
	if len(cc.Problems) > 0 {
		var lines []string
		for _, p := range cc.Problems {
			lines = append(lines, campaignProblemLine(p))
		}
		return s.campaignRefused(w, r, sess, e, lines)
	}
	file := c.JSON()
	sum := sha256.Sum256(file)
	set := s.formsIn(r.Context())
	data := campaignPreviewData{Campaign: c, Current: cc.Current, Revision: cc.Revision, Changes: campaignChanges(cc.Current, c),
		Titles: map[string]string{}, Encoded: base64.StdEncoding.EncodeToString(file), Digest: hex.EncodeToString(sum[:6]),
		Reason: e.Reason, Origin: origin, Timeline: phaseTimeline(c, s.now().Local().Format("2006-01-02"))}
	for _, k := range []survey.FormKind{survey.FormVisit, survey.FormWorkerQuestionnaire, survey.FormEnterpriseQuestionnaire} {
		if f, ok := set.Get(c.Forms.ByKind(k).ID, c.Forms.ByKind(k).Version); ok {
			data.Titles[string(k)] = f.Title
		}
	}
	return s.render(w, r, sess, "campaign_preview", "预览活动配置", "campaign", data)
}

// campaignChanges lists what next changes from cur, in Chinese.
func campaignChanges(cur, next *survey.Campaign) []string {
	var out []string
	diff := func(what, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s：%s → %s", what, noneIfEmpty(a), noneIfEmpty(b)))
		}
	}
	diff("活动编号", cur.ID, next.ID)
	diff("活动名称", cur.Name, next.Name)
	diff("年度", strconv.Itoa(cur.Year), strconv.Itoa(next.Year))
	diff("主办单位", cur.Organizer, next.Organizer)
	for _, k := range []survey.FormKind{survey.FormVisit, survey.FormWorkerQuestionnaire, survey.FormEnterpriseQuestionnaire} {
		diff(survey.KindName(k), cur.Forms.ByKind(k).String(), next.Forms.ByKind(k).String())
	}
	old := map[string]survey.Phase{}
	for _, p := range cur.Phases {
		old[p.ID] = p
	}
	seen := map[string]bool{}
	for _, p := range next.Phases {
		seen[p.ID] = true
		o, ok := old[p.ID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("新增阶段“%s”：%s 至 %s", p.Name, p.Start, p.End))
		case o.Name != p.Name:
			out = append(out, fmt.Sprintf("阶段“%s”改名为“%s”，%s 至 %s → %s 至 %s", o.Name, p.Name, o.Start, o.End, p.Start, p.End))
		case o != p:
			out = append(out, fmt.Sprintf("阶段“%s”：%s 至 %s → %s 至 %s", p.Name, o.Start, o.End, p.Start, p.End))
		}
	}
	for _, p := range cur.Phases {
		if !seen[p.ID] {
			out = append(out, fmt.Sprintf("删除阶段“%s”（%s 至 %s）", p.Name, p.Start, p.End))
		}
	}
	return out
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}

// campaignPublish publishes the campaign file a preview showed.
func (s *Server) campaignPublish(w http.ResponseWriter, r *http.Request, sess *Session) error {
	file, err := base64.StdEncoding.DecodeString(r.PostFormValue("campaign"))
	if err != nil || len(file) == 0 || len(file) > 1<<20 {
		return badRequest("活动配置内容无效，请重新填写。未做任何修改。")
	}
	sum := sha256.Sum256(file)
	if r.PostFormValue("digest") != hex.EncodeToString(sum[:6]) {
		return badRequest("活动配置与预览不一致，请重新填写。未做任何修改。")
	}
	c, err := survey.ParseCampaign(file)
	if err != nil {
		return badRequest("活动配置内容无效，请重新填写。未做任何修改。")
	}
	reason, problem := textValue(r, "reason", "修改原因", survey.MaxLineText)
	if problem != "" {
		return badRequest("%s", problem)
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	rev, err := s.d.PublishCampaign(r.Context(), c, sess.User.Name, reason)
	if err != nil {
		release()
		var pe *district.PublishError
		if errors.As(err, &pe) {
			return s.campaignRefused(w, r, sess, campaignEditOf(c), problemLines(pe.Problems))
		}
		return err
	}
	return s.done(w, r, "/campaign", fmt.Sprintf("已发布活动配置（第 %d 次发布）。各笔记本在下一次同步时收到，首页的当前阶段随之更新。", rev))
}

// phaseTimeline draws the phases on one time axis as SVG (the page's
// styles allow no inline style attributes): one bar per phase from its
// start to its end, the current one highlighted, today marked. Text is
// escaped here; the result is inserted as trusted HTML.
func phaseTimeline(c *survey.Campaign, today string) string {
	if len(c.Phases) == 0 {
		return ""
	}
	parse := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	first, last := parse(c.Phases[0].Start), parse(c.Phases[0].End)
	for _, p := range c.Phases {
		first, last = minTime(first, parse(p.Start)), maxTime(last, parse(p.End))
	}
	last = last.AddDate(0, 0, 1)
	span := last.Sub(first).Hours()
	if span <= 0 {
		return ""
	}
	const (
		labelW = 190.0
		axisW  = 520.0
		rowH   = 26.0
		top    = 26.0
	)
	x := func(t time.Time) float64 { return labelW + axisW*t.Sub(first).Hours()/span }
	height := top + rowH*float64(len(c.Phases)) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="活动阶段时间轴" xmlns="http://www.w3.org/2000/svg">`,
		labelW+axisW+20, height, labelW+axisW+20, height)
	// Month ticks.
	for m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(last); m = m.AddDate(0, 1, 0) {
		if m.Before(first) {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#dde3ea"/>`, x(m), top-6, x(m), height-6)
		if last.Sub(m) >= 10*24*time.Hour { // no label squeezed against the end
			fmt.Fprintf(&b, `<text x="%.1f" y="14" font-size="11" fill="#667">%d 月</text>`, x(m)+2, int(m.Month()))
		}
	}
	cur, _ := c.PhaseAt(parse(today))
	for i, p := range c.Phases {
		y := top + rowH*float64(i)
		fill := "#9bb8d8"
		if p.ID == cur.ID && cur.ID != "" {
			fill = "#2f6fb3"
		}
		s, e := x(parse(p.Start)), x(parse(p.End).AddDate(0, 0, 1))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="13" text-anchor="end" fill="#333">%s</text>`, labelW-8, y+16, html.EscapeString(p.Name))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" rx="3" fill="%s"><title>%s：%s 至 %s</title></rect>`,
			s, y+5, max(e-s, 2), rowH-10, fill, html.EscapeString(p.Name), p.Start, p.End)
	}
	if t := parse(today); !t.Before(first) && t.Before(last) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#c0392b" stroke-width="2"><title>今天 %s</title></line>`, x(t), top-6, x(t), height-4, today)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
