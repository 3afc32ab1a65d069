package projectiontest_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

var hr = domain.Actor{Account: domain.AccountID(projectiontest.NewID()), Name: "Cán bộ tổ chức"}

// career writes a creation, a salary decision, a refused command and a
// status change, and returns the dossier.
func career(t *testing.T, l *projectiontest.Ledger) domain.DossierID {
	t.Helper()
	org := domain.OrgID(projectiontest.NewID())
	a := hr
	a.ActingOrg = org
	id := domain.DossierID(projectiontest.NewID())
	eff := projectiontest.Day(2024, 3, 1)
	dob := projectiontest.Day(1990, 5, 12)
	m := l.Decision(a, eff, projectiontest.At(eff))
	l.CreateDossier(dossier.CreateDossier{DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org,
		PersonalIDNumber: projectiontest.PersonalID(dossier.GenderMale, dob, 1),
		Identity:         dossier.Identity{BirthName: "Nguyễn Văn An", Gender: dossier.GenderMale, DateOfBirth: dob, Ethnicity: "kinh"}}, m, projectiontest.AnyCode{})
	m = l.Decision(a, eff, projectiontest.At(eff))
	l.DossierDo(id, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 267}}, m, projectiontest.AnyCode{})
	})
	before := l.Appended
	m = l.Decision(a, eff, projectiontest.At(eff))
	ids, err := l.TryDossier(id, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.ReceiveTransfer(projectiontest.NewID(), m) // no such transfer
	})
	if err == nil || ids != nil || l.Appended != before {
		t.Fatalf("refused command: ids %v, err %v, %d events appended after %d", ids, err, l.Appended, before)
	}
	m = l.Decision(a, eff, projectiontest.At(eff))
	l.DossierDo(id, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ChangeStatus(dossier.StatusRetired, m) })
	return id
}

// TestLedger: what the ledger writes is what the store holds, in memory
// (KeepHistories) as from the store, and Events sees all of it.
func TestLedger(t *testing.T) {
	t.Parallel()
	stored := projectiontest.NewLedger(t)
	id := career(t, stored)
	h := stored.History(id)
	if len(h) != 3 || h[2].Version != 3 {
		t.Fatalf("history: %d events, want 3", len(h))
	}
	if got := stored.Events(); len(got) != stored.Appended || stored.Appended != 3 || got[2].Position != stored.Last {
		t.Fatalf("Events() = %d events, Appended %d, last at %v, want 3 ending at %v", len(got), stored.Appended, got[len(got)-1].Position, stored.Last)
	}
	if r := h[1]; r.Meta.RecordedAt.Sub(projectiontest.At(r.Meta.EffectiveDate)) != 2e9 || r.Meta.Source.Number != "2/QĐ-UBND" {
		t.Errorf("second decision recorded at %v, numbered %q", r.Meta.RecordedAt, r.Meta.Source.Number)
	}

	cached := projectiontest.NewLedger(t)
	cached.KeepHistories()
	id = career(t, cached)
	mem := cached.History(id)
	fromStore := cached.Load(id.StreamID(), dossier.Decode).Events
	if len(mem) != 3 || !reflect.DeepEqual(eventsOf(mem), eventsOf(fromStore)) || mem[2].ID != fromStore[2].ID || mem[2].Version != fromStore[2].Version {
		t.Fatalf("in-memory history differs from the store's:\n%+v\n%+v", mem, fromStore)
	}
}

func eventsOf(h []domain.Recorded) []domain.Event {
	out := make([]domain.Event, len(h))
	for i, r := range h {
		out[i] = r.Event
	}
	return out
}

// TestTwice: each event comes twice in a row, in log order.
func TestTwice(t *testing.T) {
	t.Parallel()
	l := projectiontest.NewLedger(t)
	career(t, l)
	log := l.Events()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []eventstore.Event
	for ev, err := range (projectiontest.Twice{Store: l.Store}).Subscribe(ctx, eventstore.Start) {
		if err != nil {
			if errors.Is(err, context.Canceled) {
				break
			}
			t.Fatal(err)
		}
		got = append(got, ev)
		if len(got) == 2*len(log) {
			cancel()
		}
	}
	if len(got) != 2*len(log) {
		t.Fatalf("%d deliveries of %d events", len(got), len(log))
	}
	for i, ev := range got {
		if ev.ID != log[i/2].ID {
			t.Fatalf("delivery %d is %s, want %s", i, ev.ID, log[i/2].ID)
		}
	}
}
