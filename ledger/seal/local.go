package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KEKSize is the size of a local key-encryption key: AES-256.
const KEKSize = 32

// LocalKEK is a KeyWrapper over AES-256-GCM keys held in memory (from
// HOSO_KEK). The first key wraps; all of them unwrap, so a rotation can
// name the new key first and the old ones after it until `hoso keys
// rotate` has re-wrapped every data key.
type LocalKEK struct {
	keys []localKey
}

type localKey struct {
	id   string
	aead cipher.AEAD
}

// ParseLocalKEK reads keys written as base64 (standard, padded or not) of
// 32 bytes each, separated by commas; the first is current.
func ParseLocalKEK(s string) (*LocalKEK, error) {
	var raws [][]byte
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		b, err := base64.StdEncoding.DecodeString(part)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(part)
		}
		if err != nil {
			return nil, fmt.Errorf("key %d is not base64", i+1)
		}
		if len(b) != KEKSize {
			return nil, fmt.Errorf("key %d is %d bytes, want %d (openssl rand -base64 32)", i+1, len(b), KEKSize)
		}
		raws = append(raws, b)
	}
	return NewLocalKEK(raws...)
}

// NewLocalKEK returns a wrapper over keys (each KEKSize bytes); the first
// is current.
func NewLocalKEK(keys ...[]byte) (*LocalKEK, error) {
	if len(keys) == 0 {
		return nil, errors.New("no key-encryption key")
	}
	l := &LocalKEK{}
	for _, k := range keys {
		if len(k) != KEKSize {
			return nil, fmt.Errorf("a key-encryption key is %d bytes, want %d", len(k), KEKSize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(append([]byte("hoso/kek-id/v1\x00"), k...))
		l.keys = append(l.keys, localKey{id: "local:" + hex.EncodeToString(sum[:8]), aead: aead})
	}
	return l, nil
}

// GenerateKEK returns a fresh key in the form ParseLocalKEK reads.
func GenerateKEK() (string, error) {
	b := make([]byte, KEKSize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// KEKID implements KeyWrapper: the current key's id, a digest of the key.
func (l *LocalKEK) KEKID() string { return l.keys[0].id }

func wrapAAD(scope string) []byte { return []byte("hoso/seal/wrap/v1\x00" + scope) }

// Wrap implements KeyWrapper.
func (l *LocalKEK) Wrap(_ context.Context, scope string, key []byte) (string, []byte, error) {
	k := l.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, err
	}
	return k.id, k.aead.Seal(nonce, nonce, key, wrapAAD(scope)), nil
}

// Unwrap implements KeyWrapper.
func (l *LocalKEK) Unwrap(_ context.Context, scope, kekID string, wrapped []byte) ([]byte, error) {
	for _, k := range l.keys {
		if k.id != kekID {
			continue
		}
		n := k.aead.NonceSize()
		if len(wrapped) < n {
			return nil, fmt.Errorf("%w: wrapped key too short", ErrKey)
		}
		raw, err := k.aead.Open(nil, wrapped[:n], wrapped[n:], wrapAAD(scope))
		if err != nil {
			return nil, fmt.Errorf("%w: the wrapped key does not authenticate under %s", ErrKey, kekID)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("%w: key-encryption key %s is not configured (HOSO_KEK)", ErrUnknownKEK, kekID)
}
