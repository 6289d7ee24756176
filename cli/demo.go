package cli

import (
	"context"
	"fmt"
	"io"

	"zoufang/storage"
)

func init() {
	register(Command{
		Name:    "demo",
		Summary: "填入演示数据（虚构的企业名录和几份走访记录）：demo --data 目录",
		Run:     runDemo,
	})
}

func demoUsage(w io.Writer) {
	fmt.Fprintln(w, "用法: zoufang demo --data 目录")
	fmt.Fprintln(w, "  在空的数据目录中填入虚构的演示名录、各种状态的走访记录、台帐和问卷；名录不为空时不作改动。")
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr, demoUsage)
	data := fs.String("data", "", "数据目录")
	if _, code := parseArgs(fs, args, 0, 0); code >= 0 {
		return code
	}
	if *data == "" {
		return usageError(stderr, "缺少 --data 数据目录", demoUsage)
	}
	_, db, err := openData(*data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	ctx := context.Background()
	before, err := db.EnterpriseCount(ctx)
	if err == nil {
		err = storage.FillDemo(ctx, db)
	}
	if err != nil {
		fmt.Fprintf(stderr, "填入演示数据失败：%s\n", storage.ErrorMessage(err))
		return 1
	}
	if before > 0 {
		fmt.Fprintf(stdout, "名录中已有 %d 家企业，未填入演示数据\n", before)
		return 0
	}
	n, _ := db.EnterpriseCount(ctx)
	fmt.Fprintf(stdout, "已填入演示数据：%d 家企业\n", n)
	return 0
}
