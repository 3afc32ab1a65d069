package approvals_test

import (
	"context"
	"crypto/x509"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/internal/crlcheck"
	"github.com/hoso-ledger/hoso/internal/ocspcheck"
	"github.com/hoso-ledger/hoso/internal/tsa"
)

// TestCertificateStatusAndTimestamp runs a local OCSP responder and TSA:
// revoked, unknown and unreachable certificates are refused (nothing
// appended); with accept-with-note an unreachable responder is recorded as
// such; a good answer and a verified RFC 3161 token are stored in the
// approval event.
func TestCertificateStatusAndTimestamp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rw := newRemoteWorld(t, approvals.Config{})
	resp := rw.root.OCSPResponder(t)
	authority := rw.root.TSA(t)
	roots := x509.NewCertPool()
	roots.AddCert(rw.root.Cert)
	stamping := &tsa.Client{URL: authority.URL, Roots: roots}
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	served, err := rw.svc.Manifest(ctx, rw.unit, rw.month, approval.LevelUnit, meta)
	if err != nil {
		t.Fatal(err)
	}
	body := rw.signer.SignOpenSSL(t, served.Bytes, "DER")

	checked := rw.with(func(c *approvals.Config) { c.OCSP, c.TSA = &ocspcheck.Checker{Responder: resp.URL}, stamping })
	dead := rw.with(func(c *approvals.Config) { c.OCSP = &ocspcheck.Checker{Responder: "http://127.0.0.1:1/ocsp"} })
	deadTSA := rw.with(func(c *approvals.Config) {
		c.OCSP, c.TSA = &ocspcheck.Checker{Responder: resp.URL}, &tsa.Client{URL: "http://127.0.0.1:1/tsa", Roots: roots}
	})
	for _, tc := range []struct {
		name   string
		svc    *approvals.Service
		status int
		code   string
	}{
		{"revoked by the CA", checked, ocsp.Revoked, approvals.CodeCertRevokedByCA},
		{"unknown to the CA", checked, ocsp.Unknown, approvals.CodeCertStatusUnknown},
		{"responder unreachable (policy refuse)", dead, ocsp.Good, approvals.CodeCertStatusUnavailable},
		{"TSA unreachable", deadTSA, ocsp.Good, approvals.CodeTimestampUnavailable},
	} {
		resp.Set(rw.signer.Cert.SerialNumber, tc.status)
		if _, err := tc.svc.Submit(ctx, rw.unit, rw.month, approval.LevelUnit, body, meta); approvals.CodeOf(err) != tc.code {
			t.Errorf("%s: Submit = %v, want %s", tc.name, err, tc.code)
		}
		if a, err := rw.svc.Approval(ctx, rw.unit, rw.month, approval.LevelUnit); err != nil || a.Sealed() {
			t.Fatalf("%s: sealed %v, %v; want nothing appended", tc.name, a.Sealed(), err)
		}
	}

	resp.Set(rw.signer.Cert.SerialNumber, ocsp.Good)
	ok, err := checked.Submit(ctx, rw.unit, rw.month, approval.LevelUnit, body, meta)
	if err != nil {
		t.Fatalf("Submit with a good certificate = %v", err)
	}
	st, ts := ok.Signed.CertificateStatus, ok.Signed.Timestamp
	if st == nil || st.Status != "good" || st.Responder != resp.URL || len(st.Response) == 0 {
		t.Fatalf("certificate status = %+v", st)
	}
	if r, err := ocsp.ParseResponseForCert(st.Response, rw.signer.Cert, rw.root.Cert); err != nil || r.Status != ocsp.Good {
		t.Errorf("stored OCSP evidence: %v, %v", r, err)
	}
	if ts == nil || ts.Authority != authority.URL {
		t.Fatalf("timestamp = %+v", ts)
	}
	// The stored event, read back, holds a token that verifies over the
	// stored signature.
	a, err := rw.svc.Approval(ctx, rw.unit, rw.month, approval.LevelUnit)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := a.Signature()
	if sig.Via != approval.SignedViaUpload || sig.Timestamp == nil {
		t.Fatalf("stored approval: via %q, timestamp %v", sig.Via, sig.Timestamp)
	}
	if _, err := approvals.VerifyTimestamp(*sig.Timestamp, sig.CMS, roots); err != nil {
		t.Errorf("VerifyTimestamp(stored) = %v", err)
	}
	tampered := *sig.Timestamp
	if _, err := approvals.VerifyTimestamp(tampered, rw.signer.SignGo(t, served.Bytes), roots); err == nil {
		t.Error("the token verified over another signature")
	}
}

// TestUnreachableAcceptedWithNote: the documented alternative policy.
func TestUnreachableAcceptedWithNote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rw := newRemoteWorld(t, approvals.Config{OCSP: &ocspcheck.Checker{Responder: "http://127.0.0.1:1/ocsp"}, OCSPUnreachable: approvals.OCSPAcceptWithNote})
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	served, err := rw.svc.Manifest(ctx, rw.unit, rw.month, approval.LevelUnit, meta)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := rw.svc.Submit(ctx, rw.unit, rw.month, approval.LevelUnit, rw.signer.SignGo(t, served.Bytes), meta)
	if err != nil {
		t.Fatalf("Submit = %v", err)
	}
	if st := ok.Signed.CertificateStatus; st == nil || st.Status != "unreachable" || st.Note == "" || len(st.Response) != 0 {
		t.Fatalf("certificate status = %+v", st)
	}
}

// TestCertificateStatusWithCRL: the CA's revocation list beside OCSP. A
// certificate the CRL lists is refused even when OCSP answers good; when
// the responder is unreachable, a good CRL answers (noted, with the CRL as
// evidence); when neither answers, the policy refuses; nothing is
// appended by a refusal.
func TestCertificateStatusWithCRL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rw := newRemoteWorld(t, approvals.Config{})
	resp, crl := rw.root.OCSPResponder(t), rw.root.CRLServer(t)
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	served, err := rw.svc.Manifest(ctx, rw.unit, rw.month, approval.LevelUnit, meta)
	if err != nil {
		t.Fatal(err)
	}
	body := rw.signer.SignGo(t, served.Bytes)
	deadOCSP := &ocspcheck.Checker{Responder: "http://127.0.0.1:1/ocsp"}
	revokedList := rw.root.CRLServer(t)
	revokedList.Revoke(rw.signer.Cert.SerialNumber)
	for _, tc := range []struct {
		name string
		ocsp *ocspcheck.Checker
		crl  *crlcheck.Checker
		code string
	}{
		{"the CRL lists it, OCSP says good", &ocspcheck.Checker{Responder: resp.URL}, &crlcheck.Checker{URL: revokedList.URL}, approvals.CodeCertRevokedByCA},
		{"the CRL lists it, OCSP unreachable", deadOCSP, &crlcheck.Checker{URL: revokedList.URL}, approvals.CodeCertRevokedByCA},
		{"neither answers (policy refuse)", deadOCSP, &crlcheck.Checker{URL: "http://127.0.0.1:1/crl"}, approvals.CodeCertStatusUnavailable},
	} {
		svc := rw.with(func(c *approvals.Config) { c.OCSP, c.CRL = tc.ocsp, tc.crl })
		if _, err := svc.Submit(ctx, rw.unit, rw.month, approval.LevelUnit, body, meta); approvals.CodeOf(err) != tc.code {
			t.Errorf("%s: Submit = %v, want %s", tc.name, err, tc.code)
		}
		if a, err := rw.svc.Approval(ctx, rw.unit, rw.month, approval.LevelUnit); err != nil || a.Sealed() {
			t.Fatalf("%s: sealed %v, %v; want nothing appended", tc.name, a.Sealed(), err)
		}
	}
	svc := rw.with(func(c *approvals.Config) { c.OCSP, c.CRL = deadOCSP, &crlcheck.Checker{URL: crl.URL} })
	ok, err := svc.Submit(ctx, rw.unit, rw.month, approval.LevelUnit, body, meta)
	if err != nil {
		t.Fatalf("Submit with the responder down and a good CRL = %v", err)
	}
	st := ok.Signed.CertificateStatus
	if st == nil || st.Status != "good" || st.Method != "ocsp+crl" || st.Note == "" || st.CRL == nil || st.CRL.Status != "good" || st.CRL.URL != crl.URL {
		t.Fatalf("certificate status = %+v", st)
	}
	rl, err := x509.ParseRevocationList(st.CRL.DER)
	if err != nil || rl.CheckSignatureFrom(rw.root.Cert) != nil || rl.Number.String() != st.CRL.Number {
		t.Errorf("the CRL kept as evidence: %v", err)
	}
}
