// Command zoufang is the visit team's laptop application: without arguments
// it starts the GUI; with a subcommand (zoufang help) it runs that instead.
package main

import (
	"flag"
	"fmt"
	"os"

	_ "boot.zoufang/locale" // before Fyne reads the locale; see its doc

	"zoufang/app"
	"zoufang/cli"
)

func main() {
	if len(os.Args) > 1 && cli.Has(os.Args[1]) {
		attachConsole()
		os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
	}
	fs := flag.NewFlagSet("zoufang", flag.ContinueOnError)
	data := fs.String("data", defaultDataDir(), "数据目录（内含 zoufang.db 与本机密钥）")
	demo := fs.Bool("demo", false, "数据为空时填入演示数据")
	shot := fs.String("screenshot", "", "绘制首屏后保存为 PNG 文件并退出")
	page := fs.String("screenshot-page", "", "截图的页面：home、roster、ledger、settings、sync、visit、returned（区总工会退回修改的走访记录）或 long-answer（粘贴过长的诉求内容被拒绝）")
	size := fs.String("window", "", "窗口大小，例如 1024x600（默认按屏幕大小）")
	if err := fs.Parse(os.Args[1:]); err != nil {
		attachConsole()
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		attachConsole()
		fmt.Fprintf(os.Stderr, "未知命令 %q，运行 zoufang help 查看可用命令\n", fs.Arg(0))
		os.Exit(2)
	}
	if *shot != "" {
		attachConsole() // the screenshot mode reports timings on stderr
	}
	if err := app.Run(app.Options{DataDir: *data, Demo: *demo, Screenshot: *shot, ScreenshotPage: *page, WindowSize: *size}); err != nil {
		attachConsole()
		fmt.Fprintln(os.Stderr, "启动失败:", err)
		os.Exit(1)
	}
}
