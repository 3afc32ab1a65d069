package approvals

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/internal/crlcheck"
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

// certificateStatus asks the signer's CA about the certificate, over
// OCSP and, when configured, its CRL. Revoked (by either) and unknown are
// refused; OCSP's good answer, or the CRL's when the responder gives none,
// accepts; no usable answer from either is refused or noted as the
// deployment's policy says; a certificate that names neither a responder
// nor a CRL, where none is configured, is recorded as such (nothing can be
// asked).
func (s *Service) certificateStatus(ctx context.Context, sig signature, now time.Time) (*approval.CertificateStatus, error) {
	if s.cfg.OCSP == nil && s.cfg.CRL == nil {
		return nil, nil
	}
	issuer := issuerOf(sig, s.cfg.Roots)
	if issuer == nil {
		issuer = sig.signer // a self-signed certificate trusted as a root
	}
	out := &approval.CertificateStatus{Method: "ocsp", CheckedAt: now}
	ocspEv := ocspcheck.Evidence{Status: ocspcheck.NoResponder}
	if s.cfg.OCSP != nil {
		ev, err := s.cfg.OCSP.Check(ctx, sig.signer, issuer)
		if err != nil {
			return nil, err
		}
		ocspEv = ev
		out.Responder, out.Status, out.Response, out.ProducedAt = ev.Responder, string(ev.Status), ev.Response, ev.ProducedAt.UTC()
	}
	var crl *crlcheck.Evidence
	if s.cfg.CRL != nil {
		ev, err := s.cfg.CRL.Check(ctx, sig.signer, issuer)
		if err != nil {
			return nil, err
		}
		crl = &ev
		out.CRL = &approval.CRLStatus{URL: ev.URL, Status: string(ev.Status), SHA256: ev.SHA256, Number: ev.Number,
			ThisUpdate: ev.ThisUpdate.UTC(), NextUpdate: ev.NextUpdate.UTC(), DER: ev.DER, Detail: ev.Detail}
		if s.cfg.OCSP == nil {
			out.Method = "crl"
		} else {
			out.Method = "ocsp+crl"
		}
	}
	crlSays := func(st crlcheck.Status) bool { return crl != nil && crl.Status == st }
	switch {
	case ocspEv.Status == ocspcheck.Revoked:
		return nil, refuse(CodeCertRevokedByCA, domain.ErrForbidden,
			"the certification authority revoked the certificate on "+viDateTime(ocspEv.RevokedAt), nil)
	case crlSays(crlcheck.Revoked):
		return nil, refuse(CodeCertRevokedByCA, domain.ErrForbidden,
			"the certification authority's revocation list ("+crl.URL+") lists the certificate, revoked on "+viDateTime(crl.RevokedAt), nil)
	case ocspEv.Status == ocspcheck.Unknown:
		return nil, refuse(CodeCertStatusUnknown, domain.ErrForbidden, "the certification authority's responder does not know the certificate", nil)
	case ocspEv.Status == ocspcheck.Good:
		if crl != nil && crl.Status == crlcheck.Unreachable {
			out.Note = "the revocation list gave no usable answer (" + crl.Detail + "); OCSP answered good"
		}
		return out, nil
	case crlSays(crlcheck.Good):
		out.Status = string(crlcheck.Good)
		if ocspEv.Status == ocspcheck.Unreachable {
			out.Note = "the OCSP responder gave no usable answer (" + ocspEv.Detail + "); the revocation list answered"
		}
		return out, nil
	case ocspEv.Status == ocspcheck.NoResponder && (crl == nil || crl.Status == crlcheck.NoDistributor):
		out.Status = string(ocspcheck.NoResponder)
		out.Note = "the certificate names no OCSP responder and none is configured (HOSO_OCSP_URL)"
		if crl != nil {
			out.Note += ", nor a revocation list (HOSO_CRL_URL)"
		}
		return out, nil
	}
	// Neither source gave a usable answer.
	var why []string
	if ocspEv.Status == ocspcheck.Unreachable {
		why = append(why, "OCSP "+ocspEv.Responder+": "+ocspEv.Detail)
	}
	if crlSays(crlcheck.Unreachable) {
		why = append(why, "CRL "+crl.URL+": "+crl.Detail)
	}
	out.Status = string(ocspcheck.Unreachable)
	if s.cfg.OCSPUnreachable == OCSPAcceptWithNote {
		out.Note = "accepted without a usable answer from the certification authority: " + strings.Join(why, "; ")
		return out, nil
	}
	return nil, refuse(CodeCertStatusUnavailable, domain.ErrConflict,
		"the certification authority gave no usable answer ("+strings.Join(why, "; ")+"); try again later", nil)
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
