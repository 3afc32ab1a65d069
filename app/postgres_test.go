package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

// TestOnPostgres runs the reservation and the merger process against the
// real store: the same guarantees must hold where appends are transactions.
func TestOnPostgres(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})

	t.Run("succession resumes after a lost ack", func(t *testing.T) {
		const n, k = 200, 61
		flaky := &flakyStore{Store: store, after: k, lostAck: true}
		w := newWorld(t, flaky)
		move, stay := mergerScenario(t, w, n)
		proc := app.Succession{Ledger: w.ledger, Managed: app.ScanManagedDossiers(w.ledger), Workers: 6, Clock: fixedClock}
		if _, err := proc.Run(context.Background(), district); !errors.Is(err, errCrash) {
			t.Fatalf("first run: err = %v, want the injected crash", err)
		}
		flaky.after = 1 << 62
		rep, err := proc.Run(context.Background(), district)
		// Every append in flight when the store failed was written and lost
		// its answer, so between k+1 and k+workers moves were already done.
		if err != nil || rep.Already <= k || rep.Already > k+proc.Workers || rep.Moved+rep.Already != len(move) {
			t.Fatalf("resumed run: %+v, %v; want %d < already ≤ %d, moved + already = %d", rep, err, k, k+proc.Workers, len(move))
		}
		checkMoved(t, w, move, stay)
	})

	t.Run("one dossier per personal ID", func(t *testing.T) {
		// The subtest above already founded the fixture orgs in this schema.
		l := ledger.Ledger{Store: store}
		ds := app.Dossiers{Ledger: l, Catalogue: cat, PersonalIDKey: testKey}
		c := newDossier(1, doha)
		c.DossierID = domain.DossierID(fixedID("pg-other"))
		_, err := ds.Create(context.Background(), c, metaOn(doha, domain.MustDate(2024, 3, 1)))
		var se *domain.StateError
		if !errors.As(err, &se) || se.Rule != app.RulePersonalIDTaken {
			t.Fatalf("Create with a number in use: err = %v, want %s", err, app.RulePersonalIDTaken)
		}
		if _, err := ds.Get(context.Background(), c.DossierID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("refused dossier exists: %v", err)
		}
	})
}
