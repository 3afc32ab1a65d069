package eventstore

import (
	"context"
	"fmt"
)

// StreamAppend is one stream's part of AppendStreams: what Append takes.
type StreamAppend struct {
	Stream   string
	Expected Expected
	Events   []EventData
}

// StreamOutcome is one stream's answer from AppendStreams: what Append
// would have returned for it.
type StreamOutcome struct {
	Result AppendResult
	Err    error
}

// GroupAppender is a Store that commits appends to several streams
// together: one transaction and one durable commit for many writers'
// appends (the national delivery records an attempt and an answer per
// package, a handful of packages at once, each one a commit of its own
// before). It is a grouped commit, not a cross-stream invariant: each
// stream's append succeeds or fails on its own, exactly as Append, and
// the ones that succeed are committed together. Backends that cannot do
// better leave it out, and AppendStreams falls back to one Append per
// stream.
type GroupAppender interface {
	// AppendStreams appends each of appends as Append would (expected
	// version, preparation, chaining, retry recognition) and returns one
	// outcome per append, in order: a *ConflictError, *ValidationError or
	// *IDReusedError in an outcome concerns that stream alone. The error
	// returned is for the whole call (the database unreachable, ctx done),
	// and then nothing may be assumed written: appending again is safe, as
	// every append is a retry. A stream named twice in one call is a
	// *ValidationError for the whole call, writing nothing.
	AppendStreams(ctx context.Context, appends []StreamAppend) ([]StreamOutcome, error)
}

// AppendStreams appends to several streams, through the store's
// GroupAppender when it is one, else one Append after another (the same
// outcomes, each committed on its own). See GroupAppender.
func AppendStreams(ctx context.Context, s Store, appends []StreamAppend) ([]StreamOutcome, error) {
	if err := DistinctAppends(appends); err != nil {
		return nil, err
	}
	if g, ok := s.(GroupAppender); ok {
		return g.AppendStreams(ctx, appends)
	}
	out := make([]StreamOutcome, len(appends))
	for i, a := range appends {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i].Result, out[i].Err = s.Append(ctx, a.Stream, a.Expected, a.Events...)
	}
	return out, nil
}

// DistinctAppends refuses an AppendStreams request that names a stream
// twice: the order of its two appends would be the backend's choice.
func DistinctAppends(appends []StreamAppend) error {
	seen := make(map[string]bool, len(appends))
	for _, a := range appends {
		if seen[a.Stream] {
			return &ValidationError{Index: -1, Field: "stream_id", Rule: "duplicate", Msg: fmt.Sprintf("stream %q is named twice in one grouped append", a.Stream)}
		}
		seen[a.Stream] = true
	}
	return nil
}
