package approvals

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/internal/cmsbuild"
)

// PrepareTTL is how long a prepared signature may be completed: a remote
// signing service waits for its holder to confirm on a phone, which takes
// seconds to minutes, not hours.
const PrepareTTL = 10 * time.Minute

// Refusal codes of prepare/complete beside Submit's.
const (
	// CodePrepareExpired: the prepared signature is older than PrepareTTL.
	CodePrepareExpired = "prepare_expired"
)

// Prepared is what a hash-signing service signs: the SHA-256 of the CMS
// signed attributes the server built for the served manifest and the
// approver's certificate.
type Prepared struct {
	// ID names the preparation for Complete. It carries the manifest's
	// digest, the certificate's fingerprint and the signing time, which
	// is all the server needs to rebuild the attributes: nothing is kept
	// between the two calls, so any API replica can complete it, and a
	// forged ID only yields a signature that does not verify.
	ID                 string
	ManifestDigest     string
	Fingerprint        string
	SigningTime        time.Time
	ExpiresAt          time.Time
	SignedAttributes   []byte // DER SET OF Attribute: what the signature covers
	Digest             []byte // SHA-256 of SignedAttributes: what to sign
	SignatureAlgorithm string // "ECDSA" or "RSA-PKCS1v15", both with SHA-256
}

const prepareIDVersion = "p1"

func prepareID(digest, fp string, at time.Time) string {
	return prepareIDVersion + "." + digest + "." + fp + "." + strconv.FormatInt(at.Unix(), 10)
}

// ParsePrepareID splits a prepare id into the manifest digest, the
// certificate fingerprint and the signing time. Errors wrap
// domain.ErrInvalid on field prepare_id.
func ParsePrepareID(id string) (digest, fp string, at time.Time, err error) {
	bad := func(why string) error { return domain.Invalid("prepare_id", "format", why) }
	parts := strings.Split(id, ".")
	if len(parts) != 4 || parts[0] != prepareIDVersion {
		return "", "", at, bad("not a prepare id of this server")
	}
	for _, h := range parts[1:3] {
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 || h != strings.ToLower(h) {
			return "", "", at, bad("not a prepare id of this server")
		}
	}
	sec, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || sec <= 0 || sec > 1<<40 || strconv.FormatInt(sec, 10) != parts[3] {
		return "", "", at, bad("not a prepare id of this server")
	}
	return parts[1], parts[2], time.Unix(sec, 0).UTC(), nil
}

// Prepare builds the CMS signed attributes over the latest manifest served
// for org's month (level, supplement n) for the certificate given as DER
// or PEM in cert, or, when cert is empty, the one registered with
// fingerprint fp. The certificate must be registered on an account
// (CodeCertNotRegistered); everything else is checked by Complete exactly
// as an upload. Further errors: CodeMonthSealed, CodeManifestNotServed;
// domain.ErrInvalid naming field certificate or fingerprint_sha256.
func (s *Service) Prepare(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, n int, cert []byte, fp string) (Prepared, error) {
	if !level.Valid() {
		return Prepared{}, domain.Invalid("level", "enum", "unit or department")
	}
	if _, err := s.supplementOf(ctx, orgID, month, level, n); err != nil {
		return Prepared{}, err
	}
	a, _, err := loadAt(ctx, s.ledger, orgID, month, level, n)
	if err != nil {
		return Prepared{}, err
	}
	if sig, ok := a.Signature(); ok {
		return Prepared{}, refuse(CodeMonthSealed, domain.ErrConflict,
			"the month "+month.Vietnamese()+" was approved on "+domain.DateOf(sig.SigningTime).Vietnamese(), nil)
	}
	latest, ok := a.Latest()
	if !ok {
		return Prepared{}, refuse(CodeManifestNotServed, domain.ErrConflict, "fetch the manifest first: GET …/manifest", nil)
	}
	var c *x509.Certificate
	switch {
	case len(cert) > 0:
		if c, err = parseCertificate(cert); err != nil {
			return Prepared{}, err
		}
		if _, err := s.registered(ctx, Fingerprint(c)); err != nil {
			return Prepared{}, err
		}
	case fp != "":
		fp = strings.ToLower(strings.TrimSpace(fp))
		if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
			return Prepared{}, domain.Invalid("fingerprint_sha256", "format", "64 hexadecimal digits: the SHA-256 of the certificate's DER")
		}
		if c, err = s.registered(ctx, fp); err != nil {
			return Prepared{}, err
		}
	default:
		return Prepared{}, domain.Invalid("certificate", "required", "give the certificate (PEM or base64 DER) or its fingerprint_sha256")
	}
	if _, err := cmsbuild.SignatureAlgorithm(c); err != nil {
		return Prepared{}, domain.Invalid("certificate", "key_type", "an ECDSA or RSA key")
	}
	at := s.cfg.Now().UTC().Truncate(time.Second)
	content, err := s.manifests.Bytes(ctx, latest)
	if err != nil {
		return Prepared{}, err
	}
	attrs, err := cmsbuild.Attributes(cmsbuild.OIDData, content, at, c)
	if err != nil {
		return Prepared{}, err
	}
	alg := "ECDSA"
	if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
		alg = "RSA-PKCS1v15"
	}
	return Prepared{
		ID: prepareID(latest.Digest, Fingerprint(c), at), ManifestDigest: latest.Digest, Fingerprint: Fingerprint(c),
		SigningTime: at, ExpiresAt: at.Add(PrepareTTL), SignedAttributes: attrs, Digest: attrs.Digest(), SignatureAlgorithm: alg,
	}, nil
}

// Complete assembles the SignedData of a prepared signature from the raw
// signature a hash-signing service returned (ECDSA as ASN.1 DER or as
// r‖s, RSA PKCS#1 v1.5) and submits it exactly as an uploaded .p7s: the
// same checks, the same refusal codes (a wrong signature is
// CodeSignatureMismatch). Further errors: CodePrepareExpired after
// PrepareTTL; domain.ErrInvalid naming prepare_id or signature.
func (s *Service) Complete(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, n int, id string, signature []byte, m domain.Meta) (Approved, error) {
	digest, fp, at, err := ParsePrepareID(id)
	if err != nil {
		return Approved{}, err
	}
	if len(signature) == 0 || len(signature) > 4096 {
		return Approved{}, domain.Invalid("signature", "size", "the raw signature, base64, of 1 to 4096 bytes")
	}
	if now := s.cfg.Now(); now.After(at.Add(PrepareTTL)) {
		return Approved{}, refuse(CodePrepareExpired, domain.ErrConflict,
			fmt.Sprintf("prepared at %s, it could be completed for %s: prepare again", viDateTime(at), PrepareTTL), nil)
	}
	if !level.Valid() {
		return Approved{}, domain.Invalid("level", "enum", "unit or department")
	}
	a, _, err := loadAt(ctx, s.ledger, orgID, month, level, n)
	if err != nil {
		return Approved{}, err
	}
	served, ok := a.ServedDigest(digest)
	if !ok {
		return Approved{}, domain.Invalid("prepare_id", "unknown", "prepared for a manifest this month never served")
	}
	c, err := s.registered(ctx, fp)
	if err != nil {
		return Approved{}, err
	}
	if k, ok := c.PublicKey.(*ecdsa.PublicKey); ok {
		signature = ecdsaDER(k, signature)
	}
	content, err := s.manifests.Bytes(ctx, served)
	if err != nil {
		return Approved{}, err
	}
	attrs, err := cmsbuild.Attributes(cmsbuild.OIDData, content, at, c)
	if err != nil {
		return Approved{}, err
	}
	der, err := cmsbuild.Assemble(cmsbuild.OIDData, nil, c, nil, attrs, signature)
	if err != nil {
		return Approved{}, err
	}
	return s.submit(ctx, orgID, month, level, n, der, m, approval.SignedViaRemote)
}

// ecdsaDER turns a raw r‖s signature (as some services return it) into
// ASN.1 DER; anything else is returned as given, for the verifier to judge.
func ecdsaDER(k *ecdsa.PublicKey, sig []byte) []byte {
	size := (k.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return sig
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])})
	if err != nil {
		return sig
	}
	return der
}

// parseCertificate reads one certificate, PEM or DER.
func parseCertificate(b []byte) (*x509.Certificate, error) {
	if block, _ := pem.Decode(b); block != nil {
		b = block.Bytes
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		return nil, domain.Invalid("certificate", "format", "one X.509 certificate, PEM or base64 DER")
	}
	return c, nil
}

// registered returns the certificate with fingerprint fp as registered on
// an account (CodeCertNotRegistered when none holds it).
func (s *Service) registered(ctx context.Context, fp string) (*x509.Certificate, error) {
	ids, err := s.certificateAccounts(ctx, fp)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		acct, err := app.LoadAccount(ctx, s.ledger, id)
		if err != nil {
			return nil, err
		}
		if rc, ok := acct.Certificate(fp); ok {
			return parseCertificate([]byte(rc.PEM))
		}
	}
	return nil, refuse(CodeCertNotRegistered, domain.ErrForbidden, "certificate "+fp+" is registered on no account", nil)
}
