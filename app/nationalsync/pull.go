package nationalsync

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// pullSubscriber is the worker's watermill subscriber: one goroutine per
// subscription fetches a package at a time from the durable pull consumer,
// hands it to the handler and settles it (ack, or a delayed nak for a
// retry) before fetching the next.
//
// It replaces watermill-nats v2.1.3's JetStream subscriber, whose callback
// sends each message into its output channel while a second goroutine
// closes that channel when the subscription ends: a message arriving as a
// worker stopped made the send and the close meet, a data race and, half
// the time, a "send on closed channel" panic inside the library, beyond any
// recover of ours (TestWorkerStopsWithPackagesInFlight). Here the one
// goroutine that sends on a channel is the one that closes it. Publishing
// still goes through watermill-nats, whose headers this reads back with its
// own unmarshaler.
type pullSubscriber struct {
	js       natsjs.JetStream
	consumer natsjs.ConsumerConfig
	redelay  time.Duration
	logger   *slog.Logger

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	running sync.WaitGroup
}

// fetchWait bounds one pull request: how long a stopping worker may wait
// for its fetch to return, and how often an idle one asks again.
const fetchWait = 2 * time.Second

func newPullSubscriber(js natsjs.JetStream, consumer natsjs.ConsumerConfig, redelay time.Duration, logger *slog.Logger) *pullSubscriber {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &pullSubscriber{js: js, consumer: consumer, redelay: redelay, logger: logger, closing: make(chan struct{})}
}

// Subscribe implements message.Subscriber. The channel closes when ctx
// ends or the subscriber closes; a package handed out and not yet settled
// then goes back to the stream at once (nak), not after the ack wait.
func (s *pullSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("nationalsync: subscriber closed")
	}
	s.running.Add(1)
	s.mu.Unlock()
	c, err := s.js.CreateOrUpdateConsumer(ctx, topic, s.consumer)
	if err != nil {
		s.running.Done()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan *message.Message)
	go func() {
		defer s.running.Done()
		defer close(out)
		defer cancel()
		go func() {
			select {
			case <-s.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		for ctx.Err() == nil {
			s.fetchOne(ctx, c, out)
		}
	}()
	return out, nil
}

// fetchOne waits up to fetchWait for one package and, if one came, hands
// it out and settles it.
func (s *pullSubscriber) fetchOne(ctx context.Context, c natsjs.Consumer, out chan<- *message.Message) {
	fctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	batch, err := c.Fetch(1, natsjs.FetchContext(fctx))
	if err != nil {
		if ctx.Err() == nil {
			s.logger.Warn("nationalsync: fetching from JetStream", slog.String("error", err.Error()))
			select { // a broker that refuses now will not accept at once
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		return
	}
	for msg := range batch.Messages() {
		s.settle(ctx, msg, out)
	}
}

func (s *pullSubscriber) settle(ctx context.Context, msg natsjs.Msg, out chan<- *message.Message) {
	m, err := jetstream.DefaultUnmarshaler{}.Unmarshal(msg)
	if err != nil {
		// Only our relay publishes here; a message it cannot have written
		// would fail forever, so it is ended and logged, not retried.
		s.logger.Error("nationalsync: an unreadable message on the stream, terminated", slog.String("error", err.Error()))
		_ = msg.Term()
		return
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.SetContext(mctx)
	select {
	case out <- m:
	case <-ctx.Done():
		_ = msg.Nak()
		return
	}
	// The ack outlives a stopping worker: a delivery that succeeded must
	// not be redelivered for want of a few milliseconds.
	settleCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer done()
	select {
	case <-m.Acked():
		if err := msg.DoubleAck(settleCtx); err != nil {
			s.logger.Warn("nationalsync: acknowledging a package to JetStream", slog.String("id", m.UUID), slog.String("error", err.Error()))
		}
	case <-m.Nacked():
		_ = msg.NakWithDelay(s.redelay)
	case <-ctx.Done():
		_ = msg.Nak()
	}
}

// Close implements message.Subscriber: it ends every subscription and
// waits for their goroutines (each within fetchWait).
func (s *pullSubscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.running.Wait()
	return nil
}
