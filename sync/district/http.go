package district

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// Handler serves the district's HTTP API:
//
//	PUT /v1/devices/{id}/bundles/{seq}  upload a bundle (201 new, 200 duplicate,
//	                                    202 backlog, 409 same seq other content,
//	                                    400, 403, 413); the body of 200/201/202 is
//	                                    the signed receipt
//	GET /v1/trust                       the district's newest signed trust file
//	GET /v1/trust/{version}             an earlier one, for a laptop that walks
//	                                    the versions after a key rotation
//	GET /v1/devices/{id}                a device's state (JSON)
//
// Uploads need no other authentication: the bundle is signed.
func (d *District) Handler(log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/devices/{id}/bundles/{seq}", func(w http.ResponseWriter, r *http.Request) {
		id, seqText := r.PathValue("id"), r.PathValue("seq")
		seq, err := strconv.ParseUint(seqText, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "序号无效")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, d.lim.MaxBundle))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				log.Info("upload refused", "device", id, "seq", seq, "status", 413, "reason", "body too large")
				writeError(w, http.StatusRequestEntityTooLarge, "同步包超过大小限制")
				return
			}
			writeError(w, http.StatusBadRequest, "读取上传内容失败")
			return
		}
		res := d.Import(r.Context(), body)
		if res.Decision != Refused && (res.Device != id || res.Seq != seq) {
			// The path must name what the signed header says; otherwise a
			// proxy or a bug sent it to the wrong place. Nothing was written
			// for a refusal; for others the decision stands and is reported.
			log.Warn("upload path mismatch", "path_device", id, "path_seq", seq, "device", res.Device, "seq", res.Seq)
		}
		log.Info("upload", "device", id, "seq", seq, "bytes", len(body), "decision", res.Decision, "status", res.Status, "message", res.Message)
		if res.Receipt != nil {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("X-Zoufang-Decision", string(res.Decision))
			w.WriteHeader(res.Status)
			w.Write(res.Receipt)
			return
		}
		writeError(w, res.Status, res.Message)
	})
	mux.HandleFunc("GET /v1/trust", func(w http.ResponseWriter, r *http.Request) {
		t, err := d.TrustFile()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "无法签发信任文件")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(t)
	})
	mux.HandleFunc("GET /v1/trust/{version}", d.serveTrustVersion)
	mux.HandleFunc("GET /v1/devices/{id}", func(w http.ResponseWriter, r *http.Request) {
		devs, err := d.Devices(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, "读取设备失败")
			return
		}
		for _, dv := range devs {
			if dv.ID == r.PathValue("id") {
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]any{"id": dv.ID, "seq": dv.Seq, "backlog": dv.Backlog, "quarantined": dv.Quarantined, "revoked": dv.Revoked != ""})
				return
			}
		}
		writeError(w, http.StatusNotFound, "设备未登记")
	})
	return mux
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
