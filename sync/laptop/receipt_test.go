package laptop

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"zoufang/storage"
	"zoufang/sync"
)

// threeBundles makes three pending bundles and returns them.
func threeBundles(t *testing.T, l *Laptop, db *storage.DB) []Bundle {
	t.Helper()
	for range 3 {
		addVisits(t, db, 1)
		if _, err := l.Export(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	bs, err := l.Bundles(ctx, db)
	if err != nil || len(bs) != 3 {
		t.Fatalf("bundles %d, %v", len(bs), err)
	}
	return bs
}

func stages(t *testing.T, l *Laptop, db *storage.DB) string {
	t.Helper()
	bs, err := l.Bundles(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, b := range bs {
		s = append(s, b.Stage().Label())
	}
	return strings.Join(s, " ")
}

func TestApplyReceipt(t *testing.T) {
	d := newFakeDistrict(t, "")
	forger := newFakeDistrict(t, "")
	tests := []struct {
		name    string
		receipt func(t *testing.T, l *Laptop, bs []Bundle) []byte
		wantN   int
		wantErr string
		want    string
	}{
		{"contiguous up to 2", func(t *testing.T, l *Laptop, bs []Bundle) []byte {
			return d.receipt(t, l.DeviceID(), 2, bs[1].Hash)
		}, 2, "", "已送达 已送达 待送达"},
		{"backlog accepted beyond seq", func(t *testing.T, l *Laptop, bs []Bundle) []byte {
			return d.receipt(t, l.DeviceID(), 0, sync.Hash{}, bs[2].Hash)
		}, 1, "", "待送达 待送达 已送达"},
		{"forged by another key", func(t *testing.T, l *Laptop, bs []Bundle) []byte {
			return forger.receipt(t, l.DeviceID(), 3, bs[2].Hash)
		}, 0, "回执签名无效", "待送达 待送达 待送达"},
		{"other device", func(t *testing.T, l *Laptop, bs []Bundle) []byte {
			return d.receipt(t, "6ba7b810-9dad-41d1-80b4-00c04fd430c8", 3, bs[2].Hash)
		}, 0, "其他设备", "待送达 待送达 待送达"},
		{"head differs", func(t *testing.T, l *Laptop, bs []Bundle) []byte {
			return d.receipt(t, l.DeviceID(), 2, bs[0].Hash)
		}, 0, "不一致", "待送达 待送达 待送达"},
		{"seq never sent", func(t *testing.T, l *Laptop, bs []Bundle) []byte {
			return d.receipt(t, l.DeviceID(), 7, bs[2].Hash)
		}, 0, "没有发出过", "待送达 待送达 待送达"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, db := enrolled(t, d, Options{})
			bs := threeBundles(t, l, db)
			res, err := l.Import(ctx, db, tt.receipt(t, l, bs))
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if res.Delivered != tt.wantN {
				t.Errorf("delivered %d, want %d", res.Delivered, tt.wantN)
			}
			if got := stages(t, l, db); got != tt.want {
				t.Errorf("stages %q, want %q", got, tt.want)
			}
			for _, b := range bs {
				_, err := os.Stat(b.Path)
				delivered := !os.IsNotExist(err)
				if got, _ := l.isDelivered(ctx, db, b.Seq); got == delivered {
					t.Errorf("bundle %d: delivered %v but outbox file present %v", b.Seq, got, delivered)
				}
			}
		})
	}
}

func TestReceiptAgainIsNoOp(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})
	bs := threeBundles(t, l, db)
	r := d.receipt(t, l.DeviceID(), 3, bs[2].Hash)
	for i, want := range []int{3, 0} {
		res, err := l.Import(ctx, db, r)
		if err != nil {
			t.Fatal(err)
		}
		if res.Delivered != want {
			t.Errorf("import %d: delivered %d, want %d", i, res.Delivered, want)
		}
	}
	st, err := l.State(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Undelivered != 0 || st.Summary() != "全部数据已送达区总工会" {
		t.Errorf("state %d undelivered, %q", st.Undelivered, st.Summary())
	}
	// New data after delivery gets seq 4 chained to seq 3.
	addVisits(t, db, 1)
	res, err := l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.New[0].Seq != 4 || res.New[0].Prev != bs[2].Hash {
		t.Fatalf("export after delivery: %+v", res.New)
	}
}

// fakeServer answers uploads the way the district's HTTP handler does, with
// a decision per seq.
type fakeServer struct {
	t       *testing.T
	d       *fakeDistrict
	l       *Laptop
	answer  func(seq uint64, body []byte) (int, []byte)
	trust   []byte // served at GET /v1/trust when set
	got     map[uint64][]byte
	paths   []string
	methods []string
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/down") {
		w.WriteHeader(http.StatusNoContent) // nothing waits for the laptop
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/v1/trust" {
		if s.trust == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(s.trust)
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.paths = append(s.paths, r.URL.Path)
	s.methods = append(s.methods, r.Method)
	b, err := sync.ParseBundle(strings.NewReader(string(body)), sync.Limits{})
	if err != nil {
		http.Error(w, `{"error":"格式错误"}`, http.StatusBadRequest)
		return
	}
	s.got[b.Header.Seq] = body
	code, out := s.answer(b.Header.Seq, body)
	w.WriteHeader(code)
	w.Write(out)
}

func TestPush(t *testing.T) {
	tests := []struct {
		name    string
		answer  func(s *fakeServer, seq uint64, body []byte) (int, []byte)
		want    string // stages afterwards
		wantErr string
		sent    int
	}{
		{"all stored", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			return http.StatusCreated, s.d.receipt(s.t, s.l.DeviceID(), seq, sync.BundleHash(body))
		}, "已送达 已送达 已送达", "", 3},
		{"duplicate answers 200", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			return http.StatusOK, s.d.receipt(s.t, s.l.DeviceID(), seq, sync.BundleHash(body))
		}, "已送达 已送达 已送达", "", 3},
		{"first missing, rest backlog", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			if seq == 1 {
				return http.StatusAccepted, nil
			}
			return http.StatusAccepted, s.d.receipt(s.t, s.l.DeviceID(), 0, sync.Hash{}, sync.BundleHash(body))
		}, "区总工会尚未确认 已送达 已送达", "", 3},
		{"same seq other content", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			if seq == 2 {
				return http.StatusConflict, []byte(`{"error":"同一序号内容不同"}`)
			}
			return http.StatusCreated, s.d.receipt(s.t, s.l.DeviceID(), seq, sync.BundleHash(body))
		}, "已送达 区总工会尚未确认 待送达", "内容不同的第 2 号同步包", 2},
		{"revoked", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			return http.StatusForbidden, []byte("设备已停用\n")
		}, "区总工会尚未确认 待送达 待送达", "已被停用", 1},
		{"server error", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			return http.StatusInternalServerError, nil
		}, "区总工会尚未确认 待送达 待送达", "稍后再试", 1},
		{"forged receipt", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			f := newFakeDistrict(s.t, "")
			return http.StatusCreated, f.receipt(s.t, s.l.DeviceID(), seq, sync.BundleHash(body))
		}, "区总工会尚未确认 待送达 待送达", "回执无效", 1},
		{"201 without receipt", func(s *fakeServer, seq uint64, body []byte) (int, []byte) {
			return http.StatusCreated, []byte("ok")
		}, "区总工会尚未确认 待送达 待送达", "没有返回回执", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &fakeServer{t: t, got: map[uint64][]byte{}}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			d := newFakeDistrict(t, srv.URL+"/")
			l, db := enrolled(t, d, Options{})
			fs.d, fs.l = d, l
			fs.answer = func(seq uint64, body []byte) (int, []byte) { return tt.answer(fs, seq, body) }
			bs := threeBundles(t, l, db)
			var calls int
			res, err := l.Push(ctx, db, srv.Client(), func(done, total int) { calls++ })
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if res.Sent != tt.sent {
				t.Errorf("sent %d, want %d", res.Sent, tt.sent)
			}
			if got := stages(t, l, db); got != tt.want {
				t.Errorf("stages %q, want %q", got, tt.want)
			}
			for _, b := range bs[:tt.sent] {
				want := "/v1/devices/" + l.DeviceID() + "/bundles/" + string(rune('0'+b.Seq))
				if fs.paths[b.Seq-1] != want || fs.methods[b.Seq-1] != http.MethodPut {
					t.Errorf("request %s %s, want PUT %s", fs.methods[b.Seq-1], fs.paths[b.Seq-1], want)
				}
				if sync.BundleHash(fs.got[b.Seq]) != b.Hash {
					t.Errorf("bundle %d uploaded with other bytes than sealed", b.Seq)
				}
			}
			if tt.wantErr == "" && calls == 0 {
				t.Error("progress never called")
			}
		})
	}
}

func TestPushNeedsServerURL(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})
	_, err := l.Push(ctx, db, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "U盘") {
		t.Fatalf("push without server URL: %v", err)
	}
}

func TestPushUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	d := newFakeDistrict(t, url)
	l, db := enrolled(t, d, Options{})
	addVisits(t, db, 1)
	_, err := l.Push(ctx, db, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "无法连接") {
		t.Fatalf("push to a closed server: %v", err)
	}
	if got, want := stages(t, l, db), "待送达"; got != want {
		t.Errorf("stages %q, want %q", got, want)
	}
}

func TestPushRefreshesTrust(t *testing.T) {
	tests := []struct {
		name        string
		offer       func(t *testing.T, d *fakeDistrict) []byte
		wantUpdated bool
		wantProblem bool
		wantVersion uint64
	}{
		{"newer file", func(t *testing.T, d *fakeDistrict) []byte { return d.trustFile(t, 2) }, true, false, 2},
		{"same file", func(t *testing.T, d *fakeDistrict) []byte { return d.trustFile(t, 1) }, false, false, 1},
		{"another key", func(t *testing.T, d *fakeDistrict) []byte {
			return newFakeDistrict(t, d.url).trustFile(t, 3)
		}, false, true, 1},
		{"none", func(*testing.T, *fakeDistrict) []byte { return nil }, false, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &fakeServer{t: t, got: map[uint64][]byte{}}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			d := newFakeDistrict(t, srv.URL)
			l, db := enrolled(t, d, Options{})
			fs.d, fs.l = d, l
			fs.trust = tt.offer(t, d)
			fs.answer = func(seq uint64, body []byte) (int, []byte) {
				return http.StatusCreated, d.receipt(t, l.DeviceID(), seq, sync.BundleHash(body))
			}
			addVisits(t, db, 1)
			res, err := l.Push(ctx, db, srv.Client(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.TrustUpdated != tt.wantUpdated || (res.TrustProblem != nil) != tt.wantProblem {
				t.Errorf("updated %v problem %v", res.TrustUpdated, res.TrustProblem)
			}
			if res.Delivered != 1 {
				t.Errorf("delivered %d, want 1", res.Delivered)
			}
			cur, err := l.Trust()
			if err != nil || cur.Version != tt.wantVersion {
				t.Errorf("trust version %v (%v), want %d", cur, err, tt.wantVersion)
			}
		})
	}
}
