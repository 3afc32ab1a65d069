package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// NewStream is one stream of AppendNewStreams: its id and its first events.
type NewStream struct {
	Stream string
	Events []EventData
}

// BulkAppender is a Store that writes many new streams in one atomic
// write: the path of a bulk import, where a round trip per stream is the
// cost. Backends that cannot do better leave it out, and AppendNewStreams
// falls back to one Append per stream.
type BulkAppender interface {
	// AppendNewStreams writes streams, none of which may exist yet, all or
	// nothing. Each stream's events are prepared, chained (from version 1
	// and the zero hash) and stored exactly as Append(stream, NoStream, ...)
	// would store them, so verification and every reader see the same
	// events; the results are in the order of streams.
	//
	// When some of the streams exist it writes nothing and returns a
	// *StreamsExistError naming them (ErrConflict), so the caller can set
	// them aside and send the rest again. A stream named twice, or a bad
	// stream id or event, is a *ValidationError (ErrInvalid); an event id
	// already stored is ErrIDReused. There is no retry recognition as in
	// Append: a batch sent again finds its streams and is refused by the
	// first rule.
	AppendNewStreams(ctx context.Context, streams []NewStream) ([]AppendResult, error)
}

// StreamsExistError is a refused AppendNewStreams: the streams named exist
// already. It wraps ErrConflict.
type StreamsExistError struct {
	Streams []string
}

func (e *StreamsExistError) Error() string {
	const shown = 5
	names := e.Streams
	more := ""
	if len(names) > shown {
		more = fmt.Sprintf(" and %d more", len(names)-shown)
		names = names[:shown]
	}
	return fmt.Sprintf("eventstore: %d stream(s) exist already: %s%s", len(e.Streams), strings.Join(names, ", "), more)
}

func (e *StreamsExistError) Unwrap() error { return ErrConflict }

// AppendNewStreams writes streams that must not exist yet, through the
// store's BulkAppender when it is one. Otherwise it checks every stream's
// absence, then appends them one by one with NoStream: the same events,
// but neither atomic nor fast — a stream created by someone else between
// the check and its append stops the loop with its *ConflictError, after
// the streams before it were written.
func AppendNewStreams(ctx context.Context, s Store, streams []NewStream) ([]AppendResult, error) {
	if b, ok := s.(BulkAppender); ok {
		return b.AppendNewStreams(ctx, streams)
	}
	if err := ValidateNewStreams(streams, time.Now()); err != nil {
		return nil, err
	}
	var exist []string
	for _, ns := range streams {
		_, err := s.ReadStream(ctx, ns.Stream, ReadOptions{Limit: 1})
		switch {
		case err == nil:
			exist = append(exist, ns.Stream)
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
	}
	if len(exist) > 0 {
		return nil, &StreamsExistError{Streams: exist}
	}
	out := make([]AppendResult, len(streams))
	for i, ns := range streams {
		res, err := s.Append(ctx, ns.Stream, NoStream, ns.Events...)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

// ValidateNewStreams checks an AppendNewStreams request without preparing
// it for storage: every stream id valid, named once, with at least one
// valid event, no event id twice in the whole request.
func ValidateNewStreams(streams []NewStream, now time.Time) error {
	_, err := PrepareNewStreams(streams, now)
	return err
}

// PrepareNewStreams prepares every stream of an AppendNewStreams request
// (see Prepare) and chains it as a new stream (see Chain). Positions are
// left for the backend to set.
func PrepareNewStreams(streams []NewStream, now time.Time) ([][]Event, error) {
	seen := make(map[string]bool, len(streams))
	ids := make(map[uuid.UUID]bool)
	out := make([][]Event, len(streams))
	for i, ns := range streams {
		if seen[ns.Stream] {
			return nil, &ValidationError{Index: -1, Field: "stream_id", Rule: "duplicate", Msg: fmt.Sprintf("stream %q is named twice in one bulk append", ns.Stream)}
		}
		seen[ns.Stream] = true
		if len(ns.Events) == 0 {
			return nil, &ValidationError{Index: -1, Field: "events", Rule: "required", Msg: fmt.Sprintf("stream %q has no events", ns.Stream)}
		}
		ps, err := Prepare(ns.Stream, ns.Events, now)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", ns.Stream, err)
		}
		for j, p := range ps {
			if ids[p.ID] {
				return nil, &ValidationError{Index: j, Field: "event_id", Rule: "duplicate", Msg: fmt.Sprintf("event id %s is sent twice in one bulk append", p.ID)}
			}
			ids[p.ID] = true
		}
		out[i] = Chain(ns.Stream, 0, Hash{}, ps)
	}
	return out, nil
}
