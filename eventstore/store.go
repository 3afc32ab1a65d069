package eventstore

import (
	"context"
	"fmt"
	"iter"
)

// Store is the append-only event log. Every backend passes the conformance
// suite in eventstore/storetest.
type Store interface {
	// Append writes events to the end of stream atomically: all or none.
	//
	// It returns a *ConflictError (ErrConflict) when the stream is not at
	// expected; a *ValidationError (ErrInvalid) for a bad stream id, type,
	// payload, metadata or size, writing nothing. Sending again event ids that
	// are stored, in the same stream and order with the same content, writes
	// nothing and returns the original result, whatever expected says (a safe
	// retry); an id stored with other content or elsewhere is an
	// *IDReusedError (ErrIDReused).
	Append(ctx context.Context, stream string, expected Expected, events ...EventData) (AppendResult, error)

	// ReadStream reads one stream's events in version order (or reverse).
	// It returns ErrNotFound when the stream has no events.
	ReadStream(ctx context.Context, stream string, opts ReadOptions) ([]Event, error)

	// ReadStreams reads several whole streams at once: for each name, what
	// ReadStream(ctx, name, ReadOptions{}) returns, in version order, in
	// as few round trips as the backend allows (a month-end approval
	// manifest replays thousands of dossier streams). A stream with no
	// events is absent from the map, not an error; a name repeated is read
	// once. It returns a *ValidationError (ErrInvalid) for a bad stream id,
	// reading nothing.
	ReadStreams(ctx context.Context, streams []string) (map[string][]Event, error)

	// ReadAll returns up to limit events of the global log strictly after
	// from, in global order. It returns only the log's stable prefix: an event
	// it has not returned yet can never appear before one it has, so a reader
	// that calls ReadAll from its last position never skips an event.
	ReadAll(ctx context.Context, from Position, limit int) ([]Event, error)

	// Subscribe yields every event strictly after from, in global order:
	// first those already stored (catch-up), then new ones as they commit
	// (live), never skipping or repeating one. It ends when ctx is done
	// (yielding ctx.Err()), when the consumer stops, or after yielding a
	// non-retryable error. To restart, subscribe again from the position of
	// the last event handled.
	Subscribe(ctx context.Context, from Position) iter.Seq2[Event, error]
}

// Expected is the version a stream must be at for an Append to succeed.
type Expected struct {
	kind    expectedKind
	version uint64
}

type expectedKind uint8

const (
	expectAny expectedKind = iota
	expectNoStream
	expectExact
)

// Any accepts a stream at any version, including a new one.
var Any = Expected{kind: expectAny}

// NoStream requires that the stream has no events yet.
var NoStream = Expected{kind: expectNoStream}

// Exactly requires the stream's last version to be v (v ≥ 1; Exactly(0) is
// NoStream).
func Exactly(v uint64) Expected {
	if v == 0 {
		return NoStream
	}
	return Expected{kind: expectExact, version: v}
}

// Matches reports whether a stream whose current version is actual (0 when it
// does not exist) satisfies e.
func (e Expected) Matches(actual uint64) bool {
	switch e.kind {
	case expectNoStream:
		return actual == 0
	case expectExact:
		return actual == e.version
	}
	return true
}

// IsAny, IsNoStream and Version describe e for backends that map it onto
// their own expected-revision type.
func (e Expected) IsAny() bool      { return e.kind == expectAny }
func (e Expected) IsNoStream() bool { return e.kind == expectNoStream }

// Version is the exact version e requires, and false when e is Any or NoStream.
func (e Expected) Version() (uint64, bool) { return e.version, e.kind == expectExact }

func (e Expected) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectExact:
		return fmt.Sprintf("version %d", e.version)
	}
	return "any version"
}

// Direction orders a stream read.
type Direction uint8

const (
	Forward Direction = iota
	Backward
)

// ReadOptions bounds a stream read.
type ReadOptions struct {
	Direction Direction
	// From is the first version read (inclusive). Zero means the first
	// version going forward and the last going backward.
	From uint64
	// Limit caps how many events are returned; zero means all.
	Limit int
}

// DistinctStreams validates names for ReadStreams and returns them once
// each, in the order first given.
func DistinctStreams(names []string) ([]string, error) {
	seen := make(map[string]bool, len(names))
	out := make([]string, 0, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		if err := ValidateStreamID(n); err != nil {
			return nil, err
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, nil
}
