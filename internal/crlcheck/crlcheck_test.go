package crlcheck_test

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/crlcheck"
)

// TestCheck reads a local CA's CRL about good and revoked certificates,
// from the certificate's distribution point or a configured URL, and sees
// an unreachable, failing, expired or forged CRL and a certificate naming
// none.
func TestCheck(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Hoso CRL Test Root")
	other := certtest.NewCA(t, "Another CA")
	crl, stale, forged := ca.CRLServer(t), ca.CRLServer(t), other.CRLServer(t)
	stale.Expire()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bảo trì", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("không phải CRL")) }))
	defer garbage.Close()
	now := time.Now()
	issue := func(cn, url string) *x509.Certificate {
		s := ca.Issue(t, cn, now.Add(-time.Hour), now.Add(time.Hour), certtest.SigningUsage)
		if url == "" {
			return s.Cert
		}
		return ca.IssueWithCRL(t, cn, s.Key.Public(), now.Add(-time.Hour), now.Add(time.Hour), url)
	}
	good, revoked := issue("good", crl.URL), issue("revoked", crl.URL)
	crl.Revoke(revoked.SerialNumber)
	for _, tc := range []struct {
		name      string
		checker   crlcheck.Checker
		cert      *x509.Certificate
		want      crlcheck.Status
		evidenced bool
	}{
		{"good, from the distribution point", crlcheck.Checker{}, good, crlcheck.Good, true},
		{"revoked", crlcheck.Checker{}, revoked, crlcheck.Revoked, true},
		{"configured URL over the distribution point", crlcheck.Checker{URL: failing.URL}, good, crlcheck.Unreachable, false},
		{"configured URL, certificate naming none", crlcheck.Checker{URL: crl.URL}, issue("plain", ""), crlcheck.Good, true},
		{"nobody listening", crlcheck.Checker{URL: "http://127.0.0.1:1"}, good, crlcheck.Unreachable, false},
		{"not a CRL", crlcheck.Checker{URL: garbage.URL}, good, crlcheck.Unreachable, false},
		{"expired CRL", crlcheck.Checker{URL: stale.URL}, good, crlcheck.Unreachable, false},
		{"CRL signed by another CA", crlcheck.Checker{URL: forged.URL}, good, crlcheck.Unreachable, false},
		{"no CRL anywhere", crlcheck.Checker{}, issue("plain2", ""), crlcheck.NoDistributor, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := tc.checker.Check(context.Background(), tc.cert, ca.Cert)
			if err != nil || ev.Status != tc.want || (len(ev.DER) > 0) != tc.evidenced {
				t.Fatalf("Check = %+v, %v; want %s with evidence %v", ev, err, tc.want, tc.evidenced)
			}
			if tc.evidenced {
				rl, err := x509.ParseRevocationList(ev.DER)
				if err != nil || rl.CheckSignatureFrom(ca.Cert) != nil || ev.SHA256 == "" || ev.Number == "" {
					t.Errorf("the stored evidence: %v", err)
				}
			}
			if tc.want == crlcheck.Unreachable && ev.Detail == "" {
				t.Errorf("unreachable without a reason")
			}
		})
	}
	if _, err := (crlcheck.Checker{}).Check(context.Background(), good, nil); err == nil {
		t.Error("a missing issuer was accepted")
	}
}
