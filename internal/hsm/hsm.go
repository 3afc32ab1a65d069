// Package hsm is a seal.KeyWrapper on a PKCS#11 token (an HSM, or SoftHSM2
// in tests): the key-encryption key is an AES-256 secret key that never
// leaves the token; data keys are wrapped and unwrapped by AES-GCM inside
// it, through github.com/ThalesGroup/crypto11.
package hsm

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/ThalesGroup/crypto11"

	"github.com/hoso-ledger/hoso/ledger/seal"
)

// Config names the token and the key.
type Config struct {
	Module     string // the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string
	PIN        string
	KeyLabel   string
}

// ParseConfig reads "module=PATH;token=LABEL;key=LABEL" (HOSO_KEK_PKCS11);
// the PIN comes apart (HOSO_KEK_PKCS11_PIN).
func ParseConfig(s, pin string) (Config, error) {
	var c Config
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return c, fmt.Errorf("%q is not key=value", part)
		}
		switch k {
		case "module":
			c.Module = v
		case "token":
			c.TokenLabel = v
		case "key":
			c.KeyLabel = v
		default:
			return c, fmt.Errorf("unknown setting %q (want module, token, key)", k)
		}
	}
	c.PIN = pin
	var missing []string
	for name, v := range map[string]string{"module": c.Module, "token": c.TokenLabel, "key": c.KeyLabel} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// KEK is the key-encryption key on the token.
type KEK struct {
	ctx  *crypto11.Context
	aead cipher.AEAD
	id   string
}

var _ seal.KeyWrapper = (*KEK)(nil)

// gcmNonceSize is the standard 96-bit GCM nonce (crypto11's default is 16).
const gcmNonceSize = 12

// Open logs in to the token and finds the key. Close it when done.
func Open(c Config) (*KEK, error) {
	ctx, err := crypto11.Configure(&crypto11.Config{Path: c.Module, TokenLabel: c.TokenLabel, Pin: c.PIN, GCMIVLength: gcmNonceSize})
	if err != nil {
		return nil, fmt.Errorf("PKCS#11 token %q: %w", c.TokenLabel, err)
	}
	key, err := ctx.FindKey(nil, []byte(c.KeyLabel))
	if err == nil && key == nil {
		err = errors.New("no such key")
	}
	if err != nil {
		_ = ctx.Close()
		return nil, fmt.Errorf("PKCS#11 key %q on token %q: %w", c.KeyLabel, c.TokenLabel, err)
	}
	aead, err := key.NewGCM()
	if err != nil {
		_ = ctx.Close()
		return nil, fmt.Errorf("PKCS#11 key %q: %w", c.KeyLabel, err)
	}
	return &KEK{ctx: ctx, aead: aead, id: "pkcs11:" + c.TokenLabel + "/" + c.KeyLabel}, nil
}

// Close logs out.
func (k *KEK) Close() error { return k.ctx.Close() }

// KEKID implements seal.KeyWrapper: "pkcs11:TOKEN/KEY".
func (k *KEK) KEKID() string { return k.id }

func aad(scope string) []byte { return []byte("hoso/seal/wrap/v1\x00" + scope) }

// Wrap implements seal.KeyWrapper.
func (k *KEK) Wrap(_ context.Context, scope string, key []byte) (id string, wrapped []byte, err error) {
	nonce := make([]byte, gcmNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, err
	}
	// crypto11's Seal panics when the token fails (cipher.AEAD has no error).
	defer func() {
		if r := recover(); r != nil {
			id, wrapped, err = "", nil, fmt.Errorf("PKCS#11 wrap: %v", r)
		}
	}()
	return k.id, k.aead.Seal(nonce, nonce, key, aad(scope)), nil
}

// Unwrap implements seal.KeyWrapper.
func (k *KEK) Unwrap(_ context.Context, scope, kekID string, wrapped []byte) ([]byte, error) {
	if kekID != k.id {
		return nil, fmt.Errorf("%w: key-encryption key %s is not configured (HOSO_KEK_PKCS11 is %s)", seal.ErrUnknownKEK, kekID, k.id)
	}
	if len(wrapped) < gcmNonceSize {
		return nil, fmt.Errorf("%w: wrapped key too short", seal.ErrKey)
	}
	raw, err := k.aead.Open(nil, wrapped[:gcmNonceSize], wrapped[gcmNonceSize:], aad(scope))
	if err != nil {
		return nil, fmt.Errorf("%w: the wrapped key does not authenticate under %s: %v", seal.ErrKey, k.id, err)
	}
	return raw, nil
}
