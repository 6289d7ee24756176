package xlsform

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite assets/forms/*.xlsx from the definitions")

// workbookCells returns every sheet's cells as stored, trailing empty cells
// and rows trimmed.
func workbookCells(t *testing.T, data []byte) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("read %s: %v", sheet, err)
		}
		out[sheet] = trimRows(rows)
	}
	return out
}

func trimRows(rows [][]string) [][]string {
	for i, r := range rows {
		for len(r) > 0 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		rows[i] = r
	}
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	return rows
}

// cellDiff lists the cells that differ, "(-want +got)".
func cellDiff(want, got map[string][][]string) []string {
	var out []string
	sheets := map[string]bool{}
	for s := range want {
		sheets[s] = true
	}
	for s := range got {
		sheets[s] = true
	}
	names := make([]string, 0, len(sheets))
	for s := range sheets {
		names = append(names, s)
	}
	sort.Strings(names)
	at := func(rows [][]string, r, c int) string {
		if r < len(rows) && c < len(rows[r]) {
			return rows[r][c]
		}
		return ""
	}
	for _, s := range names {
		w, wok := want[s]
		g, gok := got[s]
		if wok != gok {
			out = append(out, fmt.Sprintf("sheet %s: want present %v, got present %v", s, wok, gok))
			continue
		}
		for r := 0; r < max(len(w), len(g)); r++ {
			width := 0
			if r < len(w) {
				width = len(w[r])
			}
			if r < len(g) {
				width = max(width, len(g[r]))
			}
			for c := 0; c < width; c++ {
				if a, b := at(w, r, c), at(g, r, c); a != b {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					out = append(out, fmt.Sprintf("%s!%s: -%q +%q", s, cell, a, b))
				}
			}
		}
	}
	return out
}

// TestTemplatesMatchDefinitions checks that every shipped definition has
// its .xlsx template beside it with the content Write gives today, and that
// the template imports back to the definition. Regenerate the templates
// after changing a definition with
//
//	go test ./survey/xlsform -run TestTemplatesMatchDefinitions -update
func TestTemplatesMatchDefinitions(t *testing.T) {
	forms := shippedForms(t)
	for name, f := range forms {
		xlsx := strings.TrimSuffix(name, ".json") + ".xlsx"
		t.Run(filepath.Base(xlsx), func(t *testing.T) {
			want, err := Write(f)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if *update {
				if err := os.WriteFile(xlsx, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(xlsx)
			if err != nil {
				t.Fatalf("template missing (regenerate with -update): %v", err)
			}
			if diff := cellDiff(workbookCells(t, want), workbookCells(t, got)); len(diff) > 0 {
				if len(diff) > 20 {
					diff = append(diff[:20], fmt.Sprintf("... and %d more", len(diff)-20))
				}
				t.Errorf("%s differs from its definition (regenerate with -update) (-want +got):\n%s", xlsx, strings.Join(diff, "\n"))
			}
			res := Parse(got, filepath.Base(xlsx))
			if err := res.Err(); err != nil {
				t.Fatalf("template does not import: %v", err)
			}
			if !reflect.DeepEqual(res.Form, f) {
				t.Errorf("template imports to a different definition")
			}
		})
	}
	templates, err := filepath.Glob("../../assets/forms/*.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range templates {
		if forms[strings.TrimSuffix(x, ".xlsx")+".json"] == nil {
			t.Errorf("%s has no definition beside it", x)
		}
	}
}

// libreOffice converts files with LibreOffice in headless mode into outDir,
// with a private profile so that parallel runs do not share one.
func libreOffice(t *testing.T, outDir, convertTo string, files ...string) {
	t.Helper()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatalf("LibreOffice (soffice) is needed for this test: run scripts/install-deps.sh test (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	profile := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "profile"))
	args := append([]string{"-env:UserInstallation=" + profile, "--headless", "--norestore", "--convert-to", convertTo, "--outdir", outDir}, files...)
	out, err := exec.CommandContext(ctx, soffice, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("soffice %v: %v\n%s", args, err, out)
	}
}

// TestTemplatesInLibreOffice opens the shipped templates with a real reader
// other than the library that wrote them: LibreOffice must see the same
// cells (the Chinese labels included), and a copy LibreOffice saves as
// .xlsx must import to the same definition.
func TestTemplatesInLibreOffice(t *testing.T) {
	forms := shippedForms(t)
	var files []string
	for name := range forms {
		files = append(files, strings.TrimSuffix(name, ".json")+".xlsx")
	}
	sort.Strings(files)
	csvDir, xlsxDir := t.TempDir(), t.TempDir()
	// Token 12 = -1 writes every sheet to <file>-<sheet>.csv; 76 is UTF-8.
	libreOffice(t, csvDir, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", files...)
	libreOffice(t, xlsxDir, "xlsx:Calc MS Excel 2007 XML", files...)
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".xlsx")
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := workbookCells(t, data)
			got := map[string][][]string{}
			for sheet := range want {
				raw, err := os.ReadFile(filepath.Join(csvDir, base+"-"+sheet+".csv"))
				if err != nil {
					t.Fatalf("LibreOffice wrote no CSV for sheet %s: %v", sheet, err)
				}
				rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
				if err != nil {
					t.Fatalf("CSV of sheet %s: %v", sheet, err)
				}
				got[sheet] = trimRows(rows)
			}
			if diff := cellDiff(want, got); len(diff) > 0 {
				t.Errorf("LibreOffice reads different cells (-written +read):\n%s", strings.Join(diff, "\n"))
			}
			if !strings.Contains(fmt.Sprint(got), "走访") && !strings.Contains(fmt.Sprint(got), "问卷") {
				t.Errorf("no Chinese text read back from %s", file)
			}

			resaved, err := os.ReadFile(filepath.Join(xlsxDir, base+".xlsx"))
			if err != nil {
				t.Fatalf("LibreOffice wrote no .xlsx: %v", err)
			}
			res := Parse(resaved, base+".xlsx")
			if err := res.Err(); err != nil {
				t.Fatalf("workbook saved by LibreOffice does not import: %v", err)
			}
			if len(res.Notes) > 0 {
				t.Errorf("notes on the workbook saved by LibreOffice: %v", res.Notes)
			}
			if !reflect.DeepEqual(res.Form, forms[strings.TrimSuffix(file, ".xlsx")+".json"]) {
				t.Errorf("workbook saved by LibreOffice imports to a different definition")
			}
		})
	}
}
