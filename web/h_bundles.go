package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"zoufang/sync"
	"zoufang/sync/district"
)

type bundlesData struct {
	Bundles []district.BundleRow
	Devices map[string]string
	Pager   pager
	Device  string
	State   string
	Results []importResult
}

func (s *Server) bundlesPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	q := r.URL.Query()
	data := bundlesData{Device: filterText(q, "device"), State: filterChoice(q, "state", "applied", "backlog", "quarantined")}
	page := pageOf(q)
	var total int
	var err error
	if data.Bundles, total, err = s.d.Bundles(r.Context(), district.BundleQuery{Device: data.Device, State: data.State, Limit: pageSize, Offset: (page - 1) * pageSize}); err != nil {
		return err
	}
	data.Pager = newPager(r, page, total)
	if data.Devices, err = s.deviceNames(r); err != nil {
		return err
	}
	return s.render(w, r, sess, "bundles", "同步包", "bundles", data)
}

func (s *Server) deviceNames(r *http.Request) (map[string]string, error) {
	devs, err := s.d.Devices(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(devs))
	for _, d := range devs {
		m[d.ID] = d.Name + "（" + d.Investigator + "）"
	}
	return m, nil
}

// importResult is what happened to one uploaded bundle file.
type importResult struct {
	File     string `json:"file"`
	Decision string `json:"decision"`
	Label    string `json:"label"`
	Message  string `json:"message"`
	Device   string `json:"device,omitempty"`
	Seq      uint64 `json:"seq,omitempty"`
	Receipt  string `json:"receipt,omitempty"` // download link for the receipt
	OK       bool   `json:"ok"`
}

var decisionLabel = map[district.Decision]string{
	district.Applied:     "已合并",
	district.Duplicate:   "重复，未再导入",
	district.Backlogged:  "等待前序包",
	district.Quarantined: "已隔离",
	district.Refused:     "已拒绝",
}

// bundlesImport takes bundle files brought on a USB stick, any number at
// once, through the same decision function as HTTP uploads. A file posted
// twice is a duplicate and changes nothing. The page's script uploads the
// files one by one (with progress) and asks for JSON.
func (s *Server) bundlesImport(w http.ResponseWriter, r *http.Request, sess *Session) error {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return badRequest("没有收到上传的同步包，请选择文件后再导入。未做任何修改。")
	}
	files := r.MultipartForm.File["bundles"]
	if len(files) == 0 {
		return badRequest("没有收到上传的同步包，请选择文件后再导入。未做任何修改。")
	}
	limit := sync.DefaultLimits().MaxBundle
	var results []importResult
	for _, h := range files {
		res := importResult{File: h.Filename}
		f, err := h.Open()
		if err != nil {
			res.Decision, res.Label, res.Message = string(district.Refused), decisionLabel[district.Refused], "无法读取上传的文件"
			results = append(results, res)
			continue
		}
		data, err := readLimited(f, h, limit)
		f.Close()
		if err != nil {
			res.Decision, res.Label, res.Message = string(district.Refused), decisionLabel[district.Refused], err.Error()
			results = append(results, res)
			continue
		}
		out := s.d.Import(r.Context(), data)
		res.Decision, res.Label, res.Message, res.Device, res.Seq = string(out.Decision), decisionLabel[out.Decision], out.Message, out.Device, out.Seq
		res.OK = out.Decision == district.Applied || out.Decision == district.Duplicate || out.Decision == district.Backlogged
		if out.Receipt != nil && out.Device != "" {
			res.Receipt = "/devices/" + out.Device + "/receipt"
		}
		s.log.Info("bundle upload", "user", sess.User.Name, "file", h.Filename, "decision", out.Decision, "message", out.Message)
		results = append(results, res)
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		return json.NewEncoder(w).Encode(results)
	}
	data := bundlesData{Results: results}
	var err error
	if data.Bundles, _, err = s.d.Bundles(r.Context(), district.BundleQuery{Limit: pageSize}); err != nil {
		return err
	}
	if data.Devices, err = s.deviceNames(r); err != nil {
		return err
	}
	data.Pager = pager{Page: 1, Pages: 1}
	return s.render(w, r, sess, "bundles", "同步包", "bundles", data)
}
