package laptop

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// FetchResult says what Fetch brought back from the district.
type FetchResult struct {
	// Bundles are the down bundles applied, in seq order.
	Bundles []DownResult
	// Summary is what they carried, for the investigator.
	Summary DownSummary
}

// Message says in one sentence what came back.
func (r FetchResult) Message() string {
	if len(r.Bundles) == 0 {
		return "区总工会没有新的下发内容"
	}
	return fmt.Sprintf("收到区总工会下发包 %d 个：%s", len(r.Bundles), r.Summary.Text())
}

// DownSummary counts what down bundles carried, in the terms the team uses.
type DownSummary struct {
	// Returned and Approved count visits the district returned for changes
	// or approved (the latest review of each).
	Returned, Approved int
	// Ledger counts ledger items updated, Assessed those of them that carry
	// the district's 研判.
	Ledger, Assessed int
	// Assigned counts enterprises assigned to this laptop; Enterprises
	// other roster changes.
	Assigned, Enterprises int
	// Visits counts visits changed elsewhere (a resolved conflict, the
	// other team's visit of an enterprise assigned here).
	Visits int
	// Forms counts published form versions and campaign revisions (the
	// questionnaires and plan in force).
	Forms int
	// Other counts records of kinds this summary does not name.
	Other int
}

// Text lists what is not zero, or says nothing new came.
func (s DownSummary) Text() string {
	var parts []string
	add := func(n int, format string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf(format, n))
		}
	}
	add(s.Returned, "退回修改的走访记录 %d 条")
	add(s.Approved, "审核通过的走访记录 %d 条")
	if s.Assessed > 0 {
		parts = append(parts, fmt.Sprintf("台帐事项更新 %d 项（其中 %d 项有区总工会研判）", s.Ledger, s.Assessed))
	} else {
		add(s.Ledger, "台帐事项更新 %d 项")
	}
	add(s.Assigned, "分配给本机的企业 %d 家")
	add(s.Enterprises, "企业名录更新 %d 家")
	add(s.Visits, "其他走访记录更新 %d 条")
	add(s.Forms, "表单和活动配置更新 %d 项")
	add(s.Other, "其他内容 %d 项")
	if len(parts) == 0 {
		return "没有新的内容"
	}
	return strings.Join(parts, "，")
}

func (s *DownSummary) add(o DownSummary) {
	s.Returned += o.Returned
	s.Approved += o.Approved
	s.Ledger += o.Ledger
	s.Assessed += o.Assessed
	s.Assigned += o.Assigned
	s.Enterprises += o.Enterprises
	s.Visits += o.Visits
	s.Forms += o.Forms
	s.Other += o.Other
}

// summarize counts a down payload's records, each record once (its last
// version in the bundle).
func summarize(vs []survey.Version, self string) DownSummary {
	last := map[string]survey.Version{}
	var order []string
	for _, v := range vs {
		if _, ok := last[v.RecordID]; !ok {
			order = append(order, v.RecordID)
		}
		last[v.RecordID] = v
	}
	var s DownSummary
	for _, id := range order {
		v := last[id]
		switch v.Kind {
		case survey.KindReview:
			var r survey.Review
			if json.Unmarshal(v.Payload, &r) == nil && r.Decision == survey.ReviewReturned {
				s.Returned++
			} else {
				s.Approved++
			}
		case survey.KindLedger:
			s.Ledger++
			var it survey.LedgerItem
			if json.Unmarshal(v.Payload, &it) == nil && it.Assessed() {
				s.Assessed++
			}
		case survey.KindEnterprise:
			var e survey.Enterprise
			if !v.Deleted && json.Unmarshal(v.Payload, &e) == nil && e.AssignedTo == self {
				s.Assigned++
			} else {
				s.Enterprises++
			}
		case survey.KindVisit:
			s.Visits++
		case survey.KindForm, survey.KindCampaign:
			s.Forms++
		default:
			s.Other++
		}
	}
	return s
}

// DownState returns the highest down seq applied here and that bundle's
// hash (0 and zero when none).
func DownState(ctx context.Context, db *storage.DB) (uint64, sync.Hash, error) {
	var seq int64
	var hash string
	err := db.QueryRow(ctx, `SELECT seq, hash FROM laptop_down ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, sync.Hash{}, nil
	}
	if err != nil {
		return 0, sync.Hash{}, fmt.Errorf("down state: %w", err)
	}
	h, err := sync.ParseHash(hash)
	if err != nil {
		return 0, sync.Hash{}, fmt.Errorf("down state: %w", err)
	}
	return uint64(seq), h, nil
}

// maxFetch bounds the down bundles one Fetch applies: a laptop offline for
// a whole campaign has a few dozen.
const maxFetch = 1000

// Fetch asks the district for the down bundles waiting for this laptop
// (POST <server>/v1/devices/{id}/down with a request signed by the device
// key, sync.DownRequest) and applies each as Import does, in seq order,
// until the district answers that nothing more waits (204). A laptop whose clock is off signs
// again with the district's time. Every bundle is verified with the trust
// file's key and opened with this device's key: one that is not for this
// device, damaged, out of order or a replay of one already applied changes
// nothing (Import's rules).
func (l *Laptop) Fetch(ctx context.Context, db *storage.DB, client *http.Client) (FetchResult, error) {
	var res FetchResult
	trust, err := l.ValidTrust()
	if err != nil {
		return res, err
	}
	if trust.ServerURL == "" {
		return res, errors.New("信任文件中没有服务器地址，只能用U盘导入区总工会的下发包")
	}
	if client == nil {
		client = http.DefaultClient
	}
	var offset time.Duration
	for range maxFetch {
		have, head, err := DownState(ctx, db)
		if err != nil {
			return res, err
		}
		status, body, _, err := l.postDown(ctx, client, trust.ServerURL, have, head, &offset)
		if err != nil {
			return res, err
		}
		switch status {
		case http.StatusNoContent:
			return res, nil
		case http.StatusOK:
		default:
			return res, downError(status, body)
		}
		if sync.SniffFile(body) != sync.FileBundle {
			return res, errors.New("区总工会服务器的回答不是下发包，本机数据没有改动")
		}
		down, err := l.importDown(ctx, db, body)
		if err != nil {
			return res, err
		}
		if down.Duplicate || down.Seq != have+1 {
			// A bundle the laptop has: fine if it arrived meanwhile by
			// another way (a USB import while this sync ran), then ask
			// again; otherwise asking again would get the same answer.
			if now, _, err := DownState(ctx, db); err == nil && now > have {
				continue
			}
			return res, fmt.Errorf("区总工会服务器重复发来了第 %d 号下发包（本机已有第 %d 号），已停止；本机数据没有重复改动", down.Seq, have)
		}
		res.Bundles = append(res.Bundles, *down)
		res.Summary.add(down.Summary)
		// Ask again even at the last bundle sealed so far: what the
		// district decided since is sealed by the next request, and 204
		// ends the loop.
	}
	return res, fmt.Errorf("区总工会待下发的内容超过 %d 个下发包，请再同步一次", maxFetch)
}

// postDown sends one signed down request, signing again once with the
// district's time when the district says the laptop's clock is off, and
// waiting like Push while the district is busy.
func (l *Laptop) postDown(ctx context.Context, client *http.Client, server string, have uint64, head sync.Hash, offset *time.Duration) (int, []byte, http.Header, error) {
	u, err := url.Parse(strings.TrimRight(server, "/") + "/v1/devices/" + url.PathEscape(l.id) + "/down")
	if err != nil {
		return 0, nil, nil, fmt.Errorf("服务器地址无效：%w", err)
	}
	clockRetried := false
	for try := 1; ; try++ {
		req, err := sync.NewDownRequest(sync.DownRequest{DeviceID: l.id, Have: have, Head: head, Created: l.now().Add(*offset)}, l.keys)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("fetch down: %w", err)
		}
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(req))
		if err != nil {
			return 0, nil, nil, fmt.Errorf("fetch down: %w", err)
		}
		hr.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(hr)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, nil, fmt.Errorf("同步已取消：%w", ctx.Err())
			}
			return 0, nil, nil, fmt.Errorf("无法连接区总工会服务器 %s，请检查网络，或用U盘导入下发包：%w", server, err)
		}
		limit := int64(sync.MaxSignedFile)
		if resp.StatusCode == http.StatusOK {
			limit = l.opt.Limits.MaxBundle
			if limit <= 0 {
				limit = sync.DefaultLimits().MaxBundle
			}
		}
		body, err := sync.ReadLimited(resp.Body, limit, "区总工会下发包")
		resp.Body.Close()
		if err != nil {
			return 0, nil, nil, fmt.Errorf("读取区总工会服务器的回答失败，请稍后再试：%w", err)
		}
		if resp.StatusCode == http.StatusBadRequest && !clockRetried && errorCode(body) == "clock_skew" {
			if server, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
				*offset = server.Sub(l.now())
				clockRetried = true
				continue
			}
		}
		if (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusRequestTimeout) && try < pushTries {
			after := time.Second
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
				after = time.Duration(secs) * time.Second
			}
			if err := pushWait(ctx, min(after, pushMaxWait)); err != nil {
				return 0, nil, nil, fmt.Errorf("同步已取消：%w", err)
			}
			continue
		}
		return resp.StatusCode, body, resp.Header, nil
	}
}

// errorCode is the "code" of a JSON error body.
func errorCode(body []byte) string {
	var j struct {
		Code string `json:"code"`
	}
	json.Unmarshal(body, &j)
	return j.Code
}

// downError turns a refused down request into a Chinese message.
func downError(status int, body []byte) error {
	detail := serverMessage(body)
	if detail != "" {
		detail = "（服务器说明：" + detail + "）"
	}
	switch {
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return fmt.Errorf("区总工会拒绝向本机下发数据：本机可能尚未登记或已被停用%s", detail)
	case status == http.StatusConflict:
		return fmt.Errorf("区总工会没有下发数据%s", detail)
	case status == http.StatusServiceUnavailable:
		return fmt.Errorf("区总工会服务器忙，请稍后再同步%s", detail)
	case status == http.StatusNotFound && detail == "":
		return errors.New("区总工会服务器不支持通过网络下发，请用U盘导入下发包")
	case status >= 400 && status < 500:
		return fmt.Errorf("区总工会拒绝了下发请求（状态 %d）%s", status, detail)
	}
	return fmt.Errorf("区总工会服务器暂时出错（状态 %d），请稍后再试%s", status, detail)
}
