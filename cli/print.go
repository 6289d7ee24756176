package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"zoufang/report"
	"zoufang/report/source"
	"zoufang/storage"
	"zoufang/survey"
)

func init() {
	register(Command{
		Name:    "print",
		Summary: "打印走访记录表（PDF）：print --data 目录 --visit 编号 --out 文件.pdf，或 --all --out 目录|文件.pdf",
		Run:     runPrint,
	})
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "用法: zoufang print --data 目录 --visit 记录编号 --out 文件.pdf")
	fmt.Fprintln(w, "      zoufang print --data 目录 --all [--drafts] --out 目录|文件.pdf")
	fmt.Fprintln(w, "  --all 打印全部已完成和已签字的走访记录（--drafts 连草稿一起）；")
	fmt.Fprintln(w, "  --out 以 .pdf 结尾时合并为一个文件（每份记录从新的一页开始），否则在该目录中每份记录一个文件。")
	fmt.Fprintln(w, "      zoufang print --data 目录 --summary [--enterprise 企业编号] --out 文件.pdf")
	fmt.Fprintln(w, "  --summary 打印满意度测评问卷汇总表（每家有问卷的企业一页：份数、知晓率、参与率、满意率、企业认可度和图示）。")
}

// readData opens the database of an existing data directory for reading
// (no device identity is created) with the forms and campaign in force:
// the built-in ones and those the district sent.
func readData(dir string) (*storage.DB, *survey.FormSet, *survey.Campaign, error) {
	if _, err := os.Stat(filepath.Join(dir, "zoufang.db")); err != nil {
		return nil, nil, nil, fmt.Errorf("数据目录 %s 中没有数据库 zoufang.db", dir)
	}
	db, err := storage.OpenDir(dir, storage.Options{})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("无法打开数据库：%s", storage.ErrorMessage(err))
	}
	reg := storage.NewRegistry(db)
	forms, err := reg.Forms(context.Background())
	if err == nil {
		var camp *survey.Campaign
		if camp, err = reg.Campaign(context.Background()); err == nil {
			return db, forms, camp, nil
		}
	}
	db.Close()
	return nil, nil, nil, fmt.Errorf("无法读取表单和活动配置：%s", storage.ErrorMessage(err))
}

func runPrint(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("print", stderr, printUsage)
	data := fs.String("data", "", "数据目录")
	visitID := fs.String("visit", "", "走访记录编号")
	all := fs.Bool("all", false, "打印全部走访记录")
	drafts := fs.Bool("drafts", false, "与 --all 一起使用时包括草稿")
	out := fs.String("out", "", "输出文件或目录")
	summary := fs.Bool("summary", false, "打印问卷汇总表")
	enterprise := fs.String("enterprise", "", "与 --summary 一起使用：只打印这家企业")
	if _, code := parseArgs(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *summary {
		return printSummary(*data, *enterprise, *out, stdout, stderr)
	}
	switch {
	case *data == "":
		return usageError(stderr, "缺少 --data 数据目录", printUsage)
	case *out == "":
		return usageError(stderr, "缺少 --out 输出文件", printUsage)
	case (*visitID == "") == !*all:
		return usageError(stderr, "请指定 --visit 记录编号 或 --all（二者选一）", printUsage)
	case *visitID != "" && !isPDFName(*out):
		return usageError(stderr, "--out 应为 .pdf 文件", printUsage)
	}
	db, forms, camp, err := readData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	ctx := context.Background()
	var visits []survey.Visit
	if *visitID != "" {
		v, err := db.Visit(ctx, *visitID)
		if err != nil {
			fmt.Fprintf(stderr, "找不到走访记录 %s：%s\n", *visitID, storage.ErrorMessage(err))
			return 1
		}
		visits = []survey.Visit{v}
	} else {
		vs, err := db.Visits(ctx, storage.VisitFilter{})
		if err != nil {
			fmt.Fprintf(stderr, "读取走访记录失败：%s\n", storage.ErrorMessage(err))
			return 1
		}
		for _, v := range vs {
			if v.Status != survey.VisitDraft || *drafts {
				visits = append(visits, v)
			}
		}
		if len(visits) == 0 {
			fmt.Fprintln(stderr, "没有可打印的走访记录")
			return 1
		}
	}
	n, err := printVisits(ctx, db, forms, camp.Name, visits, *out, time.Now(), stderr)
	if err != nil {
		fmt.Fprintf(stderr, "打印失败：%s\n", storage.ErrorMessage(err))
		return 1
	}
	fmt.Fprintf(stdout, "已生成 %d 份走访记录表：%s\n", n, *out)
	return 0
}

func isPDFName(p string) bool { return strings.EqualFold(filepath.Ext(p), ".pdf") }

// printVisits writes the visits to one PDF (out ends in .pdf) or one PDF
// per visit in directory out, reporting progress on progress.
func printVisits(ctx context.Context, db *storage.DB, forms *survey.FormSet, campaign string, visits []survey.Visit, out string, today time.Time, progress io.Writer) (int, error) {
	show := func(done, total int) {
		if len(visits) > 1 {
			fmt.Fprintf(progress, "\r已读取 %d/%d 份记录", done, total)
		}
	}
	recs, err := source.VisitRecords(ctx, db, forms, campaign, visits, today, show)
	if err != nil {
		return 0, err
	}
	if len(visits) > 1 {
		fmt.Fprintln(progress)
	}
	if isPDFName(out) {
		if err := report.WriteFileAtomic(out, func(w io.Writer) error { return report.WriteVisitPDF(w, recs...) }); err != nil {
			return 0, err
		}
		return len(recs), nil
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return 0, fmt.Errorf("print: %w", err)
	}
	for i, rec := range recs {
		name := fmt.Sprintf("走访记录表-%s-%s.pdf", fileSafe(rec.Enterprise.Name), fileSafe(rec.Visit.ID))
		if err := report.WriteFileAtomic(filepath.Join(out, name), func(w io.Writer) error { return report.WriteVisitPDF(w, rec) }); err != nil {
			return i, err
		}
		fmt.Fprintf(progress, "\r已生成 %d/%d 份", i+1, len(recs))
	}
	fmt.Fprintln(progress)
	return len(recs), nil
}

// fileSafe replaces characters not allowed in file names.
func fileSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>:"/\|?*`, r) || r < 32 {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return "未命名"
	}
	return s
}

// printSummary writes the questionnaire summary PDF of one enterprise, or
// of every enterprise with responses.
func printSummary(data, enterpriseID, out string, stdout, stderr io.Writer) int {
	switch {
	case data == "":
		return usageError(stderr, "缺少 --data 数据目录", printUsage)
	case !isPDFName(out):
		return usageError(stderr, "--out 应为 .pdf 文件", printUsage)
	}
	db, forms, camp, err := readData(data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	ctx := context.Background()
	rs, err := db.Responses(ctx, storage.ResponseFilter{EnterpriseID: enterpriseID})
	if err != nil {
		fmt.Fprintf(stderr, "读取问卷失败：%s\n", storage.ErrorMessage(err))
		return 1
	}
	byEnt := map[string][]survey.Response{}
	var ids []string
	for _, r := range rs {
		if _, seen := byEnt[r.EnterpriseID]; !seen {
			ids = append(ids, r.EnterpriseID)
		}
		byEnt[r.EnterpriseID] = append(byEnt[r.EnterpriseID], r)
	}
	if len(ids) == 0 {
		fmt.Fprintln(stderr, "没有问卷，无法生成汇总表")
		return 1
	}
	ents, err := source.Enterprises(ctx, db, ids)
	if err != nil {
		fmt.Fprintf(stderr, "读取企业失败：%s\n", storage.ErrorMessage(err))
		return 1
	}
	sort.Slice(ids, func(i, j int) bool { return ents[ids[i]].Name < ents[ids[j]].Name })
	today := time.Now()
	sums := make([]report.Summary, len(ids))
	for i, id := range ids {
		sums[i] = report.Summary{Enterprise: ents[id], Campaign: camp.Name, Rates: survey.ComputeRates(byEnt[id]), Today: today, Forms: forms}
	}
	if err := report.WriteFileAtomic(out, func(w io.Writer) error { return report.WriteSummaryPDF(w, sums...) }); err != nil {
		fmt.Fprintf(stderr, "生成汇总表失败：%s\n", storage.ErrorMessage(err))
		return 1
	}
	fmt.Fprintf(stdout, "已生成 %d 家企业的问卷汇总表：%s\n", len(sums), out)
	return 0
}
