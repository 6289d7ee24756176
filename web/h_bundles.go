package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	district.Retry:       "服务器忙，请稍后重试",
}

// resultOf says what the import did with one uploaded file, for staff at
// the district (the district's messages speak to the laptop).
func resultOf(file string, out district.Result) importResult {
	res := importResult{File: file, Decision: string(out.Decision), Label: decisionLabel[out.Decision], Message: out.Message, Device: out.Device, Seq: out.Seq}
	res.OK = out.Decision == district.Applied || out.Decision == district.Duplicate || out.Decision == district.Backlogged
	if out.Decision == district.Retry {
		// Nothing was kept (district.Import stores nothing when it cannot
		// decide): the same file imports later.
		switch out.Code {
		case district.CodeUploadBroken:
			res.Label, res.Message = "上传中断，请重新上传", "文件没有完整上传（网络中断或过慢），未导入，未做任何修改。请重新选择这个文件导入。"
		default:
			res.Message = "数据库正忙（可能正在导入其他同步包或名录），这个文件未导入，未做任何修改。请稍后重新导入这个文件。"
		}
	}
	if out.Receipt != nil && out.Device != "" {
		res.Receipt = "/devices/" + out.Device + "/receipt"
	}
	return res
}

// bundlesImport takes bundle files brought on a USB stick, any number at
// once, through the same decision function as HTTP uploads. A file posted
// twice is a duplicate and changes nothing. The page's script uploads the
// files one by one (with progress) and asks for JSON. Each file is read
// from the request as it arrives and imported before the next one is
// read (district.ImportUpload writes it to the data directory's incoming/
// folder while checking it), so memory does not grow with the files.
func (s *Server) bundlesImport(w http.ResponseWriter, r *http.Request, sess *Session) error {
	var results []importResult
	err := readMultipart(r, func(p *filePart) error {
		if p.Field != "bundles" {
			return nil
		}
		out := s.d.ImportUpload(r.Context(), p, "", 0)
		res := resultOf(p.Name, out)
		if out.Code == district.CodeTooLarge {
			res.Message = fmt.Sprintf("文件太大：同步包最多 %s，未导入，未做任何修改。", sizeText(sync.DefaultLimits().MaxBundle))
		}
		s.log.Info("bundle upload", "user", sess.User.Name, "file", p.Name, "decision", out.Decision, "code", out.Code, "message", out.Message)
		results = append(results, res)
		if out.Code == district.CodeUploadBroken {
			return errUploadCut // the rest of the request is not coming either
		}
		return nil
	})
	if err != nil && len(results) == 0 {
		return err
	}
	if err != nil && !errors.Is(err, errUploadCut) {
		// Files already imported stay imported; say why the rest were not.
		msg := "其余文件没有收到，未导入。请重新选择这些文件导入。"
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			msg = fmt.Sprintf("一次上传的文件合计超过 %s，其余文件未导入。请分批导入。", sizeText(tooBig.Limit))
		}
		s.log.Info("bundle upload cut", "user", sess.User.Name, "err", err)
		results = append(results, importResult{File: "其余文件", Decision: string(district.Refused), Label: "未导入", Message: msg})
	}
	if len(results) == 0 {
		return badRequest("没有收到上传的同步包，请选择文件后再导入。未做任何修改。")
	}
	for _, res := range results {
		if res.Decision == string(district.Retry) {
			// Per-file results still answer 200 (others may have been
			// imported), but a client can see when to come back.
			w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
			break
		}
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		return json.NewEncoder(w).Encode(results)
	}
	data := bundlesData{Results: results}
	if data.Bundles, _, err = s.d.Bundles(r.Context(), district.BundleQuery{Limit: pageSize}); err != nil {
		return err
	}
	if data.Devices, err = s.deviceNames(r); err != nil {
		return err
	}
	data.Pager = pager{Page: 1, Pages: 1}
	return s.render(w, r, sess, "bundles", "同步包", "bundles", data)
}
