package nationalsync

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// DefaultTopic is the JetStream stream (and subject) of queued packages.
const DefaultTopic = "hoso_national_sync"

// Broker is the JetStream side of the delivery: the relay's publisher and
// the worker's subscriber on one work-queue stream.
type Broker struct {
	Publisher  message.Publisher
	Subscriber message.Subscriber
	Topic      string
	conns      []*nats.Conn
}

// ConsumerName is the durable consumer the workers share: a package is
// delivered to one worker at a time, and redelivered when not acknowledged.
const ConsumerName = "hoso_national_sync_delivery"

// streamConfig keeps each message until a worker acknowledges it
// (work-queue retention) and drops a package published twice within the
// de-duplication window.
func streamConfig(topic string) natsjs.StreamConfig {
	return natsjs.StreamConfig{Name: topic, Subjects: []string{topic}, Retention: natsjs.WorkQueuePolicy,
		Storage: natsjs.FileStorage, Duplicates: 10 * time.Minute}
}

// OpenJetStream connects to the NATS server at url and creates the stream
// and the durable consumer of topic (DefaultTopic when empty) if needed.
// ackWait is how long a worker may hold a package before the server gives
// it to another (it must exceed a whole delivery's retries); redelay is how
// long a refused package waits before its next delivery.
func OpenJetStream(ctx context.Context, url, topic string, ackWait, redelay time.Duration, logger *slog.Logger) (*Broker, error) {
	if topic == "" {
		topic = DefaultTopic
	}
	var lg watermill.LoggerAdapter = watermill.NopLogger{}
	if logger != nil {
		lg = watermill.NewSlogLogger(logger)
	}
	b := &Broker{Topic: topic}
	for range 2 {
		nc, err := nats.Connect(url, nats.Name("hoso national sync"), nats.MaxReconnects(-1))
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("nationalsync: connecting to NATS at %s: %w", url, err)
		}
		b.conns = append(b.conns, nc)
	}
	js, err := natsjs.New(b.conns[0])
	if err != nil {
		b.Close()
		return nil, err
	}
	if _, err := js.CreateOrUpdateStream(ctx, streamConfig(topic)); err != nil {
		b.Close()
		return nil, fmt.Errorf("nationalsync: creating the stream %s: %w", topic, err)
	}
	if b.Publisher, err = jetstream.NewPublisher(jetstream.PublisherConfig{Conn: b.conns[0], Logger: lg, ConfigureStream: streamConfig}); err != nil {
		b.Close()
		return nil, err
	}
	sjs, err := natsjs.New(b.conns[1])
	if err != nil {
		b.Close()
		return nil, err
	}
	b.Subscriber = newPullSubscriber(sjs, natsjs.ConsumerConfig{Durable: ConsumerName, AckPolicy: natsjs.AckExplicitPolicy, AckWait: ackWait, MaxDeliver: -1}, redelay, logger)
	return b, nil
}

// Close ends the subscriber's subscriptions and closes both connections.
func (b *Broker) Close() {
	if b.Subscriber != nil {
		_ = b.Subscriber.Close()
	}
	for _, c := range b.conns {
		c.Close()
	}
}
