package web

// 表单: the forms in force (built in and published) and, for an
// administrator, publishing a new form version. An upload (an XLSForm
// workbook or a .json definition) is parsed and checked with the app's form
// engine and against what is published and stored here; what passes is
// shown as a preview (every section, question, option and condition in
// Chinese, and what changed since the version in use) with a publish
// button. The definition travels back in the preview's form, so nothing is
// kept between the two steps; publishing parses and checks it again inside
// the district's publishing transaction (district.PublishForm), which also
// writes the audit entry.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/survey/xlsform"
	"zoufang/sync/district"
)

// formsIn is the forms in force, built in and published. The registry
// behind it reloads when a form is published; should reading it fail, the
// built-in forms are shown and the error logged.
func (s *Server) formsIn(ctx context.Context) *survey.FormSet {
	set, err := s.d.Forms(ctx)
	if err != nil {
		s.log.Error("forms in force", "err", err)
		set, _, _ = storage.Builtin()
	}
	return set
}

// campaignIn is the campaign in force (see formsIn).
func (s *Server) campaignIn(ctx context.Context) *survey.Campaign {
	c, err := s.d.Campaign(ctx)
	if err != nil {
		s.log.Error("campaign in force", "err", err)
		_, c, _ = storage.Builtin()
	}
	return c
}

// registerPublishRoutes adds the pages of forms and the campaign.
func (s *Server) registerPublishRoutes() {
	s.handle("GET /forms", permView, s.formsPage)
	s.handle("POST /forms/upload", permAdmin, s.formUpload)
	s.handle("POST /forms/publish", permAdmin, s.formPublish)
	s.handle("GET /forms/{id}/{version}", permView, s.formView)
	s.handle("GET /forms/{id}/{version}/{file}", permView, s.formDownload)

	s.handle("GET /campaign", permView, s.campaignPage)
	s.handle("GET /campaign.json", permView, s.campaignDownload)
	s.handle("POST /campaign/preview", permAdmin, s.campaignEdit)
	s.handle("POST /campaign/upload", permAdmin, s.campaignUpload)
	s.handle("POST /campaign/publish", permAdmin, s.campaignPublish)
}

// formVersionRow is one version of a form on the 表单 page.
type formVersionRow struct {
	Form      *survey.Form
	Questions int
	Builtin   bool
	Info      storage.PublishedFormInfo
	InUse     bool // the campaign uses this version for new records
}

type formGroup struct {
	ID, Title, Kind string
	Versions        []formVersionRow // newest first
}

type formsData struct {
	Groups   []formGroup
	Campaign *survey.Campaign
	// Refused upload: the file, its problems (workbook cells or
	// definition paths) and notes.
	File     string
	Problems []string
	Notes    []string
}

func (s *Server) formsData(ctx context.Context) (formsData, error) {
	set, err := s.d.Forms(ctx)
	if err != nil {
		return formsData{}, err
	}
	camp, err := s.d.Campaign(ctx)
	if err != nil {
		return formsData{}, err
	}
	pub, err := s.d.PublishedForms(ctx)
	if err != nil {
		return formsData{}, err
	}
	info := map[survey.FormRef]storage.PublishedFormInfo{}
	for _, p := range pub {
		info[survey.FormRef{ID: p.Form.ID, Version: p.Form.Version}] = p
	}
	data := formsData{Campaign: camp}
	for _, id := range set.IDs() {
		vs := set.Versions(id)
		latest := vs[len(vs)-1]
		g := formGroup{ID: id, Title: latest.Title, Kind: survey.KindName(latest.Kind)}
		for i := len(vs) - 1; i >= 0; i-- {
			f := vs[i]
			ref := survey.FormRef{ID: f.ID, Version: f.Version}
			p, published := info[ref]
			g.Versions = append(g.Versions, formVersionRow{Form: f, Questions: survey.CountQuestions(f), Builtin: !published, Info: p,
				InUse: camp.Forms.ByKind(f.Kind) == ref})
		}
		data.Groups = append(data.Groups, g)
	}
	return data, nil
}

func (s *Server) formsPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	data, err := s.formsData(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, sess, "forms", "表单", "forms", data)
}

// formPreviewData is the preview of a form version: before publishing
// (Publish set) or of one in force.
type formPreviewData struct {
	Form      *survey.Form
	Questions int
	Previous  *survey.Form
	Items     []survey.OutlineItem
	Changes   []string
	Notes     []string
	Collected int
	// CampaignMoves: publishing moves the campaign to this version.
	CampaignMoves bool
	// Publish carries the definition for the publish form: base64 of its
	// JSON, its SHA-256 (shown, so the person can tell two previews
	// apart) and the file it came from.
	Publish bool
	Encoded string
	Digest  string
	Source  string
	Builtin bool
	Info    storage.PublishedFormInfo
}

// maxFormUpload caps an uploaded form file: a workbook within
// xlsform.MaxFileSize, a definition far smaller.
const maxFormUpload = xlsform.MaxFileSize

// formUpload reads an uploaded workbook or definition and shows its
// preview, or every problem found; nothing is stored either way.
func (s *Server) formUpload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	data, name, err := uploadedFile(r, "file", maxFormUpload)
	if err != nil {
		return err
	}
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	var (
		f     *survey.Form
		res   *xlsform.Result
		notes []string
	)
	switch strings.ToLower(path.Ext(name)) {
	case ".xlsx":
		res = xlsform.Parse(data, name)
		for _, n := range res.Notes {
			notes = append(notes, n.Error())
		}
		if len(res.Problems) > 0 {
			var ps []string
			for _, p := range res.Problems {
				ps = append(ps, p.Error())
			}
			return s.formRefused(w, r, sess, name, ps, notes)
		}
		f = res.Form
	case ".json":
		f, err = survey.ParseForm(data)
		if err != nil {
			return s.formRefused(w, r, sess, name, definitionProblems(err), nil)
		}
	default:
		return s.formRefused(w, r, sess, name, []string{"请上传 XLSForm 工作簿（.xlsx）或表单定义文件（.json）；其他格式不能作为表单发布"}, nil)
	}
	fc, err := s.d.CheckForm(r.Context(), f)
	if err != nil {
		return err
	}
	if ps := fc.Problems(); len(ps) > 0 {
		var lines []string
		if res != nil && fc.Previous != nil {
			// The workbook's own cells, where a person fixes them.
			for _, p := range res.CheckUpgrade(fc.Previous) {
				lines = append(lines, p.Error())
			}
			if len(lines) == 0 {
				lines = problemLines(fc.Upgrade)
			}
		} else {
			lines = problemLines(fc.Upgrade)
		}
		lines = append(lines, problemLines(fc.Answers)...)
		return s.formRefused(w, r, sess, name, lines, notes)
	}
	def, err := json.Marshal(f)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(def)
	data2 := formPreview(f, fc.Previous)
	data2.Notes, data2.Collected, data2.CampaignMoves = notes, fc.Collected, fc.CampaignMoves
	data2.Publish, data2.Encoded, data2.Digest, data2.Source = true, base64.StdEncoding.EncodeToString(def), hex.EncodeToString(sum[:6]), name
	return s.render(w, r, sess, "form_preview", "预览："+f.Title, "forms", data2)
}

func formPreview(f, prev *survey.Form) formPreviewData {
	d := formPreviewData{Form: f, Questions: survey.CountQuestions(f), Previous: prev}
	d.Items, d.Changes = survey.Outline(f, prev)
	return d
}

// formRefused shows the forms page with the problems of an upload, status
// 422; nothing was stored.
func (s *Server) formRefused(w http.ResponseWriter, r *http.Request, sess *Session, file string, problems, notes []string) error {
	data, err := s.formsData(r.Context())
	if err != nil {
		return err
	}
	data.File, data.Problems, data.Notes = file, problems, notes
	return s.renderStatus(w, r, sess, http.StatusUnprocessableEntity, "forms", "表单", "forms", data,
		fmt.Sprintf("%s 没有通过检查，未发布（共 %d 个问题，见下）。", file, len(problems)))
}

func problemLines(ps []survey.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		switch {
		case p.Path == "" || p.Path == p.Property:
			out[i] = p.Message
		default:
			out[i] = "字段 " + p.Path + "：" + p.Message
		}
	}
	return out
}

// definitionProblems lists the problems of a .json definition that does
// not parse.
func definitionProblems(err error) []string {
	var de *survey.DefinitionError
	if errors.As(err, &de) {
		return problemLines(de.Problems)
	}
	return []string{err.Error()}
}

// formPublish publishes the definition a preview showed, after checking it
// again.
func (s *Server) formPublish(w http.ResponseWriter, r *http.Request, sess *Session) error {
	def, err := base64.StdEncoding.DecodeString(r.PostFormValue("definition"))
	if err != nil || len(def) == 0 || len(def) > maxFormUpload {
		return badRequest("表单内容无效，请重新上传文件。未做任何修改。")
	}
	sum := sha256.Sum256(def)
	if r.PostFormValue("digest") != hex.EncodeToString(sum[:6]) {
		return badRequest("表单内容与预览不一致，请重新上传文件。未做任何修改。")
	}
	f, err := survey.ParseForm(def)
	if err != nil {
		return badRequest("表单内容无效，请重新上传文件。未做任何修改。")
	}
	source := path.Base(trimValid(r.PostFormValue("source")))
	if utf8.RuneCountInString(source) > survey.MaxLineText {
		source = "" // only a label in the audit log; an absurd name is dropped, not kept cut
	}
	if source == "." || source == "/" {
		source = ""
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	res, err := s.d.PublishForm(r.Context(), f, sess.User.Name, source)
	if err != nil {
		release()
		var pe *district.PublishError
		if errors.As(err, &pe) {
			return s.formRefused(w, r, sess, source, problemLines(pe.Problems), nil)
		}
		return err
	}
	msg := fmt.Sprintf("已发布%s《%s》第 %d 版。", survey.KindName(f.Kind), f.Title, f.Version)
	if res.CampaignRevision > 0 {
		msg += "活动配置已改用这一版，笔记本上新填的记录将使用它；已开始的记录仍用原来的版本。"
	}
	msg += "各笔记本在下一次同步（导入下发包或联网同步）时收到。"
	return s.done(w, r, "/forms", msg)
}

// formByPath finds the form version a URL names: /forms/{id}/{version}.
func (s *Server) formByPath(r *http.Request) (*survey.Form, *survey.FormSet, error) {
	set := s.formsIn(r.Context())
	n, err := strconv.Atoi(strings.TrimPrefix(r.PathValue("version"), "v"))
	if err != nil {
		return nil, nil, notFound("表单版本 " + r.PathValue("version"))
	}
	f, ok := set.Get(r.PathValue("id"), n)
	if !ok {
		return nil, nil, notFound(fmt.Sprintf("表单 %s 第 %d 版", r.PathValue("id"), n))
	}
	return f, set, nil
}

// formView shows a form version in force, compared with the one before.
func (s *Server) formView(w http.ResponseWriter, r *http.Request, sess *Session) error {
	f, set, err := s.formByPath(r)
	if err != nil {
		return err
	}
	var prev *survey.Form
	for _, v := range set.Versions(f.ID) {
		if v.Version < f.Version {
			prev = v
		}
	}
	data := formPreview(f, prev)
	pub, err := s.d.PublishedForms(r.Context())
	if err != nil {
		return err
	}
	data.Builtin = true
	for _, p := range pub {
		if p.Form.ID == f.ID && p.Form.Version == f.Version {
			data.Builtin, data.Info = false, p
		}
	}
	return s.render(w, r, sess, "form_preview", f.Title+" 第 "+strconv.Itoa(f.Version)+" 版", "forms", data)
}

// formDownload offers a form version as an XLSForm workbook (the file to
// change in Excel) or as its definition.
func (s *Server) formDownload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	f, _, err := s.formByPath(r)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("%s.v%d", f.ID, f.Version)
	switch r.PathValue("file") {
	case "xlsx":
		data, err := xlsform.Write(f)
		if err != nil {
			return err
		}
		return attachment(w, base+".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data)
	case "json":
		data, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			return err
		}
		return attachment(w, base+".json", "application/json; charset=utf-8", append(data, '\n'))
	}
	return notFound("文件格式 " + r.PathValue("file"))
}
