// Package tsa asks an RFC 3161 time-stamping authority for a token over
// some bytes and verifies such tokens. No time-stamp library is served to
// this build (github.com/digitorus/timestamp is not), so the request and
// TSTInfo are encoded here with encoding/asn1; the token's CMS signature
// is verified with github.com/smallstep/pkcs7. It imports only
// internal/cmsbuild of ours (for its object identifiers).
package tsa

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/hoso-ledger/hoso/internal/cmsbuild"
)

// MessageImprint is the hash a token covers.
type MessageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

// Request is a TimeStampReq.
type Request struct {
	Version        int
	MessageImprint MessageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional,default:false"`
}

// Accuracy of a TSTInfo.
type Accuracy struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"optional,tag:0"`
	Micros  int `asn1:"optional,tag:1"`
}

// TSTInfo is the signed content of a token.
type TSTInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint MessageImprint
	SerialNumber   *big.Int
	GenTime        time.Time     `asn1:"generalized"`
	Accuracy       Accuracy      `asn1:"optional"`
	Ordering       bool          `asn1:"optional,default:false"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional,tag:0"`
	Extensions     asn1.RawValue `asn1:"optional,tag:1"`
}

// StatusInfo is a PKIStatusInfo.
type StatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional,utf8"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

// Response is a TimeStampResp.
type Response struct {
	Status StatusInfo
	Token  asn1.RawValue `asn1:"optional"`
}

// Token is a verified time-stamp token.
type Token struct {
	DER     []byte // the ContentInfo, as stored
	GenTime time.Time
	Serial  string
	Signer  *x509.Certificate
}

// Client asks one TSA.
type Client struct {
	URL    string
	Client *http.Client // a 10 s timeout when nil
	Roots  *x509.CertPool
}

const maxReply = 1 << 20

// Stamp gets a token over data (its SHA-256) and verifies it: the TSA's
// signature chained to Roots, the imprint and the nonce.
func (c Client) Stamp(ctx context.Context, data []byte) (Token, error) {
	sum := sha256.Sum256(data)
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return Token{}, err
	}
	req, err := asn1.Marshal(Request{Version: 1, MessageImprint: imprint(sum[:]), Nonce: nonce, CertReq: true})
	if err != nil {
		return Token{}, fmt.Errorf("tsa: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return Token{}, fmt.Errorf("tsa: %w", err)
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(hr)
	if err != nil {
		return Token{}, fmt.Errorf("tsa: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return Token{}, fmt.Errorf("tsa: reading the reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Token{}, fmt.Errorf("tsa: HTTP %d", resp.StatusCode)
	}
	var r Response
	if rest, err := asn1.Unmarshal(body, &r); err != nil || len(rest) > 0 {
		return Token{}, fmt.Errorf("tsa: not a TimeStampResp")
	}
	if r.Status.Status > 1 || len(r.Token.FullBytes) == 0 {
		return Token{}, fmt.Errorf("tsa: refused (status %d) %v", r.Status.Status, r.Status.StatusString)
	}
	tok, info, err := Verify(r.Token.FullBytes, data, c.Roots)
	if err != nil {
		return Token{}, err
	}
	if info.Nonce == nil || info.Nonce.Cmp(nonce) != 0 {
		return Token{}, errors.New("tsa: the token answers another request (nonce)")
	}
	return tok, nil
}

func imprint(sum []byte) MessageImprint {
	return MessageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: cmsbuild.OIDSHA256}, HashedMessage: sum}
}

// Verify checks a token (DER ContentInfo) over data: a SignedData of a
// TSTInfo whose imprint is data's SHA-256, signed by a certificate that
// chains to roots (at the token's time) and may stamp time.
func Verify(der, data []byte, roots *x509.CertPool) (Token, TSTInfo, error) {
	var info TSTInfo
	p7, err := parse(der)
	if err != nil {
		return Token{}, info, fmt.Errorf("tsa: the token is not CMS SignedData: %w", err)
	}
	if rest, err := asn1.Unmarshal(p7.Content, &info); err != nil || len(rest) > 0 {
		return Token{}, info, errors.New("tsa: the token holds no TSTInfo")
	}
	sum := sha256.Sum256(data)
	if !info.MessageImprint.HashAlgorithm.Algorithm.Equal(cmsbuild.OIDSHA256) || !bytes.Equal(info.MessageImprint.HashedMessage, sum[:]) {
		return Token{}, info, errors.New("tsa: the token is over other data")
	}
	if roots == nil {
		return Token{}, info, errors.New("tsa: no trust roots to check the authority against")
	}
	if err := p7.VerifyWithChainAtTime(roots, info.GenTime); err != nil {
		return Token{}, info, fmt.Errorf("tsa: the token's signature: %w", err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil || !hasTimeStamping(signer) {
		return Token{}, info, errors.New("tsa: the signer may not stamp time (extended key usage)")
	}
	return Token{DER: der, GenTime: info.GenTime.UTC(), Serial: info.SerialNumber.String(), Signer: signer}, info, nil
}

func parse(der []byte) (p7 *pkcs7.PKCS7, err error) {
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("unparsable: %v", r)
		}
	}()
	return pkcs7.Parse(der)
}

func hasTimeStamping(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageTimeStamping {
			return true
		}
	}
	return false
}

// ParseRequest decodes a TimeStampReq (for a responder, such as the test
// authority in internal/certtest).
func ParseRequest(b []byte) (Request, error) {
	var r Request
	if rest, err := asn1.Unmarshal(b, &r); err != nil || len(rest) > 0 {
		return r, errors.New("tsa: not a TimeStampReq")
	}
	return r, nil
}
