package storage

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// legacyOwners are tables that storage's first migrations created for
// other packages, before each package kept its migrations beside its
// code (DB.MigrateOwned); they belong to the package named here.
// district_log was the district's log; package audit took it over (its
// migration copies it into audit_log).
var legacyOwners = map[string]string{
	"district_devices": "sync/district",
	"district_bundles": "sync/district",
	"district_sent":    "sync/district",
	"district_log":     "audit",
	"laptop_bundles":   "sync/laptop",
	"laptop_down":      "sync/laptop",
}

// createTable finds the tables a migration creates.
var createTable = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)`)

// tableUse finds the tables a statement names where a table goes (FROM,
// JOIN, INTO, UPDATE, TABLE, REFERENCES), not the columns that share a
// table's name (laptop_down.versions). The first group is set when the
// statement writes the table.
var tableUse = regexp.MustCompile(`(?i)\b(?:(DELETE\s+FROM|INTO|UPDATE|TABLE)|FROM|JOIN|REFERENCES)\s+([a-z_][a-z0-9_]*)`)

// tableOwners maps every table created by a migration anywhere in the
// tree to its owner package (slash-separated directory from the module
// root): the package whose migrations/ folder creates it, or legacyOwners.
func tableOwners(t *testing.T, root string) map[string]string {
	t.Helper()
	owners := map[string]string{}
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if name := e.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".sql") || filepath.Base(filepath.Dir(path)) != "migrations" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(filepath.Dir(path)))
		for _, m := range createTable.FindAllStringSubmatch(string(data), -1) {
			table := strings.ToLower(m[1])
			owner := filepath.ToSlash(rel)
			if o, ok := legacyOwners[table]; ok {
				owner = o
			}
			if prev, ok := owners[table]; ok && prev != owner {
				t.Errorf("table %s is created by the migrations of both %s and %s", table, prev, owner)
			}
			owners[table] = owner
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return owners
}

// TestTableOwnership fails when a string literal in Go code outside a
// table's owner package names the table in SQL: SQL on another package's
// tables bypasses the checks its methods keep inside their transactions
// (STYLE.md: a table belongs to one package; others call its methods).
// Every table of every migration in the tree is checked, in every Go file
// of the tree; tests of other packages may only read a table (SELECT), to
// check what its owner stored.
func TestTableOwnership(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s", root)
	}
	owners := tableOwners(t, root)
	for _, want := range []string{"enterprises", "attachments", "district_devices", "laptop_down", "web_users", "audit_log", "district_trust"} {
		if owners[want] == "" {
			t.Fatalf("table %s not found among the migrations' tables %v: the walk missed them", want, owners)
		}
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
			for _, m := range tableUse.FindAllStringSubmatch(s, -1) {
				table, write := strings.ToLower(m[2]), m[1] != ""
				owner, ok := owners[table]
				if !ok || owner == dir {
					continue
				}
				// A test may read another package's table to check what
				// was stored; writing it would make a state its owner's
				// checks never allowed.
				if strings.HasSuffix(rel, "_test.go") && !write {
					continue
				}
				t.Errorf("%s names table %s in SQL; only package %s may (call its methods instead)", rel, table, owner)
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
	tables := make([]string, 0, len(owners))
	for table := range owners {
		tables = append(tables, table+"→"+owners[table])
	}
	sort.Strings(tables)
	t.Logf("%d Go files checked against %d tables: %s", checked, len(tables), strings.Join(tables, " "))
}
