package app_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// CreateMany writes each new dossier with the claim of its number, as
// Create would (the claim first), and leaves out, for the caller's one by
// one path, a dossier that exists and a number whose reservation stream
// exists (held, or claimed by a crashed creation): never a second dossier
// for a number, never a claim over another.
func TestCreateManyLeavesOutWhatExists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	w.create(t, 1, doha) // dossier 1 exists, holding number 1
	m := metaOn(doha, domain.MustDate(2024, 3, 1))
	// A crashed creation left a claim on number 3 for dossier 3.
	crashed := newDossier(3, doha)
	pid3 := reservation.PersonalIDStream(testKey, crashed.PersonalIDNumber)
	if err := (app.Reservations{Ledger: w.ledger}).Claim(ctx, pid3, crashed.DossierID.StreamID(), "dossier", app.RulePersonalIDTaken, m); err != nil {
		t.Fatal(err)
	}
	row := dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: fixedID("row-2"), Side: dossier.FamilyOwn, Relation: "mẹ", Name: "Lê Thị Mẹ", BirthYear: 1950}}
	then := func(h []domain.Recorded) ([]eventstore.EventData, error) {
		d, err := dossier.Replay(h)
		if err != nil {
			return nil, err
		}
		evs, err := d.AddRow(row, m, w.dossiers.Catalogue)
		if err != nil {
			return nil, err
		}
		return ledger.EventData(evs, m, nil)
	}
	ds := []app.NewDossier{
		{Command: newDossier(1, doha), Meta: m},             // exists
		{Command: newDossier(2, doha), Meta: m, Then: then}, // new, with a row
		{Command: crashed, Meta: m},                         // its number's stream exists
		{Command: newDossier(4, doha), Meta: m},             // new
	}
	left, err := w.dossiers.CreateMany(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if !slices.Equal(left, []int{0, 2}) {
		t.Fatalf("left = %v, want [0 2]", left)
	}
	if got := w.types(t, ds[1].Command.DossierID.StreamID()); !slices.Equal(got, []string{dossier.TypeCreated, dossier.TypeRowAdded}) {
		t.Errorf("dossier 2 = %v, want its creation and row", got)
	}
	for _, n := range []int{2, 4} {
		c := ds[n-1].Command
		holder, err := w.dossiers.DossierOfPersonalID(ctx, c.PersonalIDNumber)
		if err != nil || holder != c.DossierID {
			t.Errorf("number %d held by %s (%v), want dossier %s", n, holder, err, c.DossierID)
		}
	}
	if got := w.types(t, pid3); len(got) != 1 {
		t.Errorf("the crashed creation's reservation = %v, want its one claim untouched", got)
	}
	if _, err := w.ledger.Store.ReadStream(ctx, crashed.DossierID.StreamID(), eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("dossier 3 was created by the bulk path: %v", err)
	}
	// The one by one path finishes what was left out.
	if _, err := w.dossiers.Create(ctx, crashed, m); err != nil {
		t.Errorf("Create of the left-out dossier 3: %v", err)
	}
	held, err := w.dossiers.DossiersOfPersonalIDs(ctx, []string{personalIDOf(ds, 0), personalIDOf(ds, 2), "079203000999"})
	if err != nil || len(held) != 2 || held[personalIDOf(ds, 2)] != crashed.DossierID {
		t.Errorf("DossiersOfPersonalIDs = %v, %v", held, err)
	}

	// A refused org refuses the whole batch, writing nothing.
	late := newDossier(5, commune)
	if _, err := w.dossiers.CreateMany(ctx, []app.NewDossier{{Command: newDossier(6, doha), Meta: m}, {Command: late, Meta: metaOn(commune, domain.MustDate(2024, 3, 1))}}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a batch with an org not yet founded: err = %v, want ErrInvalid", err)
	}
	if _, err := w.ledger.Store.ReadStream(ctx, newDossier(6, doha).DossierID.StreamID(), eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("a refused batch wrote dossier 6: %v", err)
	}
}

func personalIDOf(ds []app.NewDossier, i int) string { return ds[i].Command.PersonalIDNumber }
