package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// notifier shares one LISTEN connection among all of a store's
// subscriptions: it runs while at least one subscription does, and turns
// every notification into a broadcast by closing a channel.
type notifier struct {
	pool *pgxpool.Pool

	mu   sync.Mutex
	refs int
	stop context.CancelFunc
	done chan struct{}
	ch   chan struct{}

	// pid is the backend of the LISTEN connection, 0 while there is none.
	pid atomic.Uint32
}

// changed returns a channel closed at the next notification (or reconnect).
func (n *notifier) changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

// broadcast wakes whoever waits on changed; the next channel is made only
// when someone asks for it, so appends with no subscription allocate none.
func (n *notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// acquire registers a subscription, starting the listener for the first;
// release stops it after the last, closing its connection.
func (n *notifier) acquire() (release func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.refs++
	if n.refs == 1 {
		ctx, stop := context.WithCancel(context.Background())
		n.stop, n.done = stop, make(chan struct{})
		go n.run(ctx, n.done)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			n.mu.Lock()
			n.refs--
			var stop context.CancelFunc
			var done chan struct{}
			if n.refs == 0 {
				stop, done = n.stop, n.done
				n.stop, n.done = nil, nil
			}
			n.mu.Unlock()
			if stop != nil {
				stop()
				<-done
			}
		})
	}
}

// run listens until ctx ends, reconnecting with backoff. Subscriptions poll
// meanwhile, so an outage delays them but loses nothing.
func (n *notifier) run(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	b := &backoff.ExponentialBackOff{InitialInterval: 50 * time.Millisecond, Multiplier: 2, MaxInterval: 5 * time.Second}
	b.Reset()
	for ctx.Err() == nil {
		if n.listen(ctx) {
			b.Reset()
		}
		select {
		case <-ctx.Done():
		case <-time.After(b.NextBackOff()):
		}
	}
}

// listen holds one connection in LISTEN until it fails or ctx ends, and
// reports whether it got as far as listening.
func (n *notifier) listen(ctx context.Context) (listened bool) {
	pc, err := n.pool.Acquire(ctx)
	if err != nil {
		return false
	}
	// A connection that has LISTENed would keep queueing notifications for
	// whoever used it next: close it rather than return it to the pool.
	conn := pc.Hijack()
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	var channel string
	var pid uint32
	// Register before listening: see notifySQL for why this order loses
	// no wake-up.
	if err := conn.QueryRow(ctx, listenerLock).Scan(nil, &channel, &pid); err != nil {
		return false
	}
	n.pid.Store(pid)
	defer n.pid.Store(0)
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false
	}
	// Events may have committed while nobody listened.
	n.broadcast()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true
		}
		n.broadcast()
	}
}
