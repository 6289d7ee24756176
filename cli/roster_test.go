package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/survey"
)

func TestRosterImportAndSearch(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "名录.csv")
	var buf bytes.Buffer
	ents := survey.FakeRoster(20, 3)
	if err := survey.WriteRosterCSV(&buf, ents, true); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("坏行公司,123,市南区,,,,,,,\n")
	os.WriteFile(file, buf.Bytes(), 0o600)

	var out, errOut bytes.Buffer
	if code := Run([]string{"roster", "import", "--data", dir, file}, &out, &errOut); code != 0 {
		t.Fatalf("import exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "新增 20 家") || !strings.Contains(out.String(), "第 22 行：") {
		t.Errorf("import output:\n%s", out.String())
	}

	out.Reset()
	if code := Run([]string{"roster", "search", "--data", dir, ents[4].USCC}, &out, &errOut); code != 0 {
		t.Fatalf("search exit %d", code)
	}
	if !strings.Contains(out.String(), ents[4].Name) {
		t.Errorf("search by USCC: %q, want %s", out.String(), ents[4].Name)
	}

	if code := Run([]string{"roster", "import", "--data", dir, filepath.Join(dir, "missing.csv")}, &out, &errOut); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
	if code := Run([]string{"roster", "import", file}, &out, &errOut); code != 2 {
		t.Errorf("no --data: exit %d, want 2", code)
	}
}

func TestDemoFillsOnce(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []string{"已填入演示数据", "未填入演示数据"} {
		var out, errOut bytes.Buffer
		if code := Run([]string{"demo", "--data", dir}, &out, &errOut); code != 0 || !strings.Contains(out.String(), want) {
			t.Errorf("run %d: exit %d output %q %q, want %q", i+1, code, out.String(), errOut.String(), want)
		}
	}
}
