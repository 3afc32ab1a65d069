package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/eventstore"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := eventstore.ValidateStreamID(stream); err != nil {
		return nil, err
	}
	c, err := s.current()
	if err != nil {
		return nil, err
	}
	ro := esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Start{}}
	if opts.Direction == eventstore.Backward {
		ro = esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}
	}
	if opts.From > 0 {
		ro.From = esdb.Revision(opts.From - 1)
	}
	count := uint64(maxCount)
	if opts.Limit > 0 {
		count = uint64(opts.Limit)
	}
	return s.read(ctx, c, stream, ro, count)
}

// readStreamsParallelism is how many streams ReadStreams reads at once:
// EventStoreDB has no multi-stream read, so the round trips overlap on
// the client's one gRPC connection instead.
const readStreamsParallelism = 16

// ReadStreams implements eventstore.Store: each stream read whole, several
// at a time (the server offers no read of several streams in one call).
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names, err := eventstore.DistinctStreams(streams)
	if err != nil {
		return nil, err
	}
	read := make([][]eventstore.Event, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readStreamsParallelism)
	for i, n := range names {
		g.Go(func() error {
			evs, err := s.ReadStream(gctx, n, eventstore.ReadOptions{})
			if errors.Is(err, eventstore.ErrNotFound) {
				return nil
			}
			read[i] = evs
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string][]eventstore.Event, len(names))
	for i, n := range names {
		if len(read[i]) > 0 {
			out[n] = read[i]
		}
	}
	return out, nil
}

// maxCount asks a read for everything; the server streams it.
const maxCount = math.MaxInt64

// read reads one stream and checks that consecutive events chain: each
// event's PrevHash is the hash of the one before it.
func (s *Store) read(ctx context.Context, c *esdb.Client, stream string, ro esdb.ReadStreamOptions, count uint64) ([]eventstore.Event, error) {
	name := s.name(stream)
	rs, err := c.ReadStream(ctx, name, ro, count)
	if err != nil {
		s.recover(c, err)
		return nil, fmt.Errorf("esdbstore: read %s: %w", stream, err)
	}
	defer rs.Close()
	var out []eventstore.Event
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s", eventstore.ErrNotFound, stream)
		}
		if err != nil {
			s.recover(c, err)
			return nil, fmt.Errorf("esdbstore: read %s: %w", stream, err)
		}
		r := ev.OriginalEvent()
		if r == nil {
			continue
		}
		e, err := decode(stream, r)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 {
			older, newer := &out[n-1], &e
			if ro.Direction == esdb.Backwards {
				older, newer = &e, &out[n-1]
			}
			if newer.PrevHash != older.Hash {
				return nil, &CorruptError{Stream: name, Revision: newer.Version - 1, Reason: "prev_hash does not match the previous event's hash"}
			}
		}
		out = append(out, e)
	}
}

// ReadAll implements eventstore.Store. It reads $all forwards in pages and
// keeps hoso's events. $all holds only committed events in commit order,
// so every page is a stable prefix. The client version pinned here cannot
// filter reads of $all on the server (only subscriptions), so foreign
// records cross the wire and are dropped here.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Position, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.current()
	if err != nil {
		return nil, err
	}
	var out []eventstore.Event
	cursor := from // every record at or before cursor has been seen
	for {
		// A forward read of $all starts at its position inclusively, so the
		// record at the cursor comes back first and is skipped.
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: allPosition(cursor)}, uint64(s.opts.ReadAllPage))
		if err != nil {
			s.recover(c, err)
			return nil, fmt.Errorf("esdbstore: read $all: %w", err)
		}
		n := 0
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rs.Close()
				s.recover(c, err)
				return nil, fmt.Errorf("esdbstore: read $all: %w", err)
			}
			n++
			r := ev.OriginalEvent()
			if r == nil {
				continue
			}
			p := eventstore.NewPosition(r.Position.Commit, r.Position.Prepare)
			if !p.After(cursor) {
				continue
			}
			cursor = p
			stream, ok := s.ours(r.StreamID, r.EventType)
			if !ok {
				continue
			}
			e, err := decode(stream, r)
			if err != nil {
				rs.Close()
				return nil, err
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				rs.Close()
				return out, nil
			}
		}
		rs.Close()
		if n < s.opts.ReadAllPage {
			return out, nil // the end of $all
		}
	}
}

// allPosition maps a hoso position onto the client's.
func allPosition(p eventstore.Position) esdb.AllPosition {
	if p.IsStart() {
		return esdb.Start{}
	}
	commit, prepare := p.Parts()
	return esdb.Position{Commit: commit, Prepare: prepare}
}
