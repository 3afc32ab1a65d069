package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestCountsAgree writes a small demo province through the app services,
// runs all five read models to caught-up with the runner, and checks that
// what they hold agrees with the ledger: one dossier row per dossier
// stream, archived rows (and the archive listing, and open departures)
// equal to the dossiers whose replayed status is out of service, one audit
// entry per event of the log (the audit trail covers every event: dossier,
// org, account and the demo's own marker stream), one org row per org
// stream, and one state row per dossier in the other models.
func TestCountsAgree(t *testing.T) {
	t.Parallel()
	pool := projectiontest.NewDB(t)
	store := postgres.New(pool, postgres.Options{})
	ctx := context.Background()
	sum, err := demo.Run(ctx, ledger.Ledger{Store: store}, demo.Config{
		Dossiers: 40, Seed: 7, Workers: 4, PersonalIDKey: []byte("counts-test-personal-id-key-0123456789"),
	})
	if err != nil {
		t.Fatal(err)
	}
	projectiontest.CatchUp(t, pool, store, 5*time.Minute, readModels(t, store)...)

	l := countLedger(t, pool, store)
	m := countModels(t, pool)
	table, err := compareCounts(l, m)
	t.Logf("demo: %d dossiers, %d archived by the plan, %d events written\n%s", sum.Dossiers, sum.Archived, sum.Events, table)
	if err != nil {
		t.Error(err)
	}
	if l.DossierStreams != sum.Dossiers || l.Archived != sum.Archived {
		t.Errorf("ledger has %d dossiers, %d archived; the demo planned %d, %d", l.DossierStreams, l.Archived, sum.Dossiers, sum.Archived)
	}
	if l.Archived == 0 || l.Archived == l.DossierStreams {
		t.Errorf("%d of %d dossiers archived: the check proves nothing", l.Archived, l.DossierStreams)
	}
}
