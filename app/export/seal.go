package export

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
)

// Seal is the org's seal: the certificate that signs exports, its chain
// (intermediates, as the CA issued them) and its private key.
//
// The certificate's subject names who attests item 38 of the CV form:
// O the org, L the place of the signature line, title (2.5.4.12) the
// head's title and CN the head's name, as certificates for official duty
// name the holder and their post.
type Seal struct {
	Cert  *x509.Certificate
	Chain []*x509.Certificate
	Key   crypto.Signer
}

// oidTitle is the X.520 title attribute.
var oidTitle = asn1.ObjectIdentifier{2, 5, 4, 12}

// Holder is what the seal's certificate says of its holder.
type Holder struct {
	Org, Place, Title, Name string
}

// Holder reads the subject.
func (s *Seal) Holder() Holder {
	sub := s.Cert.Subject
	h := Holder{Name: sub.CommonName}
	if len(sub.Organization) > 0 {
		h.Org = sub.Organization[0]
	}
	if len(sub.Locality) > 0 {
		h.Place = sub.Locality[0]
	} else if len(sub.Province) > 0 {
		h.Place = sub.Province[0]
	}
	for _, n := range sub.Names {
		if n.Type.Equal(oidTitle) {
			if v, ok := n.Value.(string); ok {
				h.Title = v
			}
		}
	}
	return h
}

// Describe names a seal certificate's holder for people: "Lê Văn Đức,
// Giám đốc, Sở Y tế tỉnh Phú Thọ (Phú Thọ)". pkix.Name.String writes the
// title attribute as hex, which no reader can read.
func Describe(c *x509.Certificate) string {
	h := (&Seal{Cert: c}).Holder()
	s := h.Name
	for _, part := range []string{h.Title, h.Org} {
		if part != "" {
			s += ", " + part
		}
	}
	if h.Place != "" {
		s += " (" + h.Place + ")"
	}
	return s
}

// Fingerprint is the lower-case hex SHA-256 of the certificate's DER.
func (s *Seal) Fingerprint() string {
	sum := sha256.Sum256(s.Cert.Raw)
	return hex.EncodeToString(sum[:])
}

// ChainPEM is the certificate then its chain, in PEM.
func (s *Seal) ChainPEM() []byte {
	var b strings.Builder
	for _, c := range append([]*x509.Certificate{s.Cert}, s.Chain...) {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return []byte(b.String())
}

// Sign makes a detached CMS SignedData (DER, SHA-256) over content, with
// the signing time and the whole chain, so `openssl cms -verify` needs
// only the trust root.
func (s *Seal) Sign(content []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("export: sign: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(s.Cert, s.Key, s.Chain, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("export: sign: %w", err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("export: sign: %w", err)
	}
	return der, nil
}

// LoadSeal reads the seal's certificate (PEM: the seal's certificate
// first, then its intermediates) and its private key (PEM, PKCS#8, SEC 1
// or PKCS#1), and checks that they belong together and that the
// certificate may sign.
func LoadSeal(certPath, keyPath string) (*Seal, error) {
	raw, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for rest := raw; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", certPath, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", certPath)
	}
	kraw, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	kb, _ := pem.Decode(kraw)
	if kb == nil {
		return nil, fmt.Errorf("%s: no PEM private key", keyPath)
	}
	key, err := parseKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	s := &Seal{Cert: certs[0], Chain: certs[1:], Key: key}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

func parseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("the key cannot sign")
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not a PKCS#8, SEC 1 or PKCS#1 private key")
}

// errSealMismatch: the key is not the certificate's.
var errSealMismatch = errors.New("the seal's key does not match its certificate")

func (s *Seal) check() error {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := s.Key.Public().(equaler)
	if !ok || !pub.Equal(s.Cert.PublicKey) {
		return errSealMismatch
	}
	if s.Cert.KeyUsage != 0 && s.Cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return errors.New("the seal's certificate may not sign (key usage)")
	}
	return nil
}

// SealSubject is the subject a seal certificate should carry for item 38:
// the org (O), the place of the signature line (L), the head's title
// (title, 2.5.4.12) and name (CN).
func SealSubject(org, place, title, name string) pkix.Name {
	return pkix.Name{Country: []string{"VN"}, Organization: []string{org}, Locality: []string{place}, CommonName: name,
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidTitle, Value: title}}}
}

// DevSubject is the development seal's subject: a test seal that says so.
var DevSubject = SealSubject("Đơn vị thử nghiệm hoso (không có giá trị pháp lý)", "Phú Thọ", "Thủ trưởng đơn vị", "Con dấu thử nghiệm của hoso")

// LoadOrCreateDevSeal is the private cluster's seal under dir
// (seal.crt, seal.key), made on first use like the development checkpoint
// key: a self-signed certificate (P-256), valid ten years. It is never a
// production seal: its subject says it has no legal value.
func LoadOrCreateDevSeal(dir string, now time.Time) (*Seal, error) {
	certPath, keyPath := filepath.Join(dir, "seal.crt"), filepath.Join(dir, "seal.key")
	if _, err := os.Stat(certPath); err == nil {
		return LoadSeal(certPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: DevSubject, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return LoadSeal(certPath, keyPath)
}
