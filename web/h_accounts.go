package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync/district"
)

type accountRow struct {
	User
	Locked bool
}

type accountsData struct {
	Users     []accountRow
	Roles     []Role
	Generated string // a password just generated, shown once
	GenFor    string
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	return s.renderAccounts(w, r, sess, http.StatusOK, accountsData{}, "")
}

func (s *Server) renderAccounts(w http.ResponseWriter, r *http.Request, sess *Session, status int, data accountsData, msg string) error {
	us, err := Users(r.Context(), s.db)
	if err != nil {
		return err
	}
	for _, u := range us {
		data.Users = append(data.Users, accountRow{User: u, Locked: s.locked(r.Context(), u.Name)})
	}
	data.Roles = Roles
	return s.renderStatus(w, r, sess, status, "accounts", "账户", "accounts", data, msg)
}

// accountCreate adds an account. Without a password typed in, one is
// generated and shown once on the page that answers; the account must
// change it at first login.
func (s *Server) accountCreate(w http.ResponseWriter, r *http.Request, sess *Session) error {
	name, role, password := trimValid(r.PostFormValue("name")), Role(r.PostFormValue("role")), r.PostFormValue("password")
	generated := password == ""
	if generated {
		password = GeneratePassword()
	}
	err := s.db.Update(r.Context(), func(tx *storage.Tx) error {
		if err := claimToken(tx, sess, r.PostFormValue("token")); err != nil {
			return err
		}
		_, err := CreateUser(tx, sess.User.Name, name, role, password, true)
		return err
	})
	if err != nil {
		if isChinese(err.Error()) {
			return s.renderAccounts(w, r, sess, http.StatusBadRequest, accountsData{}, err.Error()+"。未做任何修改。")
		}
		return err
	}
	data := accountsData{GenFor: name}
	if generated {
		data.Generated = password
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.renderAccounts(w, r, sess, http.StatusOK, data, "")
}

// accountAction changes one account: role, disable, enable, reset
// (a generated password, shown once), unlock.
func (s *Server) accountAction(w http.ResponseWriter, r *http.Request, sess *Session) error {
	name, action := r.PathValue("name"), r.PathValue("action")
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	reason, tooLong := textValue(r, "reason", "原因", survey.MaxLineText)
	if tooLong != "" {
		return s.renderAccounts(w, r, sess, http.StatusBadRequest, accountsData{}, tooLong)
	}
	var generated string
	err := s.db.Update(r.Context(), func(tx *storage.Tx) error {
		if err := claimToken(tx, sess, r.PostFormValue("token")); err != nil {
			return err
		}
		if rev == 0 {
			return storage.ErrStale
		}
		switch action {
		case "role":
			return SetRole(tx, sess.User.Name, name, rev, Role(r.PostFormValue("role")), reason)
		case "disable":
			if name == sess.User.Name {
				return fmt.Errorf("不能停用自己正在使用的账户")
			}
			return SetDisabled(tx, sess.User.Name, name, rev, true, reason)
		case "enable":
			return SetDisabled(tx, sess.User.Name, name, rev, false, reason)
		case "reset":
			generated = GeneratePassword()
			return SetPassword(tx, sess.User.Name, name, rev, generated, true, nil)
		case "unlock":
			if _, err := userForEdit(tx, name, rev); err != nil {
				return err
			}
			return Unlock(tx, sess.User.Name, name)
		}
		return &pageError{http.StatusNotFound, "未知的操作"}
	})
	if err != nil {
		return err
	}
	if generated != "" {
		return s.renderAccounts(w, r, sess, http.StatusOK, accountsData{Generated: generated, GenFor: name}, "")
	}
	msgs := map[string]string{"role": "角色已修改", "disable": "账户已停用，其登录已失效", "enable": "账户已重新启用", "unlock": "已解除登录锁定"}
	return s.done(w, r, "/accounts", name+"："+msgs[action])
}

type settingsData struct {
	Trust                      district.TrustInfo
	Trusts                     []district.TrustInfo
	Keys                       []district.KeyInfo
	DaysLeft                   int
	IdleMinutes, AbsoluteHours int
	Fingerprint, ServerURL     string
	Campaign                   string
	Phases                     []string
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, sess *Session) error {
	l := s.limits(r.Context())
	data := settingsData{IdleMinutes: int(l.Idle.Minutes()), AbsoluteHours: int(l.Absolute.Hours()), Fingerprint: s.d.Fingerprint(), ServerURL: s.d.ServerURL(), Campaign: s.campaignIn(r.Context()).Name}
	for _, p := range s.campaignIn(r.Context()).Phases {
		data.Phases = append(data.Phases, fmt.Sprintf("%s：%s 至 %s", p.Name, p.Start, p.End))
	}
	var err error
	if data.Trust, err = s.d.CurrentTrust(r.Context()); err != nil {
		return err
	}
	data.DaysLeft = int(data.Trust.Expires.Sub(s.now()).Hours() / 24)
	if data.Trusts, err = s.d.Trusts(r.Context()); err != nil {
		return err
	}
	if data.Keys, err = s.d.Keys(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, sess, "settings", "设置", "settings", data)
}

func (s *Server) settingsSubmit(w http.ResponseWriter, r *http.Request, sess *Session) error {
	idle, err1 := strconv.Atoi(strings.TrimSpace(r.PostFormValue("idle")))
	abs, err2 := strconv.Atoi(strings.TrimSpace(r.PostFormValue("absolute")))
	if err1 != nil || err2 != nil || idle < 5 || idle > 240 || abs < 1 || abs > 24 {
		return badRequest("空闲超时应为 5–240 分钟，最长登录时长应为 1–24 小时。未做任何修改。")
	}
	if float64(idle) > float64(abs)*60 {
		return badRequest("空闲超时不能长于最长登录时长。未做任何修改。")
	}
	old := s.limits(r.Context())
	err := s.db.Update(r.Context(), func(tx *storage.Tx) error {
		if err := claimToken(tx, sess, r.PostFormValue("token")); err != nil {
			return err
		}
		for k, v := range map[string]int{"session.idle_minutes": idle, "session.absolute_hours": abs} {
			if _, err := tx.Exec(`INSERT INTO web_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, strconv.Itoa(v)); err != nil {
				return err
			}
		}
		return audit.Record(tx, audit.Entry{Actor: sess.User.Name, Action: "settings", Target: "登录超时",
			Detail: fmt.Sprintf("空闲超时 %d → %d 分钟，最长登录时长 %d → %d 小时", int(old.Idle.Minutes()), idle, int(old.Absolute.Hours()), abs)})
	})
	if err != nil {
		return err
	}
	return s.done(w, r, "/settings", "设置已保存")
}

// trustRenew issues the next trust file: a new expiry, optionally a new
// upload address or a new district key. Laptops take it on their next
// push or from the downloaded file.
func (s *Server) trustRenew(w http.ResponseWriter, r *http.Request, sess *Session) error {
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil || days < 30 || days > 1095 {
		return badRequest("有效期应为 30–1095 天。未做任何修改。")
	}
	opt := district.RenewOptions{Valid: time.Duration(days) * 24 * time.Hour, RotateKey: r.PostFormValue("rotate") == "yes", By: sess.User.Name}
	if r.PostFormValue("change_url") == "yes" {
		u, tooLong := textValue(r, "url", "上传地址", survey.MaxLineText)
		if tooLong != "" {
			return badRequest("%s", tooLong)
		}
		if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return badRequest("上传地址应以 http:// 或 https:// 开头，或留空（只用U盘）。未做任何修改。")
		}
		opt.ServerURL = &u
	}
	release, err := s.claimFor(r.Context(), sess, r.PostFormValue("token"))
	if err != nil {
		return err
	}
	info, _, err := s.d.Renew(r.Context(), opt)
	if err != nil {
		release()
		return err
	}
	msg := fmt.Sprintf("已签发第 %d 版信任文件，有效至 %s。笔记本下次网络同步时自动更新；只用U盘的笔记本请下载信任文件带去导入。", info.Version, info.Expires.Local().Format("2006-01-02"))
	if opt.RotateKey {
		msg += "区级密钥已更换，新指纹 " + info.Fingerprint + "。"
	}
	return s.done(w, r, "/settings", msg)
}
