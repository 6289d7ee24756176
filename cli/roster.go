package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"zoufang/storage"
)

func init() {
	register(Command{
		Name:    "roster",
		Summary: "企业名录：roster import --data 目录 文件（.csv/.xlsx）；roster search --data 目录 关键词",
		Run:     runRoster,
	})
}

func rosterUsage(w io.Writer) {
	fmt.Fprintln(w, "用法:")
	fmt.Fprintln(w, "  zoufang roster import --data 目录 名录文件.csv|.xlsx")
	fmt.Fprintln(w, "      导入企业名录（CSV 可为 UTF-8 或 GBK/GB18030），按统一社会信用代码新增或更新；")
	fmt.Fprintln(w, "      列出每一个未导入的行和原因。文件无法读取时名录不作任何改动。")
	fmt.Fprintln(w, "  zoufang roster search --data 目录 [--district 区市] [--street 镇街] [--industry 行业] [--limit N] [关键词]")
	fmt.Fprintln(w, "      按企业名称、拼音（全拼或首字母，如 hx）、统一社会信用代码查找企业。")
}

func runRoster(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) {
		rosterUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "import":
		return rosterImport(args[1:], stdout, stderr)
	case "search":
		return rosterSearch(args[1:], stdout, stderr)
	}
	return usageError(stderr, fmt.Sprintf("未知的 roster 子命令 %q", args[0]), rosterUsage)
}

func rosterImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("roster import", stderr, rosterUsage)
	data := fs.String("data", "", "数据目录")
	pos, code := parseArgs(fs, args, 1, 1)
	if code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", rosterUsage)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "无法打开名录文件：%v\n", err)
		return 1
	}
	defer f.Close()
	_, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	last := -1
	rep, err := db.ImportRoster(context.Background(), f, filepath.Base(pos[0]), func(done, total int) {
		if total == 0 {
			fmt.Fprintf(stderr, "\r导入中 %d 行", done)
			last = 0
			return
		}
		if pct := done * 100 / total; pct/10 != last/10 {
			last = pct
			fmt.Fprintf(stderr, "\r导入中 %d/约 %d 行（%d%%）", done, total, pct)
		}
	})
	if last >= 0 {
		fmt.Fprintln(stderr)
	}
	printRosterReport(stdout, rep)
	if err != nil {
		fmt.Fprintf(stderr, "导入失败，名录未改动：%s\n", storage.ErrorMessage(err))
		return 1
	}
	fmt.Fprintln(stdout, rep.Summary(filepath.Base(pos[0])))
	return 0
}

func rosterSearch(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("roster search", stderr, rosterUsage)
	data := fs.String("data", "", "数据目录")
	var q storage.EnterpriseQuery
	fs.StringVar(&q.District, "district", "", "所属区市")
	fs.StringVar(&q.Street, "street", "", "镇街")
	fs.StringVar(&q.Industry, "industry", "", "行业")
	fs.IntVar(&q.Limit, "limit", 50, "最多显示几家（0 为不限）")
	pos, code := parseArgs(fs, args, 0, -1)
	if code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", rosterUsage)
	}
	q.Text = strings.Join(pos, " ")
	_, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	found, err := db.SearchEnterprises(context.Background(), q)
	if err != nil {
		fmt.Fprintf(stderr, "查找失败：%s\n", storage.ErrorMessage(err))
		return 1
	}
	for _, e := range found {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\n", e.USCC, e.Name, e.District, e.Street, e.Industry)
	}
	fmt.Fprintf(stderr, "共 %d 家\n", len(found))
	return 0
}

// printRosterReport lists the rejected rows, then the cells that could not
// be read.
func printRosterReport(w io.Writer, rep storage.ImportReport) {
	for _, l := range rep.Details() {
		fmt.Fprintln(w, l)
	}
}
