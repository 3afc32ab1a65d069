package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Succession is the process that follows an org's merger, split or
// dissolution with a successor: it moves every active dossier the org
// managed to its successor with dossier.ReassignManagingOrg, one append per
// dossier (architecture.md, Streams: one decision event, then follow-ups).
//
// Running it again — after a crash, a cancelled context, a failed append, or
// simply twice — writes nothing twice, for two independent reasons:
//   - the dossier remembers the causes it already moved for, so the domain
//     returns no events for a dossier already moved by this decision;
//   - each follow-up's event id is ledger.DerivedID(decision event id, dossier id),
//     so even two processes racing on one dossier cannot both write: the
//     loser's append is a conflict or a reused id, and on reload the domain
//     sees the move done.
//
// Archived dossiers stay with the org that archived them (they are history,
// not work), and a dossier that no longer sits with the org (moved by a
// transfer since the list was read) is left alone; both are counted in
// SuccessionReport.Skipped.
type Succession struct {
	Ledger ledger.Ledger
	// Managed lists the dossiers the org managed on the last day it served
	// (the day before the decision's effective date).
	Managed ManagedDossiers
	// Workers is how many dossiers are moved at once; 4 when zero.
	Workers int
	// Clock stamps each follow-up's recorded_at; time.Now when nil.
	Clock func() time.Time
	// SplitTarget picks the successor that takes one dossier of a split.
	// When nil, a dossier whose employing unit is one of the successors goes
	// there, any other to the first successor.
	SplitTarget func(d *dossier.Dossier, successors []domain.OrgID) domain.OrgID
}

// SuccessionReport says what one run did.
type SuccessionReport struct {
	Org      domain.OrgID
	Decision uuid.UUID // the org event that caused the moves
	Kind     string    // "merge", "split" or "dissolution"
	Listed   int       // dossiers Managed returned
	Moved    int       // reassigned by this run
	Already  int       // reassigned by an earlier run for the same decision
	Skipped  map[string]int
}

// maxStepRetries bounds how often one dossier's move is re-decided after
// losing a race for its stream.
const maxStepRetries = 8

// SuccessionDecision is the event that ended an org with successors: the
// cause of every move of the succession.
type SuccessionDecision struct {
	Org        domain.OrgID
	Event      domain.Recorded // the org event; its id keys the process
	Successors []domain.OrgID
	Kind       string // "merge", "split" or "dissolution"
}

// FindSuccession reads the decision that ended org. The error wraps
// domain.ErrInvalid (a *ReferenceError) when the org did not end by merger,
// split or dissolution with a successor, and domain.ErrNotFound for an
// unknown org.
func FindSuccession(ctx context.Context, l ledger.Ledger, orgID domain.OrgID) (SuccessionDecision, error) {
	h, err := l.Load(ctx, orgID.StreamID(), org.Decode)
	if err != nil {
		return SuccessionDecision{}, err
	}
	if len(h.Events) == 0 {
		return SuccessionDecision{}, fmt.Errorf("%w: org %s", domain.ErrNotFound, orgID)
	}
	dec, successors, kind, ok := succession(h.Events)
	if !ok {
		return SuccessionDecision{}, &ReferenceError{Field: "org_id", ID: orgID.String(), Err: errNoSuccession}
	}
	return SuccessionDecision{Org: orgID, Event: dec, Successors: successors, Kind: kind}, nil
}

// List is the dossiers the decision moves: those the org managed on the
// last day it served (the day before the decision's effective date).
func (p Succession) List(ctx context.Context, dec SuccessionDecision) ([]domain.DossierID, error) {
	ids, err := p.Managed(ctx, dec.Org, dec.Event.Meta.EffectiveDate.AddDays(-1))
	if err != nil {
		return nil, fmt.Errorf("app: listing the dossiers of %s: %w", dec.Org, err)
	}
	return ids, nil
}

// Step moves one dossier for the decision, returning "moved", "already"
// (moved by an earlier step for the same decision) or the rule of the
// state that made the dossier stay (archived, no longer managed by the
// org). It is idempotent: see Succession.
func (p Succession) Step(ctx context.Context, dec SuccessionDecision, id domain.DossierID) (string, error) {
	return p.move(ctx, dec.Org, id, dec.Event, dec.Successors, dec.Kind)
}

// Run moves the dossiers of org in one call, which must have ended by
// merger, split or dissolution with a successor: otherwise the error wraps
// domain.ErrInvalid (and domain.ErrNotFound for an unknown org). The first
// failing move stops the run and is returned with the counts so far; the
// moves already written stay written, and running again finishes the job.
// The service never calls it inside a request: package processes runs the
// same steps as a resumable process; Run serves the demo generator and
// tools.
func (p Succession) Run(ctx context.Context, orgID domain.OrgID) (SuccessionReport, error) {
	rep := SuccessionReport{Org: orgID, Skipped: map[string]int{}}
	dec, err := FindSuccession(ctx, p.Ledger, orgID)
	if err != nil {
		return rep, err
	}
	rep.Decision, rep.Kind = dec.Event.ID, dec.Kind
	ids, err := p.List(ctx, dec)
	if err != nil {
		return rep, err
	}
	rep.Listed = len(ids)

	workers := p.Workers
	if workers <= 0 {
		workers = 4
	}
	var mu sync.Mutex
	count := func(outcome string) {
		mu.Lock()
		defer mu.Unlock()
		switch outcome {
		case "moved":
			rep.Moved++
		case "already":
			rep.Already++
		default:
			rep.Skipped[outcome]++
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, id := range ids {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			outcome, err := p.Step(gctx, dec, id)
			if err != nil {
				return fmt.Errorf("app: moving %s: %w", id.StreamID(), err)
			}
			count(outcome)
			return nil
		})
	}
	err = g.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return rep, err
}

// succession finds the org's ending decision with its successors.
func succession(events []domain.Recorded) (dec domain.Recorded, successors []domain.OrgID, kind string, ok bool) {
	for _, r := range slices.Backward(events) {
		switch e := r.Event.(type) {
		case org.Merged:
			return r, []domain.OrgID{e.Successor}, "merge", true
		case org.Split:
			return r, e.Successors, "split", true
		case org.Dissolved:
			if e.Successor.IsZero() {
				return r, nil, "", false
			}
			return r, []domain.OrgID{e.Successor}, "dissolution", true
		}
	}
	return domain.Recorded{}, nil, "", false
}

// move reassigns one dossier, returning "moved", "already" or the rule of
// the state that made it skip the dossier.
func (p Succession) move(ctx context.Context, from domain.OrgID, id domain.DossierID, dec domain.Recorded, successors []domain.OrgID, kind string) (string, error) {
	clock := p.Clock
	if clock == nil {
		clock = time.Now
	}
	eventID := ledger.DerivedID(dec.ID, id.String())
	for range maxStepRetries {
		h, err := p.Ledger.Load(ctx, id.StreamID(), dossier.Decode)
		if err != nil {
			return "", err
		}
		d, err := dossier.Replay(h.Events)
		if err != nil {
			return "", err
		}
		to := successors[0]
		if kind == "split" {
			to = p.splitTarget(d, successors)
		}
		m := domain.Meta{
			Actor:         dec.Meta.Actor,
			RecordedAt:    clock(),
			EffectiveDate: dec.Meta.EffectiveDate,
			Source:        dec.Meta.Source,
			CorrelationID: dec.Meta.CorrelationID,
			CausationID:   dec.ID.String(),
		}
		if m.CorrelationID == "" {
			m.CorrelationID = dec.ID.String()
		}
		events, err := d.ReassignManagingOrg(dossier.Reassignment{
			FromOrg: from, ToOrg: to,
			Cause: dossier.Cause{Kind: kind, OrgID: from, EventID: dec.ID},
		}, m)
		var se *domain.StateError
		switch {
		case errors.As(err, &se):
			return se.Rule, nil
		case err != nil:
			return "", err
		case len(events) == 0:
			return "already", nil
		}
		_, err = p.Ledger.Append(ctx, id.StreamID(), eventstore.Exactly(h.Version), m, events, []uuid.UUID{eventID})
		switch {
		case err == nil:
			return "moved", nil
		case errors.Is(err, eventstore.ErrConflict), errors.Is(err, eventstore.ErrIDReused):
			continue // someone else wrote; reload and let the domain judge
		default:
			return "", err
		}
	}
	return "", fmt.Errorf("%w: the dossier kept changing under the process", domain.ErrConflict)
}

func (p Succession) splitTarget(d *dossier.Dossier, successors []domain.OrgID) domain.OrgID {
	if p.SplitTarget != nil {
		if to := p.SplitTarget(d, successors); !to.IsZero() {
			return to
		}
	}
	if unit := d.EmployingUnit(); slices.Contains(successors, unit) {
		return unit
	}
	return successors[0]
}

// ScanManagedDossiers answers ManagedDossiers with ScanManagement. It is
// exact but linear in the size of the ledger: meant for tests, the demo
// generator and tools, until the dossier read model answers the same
// question from an index.
func ScanManagedDossiers(l ledger.Ledger) ManagedDossiers {
	return func(ctx context.Context, o domain.OrgID, on domain.Date) ([]domain.DossierID, error) {
		all, err := ScanManagement(ctx, l, on)
		return all[o], err
	}
}

// ScanManagement reads the whole global log for dossier creations and
// replays each dossier as in effect on the date: the active dossiers of
// every org that managed any, in log order. Archived dossiers are left out:
// they stay with the org that archived them.
func ScanManagement(ctx context.Context, l ledger.Ledger, on domain.Date) (map[domain.OrgID][]domain.DossierID, error) {
	out := map[domain.OrgID][]domain.DossierID{}
	from := eventstore.Start
	for {
		evs, err := l.Store.ReadAll(ctx, from, 1000)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return out, nil
		}
		for _, ev := range evs {
			from = ev.Position
			if ev.Type != dossier.TypeCreated || !strings.HasPrefix(ev.StreamID, "dossier-") {
				continue
			}
			id, err := domain.ParseDossierID(strings.TrimPrefix(ev.StreamID, "dossier-"))
			if err != nil {
				continue // not a dossier stream of ours
			}
			h, err := l.Load(ctx, ev.StreamID, dossier.Decode)
			if err != nil {
				return nil, err
			}
			d, err := dossier.ReplayEffectiveOn(h.Events, on)
			if errors.Is(err, domain.ErrNotFound) {
				continue // created after the date
			}
			if err != nil {
				return nil, err
			}
			if managing, ok := d.ManagingOrg(); ok && !d.Archived() {
				out[managing] = append(out[managing], id)
			}
		}
	}
}
