package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
	"zoufang/sync/district"
)

type devicesData struct {
	Devices     []deviceProgress
	Fingerprint string
	ServerURL   string
}

func (s *Server) devicesPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	devs, err := s.d.Devices(ctx)
	if err != nil {
		return err
	}
	prog, _, err := s.progress(ctx)
	if err != nil {
		return err
	}
	last, err := s.d.LastContact(ctx)
	if err != nil {
		return err
	}
	data := devicesData{Fingerprint: s.d.Fingerprint(), ServerURL: s.d.ServerURL()}
	for _, d := range devs {
		data.Devices = append(data.Devices, deviceProgress{Device: d, Progress: prog[d.ID], Last: last[d.ID]})
	}
	return s.render(w, r, sess, "devices", "设备", "devices", data)
}

// findDevice returns an enrolled device by id.
func (s *Server) findDevice(r *http.Request, id string) (district.Device, error) {
	devs, err := s.d.Devices(r.Context())
	if err != nil {
		return district.Device{}, err
	}
	for _, d := range devs {
		if d.ID == id {
			return d, nil
		}
	}
	return district.Device{}, notFound("设备 " + id)
}

type contact struct {
	At           time.Time
	Agent, Addr  string
	HTTPUploaded bool
}

type deviceData struct {
	Device   district.Device
	Progress storage.Progress
	Last     time.Time
	Contact  contact
	Bundles  []district.BundleRow
	Total    int
	Down     []district.DownInfo
}

func (s *Server) devicePage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	ctx := r.Context()
	d, err := s.findDevice(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	data := deviceData{Device: d}
	prog, _, err := s.progress(ctx)
	if err != nil {
		return err
	}
	data.Progress = prog[d.ID]
	last, err := s.d.LastContact(ctx)
	if err != nil {
		return err
	}
	data.Last = last[d.ID]
	var at string
	if err := s.db.QueryRow(ctx, `SELECT at, agent, addr FROM web_device_contacts WHERE device_id = ?`, d.ID).Scan(&at, &data.Contact.Agent, &data.Contact.Addr); err == nil {
		data.Contact.At, _ = time.Parse(time.RFC3339, at)
		data.Contact.HTTPUploaded = true
	}
	if data.Bundles, data.Total, err = s.d.Bundles(ctx, district.BundleQuery{Device: d.ID, Limit: 100}); err != nil {
		return err
	}
	if data.Down, err = s.d.DownBundles(ctx, d.ID); err != nil {
		return err
	}
	for i, j := 0, len(data.Down)-1; i < j; i, j = i+1, j-1 {
		data.Down[i], data.Down[j] = data.Down[j], data.Down[i]
	}
	return s.render(w, r, sess, "device", "设备 "+d.Name, "devices", data)
}

// maxRequestFile caps an enrolment request file (a few hundred bytes).
const maxRequestFile = 64 << 10

type enrollData struct {
	Request     *sync.EnrollRequest
	Fingerprint string
	Encoded     string
}

// enrollUpload reads an uploaded enrolment request and shows its
// fingerprint for staff to compare with the laptop's screen. Nothing is
// stored until they confirm.
func (s *Server) enrollUpload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	data, _, err := uploadedFile(r, "request", maxRequestFile)
	if err != nil {
		return err
	}
	req, err := sync.ParseEnrollRequest(data)
	if err != nil {
		return badRequest("这不是有效的登记申请文件（.zfe）：%v。未做任何修改。", err)
	}
	return s.render(w, r, sess, "enroll", "核对设备指纹", "devices", enrollData{Request: req, Fingerprint: req.Fingerprint(), Encoded: base64.StdEncoding.EncodeToString(data)})
}

// enrollConfirm enrols the device after staff confirmed the fingerprint.
// The request travels back in the form; it is signed by the laptop's key,
// and the fingerprint the person confirmed must still be its own.
func (s *Server) enrollConfirm(w http.ResponseWriter, r *http.Request, sess *Session) error {
	data, err := base64.StdEncoding.DecodeString(r.PostFormValue("request"))
	if err != nil || len(data) > maxRequestFile {
		return badRequest("登记申请内容无效，请重新上传申请文件。未做任何修改。")
	}
	req, err := sync.ParseEnrollRequest(data)
	if err != nil {
		return badRequest("登记申请内容无效：%v。未做任何修改。", err)
	}
	if r.PostFormValue("fingerprint") != req.Fingerprint() {
		return badRequest("指纹与申请文件不符，请重新上传申请文件。未做任何修改。")
	}
	if r.PostFormValue("match") != "yes" {
		return badRequest("请先与笔记本屏幕上的指纹逐字核对，一致后勾选“指纹一致”。未做任何修改。")
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	if _, _, err := s.d.EnrollAs(r.Context(), sess.User.Name, data); err != nil {
		release()
		return err
	}
	return s.done(w, r, "/devices/"+req.DeviceID, fmt.Sprintf("已登记设备 %s（%s）。请下载信任文件，交给笔记本导入。", req.DeviceName, req.Investigator))
}

func (s *Server) revokeSubmit(w http.ResponseWriter, r *http.Request, sess *Session) error {
	id := r.PathValue("id")
	reason, tooLong := textValue(r, "reason", "停用原因", survey.MaxLineText)
	if tooLong != "" {
		return badRequest("%s", tooLong)
	}
	if reason == "" {
		return badRequest("停用设备须写明原因。未做任何修改。")
	}
	d, err := s.findDevice(r, id)
	if err != nil {
		return err
	}
	if d.Revoked != "" {
		return &pageError{http.StatusConflict, "设备 " + d.Name + " 已被停用，未重复操作。"}
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	if err := s.d.Revoke(id, sess.User.Name, reason); err != nil {
		release()
		return err
	}
	return s.done(w, r, "/devices/"+id, "已停用设备 "+d.Name+"；此后它发来的同步包将被隔离。停用不能撤销：笔记本找回后须换用新的设备身份重新登记")
}

func attachment(w http.ResponseWriter, name, contentType string, data []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", contentDisposition(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(data)
	return err
}

// contentDisposition names a download; Chinese names go in filename*.
func contentDisposition(name string) string {
	ascii := make([]byte, 0, len(name))
	for _, c := range []byte(name) {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			ascii = append(ascii, c)
		} else {
			ascii = append(ascii, '_')
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, pathEscape(name))
}

func (s *Server) trustDownload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	t, err := s.d.TrustFile()
	if err != nil {
		return err
	}
	return attachment(w, "信任文件.zft", "application/octet-stream", t)
}

func (s *Server) receiptDownload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	d, err := s.findDevice(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	rc, err := s.d.Receipt(r.Context(), d.ID)
	if err != nil {
		return err
	}
	return attachment(w, fmt.Sprintf("回执-%s.zfr", d.ID[:8]), "application/octet-stream", rc)
}

// downDownload seals the device's next down bundle (new assignments,
// roster changes, ledger decisions, resolved conflicts) and downloads it.
func (s *Server) downDownload(w http.ResponseWriter, r *http.Request, sess *Session) error {
	d, err := s.findDevice(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	data, n, err := s.d.ExportDown(r.Context(), d.ID)
	if err != nil {
		release()
		return err
	}
	if data == nil {
		release()
		return s.done(w, r, "/devices/"+d.ID, "没有需要下发给此设备的新内容")
	}
	w.Header().Set("X-Zoufang-Records", strconv.Itoa(n))
	return attachment(w, fmt.Sprintf("下发包-%s.zfb", d.ID[:8]), "application/octet-stream", data)
}

// downResend downloads a down bundle again, byte for byte as first sent
// (a USB stick lost on the way, a laptop that reports a gap). Nothing
// changes at the district.
func (s *Server) downResend(w http.ResponseWriter, r *http.Request, sess *Session) error {
	d, err := s.findDevice(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return notFound("下发包 " + r.PathValue("seq"))
	}
	data, err := s.d.DownBundle(r.Context(), d.ID, seq)
	if err != nil {
		return err
	}
	return attachment(w, fmt.Sprintf("下发包-%s-%d.zfb", d.ID[:8], seq), "application/octet-stream", data)
}
