package dossiers

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// state is what the projection keeps of one dossier between batches: the
// folded document (personal ID number blanked) plus the two facts of the
// aggregate's private state that the document does not show but later events
// depend on — where the next correction would fold (tail) and which org a
// reactivation would give management back to (revokedOrg).
type state struct {
	version uint64
	doc     dossier.Document
	// tail is the rightmost path of the fold tree: the last non-correction
	// event, then its last correction, that one's last correction, and so
	// on. A correction of any event on it folds at the very end of the
	// history, so applying it to the current state is exact; a correction of
	// any other event folds in the middle and needs the whole history.
	tail       []uuid.UUID
	revokedOrg domain.OrgID
	pidDigest  string
	// pidNumber is the number folded in by this batch, in memory only:
	// write turns it into pidDigest under the projection's key.
	pidNumber string
}

// snapshot turns s into a short history that dossier.Replay folds into a
// dossier whose Document is s.doc, so that new events can be folded on top
// of it by the aggregate's own apply logic instead of a copy of it. The
// last synthetic event carries the id of s.tail[0] and the rest of the tail
// follows as empty corrections, so a new correction of any tail event finds
// its target and folds after everything, as it does in the real history.
//
// The snapshot reproduces the Document only; the aggregate's other private
// state (pending transfer, proposals) does not affect the Document of any
// later event, which the tests check against full replays.
func (s *state) snapshot() []domain.Recorded {
	doc := s.doc
	h := doc.Header
	org := s.revokedOrg
	if h.ManagingOrg != nil {
		org = *h.ManagingOrg
	}
	events := []domain.Event{
		dossier.Created{DossierID: h.DossierID, Class: h.Class, ManagingOrg: org, EmployingUnit: h.EmployingUnit,
			PersonalIDNumber: h.PersonalIDNumber, Identity: doc.Identity},
		dossier.SectionUpdated{Patch: fullPatch(doc)},
	}
	for _, a := range doc.Attachments {
		events = append(events, dossier.DocumentAttached{Attachment: a})
	}
	if h.CivilServantNumber != "" {
		events = append(events, dossier.CivilServantNumberIssued{Number: h.CivilServantNumber})
	}
	if h.Archived {
		// A transferred_out status revokes management, leaving revokedOrg
		// (the Created org above) as the org a reactivation restores.
		events = append(events, dossier.StatusChanged{Status: h.Status})
	}
	out := make([]domain.Recorded, 0, len(events)+len(s.tail))
	for i, e := range events {
		out = append(out, domain.Recorded{ID: syntheticID(i), Version: uint64(i + 1), Event: e})
	}
	if len(s.tail) > 0 {
		out[len(out)-1].ID = s.tail[0]
		for i, id := range s.tail[1:] {
			out = append(out, domain.Recorded{ID: id, Version: uint64(len(out) + 1),
				Event: dossier.Corrected{Corrects: s.tail[i]}})
		}
	}
	return out
}

// restores reports whether the snapshot folds into exactly the stored
// document. It guards the snapshot against a Document that gained a field
// or a rule the snapshot does not carry yet: the projection then takes the
// slow path and stays exact instead of silently dropping what it forgot.
func restores(snapshot []domain.Recorded, doc dossier.Document) bool {
	d, err := dossier.Replay(snapshot)
	return err == nil && reflect.DeepEqual(d.Document(), doc)
}

// syntheticID is an id no real event has (real ids are UUIDv7; these are
// version 8), for the snapshot's own events.
func syntheticID(i int) uuid.UUID {
	var u uuid.UUID
	u[6] = 0x80
	u[8] = 0x80
	u[15] = byte(i)
	u[14] = byte(i >> 8)
	return u
}

// fullPatch sets every section and every row of doc.
func fullPatch(doc dossier.Document) dossier.Patch {
	p := dossier.Patch{
		Background:      &doc.Background,
		Qualifications:  &doc.Qualifications,
		Position:        &doc.Position,
		Salary:          &doc.Salary,
		Health:          &doc.Health,
		PersonalHistory: &doc.PersonalHistory,
		Income:          &doc.Income,
		PartyUnions:     &doc.PartyUnions,
		Insurance:       &doc.Insurance,
		Other:           &doc.Other,
	}
	if doc.Header.PhotoSHA256 != "" {
		p.Header = &dossier.HeaderPatch{PhotoSHA256: doc.Header.PhotoSHA256}
	}
	for i := range doc.Training {
		p.Rows = append(p.Rows, dossier.Row{Table: dossier.TableTraining, Training: &doc.Training[i]})
	}
	for i := range doc.WorkHistory {
		p.Rows = append(p.Rows, dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &doc.WorkHistory[i]})
	}
	for i := range doc.Rewards {
		p.Rows = append(p.Rows, dossier.Row{Table: dossier.TableRewards, Reward: &doc.Rewards[i]})
	}
	for i := range doc.Discipline {
		p.Rows = append(p.Rows, dossier.Row{Table: dossier.TableDiscipline, Discipline: &doc.Discipline[i]})
	}
	for i := range doc.Evaluations {
		p.Rows = append(p.Rows, dossier.Row{Table: dossier.TableEvaluations, Evaluation: &doc.Evaluations[i]})
	}
	for i := range doc.Family {
		p.Rows = append(p.Rows, dossier.Row{Table: dossier.TableFamily, Family: &doc.Family[i]})
	}
	for i := range doc.SalaryHistory {
		p.Rows = append(p.Rows, dossier.Row{Table: dossier.TableSalaryHistory, SalaryHistory: &doc.SalaryHistory[i]})
	}
	return p
}

// revokes reports whether e takes management away (transfer out of the
// province, by its receipt or by a status change).
func revokes(e domain.Event) bool {
	switch e := e.(type) {
	case dossier.TransferReceived:
		return e.Kind == dossier.TransferOutOfProvince
	case dossier.StatusChanged:
		return e.Status == dossier.StatusTransferredOut
	}
	return false
}

// advance folds recs (this dossier's new events, in version order, each
// after st's version) into the next state. st is nil for a dossier not yet
// stored. When the new events cannot be folded on top of st exactly — a
// correction of an event off the tail, or a gap in the versions — it
// replays the dossier's stored history up to the last new event instead.
func (p *Projection) advance(ctx context.Context, stream string, st *state, recs []domain.Recorded) (*state, error) {
	last := recs[len(recs)-1]
	next := uint64(1)
	var tail []uuid.UUID
	if st != nil {
		next, tail = st.version+1, slices.Clone(st.tail)
	}
	exact := true
	for _, r := range recs {
		if r.Version != next {
			exact = false // a gap: st is not the state right before r
			break
		}
		next++
		if c, ok := r.Event.(dossier.Corrected); ok {
			i := slices.Index(tail, c.Corrects)
			if i < 0 {
				exact = false
				break
			}
			tail = append(tail[:i+1], r.ID)
			continue
		}
		tail = []uuid.UUID{r.ID}
	}
	var base []domain.Recorded
	if exact && st != nil {
		base = st.snapshot()
		exact = restores(base, st.doc)
	}
	if !exact {
		p.slow.Add(1)
		history, err := p.history(ctx, stream, last.Version)
		if err != nil {
			return nil, err
		}
		return fromHistory(history)
	}
	history := make([]domain.Recorded, 0, len(base)+len(recs))
	history = append(history, base...)
	for _, r := range recs {
		r.Version = uint64(len(history) + 1) // after the snapshot's own numbering
		history = append(history, r)
	}
	d, err := dossier.Replay(history)
	if err != nil {
		return nil, err
	}
	out := &state{version: last.Version, doc: d.Document(), tail: tail}
	if st != nil {
		out.revokedOrg, out.pidDigest = st.revokedOrg, st.pidDigest
	}
	// The org a revocation took management from is the one managing just
	// before it; only a revocation among the new events changes it.
	for j := len(recs) - 1; j >= 0; j-- {
		if revokes(recs[j].Event) {
			before, err := dossier.Replay(history[:len(base)+j])
			if err != nil {
				return nil, err
			}
			out.revokedOrg, _ = before.ManagingOrg()
			break
		}
	}
	out.seal()
	return out, nil
}

// fromHistory folds a dossier's whole history (the slow path).
func fromHistory(history []domain.Recorded) (*state, error) {
	d, err := dossier.Replay(history)
	if err != nil {
		return nil, err
	}
	out := &state{version: d.Version(), doc: d.Document(), tail: foldTail(history)}
	for j := len(history) - 1; j >= 0; j-- {
		if revokes(history[j].Event) {
			before, err := dossier.Replay(history[:j])
			if err != nil {
				return nil, err
			}
			out.revokedOrg, _ = before.ManagingOrg()
			break
		}
	}
	out.seal()
	return out, nil
}

// seal records the personal ID number's digest and blanks the number: the
// read model is queried by many, so it keeps only what finds a person by
// number, never the number itself (the ledger holds it).
func (s *state) seal() {
	if n := s.doc.Header.PersonalIDNumber; n != "" {
		s.pidNumber = n
	}
	s.doc.Header.PersonalIDNumber = ""
}

// personalIDDigest is what the read model stores to find a person by
// number: the keyed token when the projection has a key (HOSO_PERSONAL_ID_KEY,
// never in the database), else the unkeyed digest of read models built
// without keys (tests).
func personalIDDigest(pv seal.Privacy, n string) string {
	if pv.TokenKey != nil {
		return pv.Token("personal_id", n)
	}
	return dossier.PersonalIDDigest(n)
}

// foldTail computes the tail (see state.tail) of a whole history: the last
// non-correction event, then repeatedly the last correction of the previous
// one. It mirrors only the ordering rule documented on dossier.Replay.
func foldTail(history []domain.Recorded) []uuid.UUID {
	lastChild := map[uuid.UUID]uuid.UUID{}
	var top uuid.UUID
	for _, r := range history {
		if c, ok := r.Event.(dossier.Corrected); ok {
			lastChild[c.Corrects] = r.ID
			continue
		}
		top = r.ID
	}
	if top == uuid.Nil {
		return nil
	}
	tail := []uuid.UUID{top}
	for {
		child, ok := lastChild[tail[len(tail)-1]]
		if !ok {
			return tail
		}
		tail = append(tail, child)
	}
}

// history reads the dossier's stored events up to and including last. The
// prefix of a stream up to a version never changes, so this read is as
// deterministic as the batch itself: a batch rolled back and applied again
// reads the same events.
func (p *Projection) history(ctx context.Context, stream string, last uint64) ([]domain.Recorded, error) {
	if p.store == nil {
		return nil, errors.New("dossiers: a correction of an earlier event needs the dossier's history, and the projection has no store")
	}
	evs, err := p.store.ReadStream(ctx, stream, eventstore.ReadOptions{Limit: int(last)})
	if err != nil {
		return nil, fmt.Errorf("dossiers: reading %s up to version %d: %w", stream, last, err)
	}
	out := make([]domain.Recorded, 0, len(evs))
	for _, ev := range evs {
		if ev.Version > last {
			break
		}
		if !known[ev.Type] {
			continue
		}
		r, err := ledger.Recorded(ev, dossier.Decode)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 || out[len(out)-1].Version != last {
		return nil, fmt.Errorf("dossiers: %s has no version %d in the store", stream, last)
	}
	return out, nil
}
