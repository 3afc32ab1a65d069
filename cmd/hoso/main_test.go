package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestRunTopLevel: help asked for goes to standard output with status 0;
// misuse (no command, an unknown one) goes to standard error with status 2,
// so a script that forgets the subcommand fails instead of passing.
func TestRunTopLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring; "" means standard output must be empty
		stderr string // substring; "" means standard error must be empty
	}{
		{"help", []string{"help"}, 0, "usage: hoso COMMAND", ""},
		{"-h", []string{"-h"}, 0, "usage: hoso COMMAND", ""},
		{"--help", []string{"--help"}, 0, "usage: hoso COMMAND", ""},
		{"no command", nil, 2, "", "usage: hoso COMMAND"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"version", []string{"version"}, 0, "go" + strings.TrimPrefix(runtime.Version(), "go"), ""},
		{"version with arguments", []string{"version", "extra"}, 2, "", "usage: hoso version"},
		{"a command's -h", []string{"serve", "-h"}, 0, "usage: hoso serve", ""},
		{"a command's --help", []string{"verify", "--help"}, 0, "verify", ""},
		{"a command's flags' -h", []string{"demo", "-h"}, 0, "-dossiers", ""},
		{"a command's misuse", []string{"serve", "extra"}, 2, "", "usage: hoso serve"},
		{"a command's unknown flag", []string{"verify", "--frobnicate"}, 2, "", "frobnicate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("hoso %v: exit %d, want %d (stdout %q, stderr %q)", tc.args, code, tc.code, stdout.String(), stderr.String())
			}
			for _, s := range []struct {
				name, got, want string
			}{{"stdout", stdout.String(), tc.stdout}, {"stderr", stderr.String(), tc.stderr}} {
				if s.want == "" && s.got != "" {
					t.Errorf("hoso %v: %s = %q, want nothing", tc.args, s.name, s.got)
				}
				if !strings.Contains(s.got, s.want) {
					t.Errorf("hoso %v: %s = %q, want it to contain %q", tc.args, s.name, s.got, s.want)
				}
			}
		})
	}
}

// TestConfigurationProblemsAtStart: every bad variable is named at once,
// before any work, and the command exits 2; a command that reads no
// configuration runs regardless, and a command's -h still answers.
func TestConfigurationProblemsAtStart(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		return map[string]string{"HOSO_TRUSTED_PROXIES": "bad", "HOSO_METRICS_LISTEN": ":x"}[k]
	}
	hoso := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := hoso("serve")
	if code != 2 || out != "" || !strings.Contains(errOut, "hoso serve: HOSO_METRICS_LISTEN: \":x\"") ||
		!strings.Contains(errOut, "hoso serve: HOSO_TRUSTED_PROXIES: \"bad\"") {
		t.Errorf("hoso serve with two bad variables = %d, stdout %q, stderr %q; want 2 naming both", code, out, errOut)
	}
	if code, out, errOut := hoso("version"); code != 0 || !strings.HasPrefix(out, "hoso ") {
		t.Errorf("hoso version with bad variables = %d, %q, %q; want 0 (it reads none)", code, out, errOut)
	}
	if code, out, _ := hoso("serve", "-h"); code != 0 || !strings.Contains(out, "usage: hoso serve") {
		t.Errorf("hoso serve -h with bad variables = %d, %q; want its usage", code, out)
	}
}

// TestNoInitRegistries: the wiring is explicit (the route table in
// api/routes.go, service.Projections, the commands table above), so no
// package of the module registers anything from an init function.
func TestNoInitRegistries(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "var" || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s: func init: wire it explicitly instead", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
