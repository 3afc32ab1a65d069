package breaches_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/breach"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/projections/breaches"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestListAndGetDeliveredTwice: every breach in the log is in the view
// once, however often delivered; the list is scoped to the orgs given.
func TestListAndGetDeliveredTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New(nil)
	orgA, orgB := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	detected := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	record := func(what string, at time.Time, orgs ...uuid.UUID) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		ev, err := breach.Decide(id, breach.Record{What: what, DetectedAt: at, Orgs: orgs}, detected.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(ctx, breach.Stream(id), eventstore.NoStream, eventstore.EventData{Type: breach.TypeSuspected, Data: data,
			Meta: eventstore.Metadata{Actor: eventstore.Actor{AccountID: "acc-admin", Name: "Quản trị"}}}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := record("Lộ mật khẩu quản trị", detected, orgA)
	second := record("Mất máy tính xách tay", detected.Add(time.Hour), orgA, orgB)
	onlyB := record("Gửi nhầm thư điện tử", detected.Add(2*time.Hour), orgB)

	events, err := store.ReadAll(ctx, eventstore.Position{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, breaches.New(), 1, events, 2)

	list, err := breaches.List(ctx, pool, []domain.OrgID{domain.OrgID(orgA)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].BreachID != second || list[1].BreachID != first {
		t.Fatalf("org A's breaches: %+v; want the second then the first", list)
	}
	got, err := breaches.Get(ctx, pool, onlyB)
	if err != nil || got.What != "Gửi nhầm thư điện tử" || !got.DetectedAt.Equal(detected.Add(2*time.Hour)) || got.RecordedBy != "acc-admin" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := breaches.Get(ctx, pool, uuid.Must(uuid.NewV7())); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Get of an unknown breach: %v, want not found", err)
	}
}
