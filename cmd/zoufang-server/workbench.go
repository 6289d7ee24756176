package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"zoufang/storage"
	"zoufang/sync"
	"zoufang/sync/district"
	"zoufang/web"
)

// workbenchCommands are the commands of the district workbench: accounts
// and backups. `serve` itself is in main.go.
var workbenchCommands = []command{
	{"user", "user add --data 目录 --name 账户名 --role admin|reviewer|readonly ｜ user list --data 目录 ｜ user reset --data 目录 --name 账户名",
		"工作台账户：新建（首个管理员）、列出、重置密码", runUser},
	{"backup", "backup --data 目录 --out 备份目录", "在服务运行时备份区级数据（数据库一致快照和区级密钥）", runBackup},
}

// stdin is where `user add` reads a typed password; tests replace it.
var stdin io.Reader = os.Stdin

func runUser(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) != 1 {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	db := d.DB()
	if err := web.Migrate(ctx, db); err != nil {
		fmt.Fprintln(errOut, "无法准备账户表：", err)
		return 1
	}
	name, role := strings.TrimSpace(flagString(fs, "name")), flagString(fs, "role")
	switch args[0] {
	case "list":
		us, err := web.Users(ctx, db)
		if err != nil {
			fmt.Fprintln(errOut, "读取账户失败：", err)
			return 1
		}
		if len(us) == 0 {
			fmt.Fprintln(out, "还没有账户。用 user add --role admin 新建第一个管理员。")
		}
		for _, u := range us {
			state := "正常"
			if u.Disabled != "" {
				state = "已停用"
			}
			fmt.Fprintf(out, "%s\t%s\t%s\n", u.Name, u.Role.Label(), state)
		}
		return 0
	case "add", "reset":
	default:
		fs.Usage()
		return 2
	}
	if name == "" || (args[0] == "add" && role == "") {
		fs.Usage()
		return 2
	}
	password, typed, err := askPassword(out, name)
	if err != nil {
		fmt.Fprintln(errOut, err)
		return 1
	}
	err = db.Update(ctx, func(tx *storage.Tx) error {
		if args[0] == "add" {
			_, err := web.CreateUser(tx, cliActor, name, web.Role(role), password, !typed)
			return err
		}
		return web.SetPassword(tx, cliActor, name, 0, password, true, nil)
	})
	if err != nil {
		fmt.Fprintln(errOut, "操作失败：", storage.ErrorMessage(err))
		return 1
	}
	if args[0] == "add" {
		fmt.Fprintf(out, "已新建账户 %s（%s）。\n", name, web.Role(role).Label())
	} else {
		fmt.Fprintf(out, "已重置账户 %s 的密码，其登录已失效。\n", name)
	}
	if !typed {
		fmt.Fprintf(out, "临时密码（只显示这一次，请记下并告知本人；首次登录须修改）：%s\n", password)
	}
	return 0
}

// askPassword reads a password typed twice at a terminal (not echoed). At
// a terminal an empty answer, and without a terminal always, generates
// one instead; typed says which.
func askPassword(out io.Writer, name string) (string, bool, error) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return web.GeneratePassword(), false, nil
	}
	fmt.Fprint(out, "请输入密码（至少 10 个字符；直接回车则自动生成）：")
	p1, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", false, fmt.Errorf("读取密码失败：%v", err)
	}
	if len(p1) == 0 {
		return web.GeneratePassword(), false, nil
	}
	if err := web.CheckNewPassword(name, string(p1)); err != nil {
		return "", false, err
	}
	fmt.Fprint(out, "请再输入一次：")
	p2, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", false, fmt.Errorf("读取密码失败：%v", err)
	}
	if string(p1) != string(p2) {
		return "", false, errors.New("两次输入的密码不一致，未做任何修改")
	}
	return string(p1), true, nil
}

func runBackup(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	dest := flagString(fs, "out")
	if dest == "" || len(args) != 0 {
		fs.Usage()
		return 2
	}
	if _, err := os.Stat(dest); err == nil {
		fmt.Fprintf(errOut, "备份目录 %s 已存在，请换一个目录名（备份不会覆盖已有文件）\n", dest)
		return 1
	}
	if err := os.MkdirAll(dest, 0o700); err != nil {
		fmt.Fprintln(errOut, "无法创建备份目录：", err)
		return 1
	}
	if err := d.DB().Backup(context.Background(), filepath.Join(dest, storage.FileName)); err != nil {
		fmt.Fprintln(errOut, storage.ErrorMessage(err))
		return 1
	}
	// The private keys: the current one and, after rotations, the earlier
	// ones that still open what laptops sealed before.
	keys := []string{district.KeyFile}
	if old, err := os.ReadDir(filepath.Join(d.Dir(), district.KeysDir)); err == nil {
		if err := os.MkdirAll(filepath.Join(dest, district.KeysDir), 0o700); err != nil {
			fmt.Fprintln(errOut, "无法创建备份目录：", err)
			return 1
		}
		for _, e := range old {
			if e.Type().IsRegular() {
				keys = append(keys, filepath.Join(district.KeysDir, e.Name()))
			}
		}
	}
	for _, k := range keys {
		data, err := os.ReadFile(filepath.Join(d.Dir(), k))
		if err == nil {
			err = sync.WriteFileAtomic(filepath.Join(dest, k), data, 0o600)
		}
		if err != nil {
			fmt.Fprintln(errOut, "无法备份区级密钥：", err)
			return 1
		}
	}
	fmt.Fprintf(out, "已备份到 %s：数据库 %s 和 %d 个区级密钥文件。\n请把备份目录存到另一台机器或移动硬盘，并妥善保管（含私钥）。恢复时停止服务，把备份目录中的文件放回数据目录。\n",
		dest, storage.FileName, len(keys))
	return 0
}

// serveOptions are serve's flags.
type serveOptions struct {
	addr, apiAddr, cert, key string
	insecure                 bool
}

// isLoopback reports whether a listen address only accepts connections
// from this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// workbenchHandler builds what `serve` answers on its main address: the
// laptops' API and the workbench. Without TLS on an address other
// machines can reach, the workbench is refused (passwords would cross the
// network in clear) unless --insecure-http says otherwise, loudly; the
// API keeps working either way, since bundles are signed and sealed.
func workbenchHandler(d *district.District, o serveOptions, log *slog.Logger, errOut io.Writer) (http.Handler, *web.Server, error) {
	tls := o.cert != "" || o.key != ""
	if tls && (o.cert == "" || o.key == "") {
		return nil, nil, errors.New("--tls-cert 和 --tls-key 须同时指定")
	}
	api := d.Handler(log)
	wb, err := web.New(d, web.Options{TLS: tls, Log: log, API: api})
	if err != nil {
		return nil, nil, fmt.Errorf("无法启动工作台：%v", err)
	}
	if tls || isLoopback(o.addr) {
		return wb.Handler(), wb, nil
	}
	if o.insecure {
		log.Warn("INSECURE: the workbench is served over plain HTTP on a network address; passwords and session cookies cross the network in clear", "addr", o.addr)
		fmt.Fprintf(errOut, "警告：工作台以不加密的 HTTP 在 %s 上提供服务（--insecure-http），密码和登录凭据会以明文经过网络。请尽快配置 --tls-cert/--tls-key。\n", o.addr)
		return wb.Handler(), wb, nil
	}
	fmt.Fprintf(errOut, "注意：%s 不是本机地址且未配置 TLS，为保护密码，工作台不在此地址提供；笔记本上传照常。请用 --tls-cert/--tls-key 启用 HTTPS，或在本机用 127.0.0.1 访问。\n", o.addr)
	mux := http.NewServeMux()
	mux.Handle("/v1/", wb.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintln(w, "工作台须通过 HTTPS 访问：服务器未配置 TLS 证书（--tls-cert/--tls-key），为避免密码以明文经过网络，此地址不提供工作台。请联系管理员。")
	})
	return mux, wb, nil
}

// apiOnly serves only the laptops' API (the plain-HTTP --api-addr next to
// an HTTPS workbench).
func apiOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintln(w, "此地址只接收笔记本上传；工作台请用 HTTPS 地址访问。")
			return
		}
		h.ServeHTTP(w, r)
	})
}
