package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// fixedClock stamps follow-ups on the morning of the reform.
func fixedClock() time.Time { return time.Date(2025, 7, 1, 3, 0, 0, 0, time.UTC) }

// flakyStore fails appends of reassignments once `after` of them have
// succeeded, the way a crash or a lost connection stops the process halfway.
// With lostAck, the failing append is written first and only its answer is
// lost: the nastiest crash, where the process cannot know it succeeded.
type flakyStore struct {
	eventstore.Store
	after   int64
	lostAck bool
	n       atomic.Int64
}

var errCrash = errors.New("injected crash")

func (s *flakyStore) Append(ctx context.Context, stream string, exp eventstore.Expected, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	if len(evs) == 0 || evs[0].Type != dossier.TypeManagingOrgChanged {
		return s.Store.Append(ctx, stream, exp, evs...)
	}
	if s.n.Add(1) > s.after {
		if s.lostAck {
			s.Store.Append(ctx, stream, exp, evs...)
		}
		return eventstore.AppendResult{}, errCrash
	}
	return s.Store.Append(ctx, stream, exp, evs...)
}

// mergerScenario creates n dossiers under the historic district committee
// (a few of them archived, one transferred away) and n/10 under the Sở Nội
// vụ, merges the district into the commune on 2025-07-01, and returns the
// dossiers that must move.
func mergerScenario(t *testing.T, w *world, n int) (move, stay []domain.DossierID) {
	t.Helper()
	ctx := context.Background()
	ids := make([]domain.DossierID, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := newDossier(i, district)
			ids[i] = c.DossierID
			if _, err := w.dossiers.Create(ctx, c, metaOn(district, domain.MustDate(2024, 3, 1))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range n / 10 {
		stay = append(stay, w.create(t, n+i, doha))
	}
	for i, id := range ids {
		switch {
		case i%97 == 5: // retired before the merger: stays in the district's archive
			if _, err := w.dossiers.ChangeStatus(ctx, id, 0, dossier.StatusRetired, metaOn(district, domain.MustDate(2025, 1, 10))); err != nil {
				t.Fatal(err)
			}
			stay = append(stay, id)
		default:
			move = append(move, id)
		}
	}
	if _, err := w.orgs.Merge(ctx, district, 0, commune, metaOn(province, reform)); err != nil {
		t.Fatal(err)
	}
	return move, stay
}

// checkMoved asserts every dossier of move was reassigned exactly once, for
// the merger, and every dossier of stay never was.
func checkMoved(t *testing.T, w *world, move, stay []domain.DossierID) {
	t.Helper()
	ctx := context.Background()
	h, err := w.ledger.Load(ctx, district.StreamID(), org.Decode)
	if err != nil {
		t.Fatal(err)
	}
	mergeID := h.Events[len(h.Events)-1].ID
	count := func(id domain.DossierID) (int, *dossier.Dossier) {
		evs, err := w.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Type == dossier.TypeManagingOrgChanged {
				n++
				if e.ID != ledger.DerivedID(mergeID, id.String()) {
					t.Errorf("%s: reassignment id %s is not derived from the merger", id, e.ID)
				}
			}
		}
		d, err := app.LoadDossier(ctx, w.ledger, id)
		if err != nil {
			t.Fatal(err)
		}
		return n, d
	}
	for _, id := range move {
		n, d := count(id)
		if managing, _ := d.ManagingOrg(); n != 1 || managing != commune {
			t.Fatalf("dossier %s: %d reassignments, managed by %s; want 1, the commune", id, n, managing)
		}
	}
	for _, id := range stay {
		if n, _ := count(id); n != 0 {
			t.Fatalf("dossier %s was reassigned %d times, want never", id, n)
		}
	}
}

func TestSuccessionResumesAfterACrash(t *testing.T) {
	t.Parallel()
	for _, lostAck := range []bool{false, true} {
		t.Run(fmt.Sprint("lost ack ", lostAck), func(t *testing.T) {
			t.Parallel()
			const n, k = 2000, 737
			flaky := &flakyStore{Store: memstore.New(nil), after: k, lostAck: lostAck}
			w := newWorld(t, flaky)
			move, stay := mergerScenario(t, w, n)
			proc := app.Succession{Ledger: w.ledger, Managed: app.ScanManagedDossiers(w.ledger), Workers: 8, Clock: fixedClock}

			rep, err := proc.Run(context.Background(), district)
			if !errors.Is(err, errCrash) {
				t.Fatalf("first run: err = %v, want the injected crash", err)
			}
			if rep.Moved > k || rep.Kind != "merge" {
				t.Fatalf("first run report %+v: more moves than the store allowed", rep)
			}
			flaky.after = 1 << 62 // the store is healthy again
			rep, err = proc.Run(context.Background(), district)
			if err != nil {
				t.Fatalf("resumed run: %v", err)
			}
			// Without lostAck exactly k moves were written. With it, every
			// append in flight when the store failed was written and lost its
			// answer: between k+1 and k+workers.
			lo, hi := k, k
			if lostAck {
				lo, hi = k+1, k+proc.Workers
			}
			if rep.Listed != len(move) || rep.Moved+rep.Already != len(move) || rep.Already < lo || rep.Already > hi {
				t.Fatalf("resumed run report %+v; want listed %d = moved + already, already in [%d, %d]", rep, len(move), lo, hi)
			}
			// A third run finds nothing to do.
			rep, err = proc.Run(context.Background(), district)
			if err != nil || rep.Moved != 0 {
				t.Fatalf("third run: %+v, %v; want nothing moved", rep, err)
			}
			checkMoved(t, w, move, stay)
		})
	}
}

func TestSuccessionStopsOnCancelAndResumes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	move, stay := mergerScenario(t, w, 300)
	ctx, cancel := context.WithCancel(context.Background())
	var moves atomic.Int64
	proc := app.Succession{Ledger: w.ledger, Managed: app.ScanManagedDossiers(w.ledger), Workers: 4, Clock: func() time.Time {
		if moves.Add(1) == 100 {
			cancel()
		}
		return fixedClock()
	}}
	if _, err := proc.Run(ctx, district); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: err = %v, want context.Canceled", err)
	}
	proc.Clock = fixedClock
	rep, err := proc.Run(context.Background(), district)
	if err != nil || rep.Moved+rep.Already != len(move) || rep.Already == 0 {
		t.Fatalf("resumed run: %+v, %v", rep, err)
	}
	checkMoved(t, w, move, stay)
}

func TestSuccessionOfASplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	a := w.create(t, 1, district)
	b := newDossier(2, district)
	b.EmployingUnit = doha // works in a unit that is one of the successors
	if _, err := w.dossiers.Create(ctx, b, metaOn(district, domain.MustDate(2024, 3, 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := w.orgs.Split(ctx, district, 0, []domain.OrgID{commune, doha}, metaOn(province, reform)); err != nil {
		t.Fatal(err)
	}
	rep, err := app.Succession{Ledger: w.ledger, Managed: app.ScanManagedDossiers(w.ledger), Clock: fixedClock}.Run(ctx, district)
	if err != nil || rep.Moved != 2 || rep.Kind != "split" {
		t.Fatalf("split: %+v, %v", rep, err)
	}
	for id, want := range map[domain.DossierID]domain.OrgID{a: commune, b.DossierID: doha} {
		d, _ := app.LoadDossier(ctx, w.ledger, id)
		if got, _ := d.ManagingOrg(); got != want {
			t.Errorf("%s managed by %s, want %s", id, got, want)
		}
	}
}

func TestSuccessionNeedsAnEndedOrg(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	_, err := app.Succession{Ledger: w.ledger, Managed: app.ScanManagedDossiers(w.ledger)}.Run(context.Background(), doha)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Run on an active org: err = %v, want ErrInvalid", err)
	}
}
