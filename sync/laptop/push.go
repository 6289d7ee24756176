package laptop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"zoufang/storage"
	"zoufang/sync"
)

// PushResult says what Push did.
type PushResult struct {
	// Exported is what the Export run at the start of Push sealed.
	Exported ExportResult
	// Sent counts bundles uploaded; Delivered those a receipt now
	// acknowledges; Waiting those the server stored but cannot apply yet
	// (an earlier bundle has not arrived: 202).
	Sent, Delivered, Waiting int
	// TrustUpdated is set when the server offered a newer trust file that
	// was accepted (GET /v1/trust); TrustProblem says why an offered file
	// was refused (the upload goes on: bundles are sealed to the key
	// already trusted and receipts are verified with it).
	TrustUpdated bool
	TrustProblem error
	// Fetched is what came back: the down bundles fetched and applied
	// after the upload (Fetch).
	Fetched FetchResult
}

// Message is a plain-language summary for the investigator.
func (r PushResult) Message() string {
	msg := "没有需要上传的数据"
	switch {
	case r.Sent > 0:
		msg = fmt.Sprintf("已上传 %d 个同步包，%d 个已送达区总工会", r.Sent, r.Delivered)
	case r.Delivered > 0:
		msg = fmt.Sprintf("%d 个同步包已送达区总工会，无需上传", r.Delivered)
	}
	if r.Waiting > 0 {
		msg += fmt.Sprintf("，%d 个区总工会尚未确认（缺少更早的同步包，请用U盘补交或稍后再上传）", r.Waiting)
	}
	if r.TrustUpdated {
		msg += "；已更新区总工会信任文件"
	}
	msg += "；" + r.Fetched.Message()
	if r.TrustProblem != nil {
		msg += "。注意：" + r.TrustProblem.Error()
	}
	return msg
}

// Push is the laptop's sync over HTTP, both ways: it exports whatever is
// new (Export), uploads every bundle not yet acknowledged, then fetches and
// applies what the district has waiting for this laptop (Fetch: reviews,
// 研判, assignments, roster). Uploads go oldest first with PUT
// <server>/v1/devices/{id}/bundles/{seq} to the server named in the trust
// file. A 200 (already there) or 201 (stored) answer carries the district's
// signed receipt, which is verified with the trust file's key before
// anything is marked delivered; 202 means the district keeps the bundle
// until an earlier one arrives. Any other answer stops the upload with a
// Chinese error; what the district sends back is fetched all the same.
// progress, when not nil, is called after each bundle with (done, total).
func (l *Laptop) Push(ctx context.Context, db *storage.DB, client *http.Client, progress func(done, total int)) (PushResult, error) {
	res, upErr := l.upload(ctx, db, client, progress)
	if upErr != nil && (ctx.Err() != nil || errors.Is(upErr, ErrNoTrust) || res.Exported.Pending == nil && res.Sent == 0 && isSetupError(upErr)) {
		return res, upErr
	}
	fetched, fetchErr := l.Fetch(ctx, db, client)
	res.Fetched = fetched
	switch {
	case upErr != nil && len(fetched.Bundles) > 0:
		return res, fmt.Errorf("%w；另外，%s", upErr, fetched.Message())
	case upErr != nil:
		return res, upErr
	case fetchErr != nil:
		return res, fmt.Errorf("上传已完成，但取回区总工会下发的内容时出错：%w", fetchErr)
	}
	return res, nil
}

// isSetupError reports an error that stops any sync before it starts: no
// server in the trust file, an expired trust file.
func isSetupError(err error) bool {
	return errors.Is(err, errNoServer) || errors.Is(err, sync.ErrExpired)
}

var errNoServer = errors.New("信任文件中没有服务器地址，只能用U盘导出同步包交给区总工会")

// upload is the first half of Push.
func (l *Laptop) upload(ctx context.Context, db *storage.DB, client *http.Client, progress func(done, total int)) (PushResult, error) {
	var res PushResult
	// The stored trust file may have expired: its server may still offer
	// the renewed one, signed by the key the laptop trusts (as TUF
	// clients update root metadata before checking its expiry).
	trust, err := l.Trust()
	if err != nil {
		return res, err
	}
	if trust.ServerURL == "" {
		return res, errNoServer
	}
	if client == nil {
		client = http.DefaultClient
	}
	res.TrustUpdated, res.TrustProblem = l.refreshTrust(ctx, client, trust)
	if trust, err = l.ValidTrust(); err != nil {
		return res, err
	}
	if res.Exported, err = l.Export(ctx, db); err != nil {
		return res, err
	}
	pending := res.Exported.Pending
	for i, b := range pending {
		if progress != nil {
			progress(i, len(pending))
		}
		// A receipt may already acknowledge this bundle: one brought back
		// by USB after the list was made, or the answer to an earlier
		// upload of this run, which lists every bundle the district holds
		// (a USB delivery of later bundles included). Its bytes are gone
		// once delivered, and there is nothing left to send.
		done, err := l.isDelivered(ctx, db, b.Seq)
		if err != nil {
			return res, err
		}
		if done {
			res.Delivered++
			continue
		}
		data, err := bundleData(ctx, db, b.Seq)
		if err != nil {
			return res, err
		}
		status, body, err := l.putRetrying(ctx, client, trust.ServerURL, b.Seq, data)
		if err != nil {
			return res, err
		}
		res.Sent++
		if err := markHanded(ctx, db, b.Seq, "http", l.now()); err != nil {
			return res, err
		}
		switch status {
		case http.StatusOK, http.StatusCreated, http.StatusAccepted:
			if sync.SniffFile(body) != sync.FileReceipt {
				if status == http.StatusAccepted {
					res.Waiting++
					continue
				}
				return res, fmt.Errorf("服务器接收了第 %d 号同步包，但没有返回回执（状态 %d）", b.Seq, status)
			}
			if _, err := l.ApplyReceipt(ctx, db, body); err != nil {
				return res, fmt.Errorf("服务器返回的回执无效：%w", err)
			}
			delivered, err := l.isDelivered(ctx, db, b.Seq)
			if err != nil {
				return res, err
			}
			if delivered {
				res.Delivered++
			} else {
				res.Waiting++
			}
		default:
			return res, httpError(b.Seq, status, body)
		}
	}
	if progress != nil {
		progress(len(pending), len(pending))
	}
	return res, nil
}

// How Push waits for a district that answers "busy, try again" (503) or
// lost the upload (408): a few tries, each after the Retry-After the
// district asked for (capped), then a Chinese error saying to try later.
// Tests shorten pushWait.
var (
	pushTries   = 3
	pushMaxWait = 15 * time.Second
	pushWait    = func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
)

// putRetrying is put, trying again while the district says it is busy.
func (l *Laptop) putRetrying(ctx context.Context, client *http.Client, server string, seq uint64, data []byte) (int, []byte, error) {
	for try := 1; ; try++ {
		status, body, after, err := l.put(ctx, client, server, seq, data)
		if err != nil || (status != http.StatusServiceUnavailable && status != http.StatusRequestTimeout) || try >= pushTries {
			return status, body, err
		}
		wait := min(max(after, time.Second), pushMaxWait)
		if err := pushWait(ctx, wait); err != nil {
			return 0, nil, fmt.Errorf("上传已取消：%w", err)
		}
	}
}

// put uploads one bundle and returns the status, the (capped) answer body
// and the Retry-After the server asked for.
func (l *Laptop) put(ctx context.Context, client *http.Client, server string, seq uint64, data []byte) (int, []byte, time.Duration, error) {
	u, err := url.Parse(strings.TrimRight(server, "/") + "/v1/devices/" + url.PathEscape(l.id) + "/bundles/" + strconv.FormatUint(seq, 10))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("服务器地址无效：%w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(data))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("upload bundle %d: %w", seq, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, 0, fmt.Errorf("上传已取消：%w", ctx.Err())
		}
		return 0, nil, 0, fmt.Errorf("无法连接区总工会服务器 %s，请检查网络，或用U盘导出：%w", server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, sync.MaxSignedFile+1))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("读取服务器回答失败，请稍后再试：%w", err)
	}
	var after time.Duration
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		after = time.Duration(secs) * time.Second
	}
	return resp.StatusCode, body, after, nil
}

// httpError turns a refusal by the server into a Chinese message.
func httpError(seq uint64, status int, body []byte) error {
	detail := serverMessage(body)
	if detail != "" {
		detail = "（服务器说明：" + detail + "）"
	}
	switch {
	case status == http.StatusConflict:
		return fmt.Errorf("区总工会已收到内容不同的第 %d 号同步包，已暂停上传，请联系区总工会核对%s", seq, detail)
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return fmt.Errorf("区总工会拒绝了第 %d 号同步包：本机可能尚未登记或已被停用%s", seq, detail)
	case status == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("第 %d 号同步包超过服务器允许的大小，请用U盘导出%s", seq, detail)
	case status == http.StatusServiceUnavailable:
		return fmt.Errorf("区总工会服务器忙，请稍后再试（第 %d 号同步包已重试 %d 次，数据仍保存在本机）", seq, pushTries)
	case status == http.StatusRequestTimeout:
		return fmt.Errorf("上传第 %d 号同步包时连接中断或太慢，请稍后再试（数据仍保存在本机）", seq)
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("区总工会暂存的本机同步包已达上限，第 %d 号未被接收；请联系区总工会处理后再上传（数据仍保存在本机）%s", seq, detail)
	case status == http.StatusUnprocessableEntity:
		return fmt.Errorf("区总工会没有合并第 %d 号同步包：其中有本机无权做的修改，已隔离待区总工会核查%s", seq, detail)
	case status >= 400 && status < 500:
		return fmt.Errorf("区总工会认为第 %d 号同步包无效（状态 %d）%s", seq, status, detail)
	case status >= 500:
		return fmt.Errorf("区总工会服务器暂时出错（状态 %d），请稍后再试%s", status, detail)
	}
	return fmt.Errorf("服务器的回答无法理解（状态 %d）%s", status, detail)
}

// serverMessage extracts a short human-readable explanation from an error
// body: a JSON "error" or "message" field, or short plain text.
func serverMessage(body []byte) string {
	var j struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	s := ""
	if json.Unmarshal(body, &j) == nil {
		s = j.Error
		if s == "" {
			s = j.Message
		}
	} else if utf8.Valid(body) {
		s = string(body)
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	return s
}

func (l *Laptop) isDelivered(ctx context.Context, db *storage.DB, seq uint64) (bool, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM laptop_bundles WHERE seq = ? AND delivered_at IS NOT NULL`, int64(seq)).Scan(&n); err != nil {
		return false, fmt.Errorf("bundle %d: %w", seq, err)
	}
	return n > 0, nil
}

// refreshTrust fetches the server's newest trust file (GET /v1/trust) and
// accepts it under the usual rules (newer version, signed by the trusted
// key). When the district rotated its key more than once since the stored
// version, the versions in between are fetched too (GET /v1/trust/{v}) and
// the chain is checked one signature at a time. A server without the
// endpoint, or offering the same file, changes nothing.
func (l *Laptop) refreshTrust(ctx context.Context, client *http.Client, cur *sync.Trust) (bool, error) {
	base := strings.TrimRight(cur.ServerURL, "/") + "/v1/trust"
	latest, ok := l.getTrust(ctx, client, base)
	if !ok {
		return false, nil // the upload reports connection problems
	}
	_, changed, err := l.AcceptTrust(latest)
	if errors.Is(err, sync.ErrWrongKey) {
		// Signed by a key the laptop does not know yet: walk the chain.
		t, perr := sync.ParseTrust(latest)
		if perr == nil && t.Version > cur.Version+1 && t.Version-cur.Version <= maxTrustWalk {
			files := [][]byte{latest}
			for v := cur.Version + 1; v < t.Version; v++ {
				data, ok := l.getTrust(ctx, client, base+"/"+strconv.FormatUint(v, 10))
				if !ok {
					return false, fmt.Errorf("服务器提供的信任文件未被接受：取不到第 %d 版信任文件", v)
				}
				files = append(files, data)
			}
			_, changed, err = l.AcceptTrustFiles(files)
		}
	}
	if err != nil {
		if errors.Is(err, sync.ErrRollback) {
			return false, nil // an older file than ours: nothing new
		}
		return false, fmt.Errorf("服务器提供的信任文件未被接受：%w", err)
	}
	return changed, nil
}

// maxTrustWalk bounds the versions fetched to catch up.
const maxTrustWalk = 100

// getTrust fetches one trust file; false when there is none to be had.
func (l *Laptop) getTrust(ctx context.Context, client *http.Client, u string) ([]byte, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false
	}
	body, err := sync.ReadLimited(resp.Body, sync.MaxSignedFile, "信任文件")
	if err != nil || sync.SniffFile(body) != sync.FileTrust {
		return nil, false
	}
	return body, true
}
