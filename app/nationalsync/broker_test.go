package nationalsync_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/internal/natstest"
)

// TestWorkerStopsWithPackagesInFlight: a worker that stops while the
// broker still holds packages for it must neither crash (watermill-nats
// v2.1.3 panicked with "send on closed channel" when a message arrived as
// its subscription ended) nor lose a package: every one is handled by one
// of the successive workers, as after restarts of hoso serve.
func TestWorkerStopsWithPackagesInFlight(t *testing.T) {
	t.Parallel()
	url := natstest.URL(t)
	topic := natstest.Topic(t, url)
	ctx := context.Background()

	const packages = 40
	b, err := nationalsync.OpenJetStream(ctx, url, topic, time.Second, 10*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range packages {
		if err := b.Publisher.Publish(topic, message.NewMessage(fmt.Sprintf("pkg-%03d", i), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()

	var mu sync.Mutex
	seen := map[string]int{}
	done := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	for round := 0; round < 200 && done() < packages; round++ {
		b, err := nationalsync.OpenJetStream(ctx, url, topic, time.Second, 10*time.Millisecond, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, watermill.NopLogger{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			r.AddConsumerHandler(fmt.Sprintf("h%d", i), topic, b.Subscriber, func(m *message.Message) error {
				time.Sleep(15 * time.Millisecond) // a delivery takes a while
				mu.Lock()
				seen[m.UUID]++
				mu.Unlock()
				return nil
			})
		}
		runCtx, cancel := context.WithTimeout(ctx, 60*time.Millisecond)
		if err := r.Run(runCtx); err != nil && runCtx.Err() == nil {
			t.Fatal(err)
		}
		cancel()
		b.Close()
	}
	if n := done(); n != packages {
		t.Fatalf("%d of %d packages handled across the restarts", n, packages)
	}
}
