package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"zoufang/report"
	"zoufang/report/source"
	"zoufang/storage"
	"zoufang/survey"
)

// printFolderName is the folder in the user's documents that receives the
// visit record PDFs.
const printFolderName = "走访记录表"

// printDir is where PDFs are saved: 文档\走访记录表 (Documents), a folder
// people find in Explorer, not a hidden one under the data directory.
func (u *ui) printDir() string {
	if u.printTo != "" {
		return u.printTo
	}
	if d := documentsDir(); d != "" {
		return filepath.Join(d, printFolderName)
	}
	return filepath.Join(u.db.Dir(), printFolderName)
}

// printVisits renders the visit records as one PDF in printDir, off the
// UI goroutine (with a progress dialog for more than one visit), opens it
// in the system's PDF viewer and says where it is, with buttons to open
// the file or its folder again.
func (u *ui) printVisits(visits []survey.Visit) {
	if len(visits) == 0 {
		return
	}
	var out string
	dir := u.printDir()
	work := func(progress progressFunc) error {
		p, err := u.writeVisitPDF(visits, dir, progress)
		out = p
		return err
	}
	done := func(err error) {
		if err != nil {
			u.showError("生成走访记录表失败", err)
			return
		}
		u.printed(out, u.open(out))
	}
	if len(visits) == 1 {
		runInBackground(func() error { return work(nil) }, done)
		return
	}
	runWithProgress(u.win, "正在生成走访记录表", work, done)
}

// printed tells where the PDF is; openErr is the result of opening it.
func (u *ui) printed(path string, openErr error) *appDialog {
	text := "走访记录表已保存：\n" + path
	if openErr != nil {
		logError("open "+path, openErr)
		text += "\n\n没能自动打开：" + userText(openErr) + "。可以在文件夹中找到它，用 PDF 阅读器打开后打印。"
	} else {
		text += "\n\n已用本机的 PDF 阅读器打开，请在阅读器中打印。"
	}
	openFile := widget.NewButtonWithIcon("打开文件", theme.DocumentIcon(), func() {
		if err := u.open(path); err != nil {
			u.showError("无法打开文件", err)
		}
	})
	openDir := widget.NewButtonWithIcon("打开所在文件夹", theme.FolderOpenIcon(), func() {
		if err := u.open(filepath.Dir(path)); err != nil {
			u.showError("无法打开文件夹", err)
		}
	})
	d := u.newDialog("走访记录表", container.NewVBox(message(text), newFlow(openFile, openDir)), "", "知道了", nil)
	d.show(nil)
	u.lastPrint, u.lastPrintText = path, text
	return d
}

// openPrintFolder opens printDir (creating it first, so the button always
// leads somewhere).
func (u *ui) openPrintFolder() {
	dir := u.printDir()
	if err := storage.MakePrivateDir(dir); err != nil {
		u.showError("无法打开走访记录表文件夹", err)
		return
	}
	if err := u.open(dir); err != nil {
		u.showError("无法打开走访记录表文件夹 "+dir, err)
	}
}

// writeVisitPDF gathers and renders the records into dir and returns the
// file path. It runs off the UI goroutine.
func (u *ui) writeVisitPDF(visits []survey.Visit, dir string, progress progressFunc) (string, error) {
	ctx := context.Background()
	today := u.now()
	campaign := ""
	if u.campaign != nil {
		campaign = u.campaign.Name
	}
	total := len(visits) + 1 // gathering each visit, then rendering
	recs, err := source.VisitRecords(ctx, u.db, u.forms, campaign, visits, today, func(n, _ int) {
		if progress != nil {
			progress(n, total)
		}
	})
	if err != nil {
		return "", err
	}
	if err := storage.MakePrivateDir(dir); err != nil {
		return "", fmt.Errorf("无法创建文件夹 %s：%w", dir, err)
	}
	var name string
	if len(recs) == 1 {
		name = fmt.Sprintf("走访记录表-%s-%s.pdf", safeFileName(recs[0].Enterprise.Name), today.Format("20060102-150405"))
	} else {
		name = fmt.Sprintf("走访记录表-批量%d份-%s.pdf", len(recs), today.Format("20060102-150405"))
	}
	p := filepath.Join(dir, name)
	err = report.WriteFileAtomic(p, func(w io.Writer) error { return report.WriteVisitPDF(w, recs...) })
	if progress != nil {
		progress(total, total)
	}
	return p, err
}

// safeFileName replaces characters that are not allowed in file names on
// Windows, macOS or Linux.
func safeFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>:"/\|?*`, r) || r < 32 {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return "未命名企业"
	}
	if rs := []rune(s); len(rs) > 60 {
		s = string(rs[:60])
	}
	return s
}
