package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
)

// ErrKey is a data key that could not be had: not stored, or not unwrapped
// by the configured key-encryption key (wrong or missing KEK, a tampered
// wrapped key). Nothing is appended or written when it occurs.
var ErrKey = errors.New("seal: data key unavailable")

// ErrNoKey is ErrKey for a scope that has no data key yet.
var ErrNoKey = fmt.Errorf("%w: none stored", ErrKey)

// ErrUnknownKEK is ErrKey for a data key wrapped under a key-encryption
// key the wrapper does not hold.
var ErrUnknownKEK = fmt.Errorf("%w: unknown key-encryption key", ErrKey)

// DataKeySize is the size of a data key: AES-256.
const DataKeySize = 32

// KeyWrapper is a key-encryption key (or a KMS, or an HSM): it wraps data
// keys for storage and unwraps them. A wrapped key is bound to its scope, so
// a row copied to another dossier does not unwrap. Implementations must be
// safe for concurrent use.
type KeyWrapper interface {
	// KEKID names the key new data keys are wrapped under.
	KEKID() string
	// Wrap encrypts a data key under the current KEK.
	Wrap(ctx context.Context, scope string, key []byte) (kekID string, wrapped []byte, err error)
	// Unwrap decrypts a data key wrapped under kekID. It returns an error
	// wrapping ErrKey when kekID is not known or the wrapped key does not
	// authenticate.
	Unwrap(ctx context.Context, scope, kekID string, wrapped []byte) ([]byte, error)
}

// Wrapped is a data key as stored.
type Wrapped struct {
	Scope   string
	KEKID   string
	Wrapped []byte
}

// KeyStore keeps wrapped data keys, outside the events (so that rotating
// the KEK rewrites keys, never events). internal/pgadapter implements it
// on PostgreSQL.
type KeyStore interface {
	// Get returns the scope's wrapped key, or an error wrapping ErrNoKey.
	Get(ctx context.Context, scope string) (Wrapped, error)
	// Create stores w unless the scope already has a key, and returns the
	// key stored (w, or the one a concurrent writer stored first).
	Create(ctx context.Context, w Wrapped) (Wrapped, error)
}

// DataKey is an unwrapped data key, ready to seal and open.
type DataKey struct {
	aead  cipher.AEAD
	nonce []byte // the key of the nonce derivation (HMAC), derived from the data key
}

func newDataKey(raw []byte) (*DataKey, error) {
	if len(raw) != DataKeySize {
		return nil, fmt.Errorf("%w: a data key of %d bytes", ErrKey, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("hoso/seal/nonce/v1"))
	return &DataKey{aead: aead, nonce: m.Sum(nil)}, nil
}

// sealPrefix starts every sealed blob: the format's version.
const sealPrefix = "v1."

// seal encrypts plaintext bound to aad. The nonce is an HMAC of aad and
// plaintext (synthetic IV): the same input seals to the same bytes, and two
// different plaintexts get unrelated nonces.
func (k *DataKey) seal(aad, plaintext []byte) []byte {
	m := hmac.New(sha256.New, k.nonce)
	m.Write(aad)
	m.Write([]byte{0})
	m.Write(plaintext)
	nonce := m.Sum(nil)[:k.aead.NonceSize()]
	out := make([]byte, 0, len(nonce)+len(plaintext)+k.aead.Overhead())
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad)
}

// sealRandom is seal with a random nonce, after a one-byte prefix: for
// read-model blobs, which need no determinism (nothing retries them by
// content), it spares the pass of the nonce's HMAC over the plaintext.
func (k *DataKey) sealRandom(prefix byte, aad, plaintext []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plaintext)+k.aead.Overhead())
	out[0] = prefix
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return k.aead.Seal(out, out[1:], plaintext, aad), nil
}

func (k *DataKey) open(aad, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, fmt.Errorf("%w: sealed data too short", ErrKey)
	}
	pt, err := k.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed data does not authenticate under the dossier's key", ErrKey)
	}
	return pt, nil
}

// openInPlace is open decrypting into sealed's own memory (which it
// overwrites): for a buffer the caller made for this one open.
func (k *DataKey) openInPlace(aad, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, fmt.Errorf("%w: sealed data too short", ErrKey)
	}
	pt, err := k.aead.Open(sealed[n:n], sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed data does not authenticate under the dossier's key", ErrKey)
	}
	return pt, nil
}

// sealText is seal as text: "v1." and base64.
func (k *DataKey) sealText(aad, plaintext []byte) string {
	return sealPrefix + base64.RawStdEncoding.EncodeToString(k.seal(aad, plaintext))
}

func (k *DataKey) openText(aad []byte, s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, sealPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: unknown sealed format", ErrKey)
	}
	b, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed data is not base64", ErrKey)
	}
	return k.open(aad, b)
}

// Keyring hands out the data keys of scopes (a dossier's stream id),
// creating them on first use, and keeps the unwrapped ones in memory so an
// HSM is asked once per dossier, not once per event.
type Keyring struct {
	store KeyStore
	wrap  KeyWrapper
	cache *lru.Cache[string, *DataKey]
}

// DefaultCacheSize is how many unwrapped data keys a Keyring keeps: a
// province's dossiers (about 50,000) fit.
const DefaultCacheSize = 65536

// NewKeyring returns a keyring over store and wrap that keeps up to
// cacheSize unwrapped keys (DefaultCacheSize when ≤ 0).
func NewKeyring(store KeyStore, wrap KeyWrapper, cacheSize int) *Keyring {
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	c, _ := lru.New[string, *DataKey](cacheSize)
	return &Keyring{store: store, wrap: wrap, cache: c}
}

// Key returns scope's data key. When the scope has none, it returns an
// error wrapping ErrNoKey unless create is set; then a fresh random key is
// wrapped and stored first. A key that does not unwrap is an error wrapping
// ErrKey.
func (r *Keyring) Key(ctx context.Context, scope string, create bool) (*DataKey, error) {
	if k, ok := r.cache.Get(scope); ok {
		return k, nil
	}
	w, err := r.store.Get(ctx, scope)
	if errors.Is(err, ErrNoKey) && create {
		raw := make([]byte, DataKeySize)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		kid, wrapped, err := r.wrap.Wrap(ctx, scope, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: wrapping the data key of %s: %w", ErrKey, scope, err)
		}
		w, err = r.store.Create(ctx, Wrapped{Scope: scope, KEKID: kid, Wrapped: wrapped})
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	raw, err := r.wrap.Unwrap(ctx, scope, w.KEKID, w.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrapping the data key of %s (KEK %s): %w", scope, w.KEKID, err)
	}
	k, err := newDataKey(raw)
	if err != nil {
		return nil, err
	}
	r.cache.Add(scope, k)
	return k, nil
}

// boxMarker starts a sealed read-model blob: JSON, what such columns held
// before sealing, never starts with it.
const boxMarker = 0x01

// Seal seals a read model's blob under scope's data key (created if need
// be). purpose names the column ("dossiers.document"), so a blob copied to
// another column or dossier does not open. A nil Keyring returns plaintext
// as it is (read models built without keys: tests).
func (r *Keyring) Seal(ctx context.Context, scope, purpose string, plaintext []byte) ([]byte, error) {
	if r == nil {
		return plaintext, nil
	}
	k, err := r.Key(ctx, scope, true)
	if err != nil {
		return nil, err
	}
	return k.sealRandom(boxMarker, boxAAD(scope, purpose), plaintext)
}

// Open opens a blob Seal made; a blob that is not sealed (written before
// sealing began, or without keys) is returned as it is.
func (r *Keyring) Open(ctx context.Context, scope, purpose string, blob []byte) ([]byte, error) {
	if len(blob) == 0 || blob[0] != boxMarker {
		return blob, nil
	}
	if r == nil {
		return nil, fmt.Errorf("%w: %s of %s is sealed and no keyring is configured", ErrKey, purpose, scope)
	}
	k, err := r.Key(ctx, scope, false)
	if err != nil {
		return nil, err
	}
	return k.open(boxAAD(scope, purpose), blob[1:])
}

func boxAAD(scope, purpose string) []byte {
	return []byte("hoso/seal/box/v1\x00" + scope + "\x00" + purpose)
}

// BatchKeyStore is a KeyStore that stores many keys in one round trip: a
// bulk import creates thousands of dossiers, and a round trip or three per
// data key would be most of its time.
type BatchKeyStore interface {
	KeyStore
	// CreateMany stores each of ws whose scope has no key yet and returns
	// the key stored for each scope of ws (its own, or the one stored
	// before), in any order; a scope it cannot tell about (a concurrent
	// writer's key not yet visible) it may leave out.
	CreateMany(ctx context.Context, ws []Wrapped) ([]Wrapped, error)
}

// Warm makes sure every scope has a data key and holds them unwrapped in
// memory, creating the missing ones: with a BatchKeyStore, one round trip
// for all the scopes instead of one to three per scope in Key. Scopes
// already in memory cost nothing.
func (r *Keyring) Warm(ctx context.Context, scopes []string) error {
	var missing []string
	for _, s := range scopes {
		if !r.cache.Contains(s) {
			missing = append(missing, s)
		}
	}
	bs, ok := r.store.(BatchKeyStore)
	if !ok || len(missing) < 2 {
		for _, s := range missing {
			if _, err := r.Key(ctx, s, true); err != nil {
				return err
			}
		}
		return nil
	}
	ws := make([]Wrapped, len(missing))
	for i, s := range missing {
		raw := make([]byte, DataKeySize)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		kid, wrapped, err := r.wrap.Wrap(ctx, s, raw)
		clear(raw)
		if err != nil {
			return fmt.Errorf("%w: wrapping the data key of %s: %w", ErrKey, s, err)
		}
		ws[i] = Wrapped{Scope: s, KEKID: kid, Wrapped: wrapped}
	}
	stored, err := bs.CreateMany(ctx, ws)
	if err != nil {
		return err
	}
	for _, w := range stored {
		raw, err := r.wrap.Unwrap(ctx, w.Scope, w.KEKID, w.Wrapped)
		if err != nil {
			return fmt.Errorf("unwrapping the data key of %s (KEK %s): %w", w.Scope, w.KEKID, err)
		}
		k, err := newDataKey(raw)
		if err != nil {
			return err
		}
		r.cache.Add(w.Scope, k)
	}
	// What the batch could not tell about, one by one.
	for _, s := range missing {
		if !r.cache.Contains(s) {
			if _, err := r.Key(ctx, s, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// Export returns scope's data key itself, unwrapped from the store (the
// cache holds no raw keys). It is for the one place a key leaves the
// process on purpose: the national sync's key release, which wraps it at
// once for the national receiver (app/nationalsync). A scope without a key
// is an error wrapping ErrNoKey.
func (r *Keyring) Export(ctx context.Context, scope string) ([]byte, error) {
	w, err := r.store.Get(ctx, scope)
	if err != nil {
		return nil, err
	}
	raw, err := r.wrap.Unwrap(ctx, scope, w.KEKID, w.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrapping the data key of %s (KEK %s): %w", scope, w.KEKID, err)
	}
	return raw, nil
}
