package approvals

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/internal/ocspcheck"
	"github.com/hoso-ledger/hoso/internal/tsa"
)

// Refusal codes of the certificate status and time-stamp checks.
const (
	// CodeCertRevokedByCA: the issuing CA answers that the certificate is revoked.
	CodeCertRevokedByCA = "certificate_revoked_by_ca"
	// CodeCertStatusUnknown: the issuing CA does not know the certificate.
	CodeCertStatusUnknown = "certificate_status_unknown"
	// CodeCertStatusUnavailable: no usable answer from the CA's responder,
	// and the deployment refuses signatures then (OCSPRefuse).
	CodeCertStatusUnavailable = "certificate_status_unavailable"
	// CodeTimestampUnavailable: a TSA is configured and gave no valid token.
	CodeTimestampUnavailable = "timestamp_unavailable"
)

// What to do when the OCSP responder gives no usable answer
// (HOSO_OCSP_UNREACHABLE).
const (
	OCSPRefuse         = "refuse"
	OCSPAcceptWithNote = "accept-with-note"
)

// certificateStatus asks the signer's CA about the certificate. Revoked
// and unknown are refused; no usable answer is refused or noted as the
// deployment's policy says; a certificate that names no responder, where
// none is configured, is recorded as such (nothing can be asked).
func (s *Service) certificateStatus(ctx context.Context, sig signature, now time.Time) (*approval.CertificateStatus, error) {
	if s.cfg.OCSP == nil {
		return nil, nil
	}
	issuer := issuerOf(sig, s.cfg.Roots)
	if issuer == nil {
		issuer = sig.signer // a self-signed certificate trusted as a root
	}
	ev, err := s.cfg.OCSP.Check(ctx, sig.signer, issuer)
	if err != nil {
		return nil, err
	}
	out := &approval.CertificateStatus{Method: "ocsp", Responder: ev.Responder, Status: string(ev.Status),
		Response: ev.Response, ProducedAt: ev.ProducedAt.UTC(), CheckedAt: now}
	switch ev.Status {
	case ocspcheck.Good:
		return out, nil
	case ocspcheck.Revoked:
		return nil, refuse(CodeCertRevokedByCA, domain.ErrForbidden,
			"the certification authority revoked the certificate on "+viDateTime(ev.RevokedAt), nil)
	case ocspcheck.Unknown:
		return nil, refuse(CodeCertStatusUnknown, domain.ErrForbidden, "the certification authority's responder does not know the certificate", nil)
	case ocspcheck.NoResponder:
		out.Note = "the certificate names no OCSP responder and none is configured (HOSO_OCSP_URL)"
		return out, nil
	}
	if s.cfg.OCSPUnreachable == OCSPAcceptWithNote {
		out.Note = "accepted without an answer from the responder: " + ev.Detail
		return out, nil
	}
	return nil, refuse(CodeCertStatusUnavailable, domain.ErrConflict,
		"the certification authority's responder "+ev.Responder+" gave no usable answer ("+ev.Detail+"); try again later", nil)
}

// issuerOf is the certificate that issued the signer's, by the chain to
// the trust roots (checkCertificate built it already, so it exists).
func issuerOf(sig signature, roots *x509.CertPool) *x509.Certificate {
	inter := x509.NewCertPool()
	for _, c := range sig.chainCerts {
		if c != sig.signer {
			inter.AddCert(c)
		}
	}
	chains, err := sig.signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: sig.signingTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 || len(chains[0]) < 2 {
		return nil
	}
	return chains[0][1]
}

// timestamp gets a token from the configured TSA over the SHA-256 of the
// signer's signature value (the CMS signature-time-stamp of RFC 3161
// appendix A), verified against the trust roots.
func (s *Service) timestamp(ctx context.Context, p7 *pkcs7.PKCS7) (*approval.Timestamp, error) {
	if s.cfg.TSA == nil {
		return nil, nil
	}
	value := p7.Signers[0].EncryptedDigest
	tok, err := s.cfg.TSA.Stamp(ctx, value)
	if err != nil {
		return nil, refuse(CodeTimestampUnavailable, domain.ErrConflict, "the time-stamping authority gave no valid token; try again later", err)
	}
	return &approval.Timestamp{Authority: s.cfg.TSA.URL, Token: tok.DER, GenTime: tok.GenTime, Serial: tok.Serial}, nil
}

// VerifyTimestamp checks a recorded time stamp against the CMS it covers.
func VerifyTimestamp(ts approval.Timestamp, cms []byte, roots *x509.CertPool) (time.Time, error) {
	p7, _, err := parseCMS(cms)
	if err != nil {
		return time.Time{}, err
	}
	tok, _, err := tsa.Verify(ts.Token, p7.Signers[0].EncryptedDigest, roots)
	if err != nil {
		return time.Time{}, err
	}
	if !tok.GenTime.Equal(ts.GenTime) {
		return time.Time{}, fmt.Errorf("approvals: the token says %s, the event %s", tok.GenTime, ts.GenTime)
	}
	return tok.GenTime, nil
}
