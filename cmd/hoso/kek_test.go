package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// testKEK is the cmd tests' HOSO_KEK (base64 of 32 bytes).
const testKEK = "Y21kLXRlc3RzLWtleS1lbmNyeXB0aW9uLWtleS0zMmI="

func mustKEK(t testing.TB, s string) *seal.LocalKEK {
	t.Helper()
	k, err := seal.ParseLocalKEK(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The development key is made once under var/ and found there again.
func TestDevKEKIsKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := &Env{RepoDir: dir, Config: config.Config{}, Log: slog.New(slog.DiscardHandler), Stderr: &bytes.Buffer{}}
	a, err := kek(env)
	if err != nil {
		t.Fatal(err)
	}
	b, err := kek(env)
	if err != nil {
		t.Fatal(err)
	}
	if a.KEKID() != b.KEKID() {
		t.Errorf("the development KEK changed between two starts: %s, %s", a.KEKID(), b.KEKID())
	}
	fi, err := os.Stat(filepath.Join(dir, "var", "kek.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("var/kek.key: %v, mode %v; want 0600", err, fi)
	}
	// Off the private cluster there is no development key.
	env.Config.DatabaseURL = "postgres://elsewhere/db"
	if k, err := kek(env); k != nil || err != nil {
		t.Errorf("kek off the private cluster = %v, %v; want none", k, err)
	}
}

// hoso serve refuses to start off the private cluster without HOSO_KEK,
// and with a malformed one, before any work.
func TestServeNeedsKEK(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kek, want string
	}{
		{"unset", "", "HOSO_KEK is not set"},
		{"not base64", "%%%", "HOSO_KEK: key 1 is not base64"},
		{"short", "c2hvcnQ=", "HOSO_KEK: key 1 is 5 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string {
				switch k {
				case "HOSO_DATABASE_URL":
					return "postgres://127.0.0.1:1/nowhere"
				case "HOSO_PERSONAL_ID_KEY":
					return "a-personal-id-key-of-at-least-32-bytes!"
				case "HOSO_KEK":
					return tt.kek
				}
				return ""
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"serve"}, getenv, strings.NewReader(""), &out, &errOut)
			if code != 2 || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("serve = exit %d, %q; want 2 and %q", code, errOut.String(), tt.want)
			}
		})
	}
}
