package nationalsync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// recordingWorker is a worker with a PostgreSQL store and database of its
// own, for its writes alone (no sender, no broker).
func recordingWorker(t *testing.T) (*Worker, *postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool, _ := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	return &Worker{Source: Source{Store: store, Pool: pool}}, store, pool
}

// TestRecorderGroupsWrites: many handlers recording attempts and answers
// at once, two of them on each package (a broker's redelivery), through
// the grouped writes: every event lands in its package's stream, no
// envelope is left once every package is answered, and a write the store
// refuses fails alone.
func TestRecorderGroupsWrites(t *testing.T) {
	t.Parallel()
	w, store, pool := recordingWorker(t)
	ctx := context.Background()
	cause := uuid.Must(uuid.NewV7())

	const packages, handlers = 16, 32
	ids := make([]uuid.UUID, packages)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	var wg sync.WaitGroup
	for h := range handlers {
		wg.Go(func() {
			id := ids[h%packages]
			stream := nationalsync.StreamID(id)
			digest := fmt.Sprintf("digest-%d", h)
			keep := &keptEnvelope{pkg: id, digest: digest, envelope: []byte(`{"bytes":"` + digest + `"}`), at: time.Now()}
			if err := w.appendGrouped(ctx, stream, cause, id, nationalsync.Sent{Package: id, Digest: digest, Attempt: 1}, keep, uuid.Nil); err != nil {
				t.Errorf("handler %d: sent: %v", h, err)
				return
			}
			if err := w.appendGrouped(ctx, stream, cause, id, nationalsync.Acknowledged{Package: id, Digest: digest, Receipt: []byte("{}")}, nil, id); err != nil {
				t.Errorf("handler %d: acknowledged: %v", h, err)
			}
		})
	}
	// A write the store refuses, among the others.
	wg.Go(func() {
		data := []eventstore.EventData{{ID: uuid.Must(uuid.NewV7()), Type: "not a type", Data: []byte(`{}`)}}
		err := w.record(ctx, &record{stream: nationalsync.StreamID(ids[0]) + "-refused", events: data})
		if !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("a refused write: %v, want ErrInvalid", err)
		}
	})
	wg.Wait()

	for _, id := range ids {
		events, err := store.ReadStream(ctx, nationalsync.StreamID(id), eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := 2 * handlers / packages; len(events) != want {
			t.Errorf("%s holds %d events, want %d", id, len(events), want)
		}
		types := map[string]int{}
		for _, e := range events {
			types[e.Type]++
		}
		if types[nationalsync.TypeSent] != handlers/packages || types[nationalsync.TypeAcknowledged] != handlers/packages {
			t.Errorf("%s holds %v", id, types)
		}
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sync_envelopes`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d envelopes kept after every package was answered, want none", left)
	}
	if w.recorder.writers != 0 || len(w.recorder.queue) != 0 {
		t.Errorf("recorder left with %d writers, %d queued", w.recorder.writers, len(w.recorder.queue))
	}
}

// TestSweepEnvelopes: the envelopes a crash left behind (an answer's drop
// commits without waiting for the disk) are swept as the worker starts,
// for answered packages only: a package still in flight keeps the bytes
// its redelivery must resend.
func TestSweepEnvelopes(t *testing.T) {
	t.Parallel()
	w, _, pool := recordingWorker(t)
	ctx := context.Background()
	cause := uuid.Must(uuid.NewV7())
	type pkg struct {
		name   string
		answer func(id uuid.UUID) domain.Event
		kept   bool // its envelope stays
	}
	cases := []pkg{
		{"acknowledged", func(id uuid.UUID) domain.Event {
			return nationalsync.Acknowledged{Package: id, Digest: "d", Receipt: []byte("{}")}
		}, false},
		{"rejected", func(id uuid.UUID) domain.Event {
			return nationalsync.Rejected{Package: id, Digest: "d", Status: 422, Reasons: []string{"x"}}
		}, false},
		{"in flight", nil, true},
	}
	ids := make([]uuid.UUID, len(cases))
	for i, c := range cases {
		ids[i] = uuid.Must(uuid.NewV7())
		id, stream := ids[i], nationalsync.StreamID(ids[i])
		keep := &keptEnvelope{pkg: id, digest: "d", envelope: []byte(`{}`), at: time.Now()}
		if err := w.appendGrouped(ctx, stream, cause, id, nationalsync.Sent{Package: id, Digest: "d", Attempt: 1}, keep, uuid.Nil); err != nil {
			t.Fatalf("%s: sent: %v", c.name, err)
		}
		if c.answer == nil {
			continue
		}
		// The answer without its drop: what a crash before the drop's
		// commit reached the disk leaves.
		if err := w.appendGrouped(ctx, stream, cause, id, c.answer(id), nil, uuid.Nil); err != nil {
			t.Fatalf("%s: answer: %v", c.name, err)
		}
	}
	w.sweepEnvelopes(ctx)
	for i, c := range cases {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM sync_envelopes WHERE package_id = $1`, ids[i]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if kept := n == 1; kept != c.kept {
			t.Errorf("%s: envelope kept = %v after the sweep, want %v", c.name, kept, c.kept)
		}
	}
}
