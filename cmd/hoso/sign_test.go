package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/internal/certtest"
)

// TestSignOffline runs `hoso sign --in --out` against a SoftHSM2 token
// made for the test, with the PIN from HOSO_PKCS11_PIN and from standard
// input, and checks the signature with the server's verifier; misuse exits
// 2 and a wrong PIN 1, writing nothing.
func TestSignOffline(t *testing.T) {
	ca := certtest.NewCA(t, "Hoso CLI Token Root")
	now := time.Now()
	tok := ca.NewSoftToken(t, "hoso-cli", "Trần Văn Ký", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), "")
	t.Setenv("SOFTHSM2_CONF", tok.Conf)
	dir := t.TempDir()
	in := filepath.Join(dir, "manifest.json")
	content := []byte(`{"format":"hoso-approval-manifest/v1","month":"2026-11"}`)
	if err := os.WriteFile(in, content, 0o600); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	hoso := func(env map[string]string, stdin string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"sign"}, args...), func(k string) string { return env[k] }, strings.NewReader(stdin), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	token := []string{"--module", certtest.SoftHSMModule, "--token-label", tok.Label, "--key-label", tok.KeyLabel}
	cases := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		code  int
	}{
		{"PIN from the environment", map[string]string{"HOSO_PKCS11_PIN": tok.PIN}, "", append(token, "--in", in, "--out", filepath.Join(dir, "a.p7s")), 0},
		{"PIN from standard input", nil, tok.PIN + "\n", append([]string{"--key-id", "01", "--module", certtest.SoftHSMModule, "--token-label", tok.Label}, "--in", in, "--out", filepath.Join(dir, "b.p7s")), 0},
		{"wrong PIN", map[string]string{"HOSO_PKCS11_PIN": "999999"}, "", append(token, "--in", in, "--out", filepath.Join(dir, "c.p7s")), 1},
		{"no PIN at all", nil, "", append(token, "--in", in, "--out", filepath.Join(dir, "d.p7s")), 1},
		{"a --pin flag does not exist", nil, "", append(token, "--pin", tok.PIN, "--in", in, "--out", filepath.Join(dir, "e.p7s")), 2},
		{"offline and online at once", nil, "", append(token, "--in", in, "--out", filepath.Join(dir, "f.p7s"), "--url", "http://x"), 2},
		{"no token named", nil, "", []string{"--key-label", "x", "--in", in, "--out", filepath.Join(dir, "g.p7s")}, 2},
		{"online without org", nil, "", append(token, "--url", "http://127.0.0.1:1"), 2},
	}
	for _, tc := range cases {
		code, stdout, stderr := hoso(tc.env, tc.stdin, tc.args...)
		if code != tc.code {
			t.Errorf("%s: exit %d (stdout %q, stderr %q), want %d", tc.name, code, stdout, stderr, tc.code)
		}
		out := tc.args[len(tc.args)-1]
		der, err := os.ReadFile(out)
		if tc.code != 0 {
			if err == nil {
				t.Errorf("%s: wrote %s", tc.name, out)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if info, err := approvals.VerifyCMS(der, content, roots); err != nil || !info.Signer.Equal(tok.Cert) {
			t.Errorf("%s: the signature does not verify: %v", tc.name, err)
		}
		if strings.Contains(stdout+stderr, tok.PIN) {
			t.Errorf("%s: the PIN was printed", tc.name)
		}
	}
}
