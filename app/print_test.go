package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/storage"
	"zoufang/survey"
)

// printableVisits creates n finalized visits on the test roster.
func printableVisits(t *testing.T, u *ui, n int) []survey.Visit {
	t.Helper()
	ctx := context.Background()
	ents, err := u.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Limit: n})
	if err != nil || len(ents) < n {
		t.Fatalf("roster: %d enterprises, %v", len(ents), err)
	}
	f, ok := u.forms.Latest(u.campaign.Forms.Visit.ID)
	if !ok {
		t.Fatal("no visit form")
	}
	var vs []survey.Visit
	for _, e := range ents[:n] {
		v, err := u.db.CreateVisit(ctx, e.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		v.Answers = survey.SampleVisitAnswers("2026-04-14", 2)
		v, ps, err := u.db.FinalizeVisit(ctx, v, f)
		if err != nil || len(ps) > 0 {
			t.Fatalf("finalize: %v %v", ps, err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestPrintVisitsWritesPDF(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string // file name prefix
	}{
		{"one", 1, "走访记录表-"},
		{"batch", 3, "走访记录表-批量3份-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUI(t)
			vs := printableVisits(t, u, tt.n)
			u.printVisits(vs)
			waitIdle()
			files, _ := filepath.Glob(filepath.Join(u.printDir(), "*.pdf"))
			if len(files) != 1 {
				t.Fatalf("PDFs in 打印: %v, want one", files)
			}
			if base := filepath.Base(files[0]); !strings.HasPrefix(base, tt.want) {
				t.Errorf("file name %q, want prefix %q", base, tt.want)
			}
			data, err := os.ReadFile(files[0])
			if err != nil || !strings.HasPrefix(string(data), "%PDF-") {
				t.Errorf("not a PDF: %v", err)
			}
		})
	}
}

func TestSafeFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"青岛海川/精密:机械", "青岛海川_精密_机械"},
		{"  ", "未命名企业"},
		{"a*b?c", "a_b_c"},
	}
	for _, tt := range tests {
		if got := safeFileName(tt.in); got != tt.want {
			t.Errorf("safeFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSettingsPrintsAllFinishedVisits(t *testing.T) {
	u := newTestUI(t)
	printableVisits(t, u, 2)
	var s *settingsScreen
	s = showSettings(u)
	s.printAll.OnTapped()
	waitIdle()
	files, _ := filepath.Glob(filepath.Join(u.printDir(), "*.pdf"))
	if len(files) != 1 || !strings.Contains(filepath.Base(files[0]), "批量2份") {
		t.Fatalf("PDFs in 打印: %v, want one batch of 2", files)
	}
}
