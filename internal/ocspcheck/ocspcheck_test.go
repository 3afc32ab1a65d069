package ocspcheck_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/ocspcheck"
)

// TestCheck asks a local responder about good, revoked and unknown
// certificates, and sees an unreachable, failing or lying responder and a
// certificate naming none.
func TestCheck(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Hoso OCSP Test Root")
	other := certtest.NewCA(t, "Another CA")
	resp := ca.OCSPResponder(t)
	liar := other.OCSPResponder(t) // signs with a key that is not the issuer's
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }))
	defer failing.Close()
	now := time.Now()
	issue := func(cn, url string) *certtest.Signer {
		s := ca.Issue(t, cn, now.Add(-time.Hour), now.Add(time.Hour), certtest.SigningUsage)
		if url != "" {
			c := ca.IssueFor(t, cn, s.Key.Public(), now.Add(-time.Hour), now.Add(time.Hour), certtest.SigningUsage, url)
			s.Cert = c
		}
		return &s
	}
	good, revoked, unknown := issue("good", resp.URL), issue("revoked", resp.URL), issue("unknown", resp.URL)
	resp.Set(revoked.Cert.SerialNumber, ocsp.Revoked)
	resp.Set(unknown.Cert.SerialNumber, ocsp.Unknown)
	cases := []struct {
		name      string
		checker   ocspcheck.Checker
		cert      *certtest.Signer
		want      ocspcheck.Status
		evidenced bool
	}{
		{"good, from the certificate's AIA", ocspcheck.Checker{}, good, ocspcheck.Good, true},
		{"revoked", ocspcheck.Checker{}, revoked, ocspcheck.Revoked, true},
		{"unknown", ocspcheck.Checker{}, unknown, ocspcheck.Unknown, true},
		{"configured responder over the AIA", ocspcheck.Checker{Responder: failing.URL}, good, ocspcheck.Unreachable, false},
		{"nobody listening", ocspcheck.Checker{Responder: "http://127.0.0.1:1"}, good, ocspcheck.Unreachable, false},
		{"answer signed by another CA", ocspcheck.Checker{Responder: liar.URL}, good, ocspcheck.Unreachable, false},
		{"no responder anywhere", ocspcheck.Checker{}, issue("plain", ""), ocspcheck.NoResponder, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := tc.checker.Check(context.Background(), tc.cert.Cert, ca.Cert)
			if err != nil || ev.Status != tc.want || (len(ev.Response) > 0) != tc.evidenced {
				t.Fatalf("Check = %+v, %v; want %s with evidence %v", ev.Status, err, tc.want, tc.evidenced)
			}
			if tc.evidenced {
				if _, err := ocsp.ParseResponseForCert(ev.Response, tc.cert.Cert, ca.Cert); err != nil {
					t.Errorf("the stored evidence does not parse: %v", err)
				}
			}
		})
	}
}
