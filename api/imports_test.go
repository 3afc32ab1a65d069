package api_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoSQLDriverInAPI keeps the HTTP layer on its storage interfaces
// (storage.go, api/auth's Credentials and Counters, readlog.Sink): no
// non-test file under api/ imports the PostgreSQL driver or the adapter
// package that implements them. Tests may use PostgreSQL for setup.
func TestNoSQLDriverInAPI(t *testing.T) {
	t.Parallel()
	forbidden := []string{"github.com/jackc/pgx", "github.com/hoso-ledger/hoso/internal/pgadapter"}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("api/%s imports %s: the HTTP layer depends on interfaces, implemented in internal/pgadapter", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked %d files: the walk did not find the package", checked)
	}
}
