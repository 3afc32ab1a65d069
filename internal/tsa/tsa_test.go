package tsa_test

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/tsa"
)

// TestStampAndVerify asks a local authority for a token, verifies it with
// this package and with `openssl ts -verify`, and refuses tokens over other
// data, from an untrusted authority and from a failing server.
func TestStampAndVerify(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Hoso TSA Test Root")
	srv := ca.TSA(t)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	data := []byte("chữ ký của người phê duyệt")
	tok, err := tsa.Client{URL: srv.URL, Roots: roots}.Stamp(context.Background(), data)
	if err != nil {
		t.Fatalf("Stamp = %v", err)
	}
	if d := time.Since(tok.GenTime); d < -time.Minute || d > time.Minute {
		t.Errorf("genTime %v is not now", tok.GenTime)
	}
	if _, _, err := tsa.Verify(tok.DER, []byte("other"), roots); err == nil {
		t.Error("Verify over other data succeeded")
	}
	other := x509.NewCertPool()
	other.AddCert(certtest.NewCA(t, "Other").Cert)
	if _, _, err := tsa.Verify(tok.DER, data, other); err == nil {
		t.Error("Verify against another root succeeded")
	}
	dir := t.TempDir()
	write := func(n string, b []byte) string {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, err := exec.Command("openssl", "ts", "-verify", "-token_in", "-in", write("t.der", tok.DER),
		"-data", write("d", data), "-CAfile", write("ca.pem", []byte(ca.PEM()))).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl ts -verify: %v\n%s", err, out)
	}
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("rác")) }))
	defer garbage.Close()
	for _, u := range []string{failing.URL, garbage.URL, "http://127.0.0.1:1"} {
		if _, err := (tsa.Client{URL: u, Roots: roots}).Stamp(context.Background(), data); err == nil {
			t.Errorf("Stamp(%s) succeeded", u)
		}
	}
}

// FuzzVerify: hostile tokens are refused, never a panic.
func FuzzVerify(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Add([]byte("garbage"))
	roots := x509.NewCertPool()
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, err := tsa.Verify(b, []byte("x"), roots); err == nil {
			t.Fatal("verified a token against an empty pool")
		}
		_, _ = tsa.ParseRequest(b)
	})
}
