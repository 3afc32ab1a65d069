package nationalsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// System is the actor of the sync events: the delivery acts on the
// department's approval, not on anyone's request.
var System = domain.Actor{Account: domain.AccountID(uuid.NewSHA1(uuid.NameSpaceURL, []byte("hoso:national-sync"))), Name: "hoso: đồng bộ CSDL quốc gia"}

// RelayName keys the relay's row in sync_relay_checkpoints.
const RelayName = "national_sync"

// MsgIDHeader is JetStream's de-duplication header: the broker drops a
// second publication of the same package within its window.
const MsgIDHeader = "Nats-Msg-Id"

// RelayConcurrency is how many packages of one department approval the
// relay queues and publishes at once.
const RelayConcurrency = 32

// Relay turns committed department approvals into queued packages and
// publishes them. See the package doc for why the log is the outbox.
type Relay struct {
	Pool      *pgxpool.Pool // sync_relay_checkpoints
	Store     eventstore.Store
	Publisher message.Publisher
	Topic     string
	Name      string // RelayName when empty (tests use their own)
	Now       func() time.Time
	Poll      time.Duration
	Batch     int
	Logger    *slog.Logger
	// Deadline is the national-sync rule in force on an approval's day:
	// its due date and article (Policy's; none when nil).
	Deadline func(approved domain.Date) (domain.Date, string)
}

// Policy's deadline for the national sync of data approved on day
// (policy.NationalSync: Decree 27/2026's 1 day, moved off days off), or
// none when no rule is in force that day.
func Deadline(pol policy.Policy, cal *calendar.Calendar) func(domain.Date) (domain.Date, string) {
	return func(day domain.Date) (domain.Date, string) {
		r, err := pol.Governing(policy.NationalSync, func(policy.Deadline) domain.Date { return day }, cal)
		if err != nil {
			return domain.Date{}, ""
		}
		return r.Due, r.Rule.Article
	}
}

func (r *Relay) name() string {
	if r.Name == "" {
		return RelayName
	}
	return r.Name
}

// Run relays until ctx ends; it returns only ctx's error, reporting
// failures to the logger and trying again after Poll.
func (r *Relay) Run(ctx context.Context) error {
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		n, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil && r.Logger != nil {
			r.Logger.Warn("national sync relay failed; retrying", "error", err.Error())
		}
		if n > 0 && err == nil {
			continue
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RunOnce relays one batch of the log past the checkpoint and returns how
// many events it read. The checkpoint moves only after every package of the
// batch was queued in the ledger and accepted by the broker.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	pos, err := r.position(ctx)
	if err != nil {
		return 0, err
	}
	batch := r.Batch
	if batch <= 0 {
		batch = 1000
	}
	evs, err := r.Store.ReadAll(ctx, pos, batch)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	published := 0
	for _, ev := range evs {
		if ev.Type != approval.TypeSigned {
			continue
		}
		de, err := approval.Decode(ev.Type, ev.Data)
		if err != nil {
			return 0, fmt.Errorf("nationalsync: %s@%d: %w", ev.StreamID, ev.Version, err)
		}
		s := de.(approval.Signed)
		if s.Level != approval.LevelDepartment {
			continue
		}
		qs, err := Covered(ctx, r.Store, approvals.NewManifests(r.Pool), ev, s)
		if err != nil {
			return 0, err
		}
		if r.Deadline != nil {
			for i := range qs {
				qs[i].Due, qs[i].Article = r.Deadline(domain.DateOf(qs[i].ApprovedAt))
			}
		}
		if err := r.queueAll(ctx, ev, qs); err != nil {
			return 0, err
		}
		// Each package is its own message: a thousand units' packages are
		// published several at a time.
		var g errgroup.Group
		g.SetLimit(RelayConcurrency)
		for _, q := range qs {
			g.Go(func() error {
				payload, err := json.Marshal(q)
				if err != nil {
					return err
				}
				msg := message.NewMessage(q.Package.String(), payload)
				msg.Metadata.Set(MsgIDHeader, q.Package.String())
				if err := r.Publisher.Publish(r.Topic, msg); err != nil {
					return fmt.Errorf("nationalsync: publishing %s: %w", q.Package, err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return 0, err
		}
		published += len(qs)
	}
	_, err = r.Pool.Exec(ctx, `INSERT INTO sync_relay_checkpoints (name, position, published, updated_at) VALUES ($1, $2, $3, now())
ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, published = sync_relay_checkpoints.published + EXCLUDED.published, updated_at = now()`,
		r.name(), evs[len(evs)-1].Position.String(), published)
	if err != nil {
		return 0, fmt.Errorf("nationalsync: saving the relay's checkpoint: %w", err)
	}
	return len(evs), nil
}

func (r *Relay) position(ctx context.Context) (eventstore.Position, error) {
	var s string
	err := r.Pool.QueryRow(ctx, `SELECT position FROM sync_relay_checkpoints WHERE name = $1`, r.name()).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Start, nil
	}
	if err != nil {
		return eventstore.Start, fmt.Errorf("nationalsync: reading the relay's checkpoint: %w", err)
	}
	return eventstore.ParsePosition(s)
}

// queueAll queues every package of qs (see queue) in one write of new
// streams (eventstore.AppendNewStreams: on PostgreSQL one transaction for
// all, where a thousand packages were a thousand commits); the packages
// queued before (a relay that crashed after queuing them) are set aside.
// A store without bulk appends that finds a stream created meanwhile
// falls back to queue, one package at a time.
func (r *Relay) queueAll(ctx context.Context, cause eventstore.Event, qs []nationalsync.Queued) error {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	at := now()
	streams := make([]eventstore.NewStream, 0, len(qs))
	for _, q := range qs {
		data, err := ledger.EventData([]domain.Event{q}, meta(at, cause.ID, q.Package), []uuid.UUID{ledger.DerivedID(cause.ID, q.Package.String())})
		if err != nil {
			return err
		}
		streams = append(streams, eventstore.NewStream{Stream: nationalsync.StreamID(q.Package), Events: data})
	}
	for len(streams) > 0 {
		_, err := eventstore.AppendNewStreams(ctx, r.Store, streams)
		var exist *eventstore.StreamsExistError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &exist):
			queued := make(map[string]bool, len(exist.Streams))
			for _, s := range exist.Streams {
				queued[s] = true
			}
			rest := streams[:0]
			for _, ns := range streams {
				if !queued[ns.Stream] {
					rest = append(rest, ns)
				}
			}
			streams = rest
		case errors.Is(err, eventstore.ErrConflict):
			for _, q := range qs {
				if err := r.queue(ctx, cause, q); err != nil {
					return err
				}
			}
			return nil
		default:
			return fmt.Errorf("nationalsync: queuing %d packages: %w", len(streams), err)
		}
	}
	return nil
}

// queue appends the package's sync.queued.v1 unless its stream exists: a
// relay that crashed after queuing and before moving its checkpoint queues
// nothing twice (and publishes again, which the broker and the worker
// absorb).
func (r *Relay) queue(ctx context.Context, cause eventstore.Event, q nationalsync.Queued) error {
	stream := nationalsync.StreamID(q.Package)
	if _, err := r.Store.ReadStream(ctx, stream, eventstore.ReadOptions{Limit: 1}); err == nil {
		return nil
	} else if !errors.Is(err, eventstore.ErrNotFound) {
		return err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	m := meta(now(), cause.ID, q.Package)
	_, err := ledger.Ledger{Store: r.Store}.Append(ctx, stream, eventstore.NoStream, m, []domain.Event{q}, []uuid.UUID{ledger.DerivedID(cause.ID, q.Package.String())})
	if errors.Is(err, domain.ErrConflict) {
		return nil // queued meanwhile by another relay
	}
	return err
}

func meta(at time.Time, cause, pkg uuid.UUID) domain.Meta {
	return domain.Meta{Actor: System, RecordedAt: at.UTC(), EffectiveDate: domain.DateOf(at),
		Source:        domain.SourceDocument{Kind: "approval", Number: cause.String()},
		CorrelationID: pkg.String(), CausationID: cause.String()}
}

// Covered lists the packages that the department approval signed (event
// ev) makes due: one per unit approval its signed manifest lists, whose
// bytes mf keeps (or the served event itself, for a v1 one).
func Covered(ctx context.Context, store eventstore.Store, mf approvals.Manifests, ev eventstore.Event, s approval.Signed) ([]nationalsync.Queued, error) {
	stream, err := store.ReadStream(ctx, ev.StreamID, eventstore.ReadOptions{Limit: int(ev.Version)})
	if err != nil {
		return nil, err
	}
	var man approvals.Manifest
	found := false
	for _, e := range stream {
		if !approval.IsManifestServed(e.Type) {
			continue
		}
		de, err := approval.Decode(e.Type, e.Data)
		if err != nil {
			return nil, err
		}
		if ms := de.(approval.ManifestServed); ms.Digest == s.ManifestDigest {
			b, err := mf.Bytes(ctx, ms)
			if err != nil {
				return nil, fmt.Errorf("nationalsync: %s: %w", ev.StreamID, err)
			}
			if man, err = approvals.ParseManifest(b); err != nil {
				return nil, err
			}
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("nationalsync: %s: the signed manifest %s is not in the stream", ev.StreamID, s.ManifestDigest)
	}
	// The unit approvals' streams in one multi-stream read: a thousand
	// units were a thousand round trips before the first package queued.
	var streams []string
	for _, entry := range man.Events {
		if entry.Type == approval.TypeSigned {
			streams = append(streams, entry.Stream)
		}
	}
	read, err := store.ReadStreams(ctx, streams)
	if err != nil {
		return nil, err
	}
	out := make([]nationalsync.Queued, 0, len(streams))
	for _, entry := range man.Events {
		if entry.Type != approval.TypeSigned {
			continue
		}
		evs := read[entry.Stream]
		k := slices.IndexFunc(evs, func(e eventstore.Event) bool { return e.Version == entry.Version })
		if k < 0 {
			return nil, fmt.Errorf("nationalsync: %s@%d: %w", entry.Stream, entry.Version, eventstore.ErrNotFound)
		}
		de, err := approval.Decode(evs[k].Type, evs[k].Data)
		if err != nil {
			return nil, err
		}
		u, ok := de.(approval.Signed)
		if !ok {
			return nil, fmt.Errorf("nationalsync: %s@%d is a %s, the manifest lists a %s", entry.Stream, entry.Version, evs[k].Type, entry.Type)
		}
		out = append(out, nationalsync.Queued{
			Package: nationalsync.PackageID(u.Org, s.Month.String(), s.Supplement, u.ManifestDigest, s.ManifestDigest),
			Org:     u.Org, Month: s.Month.String(), Department: s.Org, Supplement: s.Supplement,
			UnitDigest: u.ManifestDigest, DepartmentDigest: s.ManifestDigest,
			UnitApproval: evs[k].ID, DepartmentApproval: ev.ID,
			ApprovedAt: ev.Meta.RecordedAt.UTC(),
		})
	}
	return out, nil
}
