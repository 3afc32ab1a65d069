package config_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/config"
)

// TestSyncVariables: the national sync is off without HOSO_NATIONAL_URL;
// with it, every problem of the other variables is reported at once.
func TestSyncVariables(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "sync.key")
	if _, err := checkpoint.LoadOrCreateKey(keyPath, "hoso.test/sync"); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("không phải PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The national receiver's X25519 key, as openssl genpkey and pkey -pubout write it.
	xk, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(xk.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	nationalKey := filepath.Join(dir, "national.pub")
	if err := os.WriteFile(nationalKey, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"HOSO_DATABASE_URL": "postgres://db/hoso", "HOSO_PERSONAL_ID_KEY": strings.Repeat("k", 32)}
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		enabled bool
		want    []string
	}{
		{"off", nil, false, nil},
		{"on", map[string]string{"HOSO_NATIONAL_URL": "https://csdl.example/packages", "HOSO_NATS_URL": "nats://127.0.0.1:4222",
			"HOSO_SYNC_KEY": keyPath, "HOSO_NATIONAL_TOKEN": "t", "HOSO_NATIONAL_KEY": nationalKey}, true, nil},
		{"every problem", map[string]string{"HOSO_NATIONAL_URL": "ftp://x", "HOSO_SYNC_KEY": filepath.Join(dir, "none.key"),
			"HOSO_NATIONAL_CLIENT_CERT": notPEM, "HOSO_NATIONAL_CA": notPEM, "HOSO_NATIONAL_KEY": notPEM}, true,
			[]string{"HOSO_NATIONAL_URL is \"ftp://x\"", "HOSO_NATS_URL is not set", "HOSO_NATIONAL_KEY: ", "HOSO_SYNC_KEY: ", "HOSO_NATIONAL_CLIENT_CERT and HOSO_NATIONAL_CLIENT_KEY go together", "HOSO_NATIONAL_CA: no PEM"}},
		{"a bad client pair", map[string]string{"HOSO_NATIONAL_CLIENT_CERT": notPEM, "HOSO_NATIONAL_CLIENT_KEY": notPEM}, false,
			[]string{"HOSO_NATIONAL_CLIENT_CERT/KEY: "}},
	} {
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range tc.vars {
			vars[k] = v
		}
		c, err := config.Load(env(vars), 0)
		got := problems(err)
		if c.Sync.Enabled() != tc.enabled || len(got) != len(tc.want) {
			t.Errorf("%s: enabled %v, problems %q; want %v, %q", tc.name, c.Sync.Enabled(), got, tc.enabled, tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s: problem %d = %q, want %q…", tc.name, i, got[i], w)
			}
		}
		if tc.name == "on" && (c.Sync.Key == nil || c.Sync.NationalToken != "t" || c.Sync.ReleaseTo == nil) {
			t.Errorf("on: %+v", c.Sync)
		}
	}
}
