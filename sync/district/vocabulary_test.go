package district

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"zoufang/sync"
)

// Words allowed in user-facing text: names of things people see (U盘,
// file extensions, the command, units) and identifiers they quote.
var allowedASCII = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{8,}|[A-Z0-9]{4}(-[A-Z0-9]{4}){3}|\b(USB|HTTP|HTTPS|JSON|MB|KB|GB|UTC|zoufang-server|quarantine|list|show|release|reject|drain|import|serve|init|export-down)\b|[\w.-]+\.(zfb|zfe|zft|zfr|json|csv|xlsx)|zoufang/[a-z-]+/v1`)

// userFacing reports what is wrong with a message meant for people: English
// internals left in it, a doubled phrase ("X：X"), or an impossible range.
func userFacing(msg string) string {
	if msg == "" {
		return "empty message"
	}
	if !utf8.ValidString(msg) {
		return "not UTF-8"
	}
	rest := allowedASCII.ReplaceAllString(msg, "")
	if m := regexp.MustCompile(`[A-Za-z]{3,}`).FindString(rest); m != "" {
		return fmt.Sprintf("English %q", m)
	}
	parts := strings.Split(msg, "：")
	for i := 1; i < len(parts); i++ {
		a, b := []rune(strings.TrimSpace(parts[i-1])), []rune(strings.TrimSpace(parts[i]))
		if len(a) >= 4 && len(b) >= 4 && string(a[len(a)-4:]) == string(b[:4]) {
			return fmt.Sprintf("doubled %q", string(b[:4]))
		}
	}
	if regexp.MustCompile(`第 1–0 号`).MatchString(msg) {
		return "range 1–0"
	}
	return ""
}

// Finding 12 of issue 10: users saw English internals ("UNIQUE
// constraint failed", "uint64 values with high bit set", "unexpected
// EOF") and doubled messages ("同步包签名无效：同步包签名无效"). Every answer
// to a battery of broken, hostile and unlucky bundles, HTTP requests and
// staff actions must be Chinese, once.
func TestUserFacingMessagesAreChinese(t *testing.T) {
	d := newDistrict(t)
	l := enrol(t, d, "张伟")
	good := l.bundle(t, d, l.visit(uuid.NewString(), 0, nil))
	var msgs []string
	check := func(what, msg string) {
		t.Helper()
		msgs = append(msgs, msg)
		if why := userFacing(msg); why != "" {
			t.Errorf("%s: %s in %q", what, why, msg)
		}
	}
	imp := func(what string, data []byte) {
		t.Helper()
		check(what, d.Import(ctx, data).Message)
	}
	for _, i := range []int{0, 4, 5, 10, 30, 40, 50, 80, 90, 97, 100, len(good) / 2, len(good) - 64, len(good) - 1} {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		imp(fmt.Sprintf("byte %d flipped", i), bad)
	}
	for _, n := range []int{0, 3, 50, 98, len(good) / 2, len(good) - 1} {
		imp(fmt.Sprintf("truncated to %d", n), good[:n])
	}
	imp("trailing byte", append(bytes.Clone(good), 0))
	imp("garbage", []byte("not a bundle at all"))
	// A signed bundle with a seq past int64 (the database's integer).
	huge := &laptop{id: l.id, keys: l.keys, seq: 1<<63 + 5, prev: sync.Hash{1}}
	imp("seq with the high bit set", huge.bundle(t, d, l.visit(uuid.NewString(), 1, nil)))
	stranger := &laptop{id: uuid.NewString(), keys: l.keys}
	imp("unknown device", stranger.bundle(t, d))
	imp("applied", good)
	imp("duplicate", good)
	imp("early", l.bundle(t, d, l.visit(uuid.NewString(), 2, nil)))
	twin := &laptop{id: l.id, keys: l.keys}
	imp("conflict", twin.bundle(t, d, twin.visit(uuid.NewString(), 3, nil)))
	d.afterMerge = func() error { return fmt.Errorf("disk I/O error: unexpected EOF") }
	imp("failing database", l.bundle(t, d, l.visit(uuid.NewString(), 4, nil)))
	d.afterMerge = nil

	srv := httptest.NewServer(d.Handler(nil))
	defer srv.Close()
	for _, tc := range []struct{ path, body string }{
		{"/v1/devices/" + l.id + "/bundles/x", "x"},
		{"/v1/devices/" + l.id + "/bundles/0", "x"},
		{"/v1/devices/" + l.id + "/bundles/18446744073709551615", string(good)},
		{"/v1/devices/" + l.id + "/bundles/1", ""},
		{"/v1/devices/" + uuid.NewString() + "/bundles/1", string(good)},
	} {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if json.Unmarshal(body, &e) != nil {
			t.Errorf("PUT %s: %d body is not the JSON error: %s", tc.path, resp.StatusCode, body)
			continue
		}
		check("PUT "+tc.path, e.Error)
	}
	resp, err := http.Get(srv.URL + "/v1/devices/" + uuid.NewString())
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		check("GET unknown device", e.Error)
	}

	for what, err := range map[string]error{
		"enrol garbage":       func() error { _, _, err := d.Enroll([]byte("{}")); return err }(),
		"revoke unknown":      d.Revoke(uuid.NewString(), "王主任", "丢失"),
		"revoke without why":  d.Revoke(l.id, "王主任", ""),
		"receipt unknown":     func() error { _, err := d.Receipt(ctx, uuid.NewString()); return err }(),
		"resolve no conflict": func() error { _, err := d.Resolve(ctx, uuid.NewString(), "x", nil, "王主任", "核实"); return err }(),
		"release unknown": func() error {
			_, err := d.ReleaseQuarantined(ctx, "deadbeefdeadbeef", "王主任", "核实")
			return err
		}(),
		"reject without actor": d.RejectQuarantined(ctx, "deadbeefdeadbeef", "", "核实"),
	} {
		if err == nil {
			t.Errorf("%s: no error", what)
			continue
		}
		check(what, err.Error())
	}
	devs, _ := d.Devices(ctx)
	enrol(t, d, "李娜")
	devs, _ = d.Devices(ctx)
	for _, dv := range devs {
		check("device seq text", dv.SeqText())
	}
	if len(msgs) < 40 {
		t.Errorf("only %d messages checked", len(msgs))
	}
}
