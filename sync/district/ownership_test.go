package district

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tableOwners maps the tables of the sync packages to the one package that
// may name them in SQL (STYLE.md: a table belongs to one package; others
// call its methods).
var tableOwners = []struct {
	table *regexp.Regexp
	owner string // package directory, slash-separated, from the module root
}{
	// district_log is legacy: package audit took it over (its migration
	// copies it into audit_log).
	{regexp.MustCompile(`\bdistrict_(devices|bundles|sent|down|trust|keys)\b`), "sync/district"},
	{regexp.MustCompile(`\blaptop_(bundles|down)\b`), "sync/laptop"},
}

// TestTableOwnership fails when a string literal in Go code outside a
// table's owner package (tests included) names the table: SQL on another
// package's tables bypasses the checks its methods keep inside their
// transactions. Migrations (.sql files) are not Go and not checked.
func TestTableOwnership(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s", root)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if name := e.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, o := range tableOwners {
				if m := o.table.FindString(s); m != "" && dir != o.owner && looksLikeSQL(s) {
					t.Errorf("%s names table %s in SQL; only package %s may (call its methods instead)", rel, m, o.owner)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d Go files; the walk missed the tree", checked)
	}
}

var sqlWords = regexp.MustCompile(`(?i)\b(select|insert|update|delete|from|join|into|table)\b`)

func looksLikeSQL(s string) bool { return sqlWords.MatchString(s) }
