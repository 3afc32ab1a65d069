package nationalsync

import (
	"context"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// Key release: a package carries the dossiers' events as stored, their
// sensitive members sealed under each dossier's data key (docs/privacy.md).
// So that the national database can read what it is owed, the sender wraps
// the data key of every dossier whose sealed events the package carries to
// the national receiver's public key (HOSO_NATIONAL_KEY), with HPKE (RFC
// 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM; Go's
// crypto/hpke). The wrapped keys travel inside the package, under the
// province's sync signature; each is bound (HPKE info) to the package id
// and the dossier's stream, so it cannot be moved to another package or
// dossier. Only the receiver's private key opens them; the broker, the
// network and anyone holding the package file without it see sealed data.

// KeyReleaseFormat names the wrapping; it starts each key's HPKE info.
const KeyReleaseFormat = "hoso-sync-data-key/v1"

// ReleasedKey is one dossier's data key, wrapped to the receiver.
type ReleasedKey struct {
	Scope   string `json:"scope"`   // the dossier's stream, "dossier-<id>"
	Wrapped []byte `json:"wrapped"` // HPKE encapsulated key ‖ ciphertext (base64 in JSON)
}

// The suite's KDF and AEAD; the KEM, DHKEM(X25519, HKDF-SHA256), comes
// with the keys (ParseReleaseKey, ParseReleasePrivateKey).
var (
	releaseKDF  = hpke.HKDFSHA256()
	releaseAEAD = hpke.AES256GCM()
)

func releaseInfo(pkg uuid.UUID, scope string) []byte {
	return []byte(KeyReleaseFormat + "\n" + pkg.String() + "\n" + scope + "\n")
}

// KeyExporter hands out a dossier's raw data key (seal.Keyring.Export).
type KeyExporter interface {
	Export(ctx context.Context, scope string) ([]byte, error)
}

// ParseReleaseKey reads the receiver's X25519 public key (PEM "PUBLIC
// KEY", as `openssl pkey -pubout` writes it) for HOSO_NATIONAL_KEY.
func ParseReleaseKey(b []byte) (hpke.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("nationalsync: the national key is not a PEM PUBLIC KEY")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("nationalsync: the national key: %w", err)
	}
	pub, ok := k.(*ecdh.PublicKey)
	if !ok || pub.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("nationalsync: the national key is a %T, want an X25519 key", k)
	}
	return hpke.NewDHKEMPublicKey(pub)
}

// ParseReleasePrivateKey reads the receiver's X25519 private key (PEM
// "PRIVATE KEY", PKCS #8, as `openssl genpkey -algorithm X25519` writes it).
func ParseReleasePrivateKey(b []byte) (hpke.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("nationalsync: the receiver's data key is not a PEM PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("nationalsync: the receiver's data key: %w", err)
	}
	priv, ok := k.(*ecdh.PrivateKey)
	if !ok || priv.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("nationalsync: the receiver's data key is a %T, want an X25519 key", k)
	}
	return hpke.NewDHKEMPrivateKey(priv)
}

// sealedScopes lists, in order of first appearance, the dossier streams
// whose events in the unit bundle carry sealed members.
func sealedScopes(p Package) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range p.Unit.Events {
		if e.Missing || e.Omitted || seen[e.Stream] || !strings.HasPrefix(e.Stream, "dossier-") || !seal.IsSealed(e.Data) {
			continue
		}
		seen[e.Stream] = true
		out = append(out, e.Stream)
	}
	return out
}

// ReleaseKeys wraps to the receiver's key the data key of each dossier
// whose sealed events p carries, and sets p.DataKeys.
func ReleaseKeys(ctx context.Context, p *Package, keys KeyExporter, to hpke.PublicKey) error {
	p.DataKeys = nil
	for _, scope := range sealedScopes(*p) {
		raw, err := keys.Export(ctx, scope)
		if err != nil {
			return fmt.Errorf("nationalsync: releasing the data key of %s: %w", scope, err)
		}
		w, err := hpke.Seal(to, releaseKDF, releaseAEAD, releaseInfo(p.ID, scope), raw)
		clear(raw)
		if err != nil {
			return fmt.Errorf("nationalsync: wrapping the data key of %s: %w", scope, err)
		}
		p.DataKeys = append(p.DataKeys, ReleasedKey{Scope: scope, Wrapped: w})
	}
	return nil
}

// Opened is an approved event's payload in clear, as the receiver reads it.
type Opened struct {
	EventID uuid.UUID       `json:"event_id"`
	Stream  string          `json:"stream_id"`
	Version uint64          `json:"stream_version"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
}

// ErrKeyRelease: the package's data keys do not open with the receiver's
// key (wrapped for another receiver, or altered), or a sealed event has no
// key.
var ErrKeyRelease = errors.New("nationalsync: key release")

// OpenEvents unwraps p's data keys with the receiver's private key and
// returns the unit approval's events with their sealed members opened.
// Every problem is reported: a key that does not unwrap, a sealed event
// without its key, a payload that does not open.
func OpenEvents(p Package, priv hpke.PrivateKey) ([]Opened, error) {
	keys := map[string][]byte{}
	var problems []error
	for _, k := range p.DataKeys {
		raw, err := hpke.Open(priv, releaseKDF, releaseAEAD, releaseInfo(p.ID, k.Scope), k.Wrapped)
		if err != nil {
			problems = append(problems, fmt.Errorf("%w: the data key of %s does not open with the receiver's key", ErrKeyRelease, k.Scope))
			continue
		}
		keys[k.Scope] = raw
	}
	out := make([]Opened, 0, len(p.Unit.Events))
	for _, e := range p.Unit.Events {
		if e.Missing || e.Omitted {
			continue
		}
		o := Opened{EventID: e.EventID, Stream: e.Stream, Version: e.Version, Type: e.Type, Data: e.Data}
		if seal.IsSealed(e.Data) {
			raw, ok := keys[e.Stream]
			if !ok {
				if !hasScope(p.DataKeys, e.Stream) {
					problems = append(problems, fmt.Errorf("%w: %s@%d is sealed and the package carries no key for it", ErrKeyRelease, e.Stream, e.Version))
				}
				continue
			}
			data, err := seal.OpenWith(raw, toStore(e))
			if err != nil {
				problems = append(problems, fmt.Errorf("%w: %v", ErrKeyRelease, err))
				continue
			}
			o.Data = data
		}
		out = append(out, o)
	}
	return out, errors.Join(problems...)
}

func hasScope(ks []ReleasedKey, scope string) bool {
	for _, k := range ks {
		if k.Scope == scope {
			return true
		}
	}
	return false
}

func toStore(e auditbundle.Event) eventstore.Event {
	return eventstore.Event{ID: e.EventID, StreamID: e.Stream, Version: e.Version, Type: e.Type, Data: e.Data, RawMetadata: e.Metadata}
}
