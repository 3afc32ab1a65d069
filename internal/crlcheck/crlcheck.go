// Package crlcheck asks a certificate's issuing CA, through its
// certificate revocation list (RFC 5280 §5, crypto/x509's
// ParseRevocationList), whether the certificate is revoked, and keeps what
// proves the answer. It is the other half of the revocation check beside
// OCSP (internal/ocspcheck): Vietnamese CAs publish both, and a CA whose
// OCSP responder is down still serves its CRL. It imports nothing of ours.
package crlcheck

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Status names the answer.
type Status string

const (
	Good          Status = "good"
	Revoked       Status = "revoked"
	Unreachable   Status = "unreachable" // no usable CRL: not fetched, not signed by the issuer, expired
	NoDistributor Status = "no_crl_url"  // none configured and none in the certificate
)

// MaxCRL bounds a CRL's size (a national CA's full CRL is a few MB).
const MaxCRL = 32 << 20

// KeepDER is the largest CRL whose DER is kept as evidence; a larger one is
// identified by its SHA-256 and number (the CA archives its CRLs).
const KeepDER = 64 << 10

// Evidence is what was fetched and found.
type Evidence struct {
	URL        string
	Status     Status
	SHA256     string // of the CRL's DER
	Number     string // the CRL number extension, decimal
	ThisUpdate time.Time
	NextUpdate time.Time
	RevokedAt  time.Time
	DER        []byte // the CRL, when no larger than KeepDER
	Detail     string // why the CRL was unusable
}

// Checker fetches one CRL: URL when set (HOSO_CRL_URL), else the first
// HTTP distribution point in the certificate.
type Checker struct {
	URL    string
	Client *http.Client // a 10 s timeout when nil
	Now    func() time.Time
}

// Check returns the certificate's status at the moment of checking. It
// returns an error only for a bad argument; an unreachable or unusable CRL
// is Unreachable with Detail, so the caller applies its policy.
func (c Checker) Check(ctx context.Context, cert, issuer *x509.Certificate) (Evidence, error) {
	if cert == nil || issuer == nil {
		return Evidence{}, errors.New("crlcheck: a certificate and its issuer are needed")
	}
	ev := Evidence{URL: c.URL}
	if ev.URL == "" {
		for _, u := range cert.CRLDistributionPoints {
			if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
				ev.URL = u
				break
			}
		}
	}
	if ev.URL == "" {
		ev.Status = NoDistributor
		return ev, nil
	}
	unreachable := func(format string, args ...any) (Evidence, error) {
		ev.Status, ev.Detail = Unreachable, fmt.Sprintf(format, args...)
		return ev, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ev.URL, nil)
	if err != nil {
		return unreachable("bad CRL URL: %v", err)
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return unreachable("%v", err)
	}
	defer resp.Body.Close()
	der, err := io.ReadAll(io.LimitReader(resp.Body, MaxCRL+1))
	switch {
	case err != nil:
		return unreachable("reading the CRL: %v", err)
	case resp.StatusCode != http.StatusOK:
		return unreachable("HTTP %d", resp.StatusCode)
	case len(der) > MaxCRL:
		return unreachable("the CRL is larger than %d bytes", MaxCRL)
	}
	sum := sha256.Sum256(der)
	ev.SHA256 = hex.EncodeToString(sum[:])
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return unreachable("not a CRL: %v", err)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		return unreachable("the CRL is not signed by the certificate's issuer: %v", err)
	}
	ev.ThisUpdate, ev.NextUpdate = rl.ThisUpdate, rl.NextUpdate
	if rl.Number != nil {
		ev.Number = rl.Number.String()
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if t := now(); !rl.NextUpdate.IsZero() && t.After(rl.NextUpdate) {
		return unreachable("the CRL expired on %s (nextUpdate)", rl.NextUpdate.UTC().Format(time.RFC3339))
	}
	if len(der) <= KeepDER {
		ev.DER = der
	}
	ev.Status = Good
	for _, r := range rl.RevokedCertificateEntries {
		if r.SerialNumber != nil && r.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			ev.Status, ev.RevokedAt = Revoked, r.RevocationTime
			break
		}
	}
	return ev, nil
}
