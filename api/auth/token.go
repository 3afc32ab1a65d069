package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Token prefixes tell a leaked secret's kind at a glance (and let secret
// scanners find them).
const (
	sessionPrefix = "hoso_s_"
	apiKeyPrefix  = "hoso_k_"
)

// newSecret returns a 256-bit random secret with a kind prefix, and the
// SHA-256 that is all the database keeps. A plain hash suffices because the
// secret has 256 bits of entropy: nothing to brute-force, unlike a password.
func newSecret(prefix string) (secret string, digest []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, digestOf(secret), nil
}

func digestOf(secret string) []byte {
	d := sha256.Sum256([]byte(secret))
	return d[:]
}

// kindOf tells session tokens from API keys; ok is false for anything else,
// which is refused before touching the database.
func kindOf(secret string) (kind string, ok bool) {
	switch {
	case strings.HasPrefix(secret, sessionPrefix) && len(secret) == len(sessionPrefix)+43:
		return "session", true
	case strings.HasPrefix(secret, apiKeyPrefix) && len(secret) == len(apiKeyPrefix)+43:
		return "api_key", true
	}
	return "", false
}
