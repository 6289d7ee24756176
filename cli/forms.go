package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"zoufang/assets"
	"zoufang/report"
	"zoufang/survey"
	"zoufang/survey/xlsform"
)

func init() {
	register(Command{
		Name:    "forms",
		Summary: "表单：forms check [文件...] | forms import 文件.xlsx --out 目录 | forms export 表单 --out 文件.xlsx",
		Run:     runForms,
	})
}

func formsUsage(w io.Writer) {
	fmt.Fprintln(w, "用法: zoufang forms check [文件.json|文件.xlsx ...]")
	fmt.Fprintln(w, "  检查表单定义文件或 XLSForm 工作簿；每个文件通过时输出“通过”，否则列出每个问题（文件、字段或单元格、说明）并以状态 1 退出。")
	fmt.Fprintln(w, "  不带文件时检查程序内置的表单。")
	fmt.Fprintln(w, "      zoufang forms import 文件.xlsx --out 目录")
	fmt.Fprintln(w, "  把 XLSForm 工作簿（survey、choices、settings 工作表）转换为表单定义 目录/<编号>.v<版本>.json。")
	fmt.Fprintln(w, "  有问题时列出工作表、行、列和说明，不写任何文件。目录中（或程序内置）已有同一表单时，")
	fmt.Fprintln(w, "  新版本号必须更大，且不能删除题目、改变题型或删除选项（已收集的答案会无处对应）。")
	fmt.Fprintln(w, "      zoufang forms export 表单 --out 文件.xlsx")
	fmt.Fprintln(w, "  把表单定义写成 XLSForm 工作簿，供在 Excel 中修改。表单为 .json 文件，或内置表单的编号")
	fmt.Fprintln(w, "  （visit、worker_questionnaire、enterprise_questionnaire，可加版本如 visit.v1）。")
}

func runForms(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		formsUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "check":
	case "import":
		return formsImport(args[1:], stdout, stderr)
	case "export":
		return formsExport(args[1:], stdout, stderr)
	default:
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
		data, err := readInput(name)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			failed = true
			continue
		}
		if strings.EqualFold(filepath.Ext(name), ".xlsx") {
			res := xlsform.Parse(data, filepath.Base(name))
			printNotes(stdout, name, res.Notes)
			if len(res.Problems) > 0 {
				printProblems(stderr, name, res.Problems)
				failed = true
				continue
			}
			fmt.Fprintf(stdout, "%s: 通过（%s，第 %d 版，%s）\n", name, res.Form.ID, res.Form.Version, res.Form.Title)
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

// readInput reads a form file given on the command line, refusing files
// far larger than any form before reading them.
func readInput(name string) ([]byte, error) {
	st, err := os.Stat(name)
	switch {
	case err != nil:
		return nil, fmt.Errorf("无法读取文件：%s", fileErrorText(err))
	case st.IsDir():
		return nil, errors.New("这是一个目录，不是文件")
	case st.Size() > xlsform.MaxFileSize:
		return nil, fmt.Errorf("文件过大（%.1f MB），不像是一份表单", float64(st.Size())/(1<<20))
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("无法读取文件：%s", fileErrorText(err))
	}
	return data, nil
}

// fileErrorText says in Chinese why a file could not be read or written.
func fileErrorText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "文件或目录不存在"
	case errors.Is(err, fs.ErrPermission):
		return "没有访问权限"
	}
	return "读写出错（磁盘已满或设备已移除？）"
}

func printProblems(w io.Writer, file string, ps []xlsform.Problem) {
	for _, p := range ps {
		fmt.Fprintf(w, "%s: %s\n", file, p.Error())
	}
}

func printNotes(w io.Writer, file string, ps []xlsform.Problem) {
	for _, p := range ps {
		fmt.Fprintf(w, "%s: 说明：%s\n", file, p.Error())
	}
}

// formsImport converts an XLSForm workbook into a definition file in a
// directory, refusing a version that would orphan answers collected with
// an earlier version of the same form in that directory or built in.
func formsImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("forms import", stderr, formsUsage)
	out := fs.String("out", "", "输出目录")
	pos, code := parseArgs(fs, args, 1, 1)
	if code >= 0 {
		return code
	}
	name := pos[0]
	switch {
	case *out == "":
		return usageError(stderr, "缺少 --out 输出目录", formsUsage)
	case !strings.EqualFold(filepath.Ext(name), ".xlsx"):
		return usageError(stderr, name+": 应为 XLSForm 工作簿 (.xlsx)", formsUsage)
	}
	data, err := readInput(name)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	res := xlsform.Parse(data, filepath.Base(name))
	printNotes(stdout, name, res.Notes)
	if len(res.Problems) > 0 {
		printProblems(stderr, name, res.Problems)
		fmt.Fprintf(stderr, "%s: 未导入（共 %d 个问题）\n", name, len(res.Problems))
		return 1
	}
	f := res.Form
	def, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "%s: 无法转换：%v\n", name, err)
		return 1
	}
	def = append(def, '\n')
	current, where, err := currentVersion(*out, f.ID)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	target := filepath.Join(*out, fmt.Sprintf("%s.v%d.json", f.ID, f.Version))
	if current != nil && current.Version == f.Version && sameForm(current, f) {
		if old, err := os.ReadFile(target); err == nil && bytes.Equal(old, def) {
			fmt.Fprintf(stdout, "%s: 与 %s 相同，无需改动\n", name, target)
			return 0
		}
	} else if current != nil {
		if ps := res.CheckUpgrade(current); len(ps) > 0 {
			printProblems(stderr, name, ps)
			fmt.Fprintf(stderr, "%s: 未导入：不能替换%s的 %s 第 %d 版（共 %d 个问题）\n", name, where, f.ID, current.Version, len(ps))
			return 1
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "无法创建目录 %s：%s\n", *out, fileErrorText(err))
		return 1
	}
	if err := report.WriteFileAtomic(target, func(w io.Writer) error { _, err := w.Write(def); return err }); err != nil {
		fmt.Fprintf(stderr, "无法写入 %s：%s\n", target, fileErrorText(err))
		return 1
	}
	fmt.Fprintf(stdout, "%s: 已导入为 %s（%s，第 %d 版，%s，%d 道题）\n", name, target, f.ID, f.Version, f.Title, countQuestions(f.Fields))
	return 0
}

var versionFile = regexp.MustCompile(`^([a-z][a-z0-9_]*)\.v([0-9]+)\.json$`)

// currentVersion returns the highest version of form id among the
// definitions in dir and the built-in ones, and where it is ("目录 X 中" or
// "内置表单中"); nil when there is none. A definition of that form in dir
// that does not load is an error: it could hide the version to compare with.
func currentVersion(dir, id string) (*survey.Form, string, error) {
	var best *survey.Form
	where := ""
	if set, err := survey.LoadForms(assets.Forms()); err == nil {
		if f, ok := set.Latest(id); ok {
			best, where = f, "内置表单中"
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("无法读取目录 %s：%s", dir, fileErrorText(err))
	}
	for _, e := range entries {
		m := versionFile.FindStringSubmatch(e.Name())
		if m == nil || m[1] != id {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("%s: 无法读取文件：%s", path, fileErrorText(err))
		}
		f, err := survey.ParseForm(data)
		if err != nil {
			return nil, "", fmt.Errorf("%s: 目录中已有的这个表单定义有误，无法与新版本比较：\n%v", path, err)
		}
		if n, _ := strconv.Atoi(m[2]); n != f.Version || f.ID != id {
			return nil, "", fmt.Errorf("%s: 文件名与表单编号或版本不一致（内容为 %s 第 %d 版）", path, f.ID, f.Version)
		}
		if best == nil || f.Version >= best.Version {
			best, where = f, "目录 "+dir+" 中"
		}
	}
	return best, where, nil
}

func sameForm(a, b *survey.Form) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// countQuestions counts the fields that take an answer from the user.
func countQuestions(fields []survey.Field) int {
	n := 0
	for _, fd := range fields {
		switch fd.Type {
		case survey.TypeGroup, survey.TypeRepeat:
			n += countQuestions(fd.Fields)
		case survey.TypeNote, survey.TypeCalculate:
		default:
			n++
		}
	}
	return n
}

// formsExport writes a definition (a .json file or a built-in form) as an
// XLSForm workbook.
func formsExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("forms export", stderr, formsUsage)
	out := fs.String("out", "", "输出的 .xlsx 文件")
	pos, code := parseArgs(fs, args, 1, 1)
	if code >= 0 {
		return code
	}
	if *out == "" || !strings.EqualFold(filepath.Ext(*out), ".xlsx") {
		return usageError(stderr, "--out 应为 .xlsx 文件", formsUsage)
	}
	f, code := formToExport(pos[0], stderr)
	if f == nil {
		return code
	}
	data, err := xlsform.Write(f)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", pos[0], err)
		return 1
	}
	if err := report.WriteFileAtomic(*out, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		fmt.Fprintf(stderr, "无法写入 %s：%s\n", *out, fileErrorText(err))
		return 1
	}
	fmt.Fprintf(stdout, "已导出 %s（%s，第 %d 版，%s，%d 道题）\n", *out, f.ID, f.Version, f.Title, countQuestions(f.Fields))
	return 0
}

// formToExport finds the form named on the command line: a definition file,
// or a built-in form by id ("visit", latest version) or id and version
// ("visit.v1").
func formToExport(arg string, stderr io.Writer) (*survey.Form, int) {
	if strings.EqualFold(filepath.Ext(arg), ".json") {
		data, err := readInput(arg)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", arg, err)
			return nil, 1
		}
		f, err := survey.ParseForm(data)
		if err != nil {
			printDefinitionError(stderr, arg, err)
			return nil, 1
		}
		return f, 0
	}
	set, err := survey.LoadForms(assets.Forms())
	if err != nil {
		fmt.Fprintf(stderr, "内置表单有误：%v\n", err)
		return nil, 1
	}
	id, version := arg, 0
	if i := strings.LastIndex(arg, ".v"); i > 0 {
		if n, err := strconv.Atoi(arg[i+2:]); err == nil {
			id, version = arg[:i], n
		}
	}
	f, ok := set.Latest(id)
	if version > 0 {
		f, ok = set.Get(id, version)
	}
	if !ok {
		var ids []string
		for _, b := range set.All() {
			ids = append(ids, fmt.Sprintf("%s（第 %d 版）", b.ID, b.Version))
		}
		fmt.Fprintf(stderr, "没有内置表单 %s；可导出：%s，或给出 .json 文件\n", arg, strings.Join(ids, "、"))
		return nil, 1
	}
	return f, 0
}
