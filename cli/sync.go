package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"zoufang/sync"
	"zoufang/sync/laptop"
)

func init() {
	register(Command{
		Name:    "sync",
		Summary: "与区总工会同步：sync export --out 文件|目录 | push | import 文件... | status",
		Run:     runSync,
	})
}

func syncUsage(w io.Writer) {
	fmt.Fprintln(w, "用法:")
	fmt.Fprintln(w, "  zoufang sync export --data 目录 --out 文件|目录  把尚未送达的数据导出为同步包（U盘）")
	fmt.Fprintln(w, "  zoufang sync push   --data 目录 [--timeout 10m]  通过网络同步：上传本机数据，并取回区总工会下发的内容")
	fmt.Fprintln(w, "  zoufang sync import --data 目录 文件...          导入回执、区总工会下发包或信任文件")
	fmt.Fprintln(w, "  zoufang sync status --data 目录                  显示每个同步包是否已送达")
}

func runSync(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) {
		syncUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "export":
		return syncExport(args[1:], stdout, stderr)
	case "push":
		return syncPush(args[1:], stdout, stderr)
	case "import":
		return syncImport(args[1:], stdout, stderr)
	case "status":
		return syncStatus(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "未知的 sync 子命令 %q\n", args[0])
	syncUsage(stderr)
	return 2
}

func syncExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sync export", stderr, syncUsage)
	data := fs.String("data", "", "数据目录")
	out := fs.String("out", "", "同步包文件或目录")
	if _, code := parseArgs(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *data == "" || *out == "" {
		return usageError(stderr, "需要 --data 数据目录 和 --out 文件或目录", syncUsage)
	}
	l, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	res, files, err := l.ExportTo(context.Background(), db, *out, nil)
	if errors.Is(err, laptop.ErrSeveral) {
		fmt.Fprintf(stderr, "有 %d 个待送达的同步包，请用 --out 指定一个已存在的目录（例如U盘）\n", len(res.Pending))
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "导出失败：", err)
		return 1
	}
	if len(files) == 0 {
		fmt.Fprintln(stdout, "没有需要发送的数据：全部数据已送达区总工会")
		return 0
	}
	for i, f := range files {
		b := res.Pending[i]
		fmt.Fprintf(stdout, "已导出第 %d 号同步包（%d 条记录）：%s\n", b.Seq, b.Versions, f)
	}
	fmt.Fprintln(stdout, "请把同步包交给区总工会，并把区总工会给的回执导入本机（zoufang sync import）。")
	return 0
}

func syncPush(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sync push", stderr, syncUsage)
	data := fs.String("data", "", "数据目录")
	timeout := fs.Duration("timeout", 10*time.Minute, "每个同步包的上传时限")
	if _, code := parseArgs(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", syncUsage)
	}
	l, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	client := &http.Client{Timeout: *timeout}
	res, err := l.Push(context.Background(), db, client, func(done, total int) {
		if done < total {
			fmt.Fprintf(stdout, "正在上传 %d/%d ……\n", done+1, total)
		}
	})
	if err != nil {
		if res.Sent > 0 {
			fmt.Fprintln(stdout, res.Message())
		}
		fmt.Fprintln(stderr, "同步没有完成：", err)
		return 1
	}
	fmt.Fprintln(stdout, res.Message())
	return 0
}

func syncImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sync import", stderr, syncUsage)
	data := fs.String("data", "", "数据目录")
	files, code := parseArgs(fs, args, 1, -1)
	if code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", syncUsage)
	}
	l, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	failed := false
	fail := func(name string, err error) {
		fmt.Fprintf(stderr, "%s：%v\n", name, err)
		failed = true
	}
	// Trust files first (receipts and down bundles may be signed by the
	// district key they announce), then down bundles in seq order (they
	// apply one after the other), then receipts. Bundles are read one at
	// a time when their turn comes; every file with its size limit.
	type item struct {
		name string
		seq  uint64
		data []byte
	}
	var trusts, bundles, others []item
	for _, name := range files {
		if h, err := sync.PeekHeader(name); err == nil {
			bundles = append(bundles, item{name: name, seq: h.Seq})
			continue
		}
		b, err := sync.ReadSyncFile(name, sync.Limits{})
		if err != nil {
			fail(name, err)
			continue
		}
		if sync.SniffFile(b) == sync.FileTrust {
			trusts = append(trusts, item{name: name, data: b})
		} else {
			others = append(others, item{name: name, data: b})
		}
	}
	if len(trusts) > 0 {
		var datas [][]byte
		var names []string
		for _, t := range trusts {
			datas, names = append(datas, t.data), append(names, t.name)
		}
		t, changed, err := l.AcceptTrustFiles(datas)
		if err != nil {
			fail(strings.Join(names, "、"), err)
		} else {
			msg := laptop.ImportResult{Kind: sync.FileTrust, Trust: t, TrustChanged: changed}.Message()
			fmt.Fprintf(stdout, "%s：%s\n", strings.Join(names, "、"), msg)
		}
	}
	sort.SliceStable(bundles, func(i, j int) bool { return bundles[i].seq < bundles[j].seq })
	for _, it := range append(bundles, others...) {
		b := it.data
		if b == nil {
			if b, err = sync.ReadSyncFile(it.name, sync.Limits{}); err != nil {
				fail(it.name, err)
				continue
			}
		}
		res, err := l.Import(context.Background(), db, b)
		if err != nil {
			fail(it.name, err)
			continue
		}
		fmt.Fprintf(stdout, "%s：%s\n", it.name, res.Message())
	}
	if failed {
		return 1
	}
	return 0
}

func syncStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sync status", stderr, syncUsage)
	data := fs.String("data", "", "数据目录")
	if _, code := parseArgs(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", syncUsage)
	}
	l, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	st, err := l.State(context.Background(), db)
	if err != nil {
		fmt.Fprintln(stderr, "无法读取同步状态：", err)
		return 1
	}
	fmt.Fprintf(stdout, "设备编号：%s\n设备指纹：%s\n", st.DeviceID, st.Fingerprint)
	if st.Trust != nil {
		fmt.Fprintf(stdout, "区总工会：%s（信任文件第 %d 版，有效期至 %s）\n", st.Trust.District, st.Trust.Version, st.Trust.Expires.Local().Format("2006-01-02"))
	}
	if st.TrustWarning != "" {
		fmt.Fprintln(stdout, "注意："+st.TrustWarning)
	}
	fmt.Fprintln(stdout, st.Summary())
	if st.Unsent > 0 {
		fmt.Fprintf(stdout, "尚未打包的记录：%d 条（导出或上传时会打包）\n", st.Unsent)
	}
	for _, b := range st.Bundles {
		fmt.Fprintf(stdout, "第 %d 号同步包  %s  %d 条记录  %s\n", b.Seq, b.Created.Local().Format("2006-01-02 15:04"), b.Versions, b.Stage().Label())
	}
	if st.DownBundles > 0 {
		fmt.Fprintf(stdout, "已导入区总工会下发包：%d 个\n", st.DownBundles)
	}
	return 0
}
