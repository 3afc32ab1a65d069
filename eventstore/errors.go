package eventstore

import (
	"errors"
	"fmt"
)

// Error kinds every backend returns, tested with errors.Is.
var (
	// ErrConflict: the stream was not at the expected version. The error is a
	// *ConflictError carrying both versions.
	ErrConflict = errors.New("eventstore: wrong expected version")
	// ErrNotFound: the stream has no events.
	ErrNotFound = errors.New("eventstore: stream not found")
	// ErrInvalid: the request is malformed (bad type, stream id, JSON, size);
	// nothing was written. The error is a *ValidationError where it names an event.
	ErrInvalid = errors.New("eventstore: invalid request")
	// ErrIDReused: an event id already stored was sent again with other
	// content or for another place in the log; nothing was written.
	ErrIDReused = errors.New("eventstore: event id reused with different content")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("eventstore: store closed")
)

// ConflictError reports an expected-version mismatch. It wraps ErrConflict.
type ConflictError struct {
	Stream   string
	Expected Expected
	Actual   uint64 // the stream's current version; 0 when it does not exist
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("eventstore: stream %q: expected %s, actual version %d", e.Stream, e.Expected, e.Actual)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// ValidationError names the event (by index in the request) and the field
// that broke a rule. It wraps ErrInvalid.
type ValidationError struct {
	Index int    // index of the event in the Append call; -1 for the call itself
	Field string // "stream_id", "type", "data", "metadata", "size", "event_id"
	Rule  string // "required", "format", "json", "max_size", "duplicate"
	Msg   string
}

func (e *ValidationError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("eventstore: %s: %s: %s", e.Field, e.Rule, e.Msg)
	}
	return fmt.Sprintf("eventstore: event %d: %s: %s: %s", e.Index, e.Field, e.Rule, e.Msg)
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

// IDReusedError names the event id sent again with other content. It wraps ErrIDReused.
type IDReusedError struct {
	EventID string
	Stream  string // where the id is stored
	Version uint64
}

func (e *IDReusedError) Error() string {
	return fmt.Sprintf("eventstore: event id %s is already stored as %s@%d with other content", e.EventID, e.Stream, e.Version)
}

func (e *IDReusedError) Unwrap() error { return ErrIDReused }
