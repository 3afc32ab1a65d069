package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

// TestBootstrapAdminFoundsTheRootOnItsHistoricalDate: go-live (issue 14).
// A department founded on 1/4/2008 that goes live today is founded in the
// ledger on 1/4/2008, marked as imported, so its history can be recorded;
// a date before 2/9/1945 or that is not a date is refused and writes
// nothing.
func TestBootstrapAdminFoundsTheRootOnItsHistoricalDate(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.New(t)
	ctx := context.Background()

	for _, bad := range []string{"1945-09-01", "1/4/2008"} {
		if code, _, stderr := runWithStdin(t, url, "Mat-Khau-Quan-Tri-2026\n", "accounts", "bootstrap-admin", "--founded-on", bad, "quantri"); code != 1 {
			t.Errorf("--founded-on %s: exit %d, stderr %q; want 1", bad, code, stderr)
		}
	}
	code, stdout, stderr := runWithStdin(t, url, "Mat-Khau-Quan-Tri-2026\n", "accounts", "bootstrap-admin", "--founded-on", "2008-04-01", "quantri")
	if code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s%s", code, stdout, stderr)
	}
	id, err := auth.NewStore(pgadapter.NewCredentials(pool), nil).Login(ctx, "quantri", "Mat-Khau-Quan-Tri-2026")
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool, postgres.Options{})
	l := ledger.Ledger{Store: store}
	a, err := app.LoadAccount(ctx, l, domain.AccountID(id))
	if err != nil {
		t.Fatal(err)
	}
	o, err := app.LoadOrg(ctx, l, a.HomeOrg())
	if err != nil {
		t.Fatal(err)
	}
	if want := domain.MustDate(2008, 4, 1); o.CreatedOn() != want {
		t.Errorf("root founded on %s, want %s", o.CreatedOn(), want)
	}
	evs, err := store.ReadStream(ctx, o.ID().StreamID(), eventstore.ReadOptions{Limit: 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("reading the root's founding: %v", err)
	}
	if !strings.Contains(evs[0].Meta.ImportedFrom, "bootstrap-admin") {
		t.Errorf("the founding's envelope imported_from = %q, want it marked as imported by bootstrap-admin", evs[0].Meta.ImportedFrom)
	}
}
