package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
	"github.com/transparency-dev/merkle/rfc6962"
)

// MaxEventSize bounds one event's payload plus metadata, in canonical bytes.
// Scans and other documents go to the blob store, never into an event.
const MaxEventSize = 1 << 20

// MaxStreamIDLength bounds stream ids.
const MaxStreamIDLength = 200

var (
	typePattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\.v[1-9][0-9]{0,3}$`)
	streamPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._:@-]*$`)
)

// vietnam is Asia/Ho_Chi_Minh (UTC+7, no daylight saving since 1975).
var vietnam = time.FixedZone("ICT", 7*60*60)

// ValidateStreamID checks a stream id; errors wrap ErrInvalid.
func ValidateStreamID(stream string) error {
	switch {
	case stream == "":
		return &ValidationError{Index: -1, Field: "stream_id", Rule: "required", Msg: "empty stream id"}
	case len(stream) > MaxStreamIDLength:
		return &ValidationError{Index: -1, Field: "stream_id", Rule: "max_size", Msg: fmt.Sprintf("longer than %d bytes", MaxStreamIDLength)}
	case !streamPattern.MatchString(stream):
		return &ValidationError{Index: -1, Field: "stream_id", Rule: "format", Msg: fmt.Sprintf("%q: a letter, then letters, digits and . _ : @ -", stream)}
	}
	return nil
}

// Prepared is an event validated and canonicalized for one Append call, not
// yet placed in its stream. Backends call Prepare, check the expected version,
// then Chain.
type Prepared struct {
	ID   uuid.UUID
	Type string
	Data []byte // canonical
	Meta Metadata
	// RawMetadata is canonical; it embeds RecordedAt and EffectiveDate as set.
	RawMetadata []byte

	callerSetRecordedAt    bool
	callerSetEffectiveDate bool
}

// Prepare validates an Append request and canonicalizes its events, stamping
// RecordedAt (UTC, microseconds) and the default EffectiveDate from now. Every
// problem wraps ErrInvalid; nothing may be written when it returns an error.
func Prepare(stream string, events []EventData, now time.Time) ([]Prepared, error) {
	if err := ValidateStreamID(stream); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, &ValidationError{Index: -1, Field: "events", Rule: "required", Msg: "no events to append"}
	}
	now = now.UTC().Truncate(time.Microsecond)
	seen := make(map[uuid.UUID]struct{}, len(events))
	out := make([]Prepared, len(events))
	for i, e := range events {
		p, err := prepareOne(i, e, now)
		if err != nil {
			return nil, err
		}
		if _, dup := seen[p.ID]; dup {
			return nil, &ValidationError{Index: i, Field: "event_id", Rule: "duplicate", Msg: p.ID.String() + " appears twice in one append"}
		}
		seen[p.ID] = struct{}{}
		out[i] = p
	}
	return out, nil
}

func prepareOne(i int, e EventData, now time.Time) (Prepared, error) {
	p := Prepared{ID: e.ID, Type: e.Type, Meta: e.Meta}
	if p.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return p, fmt.Errorf("eventstore: minting event id: %w", err)
		}
		p.ID = id
	}
	if !typePattern.MatchString(e.Type) || len(e.Type) > 128 {
		return p, &ValidationError{Index: i, Field: "type", Rule: "format", Msg: fmt.Sprintf("%q: want a dotted lower-case name ending in .vN, e.g. dossier.created.v1", e.Type)}
	}
	data, err := canonicalObject(e.Data)
	if err != nil {
		return p, &ValidationError{Index: i, Field: "data", Rule: "json", Msg: err.Error()}
	}
	p.Data = data

	p.callerSetRecordedAt = !p.Meta.RecordedAt.IsZero()
	if p.callerSetRecordedAt {
		p.Meta.RecordedAt = p.Meta.RecordedAt.UTC().Truncate(time.Microsecond)
	} else {
		p.Meta.RecordedAt = now
	}
	p.callerSetEffectiveDate = p.Meta.EffectiveDate != ""
	if p.callerSetEffectiveDate {
		if _, err := time.Parse(time.DateOnly, p.Meta.EffectiveDate); err != nil {
			return p, &ValidationError{Index: i, Field: "metadata.effective_date", Rule: "format", Msg: fmt.Sprintf("%q is not YYYY-MM-DD", p.Meta.EffectiveDate)}
		}
	} else {
		p.Meta.EffectiveDate = p.Meta.RecordedAt.In(vietnam).Format(time.DateOnly)
	}
	raw, err := canonicalMetadata(p.Meta)
	if err != nil {
		return p, &ValidationError{Index: i, Field: "metadata", Rule: "json", Msg: err.Error()}
	}
	p.RawMetadata = raw
	if n := len(p.Data) + len(p.RawMetadata); n > MaxEventSize {
		return p, &ValidationError{Index: i, Field: "size", Rule: "max_size", Msg: fmt.Sprintf("%d bytes, limit %d", n, MaxEventSize)}
	}
	return p, nil
}

func canonicalMetadata(m Metadata) ([]byte, error) {
	if b, ok := canonicalMetadataFast(m); ok {
		return b, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return canonicalObject(b)
}

// canonicalObject returns the RFC 8785 form of a JSON object. NUL characters
// are refused because PostgreSQL's jsonb (the auditors' view) cannot hold them.
func canonicalObject(raw []byte) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty payload, want a JSON object")
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("payload must be a JSON object")
	}
	if len(raw) > 2*MaxEventSize {
		return nil, fmt.Errorf("payload of %d bytes is over the limit", len(raw))
	}
	if !utf8.Valid(raw) {
		return nil, fmt.Errorf("payload is not valid UTF-8")
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("payload is not valid JSON")
	}
	if out, ok := canonicalFast(raw); ok {
		return out, nil // no backslash, so no NUL
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("payload cannot be canonicalized: %v", err)
	}
	if bytes.Contains(out, []byte(`\u0000`)) && containsNUL(out) {
		return nil, fmt.Errorf("payload contains a NUL character")
	}
	return out, nil
}

func containsNUL(canonical []byte) bool {
	var v any
	if json.Unmarshal(canonical, &v) != nil {
		return true
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return bytes.IndexByte([]byte(x), 0) >= 0
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range x {
				if bytes.IndexByte([]byte(k), 0) >= 0 || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// SameContent reports whether a retried event carries what was stored under
// its id: type, payload and metadata. The server-stamped RecordedAt (and the
// EffectiveDate derived from it) are ignored unless the caller set them, so a
// retry minutes later still matches.
func (p Prepared) SameContent(stored Event) bool {
	if p.Type != stored.Type || !bytes.Equal(p.Data, stored.Data) {
		return false
	}
	m := p.Meta
	if !p.callerSetRecordedAt {
		m.RecordedAt = stored.Meta.RecordedAt
	}
	if !p.callerSetEffectiveDate {
		m.EffectiveDate = stored.Meta.EffectiveDate
	}
	raw, err := canonicalMetadata(m)
	return err == nil && bytes.Equal(raw, stored.RawMetadata)
}

// Chain places prepared events in their stream after version prev (0 for a
// new stream) whose last hash is prevHash, and computes each hash. Positions
// are left for the backend to assign.
func Chain(stream string, prev uint64, prevHash Hash, ps []Prepared) []Event {
	out := make([]Event, len(ps))
	for i, p := range ps {
		e := Event{
			ID:          p.ID,
			StreamID:    stream,
			Version:     prev + uint64(i) + 1,
			Type:        p.Type,
			Data:        p.Data,
			RawMetadata: p.RawMetadata,
			Meta:        p.Meta,
			PrevHash:    prevHash,
		}
		e.Hash = e.ComputeHash()
		prevHash = e.Hash
		out[i] = e
	}
	return out
}

// CanonicalBytes is the RFC 8785 JSON object the event's hash covers:
//
//	{"data":…,"event_id":"…","metadata":…,"prev_hash":"…","stream_id":"…","stream_version":N,"type":"…"}
//
// Data and metadata are already canonical, and stream ids, types and hex
// digests need no escaping, so plain concatenation is the canonical form;
// any RFC 8785 implementation reproduces these bytes from the stored columns.
// The global position is deliberately left out: it is assigned by the
// backend at commit and differs between backends, while a chain must verify
// the same wherever the events are copied.
func (e *Event) CanonicalBytes() []byte {
	b := make([]byte, 0, len(e.Data)+len(e.RawMetadata)+256)
	b = append(b, `{"data":`...)
	b = append(b, e.Data...)
	b = append(b, `,"event_id":"`...)
	b = append(b, e.ID.String()...)
	b = append(b, `","metadata":`...)
	b = append(b, e.RawMetadata...)
	b = append(b, `,"prev_hash":"`...)
	b = append(b, e.PrevHash.String()...)
	b = append(b, `","stream_id":"`...)
	b = append(b, e.StreamID...)
	b = append(b, `","stream_version":`...)
	b = strconv.AppendUint(b, e.Version, 10)
	b = append(b, `,"type":"`...)
	b = append(b, e.Type...)
	b = append(b, `"}`...)
	return b
}

// ComputeHash recomputes the event's hash from its content and PrevHash.
func (e *Event) ComputeHash() Hash {
	return sha256.Sum256(e.CanonicalBytes())
}

// LeafHash is the event's RFC 6962 Merkle leaf hash, SHA-256(0x00 ‖ Hash): the
// global tree commits to every event's hash in global order, so a standard
// inclusion proof shows an event is in the log.
func (e *Event) LeafHash() Hash {
	var h Hash
	copy(h[:], rfc6962.DefaultHasher.HashLeaf(e.Hash[:]))
	return h
}

// DecodeMetadata decodes stored canonical metadata; backends use it on read.
func DecodeMetadata(raw []byte) (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("eventstore: stored metadata is not valid: %w", err)
	}
	return m, nil
}
