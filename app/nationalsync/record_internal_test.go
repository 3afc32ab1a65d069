package nationalsync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// TestRecorderGroupsWrites: many handlers recording attempts and answers
// at once, two of them on each package (a broker's redelivery), through
// the grouped writes: every event lands in its package's stream, no
// envelope is left once every package is answered, and a write the store
// refuses fails alone.
func TestRecorderGroupsWrites(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	w := &Worker{Source: Source{Store: store, Pool: pool}}
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
