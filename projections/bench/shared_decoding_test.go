package bench_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestSharedDecodingIsNotChanged: the read models that decode dossier
// payloads through projections.Decode share each decoded event while they
// share the runner's read of the log, so none of them may change it, at
// once or later. It runs the read models over a demo province with the
// runner, each wrapped so that after every batch it applies, every dossier
// event the model has been given so far, as the runner shares it, still
// equals a fresh decoding of its payload.
func TestSharedDecodingIsNotChanged(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	store := postgres.New(pool, postgres.Options{})
	ctx := context.Background()
	if _, err := demo.Run(ctx, ledger.Ledger{Store: store}, demo.Config{
		Dossiers: 40, Seed: 11, Workers: 4, PersonalIDKey: []byte("shared-decoding-test-personal-id-key-0123"),
	}); err != nil {
		t.Fatal(err)
	}
	var checked []projections.Projection
	var all []*unchanged
	for _, p := range readModels(t, store) {
		u := &unchanged{Projection: p, t: t}
		all = append(all, u)
		checked = append(checked, u)
	}
	projectiontest.CatchUp(t, pool, store, 5*time.Minute, checked...)
	for _, u := range all {
		if u.shared == 0 {
			t.Errorf("%s: no dossier event was checked: the test proves nothing", u.Name())
		}
	}
}

// unchanged is a read model that checks, after each batch it applies,
// that the shared decodings of the dossier events it has seen are intact.
type unchanged struct {
	projections.Projection
	t *testing.T

	mu     sync.Mutex
	seen   []eventstore.Event
	shared int
}

func (u *unchanged) ApplyBatch(ctx context.Context, tx pgx.Tx, t projections.Tables, events []eventstore.Event) error {
	var err error
	if ba, ok := u.Projection.(projections.BatchApplier); ok {
		err = ba.ApplyBatch(ctx, tx, t, events)
	} else {
		for i, ev := range events {
			if err = u.Projection.Apply(ctx, tx, t, ev); err != nil {
				err = &projections.EventError{Index: i, Err: err}
				break
			}
		}
	}
	u.check(ctx, events)
	return err
}

func (u *unchanged) QueryIndexes(t projections.Tables) []string {
	if qi, ok := u.Projection.(projections.QueryIndexer); ok {
		return qi.QueryIndexes(t)
	}
	return nil
}

func (u *unchanged) check(ctx context.Context, events []eventstore.Event) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, ev := range events {
		if strings.HasPrefix(ev.StreamID, "dossier-") {
			u.seen = append(u.seen, ev)
		}
	}
	for _, ev := range u.seen {
		shared, err := projections.Decode(ctx, ev, dossier.Decode)
		if err != nil {
			continue // a type the release does not know: nothing shared
		}
		fresh, err := dossier.Decode(ev.Type, ev.Data)
		if err != nil {
			u.t.Errorf("%s: %s decodes when shared but not afresh: %v", u.Name(), ev.ID, err)
			continue
		}
		u.shared++
		if !reflect.DeepEqual(shared, fresh) {
			u.t.Errorf("%s: after a batch of %s, the shared decoding of %s (%s) = %+v; its payload decodes to %+v",
				u.Name(), u.Name(), ev.ID, ev.Type, shared, fresh)
		}
	}
}
