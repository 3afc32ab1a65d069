package esdbstore

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/cenkalti/backoff/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Subscribe implements eventstore.Store with a catch-up subscription to $all,
// filtered on the server to hoso's streams. When the subscription drops for
// a reason that can pass (the server restarted, the connection broke, a
// leader changed), it subscribes again from the position of the last event
// it yielded, after a backoff that doubles from ResubscribeMinDelay up to
// ResubscribeMaxDelay and resets once events flow. A subscription resumes
// strictly after its position and, defensively, any event not after the
// last one yielded is dropped, so nothing repeats and nothing is skipped.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		last := from
		delays := &backoff.ExponentialBackOff{InitialInterval: s.opts.ResubscribeMinDelay, Multiplier: 2, MaxInterval: s.opts.ResubscribeMaxDelay}
		delays.Reset()
		for {
			c, err := s.current()
			if err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			err = s.follow(ctx, c, &last, delays, yield)
			if err == nil {
				return // the consumer stopped
			}
			if ctx.Err() != nil {
				yield(eventstore.Event{}, ctx.Err())
				return
			}
			if !retryable(err) || !s.recover(c, err) {
				yield(eventstore.Event{}, err)
				return
			}
			delay := delays.NextBackOff()
			s.opts.Logger.Warn("esdbstore: subscription dropped; resuming",
				slog.String("after", last.String()), slog.Duration("delay", delay), slog.String("error", err.Error()))
			select {
			case <-ctx.Done():
				yield(eventstore.Event{}, ctx.Err())
				return
			case <-time.After(delay):
			}
		}
	}
}

// follow runs one subscription from *last until it drops, yielding events
// and advancing *last, and resets delays once events flow. It returns nil
// when the consumer stopped and the reason otherwise.
func (s *Store) follow(ctx context.Context, c *esdb.Client, last *eventstore.Position, delays backoff.BackOff, yield func(eventstore.Event, error) bool) error {
	sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: allPosition(*last), Filter: s.filter()})
	if err != nil {
		return err
	}
	defer sub.Close()
	for {
		msg := sub.Recv()
		switch {
		case msg.SubscriptionDropped != nil:
			if msg.SubscriptionDropped.Error == nil {
				return errors.New("esdbstore: subscription dropped without a reason")
			}
			return msg.SubscriptionDropped.Error
		case msg.EventAppeared != nil:
			r := msg.EventAppeared.OriginalEvent()
			if r == nil {
				continue
			}
			p := eventstore.NewPosition(r.Position.Commit, r.Position.Prepare)
			if !p.After(*last) {
				continue
			}
			stream, ok := s.ours(r.StreamID, r.EventType)
			if !ok {
				*last = p // foreign: nothing to yield, but no need to see it again
				continue
			}
			e, err := decode(stream, r)
			if err != nil {
				yield(eventstore.Event{}, err)
				return nil
			}
			if !yield(e, nil) {
				return nil
			}
			*last = p
			delays.Reset()
		}
		// Checkpoints, caught-up and fell-behind notices carry no events.
		// Checkpoints are not used to advance: whether the record at a
		// checkpoint was itself scanned is not something the protocol
		// promises, and the last event yielded is always a safe place.
	}
}

// retryable reports whether a dropped subscription may be resumed. Errors
// of configuration or permission will not pass by waiting; anything about
// the connection or the node might.
func retryable(err error) bool {
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnsupportedFeature,
			esdb.ErrorCodeParsing, esdb.ErrorCodeStreamDeleted:
			return false
		}
		return true
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.Unimplemented,
			codes.NotFound, codes.FailedPrecondition, codes.OutOfRange:
			return false
		}
	}
	return true
}
