package archtest

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// An edge is one import in one file; From and To are paths inside the
// module ("app/approvals") for our packages, full import paths otherwise.
type edge struct {
	File     string
	From, To string
	Ours     bool // To is a package of this module
	Test     bool // the importing file is a _test.go file
}

// A rule constrains what the packages under From import. Paths match a
// package and everything under it ("app" covers app/approvals).
type rule struct {
	From string
	// Deny lists our packages that From must not import.
	Deny []string
	// OnlyOurs, when set, lists the only packages of ours From may import
	// (From itself is always allowed).
	OnlyOurs []string
	// OnlyExternal, when set, lists the only packages from outside the
	// module and the standard library that From may import.
	OnlyExternal []string
	// DenyStdInCode lists standard packages (exact paths) From's non-test
	// files must not import: I/O, for the pure domain.
	DenyStdInCode []string
	Why           string
}

// rules is the dependency direction of issue 13. internal/service (the
// wiring of one process) and internal/demo (the demo province, written
// through the use cases) have no rule: they may import anything, and only
// cmd, api/apitest (which runs the whole service in tests) and test files
// import them. A test file of projections/bench reaches app through
// internal/demo, which is allowed for that reason.
var rules = []rule{
	{
		From:          "domain",
		OnlyOurs:      []string{"domain"},
		OnlyExternal:  []string{"github.com/google/uuid", "golang.org/x/text"},
		DenyStdInCode: []string{"os", "os/exec", "os/signal", "net", "net/http", "database/sql", "syscall", "log", "log/slog"},
		Why:           "domain is the pure centre: the standard library, uuid and x/text only, no I/O",
	},
	{
		From: "eventstore",
		Deny: []string{"domain", "ledger", "app", "api", "projections", "cmd", "internal/service", "internal/demo"},
		Why:  "eventstore stores bytes and knows no aggregate or layer above it",
	},
	{
		From:     "ledger",
		OnlyOurs: []string{"domain", "eventstore"},
		Deny:     []string{"app", "api", "projections", "cmd", "internal/service", "internal/demo"},
		Why:      "ledger sits between domain and eventstore and knows no use case",
	},
	{
		From: "app",
		Deny: []string{"api", "cmd", "projections", "processes", "internal/service", "internal/demo"},
		Why:  "app holds the use cases; callers (api, cmd) import it, never the reverse; read models are not its business",
	},
	{
		From: "projections",
		Deny: []string{"app", "api", "cmd", "processes", "internal/service"},
		Why:  "projections fold the log through ledger, domain and eventstore only",
	},
	{
		From: "processes",
		Deny: []string{"api", "cmd", "internal/service", "internal/demo"},
		Why:  "a process is driven by the log through a projection and acts through the use cases; api and cmd only read its progress",
	},
	{
		From: "api",
		Deny: []string{"cmd"},
		Why:  "cmd wires api, not the reverse",
	},
	{
		// The web application is a client of the API in process: the same
		// layer as api, reading through the API's own handler, never the
		// database or the ledger beside it. (internal/service wires web, so
		// web's own code cannot import it; its tests start the service.)
		From:         "web",
		Deny:         []string{"cmd", "internal/pgadapter", "internal/demo", "processes", "eventstore/postgres", "eventstore/esdbstore", "ledger", "app"},
		OnlyExternal: []string{"github.com/google/uuid", "golang.org/x/text", "github.com/transparency-dev/merkle", "github.com/chromedp", "github.com/coreos/go-oidc", "golang.org/x/oauth2", "github.com/zitadel/oidc"},
		Why:          "web pages go through the API's handler (same access checks, read log, problem codes), never around it",
	},
}

func within(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func withinAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if within(path, p) {
			return true
		}
	}
	return false
}

// isStd reports whether an import path is the standard library's: its
// first element has no dot.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// violations lists every edge that breaks a rule, as readable lines.
func violations(edges []edge, rules []rule) []string {
	var out []string
	for _, e := range edges {
		for _, r := range rules {
			if !within(e.From, r.From) {
				continue
			}
			bad := ""
			switch {
			case e.Ours && withinAny(e.To, r.Deny):
				bad = "denied"
			case e.Ours && r.OnlyOurs != nil && !within(e.To, r.From) && !withinAny(e.To, r.OnlyOurs):
				bad = "not among " + strings.Join(r.OnlyOurs, ", ")
			case !e.Ours && !isStd(e.To) && r.OnlyExternal != nil && !withinAny(e.To, r.OnlyExternal):
				bad = "not among " + strings.Join(r.OnlyExternal, ", ")
			case !e.Ours && isStd(e.To) && !e.Test && slices.Contains(r.DenyStdInCode, e.To):
				bad = "I/O in " + r.From
			}
			if bad != "" {
				out = append(out, fmt.Sprintf("%s: %s imports %s (%s): %s", e.File, e.From, e.To, bad, r.Why))
			}
		}
	}
	return out
}

// moduleRoot finds the directory of go.mod above the working directory and
// the module path it declares.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			s := bufio.NewScanner(f)
			for s.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
					return dir, strings.TrimSpace(m)
				}
			}
			t.Fatalf("%s/go.mod declares no module", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// imports parses the import clause of every Go file under root, skipping
// what the go command skips (testdata, dot and underscore directories) and
// the git-ignored var/ and bin/.
func imports(t *testing.T, root, module string) []edge {
	t.Helper()
	var edges []edge
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				(filepath.Dir(path) == root && (name == "var" || name == "bin"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		from := filepath.ToSlash(filepath.Dir(rel))
		for _, spec := range f.Imports {
			to, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			e := edge{File: filepath.ToSlash(rel), From: from, To: to, Test: strings.HasSuffix(name, "_test.go")}
			if ours, ok := strings.CutPrefix(to, module+"/"); ok {
				e.To, e.Ours = ours, true
			}
			edges = append(edges, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return edges
}

func TestImportsPointInward(t *testing.T) {
	t.Parallel()
	root, module := moduleRoot(t)
	edges := imports(t, root, module)
	// A walk that found nothing would pass whatever the imports: make sure
	// it saw the layers it guards.
	seen := map[string]bool{}
	for _, e := range edges {
		for _, r := range rules {
			if within(e.From, r.From) {
				seen[r.From] = true
			}
		}
	}
	for _, r := range rules {
		if !seen[r.From] {
			t.Errorf("no Go file found under %s/ in %s", r.From, root)
		}
	}
	for _, v := range violations(edges, rules) {
		t.Error(v)
	}
}

// The rules themselves catch each kind of bad import (and only those).
func TestRulesCatchBadImports(t *testing.T) {
	t.Parallel()
	bad := []edge{
		{From: "domain/dossier", To: "ledger", Ours: true},
		{From: "domain", To: "eventstore", Ours: true},
		{From: "domain/org", To: "github.com/jackc/pgx/v5", Ours: false},
		{From: "domain/org", To: "os"},
		{From: "domain/org", To: "net/http"},
		{From: "eventstore/postgres", To: "domain", Ours: true},
		{From: "eventstore", To: "ledger", Ours: true},
		{From: "ledger", To: "app", Ours: true},
		{From: "ledger", To: "projections/dossiers", Ours: true},
		{From: "ledger", To: "internal/pgerr", Ours: true},
		{From: "app", To: "api", Ours: true},
		{From: "app/approvals", To: "projections/compliance", Ours: true},
		{From: "app", To: "internal/service", Ours: true},
		{From: "projections/audit", To: "app", Ours: true},
		{From: "projections", To: "api/auth", Ours: true},
		{From: "projections/stats", To: "cmd/hoso", Ours: true},
		{From: "api", To: "cmd/hoso", Ours: true},
		{From: "processes", To: "api", Ours: true},
		{From: "app", To: "processes", Ours: true},
		{From: "projections/orgs", To: "processes", Ours: true},
		{From: "web", To: "internal/pgadapter", Ours: true},
		{From: "web", To: "ledger", Ours: true},
		{From: "web", To: "github.com/jackc/pgx/v5"},
	}
	for _, e := range bad {
		e.File = e.From + "/x.go"
		if v := violations([]edge{e}, rules); len(v) == 0 {
			t.Errorf("%s importing %s passes the rules", e.From, e.To)
		}
	}
	good := []edge{
		{From: "domain/dossier", To: "domain", Ours: true},
		{From: "domain/org", To: "github.com/google/uuid"},
		{From: "domain/vntext", To: "golang.org/x/text/unicode/norm"},
		{From: "domain/org", To: "os", Test: true},
		{From: "domain/catalog", To: "net/url"},
		{From: "ledger", To: "eventstore", Ours: true},
		{From: "ledger", To: "eventstore/memstore", Ours: true, Test: true},
		{From: "ledger", To: "github.com/hashicorp/golang-lru/v2"},
		{From: "app", To: "ledger", Ours: true},
		{From: "app/approvals", To: "app", Ours: true},
		{From: "projections/dossiers", To: "ledger", Ours: true},
		{From: "api", To: "app", Ours: true},
		{From: "api", To: "projections/dossiers", Ours: true},
		{From: "cmd/hoso", To: "internal/service", Ours: true},
		{From: "internal/service", To: "api", Ours: true},
		{From: "internal/demo", To: "app", Ours: true},
		{From: "processes", To: "app", Ours: true},
		{From: "processes", To: "projections", Ours: true},
		{From: "api", To: "processes", Ours: true},
		{From: "web", To: "domain/dossier", Ours: true},
		{From: "web", To: "api/apitest", Ours: true, Test: true},
		{From: "web", To: "github.com/chromedp/chromedp", Test: true},
	}
	for _, e := range good {
		e.File = e.From + "/x.go"
		if v := violations([]edge{e}, rules); len(v) != 0 {
			t.Errorf("an allowed import is refused: %v", v)
		}
	}
}
