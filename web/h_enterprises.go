package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

// enterpriseFilter is the parsed filter of the roster page.
type enterpriseFilter struct {
	Text, Street, Industry, Device string // Device "none": unassigned
	Page                           int
}

func parseEnterpriseFilter(v url.Values) enterpriseFilter {
	return enterpriseFilter{Text: filterText(v, "q"), Street: filterText(v, "street"), Industry: filterText(v, "industry"), Device: filterText(v, "device"), Page: pageOf(v)}
}

func (f enterpriseFilter) query() storage.EnterpriseQuery {
	q := storage.EnterpriseQuery{Text: f.Text, Street: f.Street, Industry: f.Industry}
	if f.Device == "none" {
		q.Unassigned = true
	} else {
		q.AssignedTo = f.Device
	}
	return q
}

// empty reports whether the filter narrows nothing down: a device filter
// alone (未分配) still means most of the roster.
func (f enterpriseFilter) empty() bool {
	return f.Text == "" && f.Street == "" && f.Industry == ""
}

type enterprisesData struct {
	Filter              enterpriseFilter
	Enterprises         []survey.Enterprise
	Pager               pager
	Streets, Industries []string
	Devices             []district.Device
	DeviceNames         map[string]string
	Import              *importReport
}

type importReport struct {
	Summary  string
	Rejected []storage.Rejected
}

func (s *Server) enterprisesPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	return s.renderEnterprises(w, r, sess, nil)
}

func (s *Server) renderEnterprises(w http.ResponseWriter, r *http.Request, sess *Session, rep *importReport) error {
	ctx := r.Context()
	f := parseEnterpriseFilter(r.URL.Query())
	data := enterprisesData{Filter: f, Import: rep}
	var total int
	var err error
	if data.Enterprises, total, err = s.db.SearchEnterprisesPage(ctx, f.query(), (f.Page-1)*pageSize, pageSize); err != nil {
		return err
	}
	data.Pager = newPager(r, f.Page, total)
	if _, data.Streets, data.Industries, err = s.db.Facets(ctx); err != nil {
		return err
	}
	if data.Devices, err = s.d.Devices(ctx); err != nil {
		return err
	}
	data.DeviceNames = deviceNames(data.Devices)
	// The search box updates the list as one types (htmx); the list alone
	// is sent back for those requests.
	if r.Header.Get("HX-Request") == "true" {
		return s.renderFragment(w, sess, "enterprises", "list", data)
	}
	return s.render(w, r, sess, "enterprises", "企业名录与分配", "enterprises", data)
}

// rosterImport imports an uploaded roster file: it is written to the
// district's incoming/ folder as it arrives (up to survey.MaxRosterBytes;
// an .xlsx file at most survey.MaxRosterXLSXBytes, which the parser
// checks), then imported in one transaction with the same rules and
// rejected-row report as the laptop.
func (s *Server) rosterImport(w http.ResponseWriter, r *http.Request, sess *Session) error {
	f, err := s.spoolFile(r, "roster", "roster", survey.MaxRosterBytes, func(name string) error {
		lower := strings.ToLower(name)
		if !strings.HasSuffix(lower, ".csv") && !strings.HasSuffix(lower, ".xlsx") {
			return badRequest("名录文件应为 .xlsx 或 .csv（UTF-8 或 GBK 编码）。未做任何修改。")
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer f.Close()
	name := f.Name
	token := r.PostFormValue("token")
	rep, err := s.db.ImportRosterThen(r.Context(), f.File, name, nil, func(tx *storage.Tx, rep storage.ImportReport) error {
		if err := claimToken(tx, sess, token); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{Actor: sess.User.Name, Action: "roster.import", Target: name, Detail: "导入企业名录 " + rep.Summary(name)})
	})
	if err != nil {
		return err
	}
	s.log.Info("roster import", "user", sess.User.Name, "file", name, "added", rep.Added, "updated", rep.Updated, "rejected", len(rep.Rejected))
	r.URL.RawQuery = ""
	return s.renderEnterprises(w, r, sess, &importReport{Summary: rep.Summary(name), Rejected: rep.Rejected})
}

// assignSubmit assigns enterprises to a device: the ticked ones, or every
// one matching the list's filter (a street, an industry, a search).
func (s *Server) assignSubmit(w http.ResponseWriter, r *http.Request, sess *Session) error {
	if err := r.ParseForm(); err != nil {
		return badRequest("表单无效。未做任何修改。")
	}
	device := r.PostFormValue("device")
	if device == "" {
		return badRequest("请选择要分配给的设备。未做任何修改。")
	}
	var ids []string
	back := "/enterprises"
	switch r.PostFormValue("scope") {
	case "selected":
		ids = r.PostForm["id"]
		if len(ids) == 0 {
			return badRequest("请先勾选要分配的企业。未做任何修改。")
		}
		if len(ids) > 5000 {
			return badRequest("一次最多勾选 5000 家企业。未做任何修改。")
		}
	case "filter":
		f := parseEnterpriseFilter(r.PostForm)
		// "device" is the device to assign to; the list's own device
		// filter (e.g. 未分配) comes as filter_device.
		f.Device = filterText(r.PostForm, "filter_device")
		if f.empty() {
			return badRequest("按条件分配须至少选择镇街、行业或输入搜索词，以免误把整个名录分配给一台设备。未做任何修改。")
		}
		var err error
		if ids, err = s.db.SearchEnterpriseIDs(r.Context(), f.query()); err != nil {
			return err
		}
		if len(ids) == 0 {
			return badRequest("没有符合条件的企业。未做任何修改。")
		}
		q := url.Values{}
		for k, v := range map[string]string{"q": f.Text, "street": f.Street, "industry": f.Industry, "device": f.Device} {
			if v != "" {
				q.Set(k, v)
			}
		}
		back += "?" + q.Encode()
	default:
		return badRequest("请选择分配范围。未做任何修改。")
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	n, err := s.d.AssignEnterprises(r.Context(), sess.User.Name, device, ids)
	if err != nil {
		release()
		return err
	}
	msg := fmt.Sprintf("已把 %d 家企业分配给该设备（其余 %d 家原已分配给它）。生成下发包后带给笔记本。", n, len(ids)-n)
	return s.done(w, r, back, msg)
}
