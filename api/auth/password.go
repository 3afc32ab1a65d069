package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. They are stored with each hash in
// PHC form, so raising them later re-hashes on next login without
// invalidating old hashes, and a hash is always verified at its own cost.
type Params struct {
	MemoryKiB uint32
	Time      uint32 // passes
	Threads   uint8  // lanes
}

// DefaultParams returns the production cost: OWASP's minimum for argon2id
// (19 MiB, 2 passes, 1 lane).
func DefaultParams() Params {
	return Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}
}

const (
	argonKeyLen = 32
	saltLen     = 16
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

// Hasher hashes passwords at one cost and verifies them at theirs.
// Production uses DefaultParams (HashPassword, VerifyPassword and a Store
// given no Hasher); tests give their services a cheaper one.
type Hasher struct {
	params Params
	// dummy is verified against when no account matches, so "no such
	// user" costs the same time as "wrong password" at this cost.
	dummy func() string
}

// NewHasher returns a Hasher at cost p. It panics if p is not a valid
// argon2id cost (a pass, a lane, and at least 8 KiB per lane): a cost is
// fixed in code, never read from a client.
func NewHasher(p Params) *Hasher {
	if p.Time < 1 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) {
		panic(fmt.Sprintf("auth: invalid argon2id cost %+v", p))
	}
	h := &Hasher{params: p}
	h.dummy = sync.OnceValue(func() string {
		d, err := h.Hash("not-a-real-password-for-timing")
		if err != nil {
			panic(err)
		}
		return d
	})
	return h
}

// Params returns h's cost.
func (h *Hasher) Params() Params { return h.params }

// defaultHasher is the production cost, made on first use so that merely
// importing the package costs no hashing.
var defaultHasher = sync.OnceValue(func() *Hasher { return NewHasher(DefaultParams()) })

// HashPassword returns the PHC-formatted argon2id hash of password at the
// production cost (DefaultParams).
func HashPassword(password string) (string, error) {
	return defaultHasher().Hash(password)
}

// VerifyPassword checks password against an encoded hash; an empty encoded
// hash (no such account) still spends the production cost and returns
// ErrMismatch.
func VerifyPassword(encoded, password string) error {
	return defaultHasher().Verify(encoded, password)
}

// Hash returns the PHC-formatted argon2id hash of password at h's cost, or
// ErrWeakPassword.
func (h *Hasher) Hash(password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength {
		return "", ErrWeakPassword
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks password against an encoded hash, at the hash's own cost;
// an empty encoded hash (no such account) still spends h's cost and
// returns ErrMismatch.
func (h *Hasher) Verify(encoded, password string) error {
	missing := encoded == ""
	if missing {
		encoded = h.dummy()
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
