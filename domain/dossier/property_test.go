package dossier

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// snapshot is everything a reader can see of a dossier, as JSON.
func snapshot(t *testing.T, d *Dossier) string {
	t.Helper()
	org, managed := d.ManagingOrg()
	pending, isPending := d.PendingTransfer()
	b, err := json.Marshal(struct {
		ID        domain.DossierID
		Version   uint64
		Doc       Document
		Org       domain.OrgID
		Managed   bool
		Pending   Transfer
		IsPending bool
		Proposals []Proposal
		Digest    string
	}{d.ID(), d.Version(), d.Document(), org, managed, pending, isPending, d.Proposals(), d.PersonalIDDigest()})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// world drives random commands against one dossier.
type world struct {
	t      *testing.T
	rng    *rand.Rand
	h      []domain.Recorded
	now    time.Time
	rows   []uuid.UUID
	props  []uuid.UUID
	causes []uuid.UUID
}

func (w *world) uuid() uuid.UUID {
	var u uuid.UUID
	for i := range u {
		u[i] = byte(w.rng.IntN(256))
	}
	return u
}

func (w *world) pick(n int) int { return w.rng.IntN(n) }

var (
	names = []string{"Nguyễn Văn An", "Nguye\u0302\u0303n Thi\u0323 Bi\u0300nh", "Lê Đức Thọ", "  Trần  Hưng Đạo ", "Hoàng Thị Ngọc Hà"}
	orgs  = []domain.OrgID{orgA, orgB, orgC, unitA1, unitA2, unitB1}
	codes = []string{"01.003", "01.002", "V.08.01.03", "bogus"}
)

func (w *world) meta() domain.Meta {
	w.now = w.now.Add(time.Duration(1+w.pick(72)) * time.Hour)
	m := domain.Meta{
		Actor:         domain.Actor{Account: hr, ActingOrg: orgs[w.pick(len(orgs))]},
		RecordedAt:    w.now,
		EffectiveDate: domain.DateOf(w.now).AddDays(-w.pick(400)), // often backdated
	}
	if w.pick(5) > 0 {
		m.Source = src
	}
	if w.pick(3) > 0 {
		m.Reason = "lý do"
	}
	return m
}

func (w *world) row() Row {
	var rid uuid.UUID
	if len(w.rows) > 0 && w.pick(2) == 0 {
		rid = w.rows[w.pick(len(w.rows))]
	} else {
		rid = w.uuid()
		w.rows = append(w.rows, rid)
	}
	if w.pick(2) == 0 {
		return Row{Table: TableFamily, Family: &FamilyRow{ID: rid, Side: FamilyOwn, Relation: "Con", Name: names[w.pick(len(names))], BirthYear: 2000 + w.pick(30)}}
	}
	return Row{Table: TableSalaryHistory, SalaryHistory: &SalaryHistoryRow{ID: rid, From: MustYearMonth(2010+w.pick(10), time.Month(1+w.pick(12))),
		Code: codes[w.pick(len(codes))], Step: w.pick(4), Coefficient: Coefficient(w.pick(1000))}}
}

func (w *world) patch() Patch {
	switch w.pick(4) {
	case 0:
		x := identity()
		x.BirthName = names[w.pick(len(names))]
		return Patch{Identity: &x}
	case 1:
		return Patch{Salary: &Salary{Rank: codes[w.pick(len(codes))], Step: w.pick(25), Coefficient: Coefficient(w.pick(1000))}}
	case 2:
		return Patch{Health: &Health{HeightCM: 150 + w.pick(50), BloodGroup: []string{"A", "O", "Z"}[w.pick(3)]}}
	default:
		return Patch{Rows: []Row{w.row()}}
	}
}

func (w *world) id(list []uuid.UUID) uuid.UUID {
	if len(list) == 0 || w.pick(4) == 0 {
		return w.uuid()
	}
	return list[w.pick(len(list))]
}

// step runs one random command and appends what it raised.
func (w *world) step(d *Dossier) {
	m := w.meta()
	var evs []domain.Event
	var err error
	pendingID := transferID
	if p, ok := d.PendingTransfer(); ok {
		pendingID = p.ID
	}
	switch w.pick(14) {
	case 0:
		evs, err = d.UpdateSection(w.patch(), m, cat)
	case 1:
		evs, err = d.AddRow(w.row(), m, cat)
	case 2:
		evs, err = d.AmendRow(w.row(), m, cat)
	case 3:
		evs, err = d.AttachDocument(Attachment{Document: domain.SourceDocument{Kind: "k", Number: "1", Date: src.Date, Issuer: "i",
			SHA256: []string{sha1hex, sha2hex}[w.pick(2)]}}, m)
	case 4:
		target := w.h[w.pick(len(w.h))].ID
		evs, err = d.Correct(Correction{Corrects: target, Patch: w.patch(), Reactivate: w.pick(3) == 0}, m, cat)
	case 5:
		kinds := []TransferKind{TransferInternal, TransferBetweenOrgs, TransferOutOfProvince}
		o := TransferOrder{TransferID: w.uuid(), Kind: kinds[w.pick(3)]}
		if o.Kind != TransferOutOfProvince {
			o.TargetOrg = orgs[w.pick(len(orgs))]
			// Half the internal targets are inside the managing org's subtree.
			if managing, _ := d.ManagingOrg(); w.pick(2) == 0 {
				o.TargetAncestry = []domain.OrgID{o.TargetOrg, managing}
			}
		}
		evs, err = d.InitiateTransfer(o, m)
	case 6:
		evs, err = d.ReceiveTransfer(pendingID, m)
	case 7:
		evs, err = d.RejectTransfer(pendingID, m)
	case 8:
		evs, err = d.CancelTransfer(pendingID, m)
	case 9:
		if w.pick(4) == 0 { // rare: archiving ends most of the walk
			evs, err = d.ChangeStatus(statuses[w.pick(len(statuses))], m)
		}
	case 10:
		pid := w.uuid()
		w.props = append(w.props, pid)
		dr := ProposalDraft{ProposalID: pid, Kind: ProposalChange, Patch: w.patch()}
		if w.pick(2) == 0 {
			dr = ProposalDraft{ProposalID: pid, Kind: ProposalAnnualSupplement, Year: 2020 + w.pick(6)}
		}
		evs, err = d.SubmitProposal(dr, m, cat)
	case 11:
		var edited *Patch
		if w.pick(2) == 0 {
			p := w.patch()
			edited = &p
		}
		evs, err = d.AcceptProposal(w.id(w.props), edited, m, cat)
	case 12:
		if w.pick(2) == 0 {
			evs, err = d.RejectProposal(w.id(w.props), m)
		} else {
			evs, err = d.IssueCivilServantNumber([]string{"1", "A-2", "x y"}[w.pick(3)], m)
		}
	case 13:
		cause := w.uuid()
		if len(w.causes) > 0 && w.pick(2) == 0 {
			cause = w.causes[w.pick(len(w.causes))]
		}
		w.causes = append(w.causes, cause)
		evs, err = d.ReassignManagingOrg(Reassignment{FromOrg: orgs[w.pick(3)], ToOrg: orgs[w.pick(3)],
			Cause: Cause{Kind: "merge", OrgID: orgA, EventID: cause}}, m)
	}
	if err != nil {
		if !errors.Is(err, domain.ErrInvalid) && !errors.Is(err, domain.ErrConflict) && !errors.Is(err, domain.ErrNotFound) {
			w.t.Fatalf("error of no kind: %v", err)
		}
		if evs != nil {
			w.t.Fatalf("events %v returned with error %v", evs, err)
		}
		return
	}
	for _, e := range evs {
		w.h = append(w.h, domain.Recorded{ID: w.uuid(), Version: uint64(len(w.h) + 1), Event: e, Meta: m})
	}
}

// TestReplayIsDeterministic drives random command sequences (fixed seeds)
// and checks after every step that replaying the same events yields the same
// state, through the codec too, that commands never mutate the dossier, and
// that the state invariants hold.
func TestReplayIsDeterministic(t *testing.T) {
	t.Parallel()
	for seed := range uint64(24) {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			w := &world{t: t, rng: rand.New(rand.NewPCG(seed, 0x686f736f)), now: t0}
			m := w.meta()
			m.Source = src
			evs, err := Create(CreateDossier{DossierID: dossierID, Class: classes[w.pick(len(classes))], ManagingOrg: orgA, EmployingUnit: unitA1,
				PersonalIDNumber: personalID, Identity: identity()}, m, cat)
			if err != nil {
				t.Fatal(err)
			}
			m.EffectiveDate = domain.DateOf(m.RecordedAt).AddDays(-1000) // created before anything it holds
			w.h = []domain.Recorded{{ID: w.uuid(), Version: 1, Event: evs[0], Meta: m}}
			for range 150 {
				d := mustReplay(t, w.h)
				before := snapshot(t, d)
				w.step(d)
				if snapshot(t, d) != before {
					t.Fatalf("a command mutated the dossier")
				}
				checkReplays(t, w.h)
			}
			checkNext(t, w.h)
			checkFold(t, w.h)
		})
	}
}

// checkNext folds h one event at a time with Next (Replay where Next
// declines) and wants Replay's document after every event, and Next never
// to change the document it is given.
func checkNext(t *testing.T, h []domain.Recorded) {
	t.Helper()
	var doc Document
	for k, r := range h {
		want := mustReplay(t, h[:k+1]).Document()
		before, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		next, ok := Next(doc, r)
		_, corr := r.Event.(Corrected)
		switch {
		case k == 0 || corr:
			if ok {
				t.Fatalf("Next accepted %s, which needs the history", r.Event.EventType())
			}
			next = want
		case !ok:
			t.Fatalf("Next declined %s at version %d", r.Event.EventType(), r.Version)
		}
		if after, _ := json.Marshal(doc); string(after) != string(before) {
			t.Fatalf("Next(%s) changed the document it was given", r.Event.EventType())
		}
		if k > 0 && !corr {
			checkTouches(t, doc, next, r)
		}
		if !reflect.DeepEqual(next, want) {
			g, _ := json.Marshal(next)
			x, _ := json.Marshal(want)
			t.Fatalf("after %s at version %d, Next gives\n%s\nReplay\n%s", r.Event.EventType(), r.Version, g, x)
		}
		doc = next
	}
}

func checkReplays(t *testing.T, h []domain.Recorded) {
	t.Helper()
	a, b := mustReplay(t, h), mustReplay(t, h)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two replays of the same history differ")
	}
	want := snapshot(t, a)
	// Through the stored form.
	stored := make([]domain.Recorded, len(h))
	for i, r := range h {
		data, err := json.Marshal(r.Event)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Decode(r.Event.EventType(), data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", r.Event.EventType(), err)
		}
		stored[i] = r
		stored[i].Event = ev
	}
	if got := snapshot(t, mustReplay(t, stored)); got != want {
		t.Fatalf("replay after encode/decode differs:\n%s\nwant\n%s", got, want)
	}
	// The time-travel folds agree with Replay at the end of both axes.
	last := h[len(h)-1].Meta.RecordedAt
	latest := domain.MustDate(2200, 12, 31)
	for name, replay := range map[string]func() (*Dossier, error){
		"known":     func() (*Dossier, error) { return ReplayKnownAt(h, last) },
		"effective": func() (*Dossier, error) { return ReplayEffectiveOn(h, latest) },
		"both":      func() (*Dossier, error) { return ReplayAt(h, last, latest) },
	} {
		d, err := replay()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := snapshot(t, d); got != want {
			t.Fatalf("%s replay differs from Replay", name)
		}
	}
	// Every prefix on the effective axis folds without error.
	for _, r := range h {
		if _, err := ReplayEffectiveOn(h, r.Meta.EffectiveDate); err != nil && !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("ReplayEffectiveOn(%v): %v", r.Meta.EffectiveDate, err)
		}
	}
	// State invariants.
	_, managed := a.ManagingOrg()
	if managed == a.ManagementRevoked() {
		t.Fatalf("managed %v but revoked %v", managed, a.ManagementRevoked())
	}
	if a.Archived() != a.Status().Archived() {
		t.Fatalf("archived %v but status %v", a.Archived(), a.Status())
	}
	if _, pending := a.PendingTransfer(); pending && a.Archived() {
		t.Fatalf("archived with a pending transfer")
	}
	if a.Document().Header.Status == StatusTransferredOut && managed {
		t.Fatalf("transferred out but still managed")
	}
}

// checkTouches wants every section Touches does not name for r equal
// before and after it.
func checkTouches(t *testing.T, before, after Document, r domain.Recorded) {
	t.Helper()
	names, all := Touches(r.Event)
	if all {
		t.Fatalf("Touches(%s) = all, for an event Next folds", r.Event.EventType())
	}
	var b, a map[string]json.RawMessage
	bb, _ := json.Marshal(before)
	ab, _ := json.Marshal(after)
	if json.Unmarshal(bb, &b) != nil || json.Unmarshal(ab, &a) != nil {
		t.Fatal("documents do not encode as objects")
	}
	for section := range b {
		if !slices.Contains(names, section) && string(b[section]) != string(a[section]) {
			t.Fatalf("%s at version %d changed %s, which Touches does not name (%v)", r.Event.EventType(), r.Version, section, names)
		}
	}
}
