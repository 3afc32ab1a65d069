package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum (19 MiB, 2 passes, 1 lane). Stored
// with each hash in PHC form, so raising them later re-hashes on next login
// without invalidating old hashes.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	saltLen        = 16
)

// MinPasswordLength and MaxPasswordLength bound passwords in characters; the
// upper bound stops a multi-megabyte password from costing the server more
// than the hash itself.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// ErrWeakPassword: the password breaks the length rules.
var ErrWeakPassword = errors.New("auth: password must be 12 to 256 characters")

// ErrMismatch: the password does not match (or the account does not exist:
// callers must not tell the two apart).
var ErrMismatch = errors.New("auth: invalid credentials")

// HashPassword returns the PHC-formatted argon2id hash of password.
func HashPassword(password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength {
		return "", ErrWeakPassword
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is verified against when no account matches, so "no such user"
// costs the same time as "wrong password".
var dummyHash = func() string {
	h, err := HashPassword("not-a-real-password-for-timing")
	if err != nil {
		panic(err)
	}
	return h
}()

// VerifyPassword checks password against an encoded hash; an empty encoded
// hash (no such account) still spends the full cost and returns ErrMismatch.
func VerifyPassword(encoded, password string) error {
	missing := encoded == ""
	if missing {
		encoded = dummyHash
	}
	var version int
	var mem, iters uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return fmt.Errorf("auth: stored hash is not argon2id")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return fmt.Errorf("auth: stored hash has an unknown version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return fmt.Errorf("auth: stored hash has bad parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return fmt.Errorf("auth: stored hash is not valid base64")
	}
	if len(password) > 4*MaxPasswordLength {
		password = password[:4*MaxPasswordLength] // still spend the cost; it cannot match
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 || missing {
		return ErrMismatch
	}
	return nil
}
