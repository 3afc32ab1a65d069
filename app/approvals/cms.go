package approvals

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/hoso-ledger/hoso/domain"
)

// MaxSignatureSize bounds an uploaded CMS signature: a few certificates
// and one signature, never the content (it is detached).
const MaxSignatureSize = 256 << 10

// ClockSkew is how far a signing time may lie after the server's clock, or
// before the manifest was served, before it is refused as implausible.
const ClockSkew = 5 * time.Minute

// LoadTrustRoots reads HOSO_SIGNING_TRUST_ROOTS: one PEM file, or a folder
// whose *.pem, *.crt and *.cer files are read. Every certificate must parse
// and at least one must be found.
func LoadTrustRoots(path string) (*x509.CertPool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("approvals: trust roots: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		files = nil
		for _, pat := range []string{"*.pem", "*.crt", "*.cer"} {
			m, _ := filepath.Glob(filepath.Join(path, pat))
			files = append(files, m...)
		}
	}
	pool := x509.NewCertPool()
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("approvals: trust roots: %w", err)
		}
		for {
			var block *pem.Block
			block, b = pem.Decode(b)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("approvals: trust roots: %s: %w", f, err)
			}
			pool.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("approvals: trust roots: no certificate in %s", path)
	}
	return pool, nil
}

// signature is a parsed, cryptographically checked upload.
type signature struct {
	signer      *x509.Certificate
	chainCerts  []*x509.Certificate
	signingTime time.Time
	hasTime     bool
}

// parseCMS accepts DER or PEM ("PKCS7", "CMS") SignedData with exactly one
// signer whose certificate is included.
func parseCMS(body []byte) (*pkcs7.PKCS7, []byte, error) {
	der := body
	if trimmed := bytes.TrimSpace(body); bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		block, _ := pem.Decode(trimmed)
		if block == nil || (block.Type != "PKCS7" && block.Type != "CMS") {
			return nil, nil, refuse(CodeCMSMalformed, domain.ErrInvalid, "a PEM upload must be one PKCS7 or CMS block", nil)
		}
		der = block.Bytes
	}
	if len(der) == 0 || len(der) > MaxSignatureSize {
		return nil, nil, refuse(CodeCMSMalformed, domain.ErrInvalid, fmt.Sprintf("a signature of 1 to %d bytes", MaxSignatureSize), nil)
	}
	p7, err := parseSafely(der)
	if err != nil {
		return nil, nil, refuse(CodeCMSMalformed, domain.ErrInvalid, "not a CMS SignedData", err)
	}
	if len(p7.Signers) != 1 {
		return nil, nil, refuse(CodeCMSMalformed, domain.ErrInvalid, fmt.Sprintf("%d signers, want exactly one", len(p7.Signers)), nil)
	}
	if p7.GetOnlySigner() == nil {
		return nil, nil, refuse(CodeCMSMalformed, domain.ErrInvalid, "the signer's certificate is not included", nil)
	}
	return p7, der, nil
}

// parseSafely guards against a panic in the ASN.1 parser on hostile input:
// an upload must never take the server down.
func parseSafely(der []byte) (p7 *pkcs7.PKCS7, err error) {
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("unparsable: %v", r)
		}
	}()
	return pkcs7.Parse(der)
}

// checkSignature verifies p7 over exactly content: the message digest and
// the signer's signature. Other content is CodeSignatureMismatch.
func checkSignature(p7 *pkcs7.PKCS7, content []byte) (sig signature, err error) {
	if len(p7.Content) != 0 && !bytes.Equal(p7.Content, content) {
		return sig, refuse(CodeSignatureMismatch, domain.ErrInvalid, "the signature embeds other content than the manifest", nil)
	}
	p7.Content = content
	sig.signer = p7.GetOnlySigner()
	sig.chainCerts = p7.Certificates
	var t time.Time
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &t); err == nil {
		sig.signingTime, sig.hasTime = t.UTC(), true
	}
	// Without a trust store the library checks the digest and the
	// signature only, but it also refuses a signing time outside the
	// certificate's validity, which checkCertificate reports with its own
	// code: then the signature is checked again with the time set aside.
	if err := p7.Verify(); err != nil {
		var tErr *pkcs7.SigningTimeNotValidError
		if !errors.As(err, &tErr) {
			return sig, refuse(CodeSignatureMismatch, domain.ErrInvalid, "the signature is not over the served manifest", err)
		}
		if err := verifyIgnoringTime(p7); err != nil {
			return sig, refuse(CodeSignatureMismatch, domain.ErrInvalid, "the signature is not over the served manifest", err)
		}
	}
	return sig, nil
}

// verifyIgnoringTime checks the digest and signature of a SignedData whose
// signing time lies outside its certificate's validity: the library stops
// at the time check, so the time attribute's verdict is set aside by
// checking a copy against a certificate with widened validity.
func verifyIgnoringTime(p7 *pkcs7.PKCS7) error {
	signer := p7.GetOnlySigner()
	wide := *signer
	wide.NotBefore = time.Time{}
	wide.NotAfter = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	cp := *p7
	cp.Certificates = make([]*x509.Certificate, len(p7.Certificates))
	for i, c := range p7.Certificates {
		if c == signer {
			cp.Certificates[i] = &wide
		} else {
			cp.Certificates[i] = c
		}
	}
	return cp.Verify()
}

// checkCertificate judges the signer's certificate at the signing time:
// validity, chain to roots, and key usage for signing.
func checkCertificate(sig signature, roots *x509.CertPool) error {
	c, at := sig.signer, sig.signingTime
	if at.Before(c.NotBefore) {
		return refuse(CodeCertNotYetValid, domain.ErrInvalid, "the certificate is valid from "+viDateTime(c.NotBefore), nil)
	}
	if at.After(c.NotAfter) {
		return refuse(CodeCertExpired, domain.ErrInvalid, "the certificate expired on "+viDateTime(c.NotAfter), nil)
	}
	if roots == nil {
		return refuse(CodeCertUntrusted, domain.ErrInvalid, "no trust roots are configured (HOSO_SIGNING_TRUST_ROOTS)", nil)
	}
	inter := x509.NewCertPool()
	for _, ic := range sig.chainCerts {
		if ic != c {
			inter.AddCert(ic)
		}
	}
	if _, err := c.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: at,
		// Signing certificates of Vietnamese CAs carry various extended
		// usages (or none); key usage is what decides below.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return refuse(CodeCertUntrusted, domain.ErrInvalid, "the certificate does not chain to a configured trust root", err)
	}
	if c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return refuse(CodeCertKeyUsage, domain.ErrInvalid, "the certificate's key usage allows neither digitalSignature nor nonRepudiation", nil)
	}
	return nil
}

// Fingerprint is the lower-case hex SHA-256 of a certificate's DER, as
// account.CertificateRegistered stores it.
func Fingerprint(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

// viDateTime formats t as Vietnamese readers expect: HH:MM dd/mm/yyyy, Hà Nội time.
func viDateTime(t time.Time) string {
	return t.In(domain.VietnamZone).Format("15:04 02/01/2006")
}

func subjectOf(c *x509.Certificate) string { return strings.TrimSpace(c.Subject.String()) }

// CMSInfo is what VerifyCMS learned from a signature.
type CMSInfo struct {
	Signer       *x509.Certificate
	Certificates []*x509.Certificate // all the SignedData carries
	SigningTime  time.Time           // zero when the signature states none
}

// VerifyCMS checks a detached CMS signature (DER or PEM) over exactly
// content and, when roots is not nil, the signer's certificate at the
// signing time (validity, chain, key usage). It needs no database: the
// audit bundle's verifier uses it. Errors are *Error with the codes of
// Submit.
func VerifyCMS(body, content []byte, roots *x509.CertPool) (CMSInfo, error) {
	p7, _, err := parseCMS(body)
	if err != nil {
		return CMSInfo{}, err
	}
	sig, err := checkSignature(p7, content)
	if err != nil {
		return CMSInfo{}, err
	}
	info := CMSInfo{Signer: sig.signer, Certificates: sig.chainCerts}
	if sig.hasTime {
		info.SigningTime = sig.signingTime
	}
	if roots != nil {
		if !sig.hasTime {
			sig.signingTime = time.Now()
		}
		if err := checkCertificate(sig, roots); err != nil {
			return info, err
		}
	}
	return info, nil
}
