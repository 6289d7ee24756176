package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"zoufang/storage"
	"zoufang/sync"
	"zoufang/sync/laptop"
)

func init() {
	register(Command{
		Name:    "device",
		Summary: "本机设备身份：device show | request --out 文件 | trust 信任文件",
		Run:     runDevice,
	})
}

func deviceUsage(w io.Writer) {
	fmt.Fprintln(w, "用法:")
	fmt.Fprintln(w, "  zoufang device show    --data 目录              显示设备编号和设备指纹")
	fmt.Fprintln(w, "  zoufang device request --data 目录 --out 文件   生成登记申请文件，交给区总工会")
	fmt.Fprintln(w, "         [--name 设备名称] [--investigator 姓名] [--district 区总工会]（默认取本机调查员资料）")
	fmt.Fprintln(w, "  zoufang device trust   --data 目录 信任文件...  导入区总工会签发的信任文件（可一次给出多个版本）")
}

func runDevice(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) {
		deviceUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "show":
		return deviceShow(args[1:], stdout, stderr)
	case "request":
		return deviceRequest(args[1:], stdout, stderr)
	case "trust":
		return deviceTrust(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "未知的 device 子命令 %q\n", args[0])
	deviceUsage(stderr)
	return 2
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "help" }

func deviceShow(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("device show", stderr, deviceUsage)
	data := fs.String("data", "", "数据目录")
	if _, code := parseArgs(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", deviceUsage)
	}
	l, err := laptop.Open(*data, laptop.Options{Now: clock})
	if err != nil {
		fmt.Fprintln(stderr, "无法读取设备身份：", err)
		return 1
	}
	fmt.Fprintf(stdout, "设备编号：%s\n设备指纹：%s\n", l.DeviceID(), l.Fingerprint())
	printTrust(stdout, l)
	return 0
}

// printTrust shows the stored trust file, if any.
func printTrust(w io.Writer, l *laptop.Laptop) {
	t, err := l.Trust()
	if err != nil {
		fmt.Fprintln(w, "区总工会：", err)
		return
	}
	fmt.Fprintf(w, "区总工会：%s（信任文件第 %d 版，有效期至 %s）\n", t.District, t.Version, t.Expires.Local().Format("2006-01-02"))
	fmt.Fprintf(w, "区总工会指纹：%s\n", t.Keys.Fingerprint())
	if t.ServerURL != "" {
		fmt.Fprintf(w, "服务器：%s\n", t.ServerURL)
	} else {
		fmt.Fprintln(w, "服务器：无（只能用U盘传送）")
	}
	if err := t.Valid(l.Now()); err != nil {
		fmt.Fprintln(w, "注意：", err)
	} else if warn := laptop.TrustWarning(t, l.Now()); warn != "" {
		fmt.Fprintln(w, "注意："+warn)
	}
}

func deviceRequest(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("device request", stderr, deviceUsage)
	data := fs.String("data", "", "数据目录")
	out := fs.String("out", "", "登记申请文件")
	name := fs.String("name", "", "设备名称")
	who := fs.String("investigator", "", "走访人员姓名")
	district := fs.String("district", "", "区总工会")
	if _, code := parseArgs(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *data == "" || *out == "" {
		return usageError(stderr, "需要 --data 数据目录 和 --out 文件", deviceUsage)
	}
	l, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	ctx := context.Background()
	fill := func(dst *string, key string) {
		if *dst == "" {
			if v, err := db.Setting(ctx, key); err == nil {
				*dst = strings.TrimSpace(v)
			}
		}
	}
	fill(who, "profile.name")
	fill(district, "profile.district")
	if *who == "" {
		return usageError(stderr, "请用 --investigator 填写走访人员姓名（或先在图形界面完成首次设置）", deviceUsage)
	}
	if *name == "" {
		*name = *who + "的笔记本"
	}
	req, err := l.Request(laptop.Who{DeviceName: *name, Investigator: *who, District: *district})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := sync.WriteFileAtomic(*out, req, 0o644); err != nil {
		fmt.Fprintf(stderr, "无法写入 %s：%v\n", *out, err)
		return 1
	}
	fmt.Fprintf(stdout, "已生成登记申请：%s\n请交给区总工会，并当面核对设备指纹：%s\n", *out, l.Fingerprint())
	return 0
}

func deviceTrust(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("device trust", stderr, deviceUsage)
	data := fs.String("data", "", "数据目录")
	files, code := parseArgs(fs, args, 1, -1)
	if code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", deviceUsage)
	}
	var datas [][]byte
	for _, name := range files {
		b, err := sync.ReadSyncFile(name, sync.Limits{})
		if err != nil {
			fmt.Fprintf(stderr, "%s：%v\n", name, err)
			return 1
		}
		datas = append(datas, b)
	}
	l, err := laptop.Open(*data, laptop.Options{Now: clock})
	if err != nil {
		fmt.Fprintln(stderr, "无法读取设备身份：", err)
		return 1
	}
	_, changed, err := l.AcceptTrustFiles(datas)
	if err != nil {
		fmt.Fprintf(stderr, "%s：%v\n", strings.Join(files, "、"), err)
		return 1
	}
	if changed {
		fmt.Fprintln(stdout, "已导入信任文件。")
	} else {
		fmt.Fprintln(stdout, "信任文件与本机已有的相同，没有变化。")
	}
	printTrust(stdout, l)
	return 0
}

// openData opens the device identity and the database of a data directory.
func openData(dir string) (*laptop.Laptop, *storage.DB, error) {
	l, err := laptop.Open(dir, laptop.Options{Now: clock})
	if err != nil {
		return nil, nil, fmt.Errorf("无法读取设备身份：%w", err)
	}
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: l.DeviceID()})
	if err != nil {
		return nil, nil, fmt.Errorf("无法打开数据库：%s", storage.ErrorMessage(err))
	}
	return l, db, nil
}

// newFlags returns a flag set that prints usage to stderr.
func newFlags(name string, stderr io.Writer, usage func(io.Writer)) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stderr) }
	return fs
}

// parseArgs parses flags that may come before or after the positional
// arguments and checks their count (max < 0: any). It returns the positional
// arguments and -1, or an exit code to return at once.
func parseArgs(fs *flag.FlagSet, args []string, minN, maxN int) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, 0
			}
			return nil, 2
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minN || (maxN >= 0 && len(pos) > maxN) {
		fmt.Fprintf(fs.Output(), "参数个数不对：%s\n", strings.Join(pos, " "))
		fs.Usage()
		return nil, 2
	}
	return pos, -1
}

// usageError prints msg and the usage, and returns exit code 2.
func usageError(stderr io.Writer, msg string, usage func(io.Writer)) int {
	fmt.Fprintln(stderr, msg)
	usage(stderr)
	return 2
}
