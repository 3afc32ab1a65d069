package esdbstore

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/hoso-ledger/hoso/eventstore"
)

// envelopeFormat marks the custom metadata written by this package, so that
// a reader can tell hoso's events from anything else in the database.
const envelopeFormat = 1

// envelope is the custom metadata stored with each event. Metadata holds
// the canonical metadata bytes exactly as hashed.
type envelope struct {
	Hoso     int             `json:"hoso"`
	Version  uint64          `json:"version"`
	PrevHash eventstore.Hash `json:"prev_hash"`
	Hash     eventstore.Hash `json:"hash"`
	Metadata json.RawMessage `json:"metadata"`
}

// encodeEnvelope writes the envelope by hand: encoding/json would re-escape
// <, > and & inside the embedded metadata and so change the hashed bytes.
func encodeEnvelope(e *eventstore.Event) []byte {
	b := make([]byte, 0, len(e.RawMetadata)+200)
	b = append(b, `{"hoso":`...)
	b = strconv.AppendInt(b, envelopeFormat, 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, e.Version, 10)
	b = append(b, `,"prev_hash":"`...)
	b = append(b, e.PrevHash.String()...)
	b = append(b, `","hash":"`...)
	b = append(b, e.Hash.String()...)
	b = append(b, `","metadata":`...)
	b = append(b, e.RawMetadata...)
	b = append(b, '}')
	return b
}

func toEventData(events []eventstore.Event) []esdb.EventData {
	out := make([]esdb.EventData, len(events))
	for i := range events {
		e := &events[i]
		out[i] = esdb.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: esdb.ContentTypeJson,
			Data:        e.Data,
			Metadata:    encodeEnvelope(e),
		}
	}
	return out
}

// CorruptError reports a stored event in hoso's part of the database that is
// not a valid hoso envelope, or whose hash does not match its content: an
// edit behind the ledger's back, or a foreign writer. Readers stop there
// rather than skip it, because skipping would silently change the log.
type CorruptError struct {
	Stream   string // EventStoreDB stream name
	Revision uint64 // EventStoreDB revision (version − 1)
	Reason   string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("esdbstore: stored event %s@%d is not a valid hoso event: %s", e.Stream, e.Revision, e.Reason)
}

// decode turns a recorded event back into a hoso event and checks that the
// envelope agrees with where the event sits and with its own hash.
func decode(stream string, r *esdb.RecordedEvent) (eventstore.Event, error) {
	bad := func(format string, args ...any) (eventstore.Event, error) {
		return eventstore.Event{}, &CorruptError{Stream: r.StreamID, Revision: r.EventNumber, Reason: fmt.Sprintf(format, args...)}
	}
	var env envelope
	if err := json.Unmarshal(r.UserMetadata, &env); err != nil {
		return bad("metadata is not a hoso envelope: %v", err)
	}
	if env.Hoso != envelopeFormat {
		return bad("envelope format %d, want %d", env.Hoso, envelopeFormat)
	}
	if env.Version != r.EventNumber+1 {
		return bad("envelope says version %d at revision %d", env.Version, r.EventNumber)
	}
	meta, err := eventstore.DecodeMetadata(env.Metadata)
	if err != nil {
		return bad("%v", err)
	}
	e := eventstore.Event{
		ID:          r.EventID,
		StreamID:    stream,
		Version:     env.Version,
		Position:    eventstore.NewPosition(r.Position.Commit, r.Position.Prepare),
		Type:        r.EventType,
		Data:        r.Data,
		RawMetadata: env.Metadata,
		Meta:        meta,
		PrevHash:    env.PrevHash,
		Hash:        env.Hash,
	}
	if e.ComputeHash() != e.Hash {
		return bad("hash does not match the stored content")
	}
	return e, nil
}
