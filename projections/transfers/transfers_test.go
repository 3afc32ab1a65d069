package transfers_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/transfers"
)

// initiate appends a transfer_initiated event to dossier d's stream.
func initiate(t *testing.T, store eventstore.Store, d domain.DossierID) uuid.UUID {
	t.Helper()
	tid := uuid.Must(uuid.NewV7())
	data, err := json.Marshal(dossier.TransferInitiated{TransferID: tid, Kind: dossier.TransferBetweenOrgs,
		FromOrg: domain.OrgID(uuid.New()), FromUnit: domain.OrgID(uuid.New()), TargetOrg: domain.OrgID(uuid.New())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), d.StreamID(), eventstore.Any,
		eventstore.EventData{Type: dossier.TypeTransferInitiated, Data: data}); err != nil {
		t.Fatal(err)
	}
	return tid
}

func newDossier() domain.DossierID { return domain.DossierID(uuid.Must(uuid.NewV7())) }

func rebuild(t *testing.T, r *projections.Runner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Rebuild(ctx, transfers.New(), projections.RebuildOptions{Fresh: true}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
}

func wantDossier(t *testing.T, pool *pgxpool.Pool, tid uuid.UUID, want domain.DossierID) {
	t.Helper()
	got, err := transfers.DossierOf(context.Background(), pool, tid)
	if err != nil || got != want {
		t.Errorf("DossierOf(%s) = %s, %v; want %s", tid, got, err, want)
	}
}

// TestIndexIsRebuiltFromTheLog: the index holds every transfer the log
// holds, however it was recorded, and losing its rows loses nothing: a
// rebuild finds them again in the events. (When the API wrote the row
// after the append, a crash between the two lost it for good.)
func TestIndexIsRebuiltFromTheLog(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	store := memstore.New(nil)
	a, b := newDossier(), newDossier()
	ta1, ta2, tb := initiate(t, store, a), initiate(t, store, a), initiate(t, store, b)
	// Events the index ignores: another type on a dossier stream, and a
	// transfer-like type on a stream that is not a dossier's.
	if _, err := store.Append(ctx, a.StreamID(), eventstore.Any, eventstore.EventData{Type: "dossier.unknown_to_us.v1", Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, "org-"+uuid.NewString(), eventstore.Any, eventstore.EventData{Type: dossier.TypeTransferInitiated, Data: json.RawMessage(`{"transfer_id":"` + uuid.NewString() + `"}`)}); err != nil {
		t.Fatal(err)
	}

	r := projections.NewRunner(pool, store, projections.Config{BatchSize: 2, PollInterval: 50 * time.Millisecond})
	if ok, err := r.CaughtUp(ctx, transfers.Name); err != nil || ok {
		t.Errorf("CaughtUp before the first build = %v, %v; want false", ok, err)
	}
	rebuild(t, r)
	if ok, err := r.CaughtUp(ctx, transfers.Name); err != nil || !ok {
		t.Errorf("CaughtUp after the build = %v, %v; want true", ok, err)
	}
	wantDossier(t, pool, ta1, a)
	wantDossier(t, pool, ta2, a)
	wantDossier(t, pool, tb, b)
	if _, err := transfers.DossierOf(ctx, pool, uuid.New()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an unknown transfer: %v, want domain.ErrNotFound", err)
	}

	// A transfer appended after the build: the index lags until applied.
	tc := initiate(t, store, b)
	if ok, err := r.CaughtUp(ctx, transfers.Name); err != nil || ok {
		t.Errorf("CaughtUp with an event pending = %v, %v; want false", ok, err)
	}

	// The rows go (a crash, an operator's mistake); the log has them all.
	var tables []string
	if err := pool.QueryRow(ctx, `SELECT tables FROM projection_checkpoints WHERE projection = $1 AND live`, transfers.Name).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		if _, err := pool.Exec(ctx, `TRUNCATE `+tbl); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := transfers.DossierOf(ctx, pool, ta1); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("after the truncation: %v, want domain.ErrNotFound", err)
	}
	rebuild(t, r)
	wantDossier(t, pool, ta1, a)
	wantDossier(t, pool, ta2, a)
	wantDossier(t, pool, tb, b)
	wantDossier(t, pool, tc, b)
}

// TestApplyTwice holds the projection to the contract: every event applied
// twice leaves what applying it once does.
func TestApplyTwice(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	store := memstore.New(nil)
	a := newDossier()
	tids := []uuid.UUID{initiate(t, store, a), initiate(t, store, a)}
	events, err := store.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, tables := transfers.New(), projections.NewTables(7)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := p.Setup(ctx, tx, tables); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		for range 2 {
			if err := p.Apply(ctx, tx, tables, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+tables.Name(transfers.View)+` WHERE dossier_id = $1`, uuid.UUID(a)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(tids) {
		t.Errorf("%d rows after applying %d events twice, want %d", n, len(events), len(tids))
	}
}

// appendEvent appends one dossier event to d's stream.
func appendEvent(t *testing.T, store eventstore.Store, d domain.DossierID, e domain.Event) {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), d.StreamID(), eventstore.Any,
		eventstore.EventData{Type: e.EventType(), Data: data, Meta: eventstore.Metadata{EffectiveDate: "2026-11-02"}}); err != nil {
		t.Fatal(err)
	}
}

// TestListFromTheLog: the parties and the state of each transfer come
// from the log, and a rebuild lists the same; an org lists only the
// transfers it sent or receives.
func TestListFromTheLog(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	store := memstore.New(nil)
	orgA, orgB, orgC := domain.OrgID(uuid.New()), domain.OrgID(uuid.New()), domain.OrgID(uuid.New())
	tid := func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	x, y, z, out := tid(), tid(), tid(), tid()
	dx, dy, dz, dout := newDossier(), newDossier(), newDossier(), newDossier()
	appendEvent(t, store, dx, dossier.TransferInitiated{TransferID: x, Kind: dossier.TransferBetweenOrgs, FromOrg: orgA, TargetOrg: orgB})
	appendEvent(t, store, dy, dossier.TransferInitiated{TransferID: y, Kind: dossier.TransferBetweenOrgs, FromOrg: orgA, TargetOrg: orgB})
	appendEvent(t, store, dy, dossier.TransferReceived{TransferID: y, Kind: dossier.TransferBetweenOrgs, ManagingOrg: orgB})
	appendEvent(t, store, dz, dossier.TransferInitiated{TransferID: z, Kind: dossier.TransferBetweenOrgs, FromOrg: orgA, TargetOrg: orgC})
	appendEvent(t, store, dz, dossier.TransferCancelled{TransferID: z})
	appendEvent(t, store, dout, dossier.TransferInitiated{TransferID: out, Kind: dossier.TransferOutOfProvince, FromOrg: orgC})
	appendEvent(t, store, dout, dossier.TransferRejected{TransferID: out})

	r := projections.NewRunner(pool, store, projections.Config{BatchSize: 3, PollInterval: 50 * time.Millisecond})
	for round := range 2 { // the build, then a rebuild from the log
		rebuild(t, r)
		for _, tt := range []struct {
			name string
			q    transfers.Query
			want []uuid.UUID
		}{
			{"B's inbox", transfers.Query{Orgs: []domain.OrgID{orgB}, Direction: transfers.Incoming}, []uuid.UUID{y, x}},
			{"B's pending", transfers.Query{Orgs: []domain.OrgID{orgB}, States: []string{transfers.StatePending}}, []uuid.UUID{x}},
			{"B sent none", transfers.Query{Orgs: []domain.OrgID{orgB}, Direction: transfers.Outgoing}, nil},
			{"A's out-tray", transfers.Query{Orgs: []domain.OrgID{orgA}, Direction: transfers.Outgoing}, []uuid.UUID{z, y, x}},
			{"A's cancelled", transfers.Query{Orgs: []domain.OrgID{orgA}, States: []string{transfers.StateCancelled}}, []uuid.UUID{z}},
			{"C: the cancelled one in, the rejected one out", transfers.Query{Orgs: []domain.OrgID{orgC}}, []uuid.UUID{out, z}},
			{"no orgs: nothing", transfers.Query{}, nil},
			{"an unknown org", transfers.Query{Orgs: []domain.OrgID{domain.OrgID(uuid.New())}}, nil},
		} {
			page, err := transfers.List(ctx, pool, tt.q)
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, tt.name, err)
			}
			var got []uuid.UUID
			for _, row := range page.Items {
				got = append(got, row.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("round %d, %s: %v, want %v", round, tt.name, got, tt.want)
			}
		}
	}
	page, err := transfers.List(ctx, pool, transfers.Query{Orgs: []domain.OrgID{orgB}, Limit: 1})
	if err != nil || len(page.Items) != 1 || page.Items[0].State != transfers.StateReceived || page.Items[0].DossierID != dy ||
		page.Items[0].FromOrg != orgA || page.Items[0].TargetOrg != orgB || page.Items[0].InitiatedOn.String() != "2026-11-02" || page.Next == "" {
		t.Fatalf("B's first page of one: %+v, %v", page, err)
	}
	next, err := transfers.List(ctx, pool, transfers.Query{Orgs: []domain.OrgID{orgB}, Limit: 1, Cursor: page.Next})
	if err != nil || len(next.Items) != 1 || next.Items[0].ID != x || next.Next != "" {
		t.Errorf("B's second page: %+v, %v", next, err)
	}
	for _, bad := range []string{"x", "0000000000000000", "' OR 1=1 --"} {
		if _, err := transfers.List(ctx, pool, transfers.Query{Orgs: []domain.OrgID{orgB}, Cursor: bad}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("cursor %q: %v, want domain.ErrInvalid", bad, err)
		}
	}
}
