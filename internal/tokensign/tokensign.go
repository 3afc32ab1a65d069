// Package tokensign signs approval manifests with a key that never leaves
// a PKCS#11 token (the USB tokens Vietnamese CAs issue: VNPT-CA,
// Viettel-CA, BKAV-CA, FPT-CA…), through github.com/ThalesGroup/crypto11,
// and talks to hoso's API to fetch a manifest and upload its signature.
// `hoso sign` is its command line. The CMS is assembled by
// internal/cmsbuild, the same code the server uses for remote signing.
package tokensign

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ThalesGroup/crypto11"

	"github.com/hoso-ledger/hoso/internal/cmsbuild"
)

// DefaultModule is SoftHSM2's module on Debian; a CA's token ships its own.
const DefaultModule = "/usr/lib/softhsm/libsofthsm2.so"

// Options say which token and key to use. Exactly one of TokenLabel and
// Slot names the token; KeyLabel and/or KeyID the key pair, whose
// certificate is found on the token by the same label or id.
type Options struct {
	Module     string
	TokenLabel string
	Slot       *int
	KeyLabel   string
	KeyID      []byte
	PIN        string
}

// Token is an open session on a token with the signing key found.
type Token struct {
	ctx  *crypto11.Context
	key  crypto11.Signer
	cert *x509.Certificate
}

// Open logs in to the token and finds the key pair and its certificate.
func Open(o Options) (*Token, error) {
	if o.Module == "" {
		o.Module = DefaultModule
	}
	if (o.TokenLabel == "") == (o.Slot == nil) {
		return nil, errors.New("tokensign: name the token by its label or its slot, one of the two")
	}
	if o.KeyLabel == "" && len(o.KeyID) == 0 {
		return nil, errors.New("tokensign: name the key by its label or its id")
	}
	if o.PIN == "" {
		return nil, errors.New("tokensign: the token's PIN is empty")
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: o.Module, TokenLabel: o.TokenLabel, SlotNumber: o.Slot, Pin: o.PIN})
	if err != nil {
		return nil, fmt.Errorf("tokensign: opening the token: %w", err)
	}
	label := []byte(nil)
	if o.KeyLabel != "" {
		label = []byte(o.KeyLabel)
	}
	key, err := ctx.FindKeyPair(o.KeyID, label)
	if err == nil && key == nil {
		err = errors.New("no such key pair on the token")
	}
	if err != nil {
		_ = ctx.Close()
		return nil, fmt.Errorf("tokensign: finding the key: %w", err)
	}
	cert, err := ctx.FindCertificate(o.KeyID, label, nil)
	if err == nil && cert == nil {
		err = errors.New("no certificate with the key's label or id on the token")
	}
	if err != nil {
		_ = ctx.Close()
		return nil, fmt.Errorf("tokensign: finding the certificate: %w", err)
	}
	return &Token{ctx: ctx, key: key, cert: cert}, nil
}

// Certificate is the signer's certificate as the token holds it.
func (t *Token) Certificate() *x509.Certificate { return t.cert }

// Sign makes a detached CMS SignedData (DER) over content, signed on the
// token at signing time at.
func (t *Token) Sign(content []byte, at time.Time) ([]byte, error) {
	attrs, err := cmsbuild.Attributes(cmsbuild.OIDData, content, at, t.cert)
	if err != nil {
		return nil, err
	}
	sig, err := t.key.Sign(rand.Reader, attrs.Digest(), crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("tokensign: the token refused to sign: %w", err)
	}
	return cmsbuild.Assemble(cmsbuild.OIDData, nil, t.cert, nil, attrs, sig)
}

// Close logs out and unloads the module.
func (t *Token) Close() error { return t.ctx.Close() }

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
