// Package ocspcheck asks a certificate's issuing CA, over OCSP (RFC 6960,
// golang.org/x/crypto/ocsp), whether the certificate is revoked, and keeps
// the signed response as evidence. It imports nothing of ours.
package ocspcheck

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Status names the answer.
type Status string

const (
	Good        Status = "good"
	Revoked     Status = "revoked"
	Unknown     Status = "unknown"
	Unreachable Status = "unreachable"  // no usable answer from the responder
	NoResponder Status = "no_responder" // none configured and none in the certificate
)

// Evidence is what was asked and answered.
type Evidence struct {
	Responder  string
	Status     Status
	Response   []byte // the responder's signed DER response, when one parsed
	ProducedAt time.Time
	ThisUpdate time.Time
	RevokedAt  time.Time
	Detail     string // why a response was unusable
}

// Checker asks one responder: Responder when set, else the first OCSP
// responder in the certificate's authority information access.
type Checker struct {
	Responder string
	Client    *http.Client // http.DefaultClient with a 10 s timeout when nil
}

// maxResponse bounds a responder's answer.
const maxResponse = 1 << 20

// Check returns the certificate's status. It returns an error only for a
// bad argument; an unreachable responder or an unusable answer is
// Unreachable with Detail, so the caller applies its policy.
func (c Checker) Check(ctx context.Context, cert, issuer *x509.Certificate) (Evidence, error) {
	if cert == nil || issuer == nil {
		return Evidence{}, errors.New("ocspcheck: a certificate and its issuer are needed")
	}
	ev := Evidence{Responder: c.Responder}
	if ev.Responder == "" && len(cert.OCSPServer) > 0 {
		ev.Responder = cert.OCSPServer[0]
	}
	if ev.Responder == "" {
		ev.Status = NoResponder
		return ev, nil
	}
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: 0})
	if err != nil {
		return Evidence{}, fmt.Errorf("ocspcheck: %w", err)
	}
	unreachable := func(format string, args ...any) (Evidence, error) {
		ev.Status, ev.Detail = Unreachable, fmt.Sprintf(format, args...)
		return ev, nil
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.Responder, bytes.NewReader(req))
	if err != nil {
		return unreachable("bad responder URL: %v", err)
	}
	hr.Header.Set("Content-Type", "application/ocsp-request")
	hr.Header.Set("Accept", "application/ocsp-response")
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(hr)
	if err != nil {
		return unreachable("%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return unreachable("reading the answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return unreachable("HTTP %d", resp.StatusCode)
	}
	// ParseResponseForCert checks the responder's signature (by the issuer
	// or a responder certificate the issuer delegated) and the serial.
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		return unreachable("unusable answer: %v", err)
	}
	ev.Response, ev.ProducedAt, ev.ThisUpdate = body, r.ProducedAt, r.ThisUpdate
	switch r.Status {
	case ocsp.Good:
		ev.Status = Good
	case ocsp.Revoked:
		ev.Status, ev.RevokedAt = Revoked, r.RevokedAt
	default:
		ev.Status = Unknown
	}
	return ev, nil
}
