package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/internal/config"
)

// TestLoadSeal: HOSO_SEAL_CERT and HOSO_SEAL_KEY are read and checked at
// start, together, and a key of another certificate is refused.
func TestLoadSeal(t *testing.T) {
	t.Parallel()
	one, two := t.TempDir(), t.TempDir()
	for _, dir := range []string{one, two} {
		if _, err := export.LoadOrCreateDevSeal(dir, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	junk := filepath.Join(one, "junk.pem")
	if err := os.WriteFile(junk, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(one, "seal.crt"), filepath.Join(one, "seal.key")
	tests := []struct {
		name      string
		cert, key string
		want      string // the problem's start; "" loads
	}{
		{"neither", "", "", ""},
		{"both", cert, key, ""},
		{"certificate alone", cert, "", "HOSO_SEAL_CERT and HOSO_SEAL_KEY go together"},
		{"key alone", "", key, "HOSO_SEAL_CERT and HOSO_SEAL_KEY go together"},
		{"not a certificate", junk, key, "HOSO_SEAL_CERT, HOSO_SEAL_KEY: "},
		{"not a key", cert, junk, "HOSO_SEAL_CERT, HOSO_SEAL_KEY: "},
		{"another seal's key", cert, filepath.Join(two, "seal.key"), "HOSO_SEAL_CERT, HOSO_SEAL_KEY: the seal's key does not match"},
		{"missing file", filepath.Join(one, "none.crt"), key, "HOSO_SEAL_CERT, HOSO_SEAL_KEY: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Load(env(map[string]string{"HOSO_SEAL_CERT": tt.cert, "HOSO_SEAL_KEY": tt.key}), 0)
			got := problems(err)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Load = %v", err)
			case tt.want == "" && tt.cert != "" && (c.Seal == nil || c.Seal.Holder().Place != "Phú Thọ"):
				t.Fatalf("Load: seal %+v", c.Seal)
			case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)):
				t.Fatalf("Load = %q, want one problem starting %q", got, tt.want)
			}
		})
	}
}
