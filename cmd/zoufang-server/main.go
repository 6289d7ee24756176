// Command zoufang-server is the district's headless side of sync: it enrols
// laptops, imports their bundles from USB sticks or over HTTP, shows and
// resolves conflicts, and writes signed down bundles and receipts. It has no
// GUI and builds without cgo.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"zoufang/storage"
	"zoufang/sync"
	"zoufang/sync/district"
)

// cliActor names the person in the audit log when a command is run
// without --by: whoever operates the server's command line.
const cliActor = "区总工会（命令行）"

type command struct {
	name, usage, summary string
	run                  func(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int
}

var commands []command

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "用法: zoufang-server 命令 --data 目录 [参数]")
	fmt.Fprintln(w, "\n命令:")
	fmt.Fprintf(w, "  %-12s %s\n", "init", "init --data 目录 --name 区总工会名称 [--url http://地址:8700]  初始化区级数据和密钥")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
}

func run(args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		return 0
	}
	name, args := args[0], args[1:]
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	data := fs.String("data", "", "区级数据目录")
	if name == "init" {
		distName := fs.String("name", "", "区市总工会名称")
		url := fs.String("url", "", "笔记本上传地址（可空：只用U盘）")
		if fs.Parse(args) != nil || *data == "" || *distName == "" {
			fmt.Fprintln(errOut, "用法: zoufang-server init --data 目录 --name 名称 [--url 地址]")
			return 2
		}
		d, err := district.Init(*data, *distName, *url, district.Options{Logger: slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			fmt.Fprintln(errOut, "初始化失败：", district.Message(err))
			return 1
		}
		defer d.Close()
		fmt.Fprintf(out, "已初始化 %s，区级密钥指纹：%s\n", d.Name(), d.Fingerprint())
		return 0
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == name {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(errOut, "未知命令 %q\n", name)
		usage(errOut)
		return 2
	}
	fs.Usage = func() { fmt.Fprintln(errOut, "用法: zoufang-server", cmd.usage) }
	// One flag set for every command keeps parsing in one place; each
	// command reads the flags its usage names.
	for _, f := range []struct{ name, def, help string }{
		{"out", "", "输出文件"}, {"device", "", "设备编号"}, {"reason", "", "停用原因"},
		{"by", "", "处理人"}, {"why", "", "理由"}, {"pick", "", "选用的版本编号"},
		{"merged", "", "合并后的记录内容（JSON 文件）"}, {"addr", "127.0.0.1:8700", "监听地址"},
		{"url", "", "笔记本上传地址"}, {"valid", "", "有效期（如 365d）"},
		{"resend", "", "重发的下发包序号"}, {"version", "", "信任文件版本"},
		{"name", "", "账户名"}, {"role", "", "角色：admin、reviewer、readonly"},
		{"tls-cert", "", "HTTPS 证书文件（PEM）"}, {"tls-key", "", "HTTPS 私钥文件（PEM）"},
		{"api-addr", "", "另开一个只接收笔记本上传的 HTTP 地址（配合 HTTPS 工作台）"},
	} {
		fs.String(f.name, f.def, f.help)
	}
	fs.Bool("rotate-key", false, "同时更换区总工会密钥")
	fs.Bool("all", false, "全部")
	fs.Bool("insecure-http", false, "在非本机地址上不加密地提供工作台（不推荐）")
	// Flags may come after positional arguments.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *data == "" {
		fmt.Fprintln(errOut, "缺少 --data 区级数据目录")
		fs.Usage()
		return 2
	}
	level := slog.LevelWarn
	if name == "serve" {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: level}))
	d, err := district.Open(*data, district.Options{Logger: log})
	if err != nil {
		fmt.Fprintln(errOut, district.Message(err))
		var de *district.Error
		if !errors.As(err, &de) || de.Err != nil {
			log.Error("open district", "err", err)
		}
		return 1
	}
	defer d.Close()
	return cmd.run(d, fs, pos, out, errOut)
}

func init() {
	commands = append(commands, []command{
		{"enroll", "enroll --data 目录 登记申请文件 [--out 信任文件]", "登记笔记本：显示指纹供核对，写出信任文件", runEnroll},
		{"revoke", "revoke --data 目录 设备编号 --reason 原因 [--by 处理人]", "停用丢失或退役的笔记本", nil},
		{"import", "import --data 目录 同步包...", "导入U盘带回的同步包，写出回执", runImport},
		{"drain", "drain --data 目录", "处理等待中的同步包（进程被中断后、数据库曾忙时）", runDrain},
		{"serve", "serve --data 目录 [--addr 127.0.0.1:8700] [--tls-cert 证书 --tls-key 私钥] [--api-addr 地址] [--insecure-http]", "启动服务：笔记本上传和区级工作台（浏览器）", nil},
		{"status", "status --data 目录", "设备、已收到的序号、等待和隔离的包、未处理的冲突", runStatus},
		{"resolve", "resolve --data 目录 记录编号 (--pick 版本编号 | --merged 文件.json) --by 处理人 --why 理由", "处理冲突", nil},
		{"roster", "roster --data 目录 名录文件.csv|.xlsx", "导入企业名录", runRoster},
		{"assign", "assign --data 目录 --device 设备编号 统一社会信用代码...", "把企业分配给笔记本", nil},
		{"export-down", "export-down --data 目录 --device 设备编号 --out 文件 [--resend 序号 | --all]", "为笔记本生成下发包（名录、分配、台帐进展）；--resend/--all 重发已生成的", nil},
		{"receipt", "receipt --data 目录 --device 设备编号 --out 文件", "为笔记本写出当前回执（U盘带回）", nil},
	}...)
	set := func(name string, f func(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int) {
		for i := range commands {
			if commands[i].name == name {
				commands[i].run = f
			}
		}
	}
	set("revoke", runRevoke)
	set("serve", runServe)
	set("resolve", runResolve)
	set("assign", runAssign)
	set("export-down", runExportDown)
	set("receipt", runReceipt)
	commands = append(commands, workbenchCommands...)
}

func runEnroll(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) != 1 {
		fs.Usage()
		return 2
	}
	req, err := sync.ReadSyncFile(args[0], sync.Limits{})
	if err != nil {
		return fail(d, errOut, "无法读取登记申请：", err)
	}
	trust, fp, err := d.Enroll(req)
	if err != nil {
		return fail(d, errOut, "登记失败：", err)
	}
	dest := flagString(fs, "out")
	if dest == "" {
		dest = strings.TrimSuffix(args[0], filepath.Ext(args[0])) + ".trust.zft"
	}
	if err := sync.WriteFileAtomic(dest, trust, 0o644); err != nil {
		return fileError(d, errOut, "无法写出信任文件", dest, err)
	}
	fmt.Fprintf(out, "设备指纹：%s\n请与笔记本屏幕上显示的指纹逐字核对，一致后把信任文件交给笔记本导入：\n%s\n", fp, dest)
	return 0
}

func flagString(fs *flag.FlagSet, name string) string {
	if f := fs.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

func runRevoke(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	reason, by := flagString(fs, "reason"), flagString(fs, "by")
	if len(args) != 1 || reason == "" {
		fs.Usage()
		return 2
	}
	if by == "" {
		by = cliActor
	}
	if err := d.Revoke(args[0], by, reason); err != nil {
		return fail(d, errOut, "停用失败：", err)
	}
	fmt.Fprintf(out, "已停用设备 %s；此后它发来的同步包将被隔离。停用不能撤销：笔记本找回后须换用新的设备身份重新登记\n", args[0])
	return 0
}

func runImport(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	ctx := context.Background()
	recoverAtStart(ctx, d, out)
	code := 0
	for _, p := range args {
		res := importWithRetry(ctx, d, p)
		if res.Receipt == nil {
			fmt.Fprintf(errOut, "%s：%s\n", filepath.Base(p), res.Message)
			code = 1
			continue
		}
		fmt.Fprintf(out, "%s：%s\n", filepath.Base(p), res.Message)
		if res.Decision == district.Quarantined {
			code = 1
		}
		rp := filepath.Join(filepath.Dir(p), fmt.Sprintf("receipt-%s.zfr", res.Device[:8]))
		if err := sync.WriteFileAtomic(rp, res.Receipt, 0o600); err != nil {
			fileError(d, errOut, "无法写出回执", rp, err)
			code = 1
			continue
		}
		fmt.Fprintf(out, "  回执：%s（交给笔记本导入）\n", rp)
	}
	return code
}

// importWithRetry imports one file (streamed: its signature is checked
// before it is read into memory), waiting and trying again while the
// district is busy (another process holds the database): a person at the
// USB stick gets an answer, not "try again".
func importWithRetry(ctx context.Context, d *district.District, path string) district.Result {
	wait := 200 * time.Millisecond
	deadline := time.Now().Add(5 * time.Minute)
	for {
		res := d.ImportFile(ctx, path)
		if res.Decision != district.Retry || time.Now().After(deadline) {
			return res
		}
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
}

// recoverAtStart finishes what a killed process left: stale upload files
// and backlog bundles that are next in line.
func recoverAtStart(ctx context.Context, d *district.District, out io.Writer) {
	rep, err := d.Recover(ctx)
	if rep.Applied > 0 || rep.Quarantined > 0 {
		fmt.Fprintf(out, "先处理等待中的同步包：合并 %d 个，隔离 %d 个\n", rep.Applied, rep.Quarantined)
	}
	if err != nil {
		fmt.Fprintf(out, "等待中的同步包暂未处理完（%s），稍后会再处理\n", district.Message(err))
	}
}

func runDrain(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) != 0 {
		fs.Usage()
		return 2
	}
	rep, err := d.Recover(context.Background())
	fmt.Fprintf(out, "合并 %d 个等待中的同步包，隔离 %d 个；仍在等待更早同步包的 %d 个\n", rep.Applied, rep.Quarantined, rep.Waiting)
	if err != nil {
		return fail(d, errOut, "未能处理完：", err)
	}
	return 0
}

// drainEvery drains the backlog on a timer until ctx ends: a drain that
// met a busy database, or bundles another process left next in line, are
// picked up without waiting for the next upload.
func drainEvery(ctx context.Context, d *district.District, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if rep, err := d.Drain(ctx); err != nil {
				d.Logger().Warn("periodic drain", "err", err)
			} else if rep.Applied+rep.Quarantined > 0 {
				d.Logger().Info("periodic drain", "applied", rep.Applied, "quarantined", rep.Quarantined)
			}
		}
	}
}

// fail prints what went wrong in Chinese (prefix and the error's message)
// and logs the internals behind it; it returns exit code 1.
func fail(d *district.District, errOut io.Writer, prefix string, err error) int {
	fmt.Fprintln(errOut, prefix+district.Message(err))
	what := strings.TrimSuffix(prefix, "：")
	var de *district.Error
	var se *storage.Error
	switch {
	case errors.As(err, &de):
		if de.Err != nil {
			d.Logger().Warn(what, "code", string(de.Code), "err", de.Err)
		}
	case errors.As(err, &se):
		if se.Err != nil {
			d.Logger().Warn(what, "err", se.Err)
		}
	default:
		d.Logger().Error(what, "err", err)
	}
	return 1
}

// fileError reports a file that cannot be read or written without the
// operating system's English message, which goes to the log.
func fileError(d *district.District, errOut io.Writer, what, path string, err error) int {
	why := "文件无法访问"
	switch {
	case errors.Is(err, os.ErrNotExist):
		why = "文件或目录不存在"
	case errors.Is(err, os.ErrPermission):
		why = "没有权限"
	}
	fmt.Fprintf(errOut, "%s %s：%s\n", what, path, why)
	d.Logger().Warn(what, "file", path, "err", err)
	return 1
}

func runServe(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	o := serveOptions{addr: flagString(fs, "addr"), apiAddr: flagString(fs, "api-addr"), cert: flagString(fs, "tls-cert"), key: flagString(fs, "tls-key"),
		insecure: flagString(fs, "insecure-http") == "true"}
	log := d.Logger()
	handler, wb, err := workbenchHandler(d, o, log, errOut)
	if err != nil {
		fmt.Fprintln(errOut, err)
		return 1
	}
	defer wb.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	recoverAtStart(ctx, d, out)
	go drainEvery(ctx, d, time.Minute)
	srv := district.NewServer(o.addr, handler, log)
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	scheme := "http"
	if o.cert != "" {
		scheme = "https"
		go func() { errc <- srv.ListenAndServeTLS(o.cert, o.key) }()
	} else {
		go func() { errc <- srv.ListenAndServe() }()
	}
	fmt.Fprintf(out, "%s 服务已启动：%s://%s （浏览器打开即为区级工作台）\n", d.Name(), scheme, o.addr)
	if o.apiAddr != "" {
		api := district.NewServer(o.apiAddr, apiOnly(handler), log)
		servers = append(servers, api)
		go func() { errc <- api.ListenAndServe() }()
		fmt.Fprintf(out, "笔记本上传地址（HTTP）：http://%s\n", o.apiAddr)
	}
	select {
	case err := <-errc:
		fmt.Fprintln(errOut, "服务意外停止（地址被占用、无权限或证书无法读取）")
		log.Error("serve", "err", err)
		return 1
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := 0
	for _, s := range servers {
		if err := s.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(errOut, "停止服务时仍有请求未完成")
			log.Warn("shutdown", "err", err)
			code = 1
		}
	}
	fmt.Fprintln(out, "服务已停止")
	return code
}

func runStatus(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	ctx := context.Background()
	devs, err := d.Devices(ctx)
	if err != nil {
		return fail(d, errOut, "", err)
	}
	fmt.Fprintf(out, "%s（密钥指纹 %s）\n", d.Name(), d.Fingerprint())
	printTrustStatus(ctx, d, out)
	fmt.Fprint(out, "\n设备：\n")
	for _, dv := range devs {
		state := "在用"
		if dv.Revoked != "" {
			state = "已停用：" + dv.RevokeReason
		}
		fmt.Fprintf(out, "  %s  %s（%s）%s  %s  等待 %d  隔离 %d", dv.ID, dv.Name, dv.Investigator, state, dv.SeqText(), dv.Backlog, dv.Quarantined)
		if dv.StoredBytes > 0 {
			fmt.Fprintf(out, "（共 %.1f MB）", float64(dv.StoredBytes)/(1<<20))
		}
		fmt.Fprintln(out)
	}
	cs, err := d.Conflicts(ctx)
	if err != nil {
		return fail(d, errOut, "", err)
	}
	fmt.Fprintf(out, "\n未处理的冲突：%d\n", len(cs))
	for _, c := range cs {
		kind := "软冲突（改了不同字段，可合并）"
		if c.Hard {
			kind = "硬冲突（同一字段改得不同）"
		}
		fmt.Fprintf(out, "  记录 %s（%s）%s\n", c.RecordID, c.Kind, kind)
		for i, h := range c.Heads {
			fmt.Fprintf(out, "    版本 %s  %s  %s  改动：%s\n", h.VersionID, h.Author, h.Created.Local().Format("2006-01-02 15:04"), strings.Join(c.Fields[i], "、"))
		}
	}
	return 0
}

func runResolve(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	pick, mergedPath, by, why := flagString(fs, "pick"), flagString(fs, "merged"), flagString(fs, "by"), flagString(fs, "why")
	if len(args) != 1 || (pick == "") == (mergedPath == "") {
		fs.Usage()
		return 2
	}
	var merged json.RawMessage
	if mergedPath != "" {
		b, err := readMerged(mergedPath)
		if err != nil {
			return fail(d, errOut, "无法读取合并内容：", err)
		}
		merged = b
	}
	v, err := d.Resolve(context.Background(), args[0], pick, merged, by, why)
	if err != nil {
		return fail(d, errOut, "处理失败：", err)
	}
	fmt.Fprintf(out, "已解决：记录 %s 的新版本 %s（处理人 %s）\n", args[0], v.VersionID, by)
	return 0
}

func runRoster(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	if len(args) != 1 {
		fs.Usage()
		return 2
	}
	f, err := os.Open(args[0])
	if err != nil {
		return fileError(d, errOut, "无法打开名录", args[0], err)
	}
	defer f.Close()
	rep, err := d.DB().ImportRoster(context.Background(), f, filepath.Base(args[0]), nil)
	printRosterReport(out, rep)
	if err != nil {
		return fail(d, errOut, "导入失败，名录未改动：", err)
	}
	fmt.Fprintln(out, rep.Summary(filepath.Base(args[0])))
	return 0
}

func runAssign(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	dev := flagString(fs, "device")
	if dev == "" || len(args) == 0 {
		fs.Usage()
		return 2
	}
	n, err := d.Assign(context.Background(), dev, args)
	if err != nil {
		return fail(d, errOut, "分配失败：", err)
	}
	fmt.Fprintf(out, "已分配 %d 家企业给设备 %s；用 export-down 生成下发包\n", n, dev)
	return 0
}

func runExportDown(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	dev, dest := flagString(fs, "device"), flagString(fs, "out")
	if dev == "" || dest == "" {
		fs.Usage()
		return 2
	}
	if flagString(fs, "resend") != "" || flagString(fs, "all") == "true" {
		return resendDown(d, fs, dev, dest, out, errOut)
	}
	data, n, err := d.ExportDown(context.Background(), dev)
	if err != nil {
		return fail(d, errOut, "生成下发包失败：", err)
	}
	if data == nil {
		fmt.Fprintln(out, "没有需要下发的新内容")
		return 0
	}
	if err := sync.WriteFileAtomic(dest, data, 0o644); err != nil {
		return fileError(d, errOut, "无法写出下发包", dest, err)
	}
	fmt.Fprintf(out, "已写出下发包 %s（%d 条记录）\n", dest, n)
	return 0
}

func runReceipt(d *district.District, fs *flag.FlagSet, args []string, out, errOut io.Writer) int {
	dev, dest := flagString(fs, "device"), flagString(fs, "out")
	if dev == "" || dest == "" {
		fs.Usage()
		return 2
	}
	r, err := d.Receipt(context.Background(), dev)
	if err != nil {
		return fail(d, errOut, "写出回执失败：", err)
	}
	if err := sync.WriteFileAtomic(dest, r, 0o600); err != nil {
		return fileError(d, errOut, "无法写出回执", dest, err)
	}
	fmt.Fprintf(out, "已写出回执 %s\n", dest)
	return 0
}
