package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zoufang/storage"
	"zoufang/survey"
)

// demoDir returns a data directory filled with the demo data through the
// storage API, and its visits.
func demoDir(t *testing.T) (string, []survey.Visit) {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.OpenDir(dir, storage.Options{DeviceID: "dev-test", Author: "测试"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := storage.FillDemo(ctx, db); err != nil {
		t.Fatalf("fill demo: %v", err)
	}
	vs, err := db.Visits(ctx, storage.VisitFilter{})
	if err != nil || len(vs) == 0 {
		t.Fatalf("visits: %d, %v", len(vs), err)
	}
	return dir, vs
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(args, &o, &e)
	return code, o.String(), e.String()
}

func pdfPages(t *testing.T, path string) (int, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("%s is not a PDF", path)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return -1, ""
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Count(string(out), "\f"), strings.Join(strings.Fields(string(out)), "")
}

func TestPrintCommand(t *testing.T) {
	dir, vs := demoDir(t)
	db, err := storage.OpenDir(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ent, err := db.Enterprise(context.Background(), vs[0].EnterpriseID)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "one.pdf")
	if code, _, e := run(t, "print", "--data", dir, "--visit", vs[0].ID, "--out", out); code != 0 {
		t.Fatalf("print --visit: exit %d: %s", code, e)
	}
	if _, txt := pdfPages(t, out); txt != "" && !strings.Contains(txt, strings.Join(strings.Fields(ent.Name), "")) {
		t.Errorf("printed record lacks the enterprise name %q", ent.Name)
	}

	nonDraft := 0
	for _, v := range vs {
		if v.Status != survey.VisitDraft {
			nonDraft++
		}
	}
	batch := filepath.Join(t.TempDir(), "all.pdf")
	code, _, e := run(t, "print", "--data", dir, "--all", "--out", batch)
	if code != 0 {
		t.Fatalf("print --all: exit %d: %s", code, e)
	}
	if _, txt := pdfPages(t, batch); txt != "" {
		if got := strings.Count(txt, "第1页共"); got != nonDraft {
			t.Errorf("batch has %d records, want %d", got, nonDraft)
		}
	}
	folder := filepath.Join(t.TempDir(), "pdfs")
	if code, _, e := run(t, "print", "--data", dir, "--all", "--drafts", "--out", folder); code != 0 {
		t.Fatalf("print --all to folder: exit %d: %s", code, e)
	}
	files, _ := filepath.Glob(filepath.Join(folder, "*.pdf"))
	if len(files) != len(vs) {
		t.Errorf("folder has %d PDFs, want %d", len(files), len(vs))
	}
	leftovers, _ := filepath.Glob(filepath.Join(folder, ".*.tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestPrintSummaryCommand(t *testing.T) {
	dir, _ := demoDir(t)
	out := filepath.Join(t.TempDir(), "summary.pdf")
	code, stdout, e := run(t, "print", "--data", dir, "--summary", "--out", out)
	if code != 0 {
		t.Fatalf("print --summary: exit %d: %s", code, e)
	}
	if _, txt := pdfPages(t, out); txt != "" && !strings.Contains(txt, "满意度测评问卷汇总表") {
		t.Errorf("summary lacks its title")
	}
	if !strings.Contains(stdout, "问卷汇总表") {
		t.Errorf("stdout = %q", stdout)
	}
	if code, _, _ := run(t, "print", "--data", dir, "--summary", "--enterprise", "none", "--out", out); code != 1 {
		t.Errorf("summary of an enterprise without responses: exit %d, want 1", code)
	}
}

func TestPrintCommandErrors(t *testing.T) {
	dir, _ := demoDir(t)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no data", []string{"print", "--visit", "x", "--out", "a.pdf"}, 2},
		{"no out", []string{"print", "--data", dir, "--visit", "x"}, 2},
		{"visit and all", []string{"print", "--data", dir, "--visit", "x", "--all", "--out", "a.pdf"}, 2},
		{"not pdf", []string{"print", "--data", dir, "--visit", "x", "--out", "a.txt"}, 2},
		{"unknown visit", []string{"print", "--data", dir, "--visit", "nope", "--out", filepath.Join(t.TempDir(), "a.pdf")}, 1},
		{"missing data dir", []string{"print", "--data", filepath.Join(t.TempDir(), "none"), "--visit", "x", "--out", "a.pdf"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _, e := run(t, tt.args...); got != tt.code {
				t.Errorf("exit = %d, want %d (%s)", got, tt.code, e)
			}
		})
	}
}

func TestExportCommand(t *testing.T) {
	dir, vs := demoDir(t)
	tests := []struct {
		what, sheet, head string
	}{
		{"ledger", "工作台帐", "企业名称"},
		{"visits", "走访记录", "记录编号"},
		{"responses", "职工问卷", "问卷编号"},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tt.what+".xlsx")
			if code, _, e := run(t, "export", tt.what, "--data", dir, "--out", out); code != 0 {
				t.Fatalf("exit %d: %s", code, e)
			}
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(tt.sheet)
			if err != nil || len(rows) < 2 {
				t.Fatalf("sheet %s: %d rows, %v", tt.sheet, len(rows), err)
			}
			if !strings.Contains(strings.Join(rows[0], ","), tt.head) {
				t.Errorf("header %v lacks %s", rows[0], tt.head)
			}
			if tt.what == "visits" && len(rows) != len(vs)+1 {
				t.Errorf("visits rows = %d, want %d", len(rows)-1, len(vs))
			}
		})
	}
	if code, _, _ := run(t, "export", "nothing", "--data", dir, "--out", "a.xlsx"); code != 2 {
		t.Errorf("unknown export: exit %d, want 2", code)
	}
}
