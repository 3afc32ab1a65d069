// Package cmsbuild assembles CMS SignedData (RFC 5652) from a signature
// made elsewhere: a remote hash-signing service (VNPT SmartCA, Viettel
// MySign) or a PKCS#11 token signs only a digest, so the signed attributes
// are built first, their digest is handed out, and the SignedData is put
// together when the raw signature comes back. github.com/smallstep/pkcs7,
// which the server verifies with, signs in one step with a key in hand and
// stamps its own signing time, so it cannot do the two halves; this
// package does just that much with golang.org/x/crypto/cryptobyte and
// leaves parsing and verifying to pkcs7. It imports nothing of ours.
package cmsbuild

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers used here.
var (
	OIDData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	// OIDTSTInfo is the content type of an RFC 3161 time-stamp token.
	OIDTSTInfo = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	OIDSHA256  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

	oidContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

// ErrKeyType: the certificate's key is neither ECDSA nor RSA.
var ErrKeyType = errors.New("cmsbuild: the certificate's key is neither ECDSA nor RSA")

// SignedAttributes are the DER bytes of a SignerInfo's signed attributes
// (a SET OF Attribute, tag 0x31): what the signer's signature covers.
type SignedAttributes []byte

// Digest is the SHA-256 of the attributes: what a hash-signing service
// signs (ECDSA over it, or RSA PKCS#1 v1.5 with the SHA-256 DigestInfo).
func (a SignedAttributes) Digest() []byte {
	s := sha256.Sum256(a)
	return s[:]
}

// Attributes builds the signed attributes for content of contentType:
// content-type, message-digest (SHA-256 of content), signing-time (to the
// second, as UTCTime) and ESS signing-certificate-v2 naming signer, so a
// verifier knows which certificate the signer meant (RFC 5035).
func Attributes(contentType asn1.ObjectIdentifier, content []byte, signingTime time.Time, signer *x509.Certificate) (SignedAttributes, error) {
	md := sha256.Sum256(content)
	certHash := sha256.Sum256(signer.Raw)
	values := []struct {
		oid asn1.ObjectIdentifier
		v   any
	}{
		{oidContentType, contentType},
		{oidMessageDigest, md[:]},
		{oidSigningTime, signingTime.UTC().Truncate(time.Second)},
	}
	var encoded [][]byte
	for _, a := range values {
		v, err := asn1.Marshal(a.v)
		if err != nil {
			return nil, fmt.Errorf("cmsbuild: %w", err)
		}
		encoded = append(encoded, attribute(a.oid, v))
	}
	// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 };
	// ESSCertIDv2 ::= SEQUENCE { certHash OCTET STRING } (hashAlgorithm
	// defaults to SHA-256; issuerSerial is optional).
	ess := cryptobyte.NewBuilder(nil)
	ess.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(certHash[:])
			})
		})
	})
	v, err := ess.Bytes()
	if err != nil {
		return nil, fmt.Errorf("cmsbuild: %w", err)
	}
	encoded = append(encoded, attribute(oidSigningCertV2, v))
	// DER orders a SET OF by the elements' encodings.
	slices.SortFunc(encoded, bytes.Compare)
	set := cryptobyte.NewBuilder(nil)
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, e := range encoded {
			b.AddBytes(e)
		}
	})
	out, err := set.Bytes()
	if err != nil {
		return nil, fmt.Errorf("cmsbuild: %w", err)
	}
	return out, nil
}

func attribute(oid asn1.ObjectIdentifier, valueDER []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(valueDER) })
	})
	return b.BytesOrPanic()
}

// SignatureAlgorithm is the SignerInfo's signatureAlgorithm for signer's
// key with SHA-256: ecdsa-with-SHA256, or rsaEncryption as OpenSSL writes
// it for PKCS#1 v1.5.
func SignatureAlgorithm(signer *x509.Certificate) (asn1.ObjectIdentifier, error) {
	switch signer.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return oidECDSAWithSHA256, nil
	case *rsa.PublicKey:
		return oidRSAEncryption, nil
	}
	return nil, ErrKeyType
}

// Assemble returns a ContentInfo holding SignedData with one signer: the
// certificate signer (then the others in certs), its signed attributes
// attrs and signature over attrs.Digest(). content is embedded when not
// nil (a time-stamp token's TSTInfo); nil makes a detached signature.
// Assemble checks nothing cryptographic: verify the result.
func Assemble(contentType asn1.ObjectIdentifier, content []byte, signer *x509.Certificate, certs []*x509.Certificate, attrs SignedAttributes, signature []byte) ([]byte, error) {
	sigAlg, err := SignatureAlgorithm(signer)
	if err != nil {
		return nil, err
	}
	inner := setContent(attrs)
	if inner == nil {
		return nil, errors.New("cmsbuild: the signed attributes are not a DER SET")
	}
	version := int64(1)
	if !contentType.Equal(OIDData) {
		version = 3 // RFC 5652 §5.1: any other encapsulated content type
	}
	digestAlg := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(OIDSHA256) })
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(version)
				b.AddASN1(cbasn1.SET, digestAlg)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(contentType)
					if content != nil {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1OctetString(content)
						})
					}
				})
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddBytes(signer.Raw)
					for _, c := range certs {
						if c != signer && !bytes.Equal(c.Raw, signer.Raw) {
							b.AddBytes(c.Raw)
						}
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(signer.RawIssuer)
							b.AddASN1BigInt(signer.SerialNumber)
						})
						digestAlg(b)
						// [0] IMPLICIT SignedAttributes: the SET's content under tag A0.
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(inner)
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(sigAlg) })
						b.AddASN1OctetString(signature)
					})
				})
			})
		})
	})
	return b.Bytes()
}

// setContent strips a DER SET's tag and length.
func setContent(set []byte) []byte {
	s := cryptobyte.String(set)
	var inner cryptobyte.String
	if !s.ReadASN1(&inner, cbasn1.SET) || !s.Empty() || len(inner) == 0 {
		return nil
	}
	return inner
}
