package web

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"zoufang/storage"
)

var uploadPath = regexp.MustCompile(`^/v1/devices/([0-9a-f-]{36})/bundles/\d+$`)

// statusRecorder remembers the status an API handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// serveAPI passes a laptop's request to the district API and, for an
// accepted upload, records the device's last contact and the program
// version its client named (User-Agent), for the 设备 page.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	m := uploadPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPut || m == nil {
		s.opt.API.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.opt.API.ServeHTTP(rec, r)
	if rec.status >= 300 {
		return
	}
	now := s.now().UTC().Format(time.RFC3339)
	agent, addr := truncate(r.UserAgent(), 100), clientAddr(r)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.db.Update(ctx, func(tx *storage.Tx) error {
			_, err := tx.Exec(`INSERT INTO web_device_contacts (device_id, at, agent, addr) VALUES (?, ?, ?, ?)
				ON CONFLICT (device_id) DO UPDATE SET at = excluded.at, agent = excluded.agent, addr = excluded.addr`, m[1], now, agent, addr)
			return err
		})
	}()
}
