package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/dialog"

	"zoufang/report"
	"zoufang/report/source"
	"zoufang/storage"
	"zoufang/survey"
)

// printVisits renders the visit records as one PDF under <data dir>/打印,
// off the UI goroutine (with a progress dialog for more than one visit), and
// opens it in the system PDF viewer. Errors are shown in a dialog.
func (u *ui) printVisits(visits []survey.Visit) {
	if len(visits) == 0 {
		return
	}
	var out string
	work := func(progress progressFunc) error {
		p, err := u.writeVisitPDF(visits, progress)
		out = p
		return err
	}
	done := func(err error) {
		if err != nil {
			dialog.ShowError(errors.New("生成走访记录表失败："+storage.ErrorMessage(err)), u.win)
			return
		}
		if err := u.app.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(out)}); err != nil {
			dialog.ShowError(fmt.Errorf("走访记录表已保存到 %s，但无法打开：%v", out, err), u.win)
		}
	}
	if len(visits) == 1 {
		runInBackground(func() error { return work(nil) }, done)
		return
	}
	runWithProgress(u.win, "正在生成走访记录表", work, done)
}

// writeVisitPDF gathers and renders the records and returns the file path.
// It runs off the UI goroutine.
func (u *ui) writeVisitPDF(visits []survey.Visit, progress progressFunc) (string, error) {
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
	dir := filepath.Join(u.db.Dir(), "打印")
	if err := storage.MakePrivateDir(dir); err != nil {
		return "", fmt.Errorf("print: %w", err)
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
