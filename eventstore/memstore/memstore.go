// Package memstore is an in-memory eventstore.Store for unit tests and
// tools. It keeps the full contract (expected versions, idempotent retries,
// hash chains, subscriptions) but nothing survives the process.
package memstore

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Store is an in-memory event store. The zero value is not usable; call New.
type Store struct {
	now func() time.Time

	mu      sync.Mutex
	log     []eventstore.Event // global order; position (0, i+1)
	streams map[string][]int   // stream → indices into log
	byID    map[uuid.UUID]int  // event id → index into log
	changed chan struct{}      // closed and replaced on every append
}

// New returns an empty store whose clock is now (time.Now when nil).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:     now,
		streams: make(map[string][]int),
		byID:    make(map[uuid.UUID]int),
		changed: make(chan struct{}),
	}
}

var _ eventstore.Store = (*Store)(nil)

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	prepared, err := eventstore.Prepare(stream, events, s.now())
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	if res, done, err := s.retried(stream, prepared); done || err != nil {
		return res, err
	}
	idx := s.streams[stream]
	current := uint64(len(idx))
	if !expected.Matches(current) {
		return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: current}
	}
	var prevHash eventstore.Hash
	if current > 0 {
		prevHash = s.log[idx[current-1]].Hash
	}
	chained := eventstore.Chain(stream, current, prevHash, prepared)
	for _, e := range chained {
		e.Position = eventstore.NewPosition(0, uint64(len(s.log)+1))
		s.byID[e.ID] = len(s.log)
		s.streams[stream] = append(s.streams[stream], len(s.log))
		s.log = append(s.log, e)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	last := s.log[len(s.log)-1]
	return eventstore.AppendResult{FirstVersion: current + 1, LastVersion: last.Version, Position: last.Position}, nil
}

// retried recognizes a retry of a stored append: every id stored, in this
// stream, consecutively, with the same content.
func (s *Store) retried(stream string, ps []eventstore.Prepared) (eventstore.AppendResult, bool, error) {
	var res eventstore.AppendResult
	found := 0
	for i, p := range ps {
		at, ok := s.byID[p.ID]
		if !ok {
			continue
		}
		found++
		stored := s.log[at]
		if stored.StreamID != stream || !p.SameContent(stored) ||
			(i > 0 && found > 1 && stored.Version != res.LastVersion+1) {
			return res, false, &eventstore.IDReusedError{EventID: p.ID.String(), Stream: stored.StreamID, Version: stored.Version}
		}
		if found == 1 {
			res.FirstVersion = stored.Version
		}
		res.LastVersion = stored.Version
		res.Position = stored.Position
	}
	switch {
	case found == 0:
		return res, false, nil
	case found != len(ps):
		return res, false, fmt.Errorf("%w: %d of %d event ids are already stored: a retry must resend the same batch", eventstore.ErrIDReused, found, len(ps))
	}
	return res, true, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := eventstore.ValidateStreamID(stream); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.streams[stream]
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: %s", eventstore.ErrNotFound, stream)
	}
	var out []eventstore.Event
	add := func(i int) bool {
		out = append(out, s.log[idx[i]])
		return opts.Limit == 0 || len(out) < opts.Limit
	}
	if opts.Direction == eventstore.Backward {
		start := len(idx) - 1
		if opts.From > 0 && int(opts.From) <= len(idx) {
			start = int(opts.From) - 1
		}
		for i := start; i >= 0 && add(i); i-- {
		}
		return out, nil
	}
	start := 0
	if opts.From > 0 {
		start = int(opts.From) - 1
	}
	for i := start; i < len(idx) && add(i); i++ {
	}
	return out, nil
}

// ReadStreams implements eventstore.Store.
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names, err := eventstore.DistinctStreams(streams)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]eventstore.Event, len(names))
	for _, n := range names {
		for _, i := range s.streams[n] {
			out[n] = append(out[n], s.log[i])
		}
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, seq := from.Parts()
	if seq >= uint64(len(s.log)) {
		return nil, nil
	}
	rest := s.log[seq:]
	if limit > 0 && len(rest) > limit {
		rest = rest[:limit]
	}
	return append([]eventstore.Event(nil), rest...), nil
}

// Subscribe implements eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		pos := from
		for {
			s.mu.Lock()
			wake := s.changed
			s.mu.Unlock()
			batch, err := s.ReadAll(ctx, pos, 512)
			if err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			for _, e := range batch {
				if !yield(e, nil) {
					return
				}
				pos = e.Position
			}
			if len(batch) > 0 {
				continue
			}
			select {
			case <-ctx.Done():
				yield(eventstore.Event{}, ctx.Err())
				return
			case <-wake:
			}
		}
	}
}
