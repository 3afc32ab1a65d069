package eventstore

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// EventData is what a caller appends: its own event id (for idempotent
// retries), a versioned type, a JSON object payload and the metadata.
type EventData struct {
	// ID is the event's identity. Leave it zero to have a UUIDv7 minted; set it
	// (UUIDv7) to make the append safely retryable.
	ID   uuid.UUID
	Type string          // "dossier.created.v1": dotted lower-case name ending in .vN
	Data json.RawMessage // a JSON object; stored in RFC 8785 canonical form
	Meta Metadata
}

// Metadata is the envelope's account of who, when, why and on what document.
// It is stored as RFC 8785 canonical JSON and covered by the event's hash.
type Metadata struct {
	Actor Actor `json:"actor"`
	// RecordedAt is when the ledger learned the fact (server clock, UTC,
	// microsecond precision). The store sets it from its clock when zero.
	RecordedAt time.Time `json:"recorded_at"`
	// EffectiveDate is the legal date the fact takes effect, YYYY-MM-DD on the
	// Asia/Ho_Chi_Minh calendar. When empty the store sets the Vietnamese
	// calendar date of RecordedAt.
	EffectiveDate  string          `json:"effective_date"`
	SourceDocument *SourceDocument `json:"source_document,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	RequestID      string          `json:"request_id,omitempty"`
	CorrelationID  string          `json:"correlation_id,omitempty"`
	CausationID    string          `json:"causation_id,omitempty"`
	// ImportedFrom names the source of history imported from an earlier
	// system or from paper (e.g. "PMIS Sở Nội vụ, export of 30/11/2026");
	// empty for a fact recorded as it happened. Added in issue 14 (go-live):
	// absent from every earlier event, so their bytes and hashes are
	// unchanged.
	ImportedFrom string `json:"imported_from,omitempty"`
}

// Actor is who caused the event.
type Actor struct {
	AccountID  string `json:"account_id,omitempty"`
	Name       string `json:"name,omitempty"`
	ActingOrg  string `json:"acting_org,omitempty"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
}

// SourceDocument is the legal document behind the event.
type SourceDocument struct {
	Kind   string `json:"kind,omitempty"`
	Number string `json:"number,omitempty"`
	Date   string `json:"date,omitempty"` // YYYY-MM-DD
	Issuer string `json:"issuer,omitempty"`
	SHA256 string `json:"sha256,omitempty"` // of the scanned copy
}

// Event is a stored event: the envelope as the log holds it.
type Event struct {
	ID       uuid.UUID
	StreamID string
	Version  uint64   // 1 for a stream's first event, dense
	Position Position // place in the global log
	Type     string
	Data     json.RawMessage // canonical bytes, exactly as hashed
	// RawMetadata is the canonical metadata bytes exactly as hashed; Meta is
	// their decoded form.
	RawMetadata json.RawMessage
	Meta        Metadata
	PrevHash    Hash // Hash of the previous event in the stream; zero for version 1
	Hash        Hash // SHA-256 of CanonicalBytes
}

// Hash is a SHA-256 digest.
type Hash [32]byte

// String is lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeros (the PrevHash of a stream's first event).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHash parses 64 hex digits; errors wrap ErrInvalid.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, fmt.Errorf("%w: hash %q is not 64 hex digits", ErrInvalid, s)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: hash %q is not hex", ErrInvalid, s)
	}
	return h, nil
}

// AppendResult reports where an append landed. A retry of an append that was
// already stored reports the original result.
type AppendResult struct {
	FirstVersion uint64
	LastVersion  uint64
	// Position is the global position of the last event appended.
	Position Position
}
