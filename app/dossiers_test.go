package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// step is one service call on dossier id, as a given or as the when.
type step func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error)

var (
	d2      = domain.MustDate(2024, 4, 1)
	evalRow = uuid.MustParse("0190a000-0000-7000-8000-00000000e001")
	xferID  = uuid.MustParse("0190a000-0000-7000-8000-00000000f001")
	propID  = uuid.MustParse("0190a000-0000-7000-8000-00000000a001")
)

func withReason(m domain.Meta, r string) domain.Meta { m.Reason = r; return m }

func evaluation(rating dossier.Rating) dossier.Row {
	return dossier.Row{Table: dossier.TableEvaluations, Evaluation: &dossier.EvaluationRow{ID: evalRow, Year: 2023, Rating: rating}}
}

var (
	updatePosition step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		return w.dossiers.UpdateSection(ctx, id, 0, dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên", MainDuty: "Quản lý hồ sơ cán bộ"}}, metaOn(doha, d2))
	}
	addEvaluation step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		return w.dossiers.AddRow(ctx, id, 0, evaluation(dossier.RatingGood), metaOn(doha, d2))
	}
	amendEvaluation step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		return w.dossiers.AmendRow(ctx, id, 0, evaluation(dossier.RatingExcellent), metaOn(doha, d2))
	}
	attachScan step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		doc := decision(d2)
		doc.SHA256 = hexOf(0xab)
		return w.dossiers.Attach(ctx, id, 0, dossier.Attachment{Document: doc, Title: "Quyết định tuyển dụng"}, metaOn(doha, d2))
	}
	correctName step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		evs, err := w.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{Limit: 1})
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		ident := newDossier(1, doha).Identity
		ident.BirthName = "Nguyễn Văn Ân"
		return w.dossiers.Correct(ctx, id, 0, dossier.Correction{Corrects: evs[0].ID, Patch: dossier.Patch{Identity: &ident}},
			withReason(metaOn(doha, d2), "sai dấu trong họ tên"))
	}
	initiateTransfer step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		return w.dossiers.InitiateTransfer(ctx, id, 0, dossier.TransferOrder{TransferID: xferID, Kind: dossier.TransferBetweenOrgs, TargetOrg: health}, metaOn(doha, d2))
	}
	receiveTransfer step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		return w.dossiers.ReceiveTransfer(ctx, id, 0, xferID, metaOn(health, d2.AddDays(3)))
	}
	retire step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		return w.dossiers.ChangeStatus(ctx, id, 0, dossier.StatusRetired, metaOn(doha, d2))
	}
	submitProposal step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		m := metaOn(doha, d2)
		m.Source = domain.SourceDocument{}
		return w.dossiers.SubmitProposal(ctx, id, 0, dossier.ProposalDraft{ProposalID: propID, Kind: dossier.ProposalChange,
			Patch: dossier.Patch{Health: &dossier.Health{HeightCM: 170, WeightKG: 65, BloodGroup: "O"}}}, m)
	}
	issueNumber step = func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
		return w.dossiers.IssueCivilServantNumber(ctx, id, 0, "25.000123", metaOn(doha, d2))
	}
)

// TestDossierCommands is given/when/then over every command: given a
// dossier created by the Sở Nội vụ on 2024-03-01 and the given steps, when
// the command runs, then it fails with the error kind (and rule), or the
// dossier's stream ends with the event type.
func TestDossierCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		given    []step
		when     step
		wantErr  error
		wantRule string
		wantType string
	}{
		{name: "update a section", when: updatePosition, wantType: dossier.TypeSectionUpdated},
		{name: "add a row", when: addEvaluation, wantType: dossier.TypeRowAdded},
		{name: "add a row twice", given: []step{addEvaluation}, when: addEvaluation, wantErr: domain.ErrConflict, wantRule: "duplicate_row"},
		{name: "amend a row", given: []step{addEvaluation}, when: amendEvaluation, wantType: dossier.TypeRowAmended},
		{name: "amend a missing row", when: amendEvaluation, wantErr: domain.ErrNotFound},
		{name: "attach a scan", when: attachScan, wantType: dossier.TypeDocumentAttached},
		{name: "attach the same scan twice", given: []step{attachScan}, when: attachScan, wantErr: domain.ErrConflict, wantRule: "duplicate_attachment"},
		{name: "correct", when: correctName, wantType: dossier.TypeCorrected},
		{name: "correct without a reason", when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			evs, _ := w.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{Limit: 1})
			return w.dossiers.Correct(ctx, id, 0, dossier.Correction{Corrects: evs[0].ID, Patch: dossier.Patch{Other: &dossier.Other{Notes: "x"}}}, metaOn(doha, d2))
		}, wantErr: domain.ErrInvalid},
		{name: "initiate a transfer", when: initiateTransfer, wantType: dossier.TypeTransferInitiated},
		{name: "initiate a transfer to an unknown org", when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.InitiateTransfer(ctx, id, 0, dossier.TransferOrder{TransferID: xferID, Kind: dossier.TransferBetweenOrgs, TargetOrg: domain.OrgID(fixedID("nowhere"))}, metaOn(doha, d2))
		}, wantErr: domain.ErrInvalid},
		{name: "initiate a transfer to an org not yet founded", when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.InitiateTransfer(ctx, id, 0, dossier.TransferOrder{TransferID: xferID, Kind: dossier.TransferBetweenOrgs, TargetOrg: commune}, metaOn(doha, d2))
		}, wantErr: domain.ErrInvalid},
		{name: "initiate a second transfer", given: []step{initiateTransfer}, when: initiateTransfer, wantErr: domain.ErrConflict, wantRule: "transfer_pending"},
		{name: "receive a transfer", given: []step{initiateTransfer}, when: receiveTransfer, wantType: dossier.TypeTransferReceived},
		{name: "receive by the wrong org", given: []step{initiateTransfer}, when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.ReceiveTransfer(ctx, id, 0, xferID, metaOn(district, d2))
		}, wantErr: domain.ErrConflict, wantRule: "wrong_org"},
		{name: "receive with no transfer", when: receiveTransfer, wantErr: domain.ErrConflict, wantRule: "no_transfer"},
		{name: "reject a transfer", given: []step{initiateTransfer}, when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.RejectTransfer(ctx, id, 0, xferID, withReason(metaOn(health, d2), "không còn chỉ tiêu biên chế"))
		}, wantType: dossier.TypeTransferRejected},
		{name: "cancel a transfer", given: []step{initiateTransfer}, when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.CancelTransfer(ctx, id, 0, xferID, withReason(metaOn(doha, d2), "quyết định bị thu hồi"))
		}, wantType: dossier.TypeTransferCancelled},
		{name: "retire", when: retire, wantType: dossier.TypeStatusChanged},
		{name: "retire with a pending transfer", given: []step{initiateTransfer}, when: retire, wantErr: domain.ErrConflict, wantRule: "transfer_pending"},
		{name: "update an archived dossier", given: []step{retire}, when: updatePosition, wantErr: domain.ErrConflict, wantRule: "archived"},
		{name: "attach to an archived dossier", given: []step{retire}, when: attachScan, wantType: dossier.TypeDocumentAttached},
		{name: "submit a proposal", when: submitProposal, wantType: dossier.TypeProposalSubmitted},
		{name: "accept a proposal", given: []step{submitProposal}, when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.AcceptProposal(ctx, id, 0, propID, nil, metaOn(doha, d2))
		}, wantType: dossier.TypeProposalAccepted},
		{name: "reject a proposal", given: []step{submitProposal}, when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.RejectProposal(ctx, id, 0, propID, withReason(metaOn(doha, d2), "thiếu giấy tờ chứng minh"))
		}, wantType: dossier.TypeProposalRejected},
		{name: "accept an unknown proposal", when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.AcceptProposal(ctx, id, 0, propID, nil, metaOn(doha, d2))
		}, wantErr: domain.ErrNotFound},
		{name: "issue the civil-servant number", when: issueNumber, wantType: dossier.TypeCivilServantNumberIssued},
		{name: "issue it twice", given: []step{issueNumber}, when: issueNumber, wantErr: domain.ErrConflict, wantRule: "already_issued"},
		{name: "a stale If-Match", given: []step{addEvaluation}, when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.UpdateSection(ctx, id, 1, dossier.Patch{Other: &dossier.Other{Notes: "ghi chú"}}, metaOn(doha, d2))
		}, wantErr: domain.ErrConflict},
		{name: "a current If-Match", given: []step{addEvaluation}, when: func(ctx context.Context, w *world, id domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.UpdateSection(ctx, id, 2, dossier.Patch{Other: &dossier.Other{Notes: "ghi chú"}}, metaOn(doha, d2))
		}, wantType: dossier.TypeSectionUpdated},
		{name: "a dossier that does not exist", when: func(ctx context.Context, w *world, _ domain.DossierID) (eventstore.AppendResult, error) {
			return w.dossiers.ChangeStatus(ctx, domain.DossierID(fixedID("missing")), 0, dossier.StatusRetired, metaOn(doha, d2))
		}, wantErr: domain.ErrNotFound},
	}
	for _, tt := range tests {
		for _, cached := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cached=%v", tt.name, cached), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				w := newWorld(t, nil)
				if cached {
					w.dossiers.Cache = ledger.NewHistoryCache(4)
				}
				id := w.create(t, 1, doha)
				for i, g := range tt.given {
					if _, err := g(ctx, w, id); err != nil {
						t.Fatalf("given step %d: %v", i, err)
					}
				}
				before := w.version(t, id.StreamID())
				res, err := tt.when(ctx, w, id)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					var se *domain.StateError
					if tt.wantRule != "" && (!errors.As(err, &se) || se.Rule != tt.wantRule) {
						t.Fatalf("err = %v, want rule %q", err, tt.wantRule)
					}
					if after := w.version(t, id.StreamID()); after != before {
						t.Fatalf("a refused command wrote: version %d → %d", before, after)
					}
					return
				}
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				types := w.types(t, id.StreamID())
				if got := last(types); got != tt.wantType {
					t.Fatalf("last event = %s, want %s", got, tt.wantType)
				}
				if res.LastVersion != uint64(len(types)) {
					t.Errorf("AppendResult.LastVersion = %d, want %d", res.LastVersion, len(types))
				}
			})
		}
	}
}

func TestCreateKeepsOneDossierPerPersonalID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	w.create(t, 1, doha)

	// Given dossier 1 holds the number, when another dossier id is created
	// with it, then it is refused and nothing is written.
	other := newDossier(1, health)
	other.DossierID = domain.DossierID(fixedID("other"))
	_, err := w.dossiers.Create(ctx, other, metaOn(health, domain.MustDate(2024, 5, 1)))
	var se *domain.StateError
	if !errors.Is(err, domain.ErrConflict) || !errors.As(err, &se) || se.Rule != app.RulePersonalIDTaken {
		t.Fatalf("second Create with the same number: err = %v, want StateError %s", err, app.RulePersonalIDTaken)
	}
	if _, err := w.ledger.Store.ReadStream(ctx, other.DossierID.StreamID(), eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Fatalf("the refused dossier's stream exists: %v", err)
	}
	// A different number is fine.
	w.create(t, 2, doha)

	// The same dossier id again is a conflict, even with a new number, and
	// the new number is not claimed by it.
	again := newDossier(1, doha)
	again.PersonalIDNumber = personalID(3)
	if _, err := w.dossiers.Create(ctx, again, metaOn(doha, domain.MustDate(2024, 3, 1))); !errors.As(err, &se) || se.Rule != app.RuleDossierExists {
		t.Fatalf("re-creating dossier 1: err = %v, want %s", err, app.RuleDossierExists)
	}
	if r, _ := (app.Reservations{Ledger: w.ledger}).Get(ctx, reservation.PersonalIDStream(testKey, personalID(3))); r.Holder != "" {
		t.Fatalf("the refused creation claimed the number for %s", r.Holder)
	}
}

func TestCreateResumesAfterACrashBetweenClaimAndDossier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	c := newDossier(7, doha)
	m := metaOn(doha, domain.MustDate(2024, 3, 1))
	// Given a creation that died after claiming the number (the claim is
	// written exactly as Create writes it, then nothing else).
	pid := reservation.PersonalIDStream(testKey, c.PersonalIDNumber)
	if err := (app.Reservations{Ledger: w.ledger}).Claim(ctx, pid, c.DossierID.StreamID(), "dossier", app.RulePersonalIDTaken, m); err != nil {
		t.Fatal(err)
	}
	// When another dossier id tries the number within the grace period,
	// the claim may be a creation in flight: refused, naming no holder.
	thief := newDossier(7, health)
	thief.DossierID = domain.DossierID(fixedID("thief"))
	early := metaOn(health, domain.MustDate(2024, 3, 1))
	early.RecordedAt = m.RecordedAt.Add(app.OrphanGrace - time.Second)
	var taken *app.PersonalIDTakenError
	if _, err := w.dossiers.Create(ctx, thief, early); !errors.As(err, &taken) || !errors.Is(err, domain.ErrConflict) || !taken.Holder.IsZero() {
		t.Fatalf("Create over a claim in flight: err = %v, want PersonalIDTakenError without holder", err)
	}
	// When the original caller retries with its dossier id, it claims
	// again (a fresh claim for its deadline) and continues.
	if _, err := w.dossiers.Create(ctx, c, m); err != nil {
		t.Fatalf("retried Create: %v", err)
	}
	if got := w.types(t, pid); len(got) != 2 || got[1] != reservation.TypeClaimed {
		t.Fatalf("reservation stream = %v, want two claims", got)
	}
	if got := w.types(t, c.DossierID.StreamID()); len(got) != 1 || got[0] != dossier.TypeCreated {
		t.Fatalf("dossier stream = %v", got)
	}
}

// TestAnOrphanClaimDoesNotBlockThePerson: a claim whose dossier was never
// created (a crash between the two appends) is released, with a recorded
// event naming who and why, by the next creation with the number once it
// is older than the grace period; the crashed creation's retry then finds
// the number taken.
func TestAnOrphanClaimDoesNotBlockThePerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	c := newDossier(9, doha)
	m := metaOn(doha, domain.MustDate(2024, 3, 1))
	pid := reservation.PersonalIDStream(testKey, c.PersonalIDNumber)
	if err := (app.Reservations{Ledger: w.ledger}).Claim(ctx, pid, c.DossierID.StreamID(), "dossier", app.RulePersonalIDTaken, m); err != nil {
		t.Fatal(err)
	}
	next := newDossier(9, health)
	next.DossierID = domain.DossierID(fixedID("next-9"))
	later := metaOn(health, domain.MustDate(2024, 3, 2))
	if _, err := w.dossiers.Create(ctx, next, later); err != nil {
		t.Fatalf("Create over an orphan claim: %v", err)
	}
	evs, err := w.ledger.Store.ReadStream(ctx, pid, eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[1].Type != reservation.TypeReleased || evs[2].Type != reservation.TypeClaimed {
		t.Fatalf("reservation stream has %d events, want claim, release, claim", len(evs))
	}
	rel, err := ledger.Recorded(evs[1], reservation.Decode)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Meta.Reason != app.ReasonOrphanClaim || rel.Meta.Actor.Account != hr || rel.Event.(reservation.Released).Holder != c.DossierID.StreamID() {
		t.Errorf("release = %+v by %v (%q), want the orphan's holder, by the creating actor, with the orphan reason", rel.Event, rel.Meta.Actor, rel.Meta.Reason)
	}
	var taken *app.PersonalIDTakenError
	if _, err := w.dossiers.Create(ctx, c, m); !errors.As(err, &taken) || taken.Holder != next.DossierID || taken.ManagingOrg != health {
		t.Fatalf("the crashed creation's retry: err = %v (%+v), want taken by %s of %s", err, taken, next.DossierID, health)
	}
}

// refusingStore refuses every dossier append as invalid, as PostgreSQL
// refused a NUL in a payload.
type refusingStore struct{ eventstore.Store }

func (s refusingStore) Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if strings.HasPrefix(stream, "dossier-") {
		return eventstore.AppendResult{}, &eventstore.ValidationError{Field: "data", Rule: "refused", Msg: "refused"}
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

// TestARefusedCreationReleasesItsClaim: when the store refuses the dossier
// after the claim, the claim is released at once, so the corrected request
// is not told the person is taken.
func TestARefusedCreationReleasesItsClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := memstore.New(nil)
	w := newWorld(t, mem)
	refusing := w.dossiers
	refusing.Ledger = ledger.Ledger{Store: refusingStore{mem}}
	c := newDossier(10, doha)
	m := metaOn(doha, domain.MustDate(2024, 3, 1))
	if _, err := refusing.Create(ctx, c, m); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("Create on a refusing store: err = %v, want ErrInvalid", err)
	}
	pid := reservation.PersonalIDStream(testKey, c.PersonalIDNumber)
	if r, err := (app.Reservations{Ledger: w.ledger}).Get(ctx, pid); err != nil || r.Holder != "" {
		t.Fatalf("after the refusal the number is held by %q (%v), want free", r.Holder, err)
	}
	if _, err := w.dossiers.Create(ctx, c, m); err != nil {
		t.Fatalf("the corrected request: %v", err)
	}
}

func TestReleaseOrphanReservation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	c := newDossier(8, doha)
	m := withReason(metaOn(doha, domain.MustDate(2024, 3, 1)), "hồ sơ tạo dở, không được tạo lại")
	pid := reservation.PersonalIDStream(testKey, c.PersonalIDNumber)
	res := app.Reservations{Ledger: w.ledger}
	if err := res.Claim(ctx, pid, c.DossierID.StreamID(), "dossier", app.RulePersonalIDTaken, m); err != nil {
		t.Fatal(err)
	}
	claimedAt := m.RecordedAt
	// Within the grace period the claim may be a creation in flight.
	if _, err := w.dossiers.ReleaseOrphanReservation(ctx, c.PersonalIDNumber, time.Hour, claimedAt.Add(time.Minute), m); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("release within grace: err = %v, want ErrConflict", err)
	}
	released, err := w.dossiers.ReleaseOrphanReservation(ctx, c.PersonalIDNumber, time.Hour, claimedAt.Add(2*time.Hour), m)
	if err != nil || !released {
		t.Fatalf("release after grace = %v, %v; want true, nil", released, err)
	}
	// Now another dossier may take the number…
	other := newDossier(8, health)
	other.DossierID = domain.DossierID(fixedID("other-8"))
	if _, err := w.dossiers.Create(ctx, other, metaOn(health, domain.MustDate(2024, 3, 5))); err != nil {
		t.Fatalf("Create after release: %v", err)
	}
	// …and, its dossier existing, the number is not an orphan any more.
	if _, err := w.dossiers.ReleaseOrphanReservation(ctx, c.PersonalIDNumber, 0, claimedAt.Add(48*time.Hour), m); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("release of a live reservation: err = %v, want ErrConflict", err)
	}
}

func TestRacingCreationsWithOneNumber(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			c := newDossier(99, doha)
			c.DossierID = domain.DossierID(fixedID(fmt.Sprint("racer-", i)))
			_, errs[i] = w.dossiers.Create(ctx, c, metaOn(doha, domain.MustDate(2024, 3, 1)))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("a loser's err = %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creations won, want exactly 1", won)
	}
}

func TestPersonalIDDigestIsKeyed(t *testing.T) {
	t.Parallel()
	number := personalID(1)
	a := reservation.PersonalIDStream(testKey, number)
	b := reservation.PersonalIDStream([]byte("another-deployment-secret-32byte"), number)
	if a == b {
		t.Fatal("two keys give the same stream")
	}
	if strings.Contains(a, number) || a == "pid-"+dossier.PersonalIDDigest(number) {
		t.Fatalf("stream %s reveals or equals the unkeyed digest", a)
	}
	if err := eventstore.ValidateStreamID(a); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, nil)
	w.dossiers.PersonalIDKey = []byte("short")
	if _, err := w.dossiers.Create(context.Background(), newDossier(1, doha), metaOn(doha, domain.MustDate(2024, 3, 1))); !errors.Is(err, app.ErrNoPersonalIDKey) {
		t.Fatalf("Create with a short key: err = %v, want ErrNoPersonalIDKey", err)
	}
}

func TestCreateChecksTheOrgs(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	c := newDossier(1, commune) // the commune exists only from 2025-07-01
	_, err := w.dossiers.Create(context.Background(), c, metaOn(commune, domain.MustDate(2024, 3, 1)))
	var re *app.ReferenceError
	if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &re) || re.Field != "managing_org" {
		t.Fatalf("Create under an org not yet founded: err = %v, want ReferenceError on managing_org", err)
	}
	if got := w.types(t, province.StreamID()); len(got) != 1 {
		t.Fatalf("unexpected writes: %v", got)
	}
}

func TestCorrectingThePersonalIDMovesTheReservation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	id := w.create(t, 1, doha)
	w.create(t, 2, doha)
	evs, _ := w.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{Limit: 1})
	m := withReason(metaOn(doha, d2), "nhập sai số định danh")
	correct := func(number string) error {
		_, err := w.dossiers.Correct(ctx, id, 0, dossier.Correction{Corrects: evs[0].ID, Patch: dossier.Patch{Header: &dossier.HeaderPatch{PersonalIDNumber: number}}}, m)
		return err
	}
	// Dossier 2's number is taken: refused, and dossier 1 keeps its own.
	if err := correct(personalID(2)); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("correcting to a taken number: err = %v, want ErrConflict", err)
	}
	if err := correct(personalID(3)); err != nil {
		t.Fatalf("correcting to a free number: %v", err)
	}
	res := app.Reservations{Ledger: w.ledger}
	for number, want := range map[string]string{personalID(1): "", personalID(3): id.StreamID()} {
		r, err := res.Get(ctx, reservation.PersonalIDStream(testKey, number))
		if err != nil || r.Holder != want {
			t.Errorf("holder of %s = %q, %v; want %q", number, r.Holder, err, want)
		}
	}
	// The released number can open a new dossier.
	c := newDossier(1, health)
	c.DossierID = domain.DossierID(fixedID("new-1"))
	if _, err := w.dossiers.Create(ctx, c, metaOn(health, d2)); err != nil {
		t.Fatalf("Create with the released number: %v", err)
	}
}

// barrierStore makes every reader of one stream wait until two have read,
// so two commands are certain to decide on the same version.
type barrierStore struct {
	eventstore.Store
	stream string
	wg     *sync.WaitGroup
}

func (s barrierStore) ReadStream(ctx context.Context, stream string, o eventstore.ReadOptions) ([]eventstore.Event, error) {
	evs, err := s.Store.ReadStream(ctx, stream, o)
	if stream == s.stream {
		s.wg.Done()
		s.wg.Wait()
	}
	return evs, err
}

func TestTwoEditsFromOneVersionConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := memstore.New(nil)
	w := newWorld(t, mem)
	id := w.create(t, 1, doha)
	var barrier sync.WaitGroup
	barrier.Add(2)
	racing := app.Dossiers{Ledger: ledger.Ledger{Store: barrierStore{Store: mem, stream: id.StreamID(), wg: &barrier}}, Catalogue: cat, PersonalIDKey: testKey}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = racing.UpdateSection(ctx, id, 1, dossier.Patch{Other: &dossier.Other{Notes: fmt.Sprint("sửa lần ", i)}}, metaOn(doha, d2))
		})
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		var ce *ledger.ConcurrencyError
		switch {
		case err == nil:
			ok++
		case errors.Is(err, domain.ErrConflict) && errors.As(err, &ce):
			conflicts++
		default:
			t.Errorf("err = %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d succeeded and %d conflicted, want 1 and 1", ok, conflicts)
	}
	if v := w.version(t, id.StreamID()); v != 2 {
		t.Fatalf("version = %d, want 2", v)
	}
}
