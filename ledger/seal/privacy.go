package seal

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"sync"
)

// Privacy is what a read model needs to keep personal data sealed: the
// keyring of the dossiers' data keys, for the blobs it stores (documents,
// diffs, facts), and the key of the tokens of its searchable sensitive
// columns (HOSO_PERSONAL_ID_KEY, which never enters the database). The zero
// Privacy stores plaintext, as read models did before (their own tests).
type Privacy struct {
	Keys     *Keyring
	TokenKey []byte

	reverse *sync.Map // kind → map[token]value; nil: computed each time
}

// NewPrivacy returns a Privacy that remembers the reverse maps of Reverse.
func NewPrivacy(keys *Keyring, tokenKey []byte) Privacy {
	return Privacy{Keys: keys, TokenKey: tokenKey, reverse: &sync.Map{}}
}

// Reverse turns a token of kind back into the value it stands for, among
// the candidates (a catalogue's codes: tokens of free text cannot be
// reversed, and read as ""). Without a TokenKey, token is the value.
func (p Privacy) Reverse(kind, token string, candidates func() []string) string {
	if p.TokenKey == nil || token == "" {
		return token
	}
	var m map[string]string
	if p.reverse != nil {
		if v, ok := p.reverse.Load(kind); ok {
			m = v.(map[string]string)
		}
	}
	if m == nil {
		m = map[string]string{}
		for _, c := range candidates() {
			m[p.Token(kind, c)] = c
		}
		if p.reverse != nil {
			p.reverse.Store(kind, m)
		}
	}
	return m[token]
}

// Enabled reports whether p seals.
func (p Privacy) Enabled() bool { return p.Keys != nil }

// Seal seals blob under scope's data key (see Keyring.Seal).
func (p Privacy) Seal(ctx context.Context, scope, purpose string, blob []byte) ([]byte, error) {
	return p.Keys.Seal(ctx, scope, purpose, blob)
}

// Open opens a blob Seal made (see Keyring.Open).
func (p Privacy) Open(ctx context.Context, scope, purpose string, blob []byte) ([]byte, error) {
	return p.Keys.Open(ctx, scope, purpose, blob)
}

// Token is the value a searchable sensitive column holds for value: a keyed
// hash (HMAC-SHA256, 128 bits, base64url) under TokenKey, so equal values
// match and the column reveals none of them without the key. kind
// separates columns ("ethnicity", "religion"). The empty value (unknown)
// stays empty; without a TokenKey the value itself is returned.
func (p Privacy) Token(kind, value string) string {
	if value == "" || p.TokenKey == nil {
		return value
	}
	return Token(p.TokenKey, kind, value)
}

// Tokens is Token of each value.
func (p Privacy) Tokens(kind string, values []string) []string {
	if p.TokenKey == nil {
		return values
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = p.Token(kind, v)
	}
	return out
}

// Token is the keyed hash Privacy.Token stores.
func Token(key []byte, kind, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hoso/token/v1\x00" + kind + "\x00" + value))
	return "t1:" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}
