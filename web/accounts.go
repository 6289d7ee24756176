package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"zoufang/audit"
	"zoufang/storage"
)

// Role is what an account may do in the workbench.
type Role string

// Roles. The string values are stored; never rename one.
const (
	RoleAdmin    Role = "admin"    // 管理员: accounts, devices, settings, and everything a reviewer does
	RoleReviewer Role = "reviewer" // 审核员: bundles, conflicts, ledger, roster and assignments
	RoleReadonly Role = "readonly" // 只读（督导）: view and export
)

// Roles lists the roles in display order.
var Roles = []Role{RoleAdmin, RoleReviewer, RoleReadonly}

// Label is the role's Chinese name.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "管理员"
	case RoleReviewer:
		return "审核员"
	case RoleReadonly:
		return "只读（督导）"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleReviewer || r == RoleReadonly }

// perm is what a handler needs. Every route names one (see Server.routes).
type perm int

const (
	permView   perm = iota // any logged-in account
	permReview             // reviewer or administrator
	permAdmin              // administrator
)

func (r Role) can(p perm) bool {
	switch p {
	case permView:
		return r.Valid()
	case permReview:
		return r == RoleAdmin || r == RoleReviewer
	case permAdmin:
		return r == RoleAdmin
	}
	return false
}

// User is a workbench account.
type User struct {
	ID         int64
	Name       string
	Role       Role
	MustChange bool
	Disabled   string // time disabled, "" while active
	Created    time.Time
	CreatedBy  string
	LastLogin  time.Time
	Rev        int64
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or updates the workbench's tables in db.
func Migrate(ctx context.Context, db *storage.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	if err := audit.Migrate(ctx, db); err != nil {
		return err
	}
	return db.MigrateOwned(ctx, "web", sub)
}

// Argon2id parameters (RFC 9106's second recommendation, scaled down to
// 19 MiB as OWASP suggests for servers that log many people in at once).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the argon2id PHC string of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string hash.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || len(key) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// dummyHash is checked against when a login names no account, so that an
// unknown name takes as long as a wrong password.
var dummyHash, _ = HashPassword("zoufang-no-such-account")

// GeneratePassword returns a random password of 12 letters and digits in
// three groups, without characters that are easy to misread (0 O 1 l I).
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		// 256 is not a multiple of len(alphabet); the bias is < 1/4 bit.
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return s.String()
}

// CheckNewPassword returns the Chinese reason a new password is refused.
func CheckNewPassword(name, password string) error {
	switch {
	case utf8.RuneCountInString(password) < 10:
		return errors.New("密码至少 10 个字符")
	case utf8.RuneCountInString(password) > 128:
		return errors.New("密码最多 128 个字符")
	case strings.EqualFold(password, name):
		return errors.New("密码不能与账户名相同")
	}
	return nil
}

func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("请填写账户名")
	case utf8.RuneCountInString(name) > 32:
		return errors.New("账户名最多 32 个字符")
	case strings.ContainsAny(name, " \t\r\n/\\<>\"'&"):
		return errors.New("账户名不能包含空格或 / \\ < > \" ' & 等符号")
	case name == audit.System:
		return errors.New("“系统”是保留名称")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("账户名不能包含控制字符")
		}
	}
	return nil
}

const userCols = `id, name, role, must_change, disabled, created, created_by, last_login, rev`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var role, created, last string
	if err := sc.Scan(&u.ID, &u.Name, &role, &u.MustChange, &u.Disabled, &created, &u.CreatedBy, &last, &u.Rev); err != nil {
		return u, err
	}
	u.Role = Role(role)
	u.Created, _ = time.Parse(time.RFC3339, created)
	u.LastLogin, _ = time.Parse(time.RFC3339, last)
	return u, nil
}

// CreateUser adds an account inside tx, with an audit entry naming actor.
// mustChange marks a generated password, to be changed at first login.
func CreateUser(tx *storage.Tx, actor, name string, role Role, password string, mustChange bool) (User, error) {
	name = strings.TrimSpace(name)
	if err := checkName(name); err != nil {
		return User{}, err
	}
	if !role.Valid() {
		return User{}, fmt.Errorf("未知的角色 %q（可用：admin、reviewer、readonly）", role)
	}
	if err := CheckNewPassword(name, password); err != nil {
		return User{}, err
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM web_users WHERE name = ?`, name).Scan(&n); err != nil {
		return User{}, err
	}
	if n > 0 {
		return User{}, fmt.Errorf("账户 %s 已存在", name)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	now := tx.Now().Format(time.RFC3339)
	res, err := tx.Exec(`INSERT INTO web_users (name, role, password, must_change, created, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		name, string(role), hash, mustChange, now, actor)
	if err != nil {
		return User{}, err
	}
	id, _ := res.LastInsertId()
	if err := audit.Record(tx, audit.Entry{Actor: actor, Action: "user.create", Target: "账户:" + name,
		Detail: fmt.Sprintf("新建账户 %s，角色 %s", name, role.Label())}); err != nil {
		return User{}, err
	}
	return userByID(tx, id)
}

func userByID(tx *storage.Tx, id int64) (User, error) {
	return scanUser(tx.QueryRow(`SELECT `+userCols+` FROM web_users WHERE id = ?`, id))
}

// userForEdit reads an account inside tx and checks the page's revision.
func userForEdit(tx *storage.Tx, name string, rev int64) (User, error) {
	u, err := scanUser(tx.QueryRow(`SELECT `+userCols+` FROM web_users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("没有账户 %s", name)
	}
	if err != nil {
		return u, err
	}
	if rev != 0 && u.Rev != rev {
		return u, storage.ErrStale
	}
	return u, nil
}

// Users lists every account, active ones first.
func Users(ctx context.Context, db *storage.DB) ([]User, error) {
	rows, err := db.Query(ctx, `SELECT `+userCols+` FROM web_users ORDER BY disabled <> '', name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// countActiveAdmins counts administrators that are not disabled.
func countActiveAdmins(tx *storage.Tx) (int, error) {
	var n int
	err := tx.QueryRow(`SELECT count(*) FROM web_users WHERE role = 'admin' AND disabled = ''`).Scan(&n)
	return n, err
}

// SetRole changes an account's role; the last active administrator keeps
// the role.
func SetRole(tx *storage.Tx, actor, name string, rev int64, role Role, reason string) error {
	if !role.Valid() {
		return fmt.Errorf("未知的角色 %q", role)
	}
	u, err := userForEdit(tx, name, rev)
	if err != nil {
		return err
	}
	if u.Role == role {
		return nil
	}
	if u.Role == RoleAdmin && u.Disabled == "" {
		if n, err := countActiveAdmins(tx); err != nil {
			return err
		} else if n <= 1 {
			return errors.New("这是最后一个在用的管理员账户，不能改为其他角色")
		}
	}
	if _, err := tx.Exec(`UPDATE web_users SET role = ?, rev = rev + 1 WHERE id = ?`, string(role), u.ID); err != nil {
		return err
	}
	return audit.Record(tx, audit.Entry{Actor: actor, Action: "user.role", Target: "账户:" + name,
		Detail: fmt.Sprintf("账户 %s 的角色由 %s 改为 %s", name, u.Role.Label(), role.Label()), Reason: reason})
}

// SetDisabled disables or re-enables an account. Disabling ends its
// sessions at once; accounts are never deleted, so the audit log keeps
// naming real people.
func SetDisabled(tx *storage.Tx, actor, name string, rev int64, disabled bool, reason string) error {
	u, err := userForEdit(tx, name, rev)
	if err != nil {
		return err
	}
	if disabled == (u.Disabled != "") {
		return nil
	}
	if disabled {
		if strings.TrimSpace(reason) == "" {
			return errors.New("停用账户须写明原因")
		}
		if u.Role == RoleAdmin {
			if n, err := countActiveAdmins(tx); err != nil {
				return err
			} else if n <= 1 {
				return errors.New("这是最后一个在用的管理员账户，不能停用")
			}
		}
		if _, err := tx.Exec(`UPDATE web_users SET disabled = ?, rev = rev + 1 WHERE id = ?`, tx.Now().Format(time.RFC3339), u.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM web_sessions WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{Actor: actor, Action: "user.disable", Target: "账户:" + name,
			Detail: fmt.Sprintf("停用账户 %s（已登录的会话立即失效）", name), Reason: reason})
	}
	if _, err := tx.Exec(`UPDATE web_users SET disabled = '', rev = rev + 1 WHERE id = ?`, u.ID); err != nil {
		return err
	}
	return audit.Record(tx, audit.Entry{Actor: actor, Action: "user.enable", Target: "账户:" + name,
		Detail: fmt.Sprintf("重新启用账户 %s", name), Reason: reason})
}

// SetPassword sets an account's password. By an administrator for someone
// else (reset, mustChange true) it ends that account's sessions; by the
// account itself it keeps the current session (keep) and ends the others.
func SetPassword(tx *storage.Tx, actor, name string, rev int64, password string, mustChange bool, keep []byte) error {
	u, err := userForEdit(tx, name, rev)
	if err != nil {
		return err
	}
	if err := CheckNewPassword(name, password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE web_users SET password = ?, must_change = ?, rev = rev + 1 WHERE id = ?`, hash, mustChange, u.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM web_sessions WHERE user_id = ? AND token_hash <> ?`, u.ID, keep); err != nil {
		return err
	}
	detail := fmt.Sprintf("账户 %s 修改了自己的密码", name)
	action := "user.password"
	if actor != name || mustChange {
		detail = fmt.Sprintf("重置账户 %s 的密码（下次登录须修改）", name)
		action = "user.reset"
	}
	return audit.Record(tx, audit.Entry{Actor: actor, Action: action, Target: "账户:" + name, Detail: detail})
}
