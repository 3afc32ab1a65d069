package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Message metadata keys set on every published message. The payload is the
// event's canonical data; the envelope's metadata is under KeyMetadata.
const (
	KeyStreamID      = "stream_id"
	KeyStreamVersion = "stream_version"
	KeyType          = "type"
	KeyPosition      = "position"
	KeyRecordedAt    = "recorded_at"    // RFC 3339, UTC, microseconds
	KeyEffectiveDate = "effective_date" // YYYY-MM-DD
	KeyMetadata      = "metadata"       // canonical JSON of eventstore.Metadata
	KeyHash          = "hash"
)

// DefaultTopic is where events go when Config.Topic is nil.
const DefaultTopic = "hoso.events"

// Config tunes a Bridge.
type Config struct {
	// Name keys the checkpoint ([a-z][a-z0-9_.-]*); one per destination.
	Name string
	// Topic picks each event's topic; nil sends all to DefaultTopic.
	Topic func(eventstore.Event) string
	// BatchSize is how many events are published before the checkpoint is
	// committed (default 256); BatchWindow bounds how long a partial batch
	// waits (default 50ms). A crash republishes at most one batch.
	BatchSize   int
	BatchWindow time.Duration
	// InitialBackoff and MaxBackoff bound the retries of a failed publish
	// (defaults 200ms, 30s). A publish is retried until it succeeds or the
	// context ends: skipping an event would break at-least-once.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Logger         *slog.Logger
}

// Bridge forwards the log to a publisher. Create it with New.
type Bridge struct {
	pool  *pgxpool.Pool
	store eventstore.Store
	pub   message.Publisher
	cfg   Config
}

// New returns a bridge from store to pub keeping its checkpoint in pool's
// publish_checkpoints. It fails with a plain error when cfg.Name is empty.
func New(pool *pgxpool.Pool, store eventstore.Store, pub message.Publisher, cfg Config) (*Bridge, error) {
	if cfg.Name == "" {
		return nil, errors.New("publish: Config.Name is required")
	}
	if cfg.Topic == nil {
		cfg.Topic = func(eventstore.Event) string { return DefaultTopic }
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.BatchWindow <= 0 {
		cfg.BatchWindow = 50 * time.Millisecond
	}
	if cfg.InitialBackoff <= 0 {
		cfg.InitialBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Bridge{pool: pool, store: store, pub: pub, cfg: cfg}, nil
}

// Message builds the watermill message for ev: UUID = event id, payload =
// the event's data, the envelope in metadata.
func Message(ev eventstore.Event) *message.Message {
	m := message.NewMessage(ev.ID.String(), message.Payload(ev.Data))
	m.Metadata.Set(KeyStreamID, ev.StreamID)
	m.Metadata.Set(KeyStreamVersion, strconv.FormatUint(ev.Version, 10))
	m.Metadata.Set(KeyType, ev.Type)
	m.Metadata.Set(KeyPosition, ev.Position.String())
	m.Metadata.Set(KeyRecordedAt, ev.Meta.RecordedAt.UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
	m.Metadata.Set(KeyEffectiveDate, ev.Meta.EffectiveDate)
	m.Metadata.Set(KeyMetadata, string(ev.RawMetadata))
	m.Metadata.Set(KeyHash, ev.Hash.String())
	return m
}

// Run publishes every event after the bridge's checkpoint, then new ones as
// they are committed, until ctx is done (it then returns nil). It returns an
// error when the checkpoint cannot be read or written or the subscription
// fails; calling Run again resumes from the last committed checkpoint.
func (b *Bridge) Run(ctx context.Context) error {
	pos, err := b.checkpoint(ctx)
	if err != nil {
		return err
	}
	log := b.cfg.Logger.With("bridge", b.cfg.Name)
	log.Info("publish: bridge started", "position", pos.String())

	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan eventstore.Event, 2*b.cfg.BatchSize)
	subErr := make(chan error, 1)
	go func() {
		defer close(events)
		for ev, err := range b.store.Subscribe(subCtx, pos) {
			if err != nil {
				if subCtx.Err() == nil {
					subErr <- err
				}
				return
			}
			select {
			case events <- ev:
			case <-subCtx.Done():
				return
			}
		}
	}()

	batch := make([]eventstore.Event, 0, b.cfg.BatchSize)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return subscriptionError(ctx, subErr)
			}
			batch = append(batch, ev)
		}
		window := time.NewTimer(b.cfg.BatchWindow)
	fill:
		for len(batch) < cap(batch) {
			select {
			case ev, ok := <-events:
				if !ok {
					break fill
				}
				batch = append(batch, ev)
			case <-window.C:
				break fill
			case <-ctx.Done():
				window.Stop()
				return nil
			}
		}
		window.Stop()
		for _, ev := range batch {
			if err := b.publish(ctx, log, ev); err != nil {
				return nil // ctx ended while retrying
			}
		}
		next := batch[len(batch)-1].Position
		if err := b.commit(ctx, pos, next, len(batch)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		pos = next
	}
}

// publish retries until the publisher accepts ev or ctx ends.
func (b *Bridge) publish(ctx context.Context, log *slog.Logger, ev eventstore.Event) error {
	wait := b.cfg.InitialBackoff
	for attempt := 1; ; attempt++ {
		err := b.pub.Publish(b.cfg.Topic(ev), Message(ev))
		if err == nil {
			return nil
		}
		log.Warn("publish: publisher refused event, retrying", "event_id", ev.ID.String(), "event_type", ev.Type,
			"attempt", attempt, "backoff", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, b.cfg.MaxBackoff)
	}
}

func (b *Bridge) checkpoint(ctx context.Context) (eventstore.Position, error) {
	var text string
	err := b.pool.QueryRow(ctx, `
INSERT INTO publish_checkpoints (name, position) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET name = excluded.name
RETURNING position`, b.cfg.Name, eventstore.Start.String()).Scan(&text)
	if err != nil {
		return eventstore.Start, fmt.Errorf("publish: reading checkpoint %s: %w", b.cfg.Name, err)
	}
	return eventstore.ParsePosition(text)
}

// errMoved: another bridge of the same name advanced the checkpoint.
var errMoved = errors.New("publish: checkpoint moved: another bridge with this name is running")

func (b *Bridge) commit(ctx context.Context, from, to eventstore.Position, n int) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
UPDATE publish_checkpoints SET position = $3, published = published + $4, updated_at = now()
 WHERE name = $1 AND position = $2`, b.cfg.Name, from.String(), to.String(), n)
		if err != nil {
			return fmt.Errorf("publish: committing checkpoint %s: %w", b.cfg.Name, err)
		}
		if tag.RowsAffected() == 0 {
			return errMoved
		}
		return nil
	})
}

func subscriptionError(ctx context.Context, c chan error) error {
	if ctx.Err() != nil {
		// The subscription ended because Run is stopping: the select that
		// saw the closed channel could as well have seen ctx first.
		return nil
	}
	select {
	case err := <-c:
		return fmt.Errorf("publish: subscription: %w", err)
	default:
		return errors.New("publish: subscription ended")
	}
}
