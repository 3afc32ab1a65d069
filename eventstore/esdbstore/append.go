package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Append implements eventstore.Store.
//
// An attempt learns the stream's last version and hash (from the Store's
// cache of stream tips, or by reading the stream's tail, newest first),
// recognizes a retry of a recent batch in that tail, claims the event ids
// (claims.go: an id is stored in one stream only, and a retry of an older
// batch is recognized there), checks the caller's expectation, chains the
// events onto the last hash and appends with the exact revision it learned.
// A wrong-expected-version reply means another writer got in between (or
// the cached tip was stale); the next attempt reads the tail, so that a
// concurrent identical retry is still recognized as one, an exact
// expectation becomes a *eventstore.ConflictError, and an Any expectation is
// simply tried again after a short random backoff.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	prepared, err := eventstore.Prepare(stream, events, s.opts.Now())
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	c, err := s.current()
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	name := s.name(stream)
	window := max(s.opts.DedupWindow, len(prepared))
	claimed := make(map[uuid.UUID]bool, len(prepared))
	useTip := s.opts.DedupWindow == 0 // a configured window asks for the tail read
	var current uint64
	// Contention waits a random time that grows with the failures, up to
	// 20 ms, so that writers contending for one stream stop colliding in
	// lockstep: the nth wait is drawn from (0, min(2^n, 20) ms].
	contention := &backoff.ExponentialBackOff{InitialInterval: time.Millisecond, RandomizationFactor: 1, Multiplier: 2, MaxInterval: 10 * time.Millisecond}
	contention.Reset()
	for attempt, failures := 0, 0; attempt < s.opts.MaxAppendAttempts; attempt++ {
		if failures > 0 {
			if err := wait(ctx, contention.NextBackOff()+1); err != nil {
				return eventstore.AppendResult{}, err
			}
		}
		var prevHash eventstore.Hash
		t, cached := s.tips.get(stream)
		usedTip := useTip && cached
		if usedTip {
			current, prevHash = t.version, t.hash
		} else {
			tail, err := s.tail(ctx, c, stream, window)
			if err != nil {
				return eventstore.AppendResult{}, err
			}
			if res, done, err := retried(stream, prepared, tail); done || err != nil {
				return res, err
			}
			current = 0
			if len(tail) > 0 {
				current, prevHash = tail[0].Version, tail[0].Hash
			}
			s.tips.put(stream, tip{current, prevHash})
		}
		useTip = false // from here on, only what the server says
		// Claim the ids, or find them stored (a retry, or a reuse).
		res, done, err := s.claimIDs(ctx, c, stream, prepared, claimed)
		if errors.Is(err, errRaced) {
			failures++
			continue
		}
		if done || err != nil {
			return res, err
		}
		if !expected.Matches(current) {
			if usedTip {
				continue // the cached tip may be stale: ask the server
			}
			return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: current}
		}
		chained := eventstore.Chain(stream, current, prevHash, prepared)
		var revision esdb.ExpectedRevision = esdb.NoStream{}
		if current > 0 {
			revision = esdb.Revision(current - 1)
		}
		wr, err := c.AppendToStream(ctx, name, esdb.AppendToStreamOptions{ExpectedRevision: revision}, toEventData(chained)...)
		if err == nil {
			last := chained[len(chained)-1]
			s.tips.put(stream, tip{last.Version, last.Hash})
			return s.appended(ctx, c, name, chained, wr), nil
		}
		s.tips.drop(stream)
		if !isWrongExpectedVersion(err) {
			s.recover(c, err)
			return eventstore.AppendResult{}, fmt.Errorf("esdbstore: append to %s: %w", stream, err)
		}
		if !usedTip {
			failures++ // a stale tip is no contention: retry at once
		}
	}
	// Other writers kept moving the stream for every attempt of an Any
	// append: report contention as a conflict the caller may retry.
	return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: current}
}

// tip is a stream's last version and hash as this Store last saw them.
type tip struct {
	version uint64
	hash    eventstore.Hash
}

// tips caches stream tips so that a process appending to a stream it wrote
// last skips the tail read. A stale tip costs one wrong-expected-version
// round trip and never a wrong chain: the append names the exact revision
// the tip claims, and the server refuses it if the stream has moved.
type tips struct {
	mu  sync.Mutex
	max int
	m   map[string]tip
}

func (t *tips) get(stream string) (tip, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[stream]
	return v, ok
}

func (t *tips) put(stream string, v tip) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[string]tip)
	}
	if _, ok := t.m[stream]; !ok && len(t.m) >= t.max {
		for k := range t.m { // evict an arbitrary entry: any tip may go
			delete(t.m, k)
			break
		}
	}
	t.m[stream] = v
}

func (t *tips) drop(stream string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, stream)
}

// tail reads up to n of the stream's latest events, newest first; none when
// the stream does not exist.
func (s *Store) tail(ctx context.Context, c *esdb.Client, stream string, n int) ([]eventstore.Event, error) {
	events, err := s.read(ctx, c, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, uint64(n))
	if errors.Is(err, eventstore.ErrNotFound) {
		return nil, nil
	}
	return events, err
}

// retried recognizes a retry of a stored append among the tail's events:
// every id found, consecutively, in order, with the same content. Some ids
// found but not all, or found with other content, is an id reuse.
func retried(stream string, ps []eventstore.Prepared, tail []eventstore.Event) (eventstore.AppendResult, bool, error) {
	byID := make(map[uuid.UUID]*eventstore.Event, len(tail))
	for i := range tail {
		byID[tail[i].ID] = &tail[i]
	}
	var res eventstore.AppendResult
	found := 0
	for _, p := range ps {
		stored, ok := byID[p.ID]
		if !ok {
			continue
		}
		found++
		if !p.SameContent(*stored) || (found > 1 && stored.Version != res.LastVersion+1) {
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
		return eventstore.AppendResult{}, false, fmt.Errorf("%w: %d of %d event ids are already stored in %s: a retry must resend the same batch", eventstore.ErrIDReused, found, len(ps), stream)
	}
	return res, true, nil
}

// appended builds the result of a successful append. Its position must be
// the last event's (commit, prepare) exactly as $all reports it. For one
// event the append reply's position is that event's. For a batch the reply
// describes the write as a whole, which need not be the last event's
// position, so the last event is read back by revision. If that read fails
// the write still happened, and the reply's position is the best there is.
func (s *Store) appended(ctx context.Context, c *esdb.Client, name string, chained []eventstore.Event, wr *esdb.WriteResult) eventstore.AppendResult {
	last := chained[len(chained)-1]
	res := eventstore.AppendResult{
		FirstVersion: chained[0].Version,
		LastVersion:  last.Version,
		Position:     eventstore.NewPosition(wr.CommitPosition, wr.PreparePosition),
	}
	if len(chained) == 1 {
		return res
	}
	rs, err := c.ReadStream(ctx, name, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(last.Version - 1)}, 1)
	if err != nil {
		return res
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		return res
	}
	if ev != nil {
		if r := ev.OriginalEvent(); r != nil && r.EventID == last.ID {
			res.Position = eventstore.NewPosition(r.Position.Commit, r.Position.Prepare)
		}
	}
	return res
}

// wait waits d, or returns ctx's error if ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
