package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections/publish"
)

func appendEvents(t *testing.T, store eventstore.Store, n int) {
	t.Helper()
	for i := range n {
		_, err := store.Append(context.Background(), fmt.Sprintf("s-%d", i%7), eventstore.Any,
			eventstore.EventData{Type: "test.happened.v1", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// flaky fails every third Publish call, to exercise the bridge's retries.
type flaky struct {
	message.Publisher
	calls atomic.Int64
}

func (f *flaky) Publish(topic string, msgs ...*message.Message) error {
	if f.calls.Add(1)%3 == 0 {
		return errors.New("broker unavailable")
	}
	return f.Publisher.Publish(topic, msgs...)
}

func TestBridgeDeliversEveryEventAtLeastOnceAcrossRestarts(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	mem := memstore.New(nil)
	appendEvents(t, mem, 300)
	all, err := mem.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}

	logger := watermill.NewSlogLogger(slog.New(slog.DiscardHandler))
	ch := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, logger)
	defer ch.Close()
	msgs, err := ch.Subscribe(context.Background(), publish.DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []*message.Message
	go func() {
		for m := range msgs {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
			m.Ack()
		}
	}()
	received := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	pub := &flaky{Publisher: ch}
	run := func(until func() bool) {
		t.Helper()
		b, err := publish.New(pool, mem, pub, publish.Config{Name: "test-sink", BatchSize: 32, BatchWindow: 5 * time.Millisecond,
			InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()
		deadline := time.Now().Add(20 * time.Second)
		for !until() && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
	}
	run(func() bool { return received() >= 100 }) // stopped part-way
	run(func() bool { return received() >= 150 })
	appendEvents(t, mem, 20) // live events after a restart
	all, _ = mem.ReadAll(context.Background(), eventstore.Start, 0)
	run(func() bool {
		var published int
		_ = pool.QueryRow(context.Background(), `SELECT published FROM publish_checkpoints WHERE name = 'test-sink'`).Scan(&published)
		return published >= len(all)
	})

	mu.Lock()
	defer mu.Unlock()
	// Dedupe by UUID as a consumer does; what remains is the log, in order.
	seen := map[string]bool{}
	var order []string
	for _, m := range got {
		if !seen[m.UUID] {
			seen[m.UUID] = true
			order = append(order, m.UUID)
		}
	}
	if len(order) != len(all) {
		t.Fatalf("%d distinct messages (of %d received), want %d", len(order), len(got), len(all))
	}
	for i, ev := range all {
		if order[i] != ev.ID.String() {
			t.Fatalf("message %d is %s, want event %s", i, order[i], ev.ID)
		}
	}
	first := got[0]
	ev := all[0]
	if first.Metadata.Get(publish.KeyStreamID) != ev.StreamID || first.Metadata.Get(publish.KeyType) != ev.Type ||
		first.Metadata.Get(publish.KeyPosition) != ev.Position.String() || string(first.Payload) != string(ev.Data) ||
		first.Metadata.Get(publish.KeyMetadata) != string(ev.RawMetadata) {
		t.Errorf("message = %v %s; want the envelope of %+v", first.Metadata, first.Payload, ev)
	}
	if pub.calls.Load() <= int64(len(all)) {
		t.Errorf("publisher called %d times; the injected failures should have caused retries", pub.calls.Load())
	}
}

func TestConsumerRouterRetriesThenPoisons(t *testing.T) {
	t.Parallel()
	slogger := slog.New(slog.DiscardHandler)
	ch := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NewSlogLogger(slogger))
	defer ch.Close()
	router, err := publish.NewConsumerRouter(publish.RouterConfig{Logger: slogger, PoisonPublisher: ch,
		MaxRetries: 2, InitialInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var attempts, handled atomic.Int64
	router.AddConsumerHandler("sync", publish.DefaultTopic, ch, func(m *message.Message) error {
		if m.UUID == "bad" {
			if attempts.Add(1) == 2 {
				panic("handler bug")
			}
			return errors.New("cannot map event")
		}
		handled.Add(1)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = router.Run(ctx) }()
	<-router.Running()
	for _, id := range []string{"ok-1", "bad", "ok-2"} {
		if err := ch.Publish(publish.DefaultTopic, message.NewMessage(id, []byte(`{}`))); err != nil {
			t.Fatal(err)
		}
	}
	poisoned, err := ch.Subscribe(ctx, publish.DefaultPoisonTopic)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-poisoned:
		m.Ack()
		if m.UUID != "bad" {
			t.Errorf("poisoned %s, want bad", m.UUID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached the poison queue")
	}
	deadline := time.Now().Add(10 * time.Second)
	for handled.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if handled.Load() != 2 || attempts.Load() != 3 {
		t.Errorf("handled %d good messages, %d attempts at the bad one; want 2 and 3 (1 + 2 retries)", handled.Load(), attempts.Load())
	}
}
