package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"zoufang/assets"
	"zoufang/survey"
)

func init() {
	register(Command{
		Name:    "forms",
		Summary: "检查表单定义：forms check [文件...]（不带文件则检查内置表单）",
		Run:     runForms,
	})
}

func formsUsage(w io.Writer) {
	fmt.Fprintln(w, "用法: zoufang forms check [文件.json ...]")
	fmt.Fprintln(w, "  检查表单定义文件；每个文件通过时输出“通过”，否则列出每个问题（文件、字段、说明）并以状态 1 退出。")
	fmt.Fprintln(w, "  不带文件时检查程序内置的表单。")
}

func runForms(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		formsUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "check" {
		fmt.Fprintf(stderr, "未知的 forms 子命令 %q\n", args[0])
		formsUsage(stderr)
		return 2
	}
	fs := flag.NewFlagSet("forms check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { formsUsage(stderr) }
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		return checkEmbeddedForms(stdout, stderr)
	}
	failed := false
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "%s: 无法读取文件：%v\n", name, err)
			failed = true
			continue
		}
		f, err := survey.ParseForm(data)
		if err != nil {
			printDefinitionError(stderr, name, err)
			failed = true
			continue
		}
		fmt.Fprintf(stdout, "%s: 通过（%s，第 %d 版，%s）\n", name, f.ID, f.Version, f.Title)
	}
	if failed {
		return 1
	}
	return 0
}

// checkEmbeddedForms checks the definitions built into the binary, together,
// as the application loads them at start-up.
func checkEmbeddedForms(stdout, stderr io.Writer) int {
	set, err := survey.LoadForms(assets.Forms())
	if err != nil {
		var errs survey.DefinitionErrors
		if errors.As(err, &errs) {
			for _, de := range errs {
				printDefinitionError(stderr, filepath.Join("内置表单", de.File), de)
			}
		} else {
			fmt.Fprintf(stderr, "内置表单：%v\n", err)
		}
		return 1
	}
	for _, f := range set.All() {
		fmt.Fprintf(stdout, "内置表单 %s.v%d.json: 通过（%s）\n", f.ID, f.Version, f.Title)
	}
	return 0
}

// printDefinitionError writes one line per problem: file, field, message.
func printDefinitionError(w io.Writer, file string, err error) {
	var de *survey.DefinitionError
	if !errors.As(err, &de) {
		fmt.Fprintf(w, "%s: %v\n", file, err)
		return
	}
	for _, p := range de.Problems {
		if p.Path == "" {
			fmt.Fprintf(w, "%s: %s\n", file, p.Message)
		} else {
			fmt.Fprintf(w, "%s: 字段 %s: %s\n", file, p.Path, p.Message)
		}
	}
}
