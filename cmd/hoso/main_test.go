package main

import (
	"bytes"
	"context"
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
