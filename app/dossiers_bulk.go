package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// NewDossier is one creation of CreateMany: the command and its envelope,
// and, when Then is set, the events to append with the creation (as
// CreateWith's then).
type NewDossier struct {
	Command dossier.CreateDossier
	Meta    domain.Meta
	Then    func(history []domain.Recorded) ([]eventstore.EventData, error)
}

// CreateMany is CreateWith for many dossiers at once, the bulk path of an
// import: every dossier's stream and the claim of its personal ID number
// (its reservation stream, created with the claim as first event) are one
// atomic write of the store (eventstore.AppendNewStreams). The orgs are
// checked once per org and date, no reservation is read, and a crash
// leaves no claim behind: the claims and the dossiers are written together
// or not at all.
//
// It creates only the dossiers whose stream and whose number's
// reservation stream do not exist yet. The others it leaves out and
// returns in left (indices into ds): the caller creates them one by one
// with CreateWith, whose reservation protocol handles a dossier that
// exists, a number held by another, released or claimed by a crashed
// creation. A refusal by the domain, by Then, or of an org is an error,
// and nothing is written.
func (s Dossiers) CreateMany(ctx context.Context, ds []NewDossier) (left []int, err error) {
	type orgOn struct {
		org  domain.OrgID
		on   domain.Date
		unit bool
	}
	checked := map[orgOn]bool{}
	check := func(field string, k orgOn) error {
		if checked[k] {
			return nil
		}
		if _, err := requireOrg(ctx, s.Ledger, field, k.org, k.on); err != nil {
			return err
		}
		checked[k] = true
		return nil
	}
	type pending struct {
		index       int
		pid, holder string
		claim, data []eventstore.EventData
	}
	all := make([]pending, 0, len(ds))
	for i, d := range ds {
		events, err := dossier.Create(d.Command, d.Meta, s.Catalogue)
		if err != nil {
			return nil, fmt.Errorf("dossier %d of %d: %w", i+1, len(ds), err)
		}
		created := events[0].(dossier.Created)
		if err := check("managing_org", orgOn{d.Command.ManagingOrg, d.Meta.EffectiveDate, false}); err != nil {
			return nil, err
		}
		if d.Command.EmployingUnit != d.Command.ManagingOrg {
			if err := check("employing_unit", orgOn{d.Command.EmployingUnit, d.Meta.EffectiveDate, true}); err != nil {
				return nil, err
			}
		}
		data, err := ledger.EventData(events, d.Meta, nil)
		if err != nil {
			return nil, err
		}
		if d.Then != nil {
			more, err := d.Then([]domain.Recorded{{Version: 1, Event: created, Meta: d.Meta}})
			if err != nil {
				return nil, err
			}
			data = append(data, more...)
		}
		pid, err := s.pidStream(created.PersonalIDNumber)
		if err != nil {
			return nil, err
		}
		holder := d.Command.DossierID.StreamID()
		claim, err := ledger.EventData([]domain.Event{reservation.Claimed{Holder: holder}}, d.Meta, nil)
		if err != nil {
			return nil, err
		}
		all = append(all, pending{index: i, pid: pid, holder: holder, claim: claim, data: data})
	}
	// Each refusal sets aside the streams that exist; a few rounds cover
	// creations racing with this one.
	for range maxRaceRetries {
		if len(all) == 0 {
			return left, nil
		}
		streams := make([]eventstore.NewStream, 0, 2*len(all))
		for _, p := range all {
			// The claim first, as in Create: a reader of the log never
			// sees a dossier before its number's claim.
			streams = append(streams, eventstore.NewStream{Stream: p.pid, Events: p.claim}, eventstore.NewStream{Stream: p.holder, Events: p.data})
		}
		_, err := eventstore.AppendNewStreams(ctx, s.Ledger.Store, streams)
		var exist *eventstore.StreamsExistError
		if !errors.As(err, &exist) {
			return left, err
		}
		taken := make(map[string]bool, len(exist.Streams))
		for _, st := range exist.Streams {
			taken[st] = true
		}
		rest := all[:0]
		for _, p := range all {
			if taken[p.pid] || taken[p.holder] {
				left = append(left, p.index)
			} else {
				rest = append(rest, p)
			}
		}
		all = rest
	}
	return nil, fmt.Errorf("app: creating %d dossiers: %w: too many concurrent creations", len(all), domain.ErrConflict)
}

// DossiersOfPersonalIDs is DossierOfPersonalID for many numbers in one read
// of their reservation streams (eventstore.Store.ReadStreams): the dossier
// holding each number that one holds; numbers held by none are absent.
func (s Dossiers) DossiersOfPersonalIDs(ctx context.Context, numbers []string) (map[string]domain.DossierID, error) {
	streams := make([]string, len(numbers))
	for i, n := range numbers {
		st, err := s.pidStream(n)
		if err != nil {
			return nil, err
		}
		streams[i] = st
	}
	read, err := s.Ledger.Store.ReadStreams(ctx, streams)
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.DossierID)
	for i, n := range numbers {
		evs := read[streams[i]]
		if len(evs) == 0 {
			continue
		}
		recs := make([]domain.Recorded, len(evs))
		for j, ev := range evs {
			if recs[j], err = ledger.Recorded(ev, reservation.Decode); err != nil {
				return nil, err
			}
		}
		if id, ok := dossierHolder(reservation.Replay(recs).Holder); ok {
			out[n] = id
		}
	}
	return out, nil
}
