package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"zoufang/report"
	"zoufang/report/source"
	"zoufang/storage"
	"zoufang/survey"
)

func init() {
	register(Command{
		Name:    "export",
		Summary: "导出 Excel：export ledger|visits|responses --data 目录 --out 文件.xlsx",
		Run:     runExport,
	})
}

func exportUsage(w io.Writer) {
	fmt.Fprintln(w, "用法: zoufang export ledger|visits|responses --data 目录 --out 文件.xlsx")
	fmt.Fprintln(w, "  ledger     工作台帐（每项一行，含逾期天数和最新跟进）")
	fmt.Fprintln(w, "  visits     走访记录（每份一行，职工诉求在第二个工作表）")
	fmt.Fprintln(w, "  responses  满意度测评问卷及按企业、按区市统计的知晓率、参与率、满意率、企业认可度")
}

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", stderr, exportUsage)
	data := fs.String("data", "", "数据目录")
	out := fs.String("out", "", "输出的 .xlsx 文件")
	pos, code := parseArgs(fs, args, 1, 1)
	if code >= 0 {
		return code
	}
	what := pos[0]
	switch {
	case what != "ledger" && what != "visits" && what != "responses":
		return usageError(stderr, fmt.Sprintf("未知的导出内容 %q", what), exportUsage)
	case *data == "":
		return usageError(stderr, "缺少 --data 数据目录", exportUsage)
	case *out == "" || !strings.EqualFold(filepath.Ext(*out), ".xlsx"):
		return usageError(stderr, "--out 应为 .xlsx 文件", exportUsage)
	}
	db, forms, _, err := readData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	n, err := export(context.Background(), db, forms, what, *out, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "导出失败：%s\n", storage.ErrorMessage(err))
		return 1
	}
	fmt.Fprintf(stdout, "已导出 %d 行：%s\n", n, *out)
	return 0
}

// export writes one workbook and returns the number of data rows.
func export(ctx context.Context, db *storage.DB, forms *survey.FormSet, what, out string, today time.Time) (int, error) {
	var (
		ids   []string
		n     int
		write func(w io.Writer, ents map[string]survey.Enterprise) error
	)
	switch what {
	case "ledger":
		items, err := db.LedgerItems(ctx, storage.LedgerFilter{})
		if err != nil {
			return 0, err
		}
		for _, it := range items {
			ids = append(ids, it.EnterpriseID)
		}
		n = len(items)
		write = func(w io.Writer, ents map[string]survey.Enterprise) error {
			return report.WriteLedgerXLSX(w, items, ents, forms, today)
		}
	case "visits":
		vs, err := db.Visits(ctx, storage.VisitFilter{})
		if err != nil {
			return 0, err
		}
		for _, v := range vs {
			ids = append(ids, v.EnterpriseID)
		}
		n = len(vs)
		write = func(w io.Writer, ents map[string]survey.Enterprise) error {
			return report.WriteVisitsXLSX(w, vs, ents, forms, today)
		}
	default:
		rs, err := db.Responses(ctx, storage.ResponseFilter{})
		if err != nil {
			return 0, err
		}
		for _, r := range rs {
			ids = append(ids, r.EnterpriseID)
		}
		n = len(rs)
		write = func(w io.Writer, ents map[string]survey.Enterprise) error {
			return report.WriteResponsesXLSX(w, rs, ents, forms)
		}
	}
	ents, err := source.Enterprises(ctx, db, ids)
	if err != nil {
		return 0, err
	}
	return n, report.WriteFileAtomic(out, func(w io.Writer) error { return write(w, ents) })
}
