// Package certtest makes the X.509 material approval tests sign with: a
// certification authority, signing certificates it issues, and detached CMS
// signatures made both with Go and with the openssl command line (as the
// signing tools approvers use would make them). For tests only.
package certtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
)

var serial atomic.Int64

// CA is a certification authority.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// PEM is the CA's certificate in PEM, as a trust-roots file holds it.
func (c *CA) PEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw}))
}

// NewCA makes a self-signed root valid from five years ago for ten years.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name, Country: []string{"VN"}},
		NotBefore: time.Now().AddDate(-5, 0, 0), NotAfter: time.Now().AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: c, Key: key}
}

// Signer is a person's signing certificate and private key.
type Signer struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  string
}

// SigningUsage is what a signing certificate's key usage holds.
const SigningUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment

// Issue makes a certificate for cn valid over [notBefore, notAfter].
func (c *CA) Issue(t testing.TB, cn string, notBefore, notAfter time.Time, usage x509.KeyUsage) Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn, Country: []string{"VN"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: usage,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.Cert, &key.PublicKey, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return Signer{Cert: cert, Key: key, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// IssueFor makes a certificate for cn over pub, a key held elsewhere (a
// PKCS#11 token, an RSA key), valid over [notBefore, notAfter]. ocsp, when
// not empty, is put in the certificate's authority information access as
// its OCSP responder.
func (c *CA) IssueFor(t testing.TB, cn string, pub crypto.PublicKey, notBefore, notAfter time.Time, usage x509.KeyUsage, ocsp string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn, Country: []string{"VN"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: usage,
	}
	if ocsp != "" {
		tmpl.OCSPServer = []string{ocsp}
	}
	return c.create(t, tmpl, pub)
}

// create issues tmpl over pub.
func (c *CA) create(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.Cert, pub, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// CertPEM is cert in PEM.
func CertPEM(cert *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
}

// Fingerprint is the hex SHA-256 of the certificate's DER.
func (s Signer) Fingerprint() string {
	sum := sha256.Sum256(s.Cert.Raw)
	return hex.EncodeToString(sum[:])
}

// SignGo makes a detached CMS SignedData (DER) over content with Go.
func (s Signer) SignGo(t testing.TB, content []byte) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(s.Cert, s.Key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// SignOpenSSL signs content with `openssl cms -sign -binary` (detached
// unless -nodetach is given), writing form "DER" or "PEM".
func (s Signer) SignOpenSSL(t testing.TB, content []byte, form string) []byte {
	t.Helper()
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(s.Key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	in := write("manifest.json", content)
	cert := write("cert.pem", []byte(s.PEM))
	key := write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	out := filepath.Join(dir, "signature")
	cmd := exec.Command("openssl", "cms", "-sign", "-binary", "-md", "sha256",
		"-in", in, "-signer", cert, "-inkey", key, "-outform", form, "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms -sign: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// IssueSeal makes an org's seal certificate for subject (valid from a day
// ago for a year, for signing) and writes it and its key (PKCS#8) as PEM
// files under dir: seal.crt, seal.key. It returns their paths.
func (c *CA) IssueSeal(t testing.TB, subject pkix.Name, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: subject,
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: SigningUsage}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.Cert, &key.PublicKey, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "seal.crt"), filepath.Join(dir, "seal.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// IssueWithCRL makes a certificate for cn over pub, as IssueFor, naming
// crl as its CRL distribution point.
func (c *CA) IssueWithCRL(t testing.TB, cn string, pub crypto.PublicKey, notBefore, notAfter time.Time, crl string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: cn, Country: []string{"VN"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: SigningUsage, CRLDistributionPoints: []string{crl},
	}
	return c.create(t, tmpl, pub)
}
