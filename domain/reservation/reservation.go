package reservation

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// A reservation stream makes a key unique across the whole ledger, which no
// single aggregate can do: the key's stream is claimed with "no stream" (or
// the exact version of its last release) before the aggregate that owns the
// key is created, so of two racing creations exactly one wins the claim.
// The stream holds only the owning stream id, never the key itself.
//
// Stored names, fields only ever added (a breaking change is a new version
// plus an upcaster in Decode; testdata/golden pins each shape):
//   - "reservation.claimed.v1": {"holder": "<stream id>"}
//   - "reservation.released.v1": {"holder": "<stream id>"}
const (
	TypeClaimed  = "reservation.claimed.v1"
	TypeReleased = "reservation.released.v1"
)

// Claimed says the reservation's key now belongs to Holder (a
// stream id such as "dossier-…").
type Claimed struct {
	Holder string `json:"holder"`
}

// Released says Holder gave the key up (a corrected personal ID
// number, or an orphan claim released by an administrator).
type Released struct {
	Holder string `json:"holder"`
}

// codec reads the stored shapes; a null payload decodes as the empty event,
// as json.Unmarshal did before the shared codec.
var codec = domain.NewCodec("reservation",
	domain.Def[Claimed](),
	domain.Def[Released](),
).WithNullAsZero()

// EventTypes lists every stored name Decode accepts, sorted.
func EventTypes() []string { return codec.EventTypes() }

// EventType returns TypeClaimed.
func (Claimed) EventType() string { return TypeClaimed }

// EventType returns TypeReleased.
func (Released) EventType() string { return TypeReleased }

// Decode is the decoder of reservation streams (a ledger.Decoder); it
// refuses anything else with domain.ErrInvalid.
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}

// State is what a reservation stream's events say now.
type State struct {
	// Holder is the stream that holds the key; "" when free.
	Holder string
	// Since is when the current holder's claim was recorded.
	Since time.Time
}

// Replay folds a reservation stream's history. A release by anyone but the
// current holder changes nothing (it lost a race with a later claim).
func Replay(events []domain.Recorded) State {
	var s State
	for _, e := range events {
		switch ev := e.Event.(type) {
		case Claimed:
			s.Holder, s.Since = ev.Holder, e.Meta.RecordedAt
		case Released:
			if ev.Holder == s.Holder {
				s = State{}
			}
		}
	}
	return s
}

// PersonalIDDigest is the keyed digest that names a personal ID number's
// reservation stream: HMAC-SHA256 under the deployment's secret, in hex.
//
// Why keyed: a personal ID number is 12 digits, of which three are a
// province code and three more the gender/century digit and the birth year,
// so a plain hash (dossier.PersonalIDDigest) is reversed by trying about a
// million candidates per person. Stream ids are visible to every reader of
// the global log (projections, auditors, backups); without the key the
// digest says nothing. Rotating the key changes every stream name, so it is
// a migration (re-claim every dossier's number under the new key), not a
// setting to change lightly.
func PersonalIDDigest(key []byte, number string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hoso/personal-id/v1:" + number))
	return hex.EncodeToString(mac.Sum(nil))
}

// PersonalIDStream is the reservation stream of a personal ID number.
func PersonalIDStream(key []byte, number string) string {
	return "pid-" + PersonalIDDigest(key, number)
}

// UsernameStream is the reservation stream of a login name. Names are
// ASCII by the account rules and public anyway, so they appear as they are.
func UsernameStream(username string) string { return "username-" + username }

// OIDCSubjectStream is the reservation stream of a provider's subject (an
// issuer and its "sub"), so that a subject links to at most one account.
// Hashed to keep stream ids short and of a safe alphabet whatever the
// provider's identifiers look like; the account's own stream records the
// subject in clear (account.oidc_linked.v1), so the digest hides nothing
// that needs a key.
func OIDCSubjectStream(issuer, subject string) string {
	sum := sha256.Sum256([]byte("hoso/oidc-subject/v1:" + issuer + "\n" + subject))
	return "oidc-" + hex.EncodeToString(sum[:])
}
