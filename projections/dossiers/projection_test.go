package dossiers_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	hosoledger "github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// career drives two realistic dossiers through the commands: An's is
// updated, corrected (an old decision, then the latest), transferred to
// another org, numbered and retired; Bình's is transferred out of the
// province. It returns An, Bình and the id of Bình's hand-over event.
func career(l *ledger) (an, binh *person, handover uuid.UUID) {
	an = &person{name: "Nguyễn Văn An", gender: dossier.GenderMale, dob: domain.MustDate(1985, 4, 2), org: orgA, unit: unitA1, serial: 1}
	binh = &person{name: "Trần Thị Bình", gender: dossier.GenderFemale, dob: domain.MustDate(1990, 8, 30), org: orgA, unit: unitA2, serial: 2}
	l.create(an)
	l.create(binh)
	l.do(an, l.meta(orgA, domain.Date{}), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Qualifications: &dossier.Qualifications{
			HighestQualification: "dai_hoc", PoliticalTheory: "trung_cap", StateManagement: "chuyen_vien", ITLevel: "co_ban",
			Languages: []dossier.LanguageLevel{{Language: "en", Level: "B1"}},
		}}, l.meta(orgA, domain.Date{}), projectiontest.AnyCode{})
	})
	l.do(an, l.meta(orgA, domain.Date{}), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 267, JobPosition: "chuyen_vien_tong_hop"}}, l.meta(orgA, domain.Date{}), projectiontest.AnyCode{})
	})
	oldSalary := an.history[len(an.history)-1]
	l.do(an, l.meta(orgA, domain.Date{}), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.AddRow(dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: uid("an-mother"), Side: dossier.FamilyOwn, Relation: "Mẹ", Name: "Lê Thị Hoa", BirthYear: 1960}},
			l.meta(orgA, domain.Date{}), projectiontest.AnyCode{})
	})
	l.do(an, l.meta(orgA, domain.Date{}), func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, JobPosition: "chuyen_vien_tong_hop"}}, l.meta(orgA, domain.Date{}), projectiontest.AnyCode{})
	})
	newSalary := an.history[len(an.history)-1]
	// A correction of the older salary decision folds right after it: the
	// newer decision still wins. The projection must replay to see that.
	m := l.meta(orgA, domain.Date{})
	l.do(an, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: oldSalary, Patch: dossier.Patch{Salary: &dossier.Salary{Rank: "01.003", Step: 2, Coefficient: 270, JobPosition: "chuyen_vien_tong_hop"}}}, m, projectiontest.AnyCode{})
	})
	m = l.meta(orgA, domain.Date{})
	l.do(an, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: newSalary, Patch: dossier.Patch{Salary: &dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 333, JobPosition: "chuyen_vien_tong_hop"}}}, m, projectiontest.AnyCode{})
	})
	transfer := uid("an-transfer")
	m = l.meta(orgA, domain.Date{})
	l.do(an, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: transfer, Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB, TargetUnit: unitB1}, m)
	})
	m = l.meta(orgB, domain.Date{})
	l.do(an, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(transfer, m) })
	m = l.meta(orgB, domain.Date{})
	l.do(an, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.IssueCivilServantNumber("CC.2020.0001", m) })
	m = l.meta(orgB, domain.Date{})
	l.do(an, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ChangeStatus(dossier.StatusRetired, m) })

	out := uid("binh-out")
	m = l.meta(orgA, domain.Date{})
	l.do(binh, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: out, Kind: dossier.TransferOutOfProvince}, m)
	})
	m = l.meta(orgA, domain.Date{})
	l.do(binh, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(out, m) })
	return an, binh, binh.history[len(binh.history)-1]
}

func TestCareer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	l := newLedger(t, store)
	an, binh, handover := career(l)
	rebuild(t, pool, l, 3)

	got, err := dossiers.Get(ctx, pool, an.id)
	if err != nil {
		t.Fatal(err)
	}
	if a, b, ok := sameDocument(got.Document, l.replayed(an)); !ok {
		t.Fatalf("An's document differs from a full replay:\n got %s\nwant %s", a, b)
	}
	if c := got.Document.Salary.Coefficient; c != 333 {
		t.Errorf("An's coefficient = %v, want 3.33 (the newer decision as corrected)", c)
	}
	wantPID := dossier.PersonalIDDigest(projectiontest.PersonalID(an.gender, an.dob, an.serial))
	s := got.Summary
	if s.Status != dossier.StatusRetired || !s.Archived || s.ManagingOrg == nil || *s.ManagingOrg != orgB ||
		s.EmployingUnit != unitB1 || s.Rank != "01.003" || s.Qualification != "dai_hoc" || s.PoliticalTheory != "trung_cap" ||
		s.StateManagement != "chuyen_vien" || s.ITLevel != "co_ban" || !slices.Equal(s.LanguageLevels, []string{"B1"}) ||
		!slices.Equal(s.Languages, []string{"en"}) || s.CivilServantNumber != "CC.2020.0001" || s.PersonalIDDigest != wantPID ||
		s.Version != uint64(len(an.history)) || s.Sex != dossier.GenderMale || s.BirthDate != an.dob || s.JobPosition != "chuyen_vien_tong_hop" {
		t.Errorf("An's summary = %+v", s)
	}
	if got.Document.Header.PersonalIDNumber != "" {
		t.Error("the read model holds the personal ID number")
	}
	var plain int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM dossiers WHERE document::text LIKE '%' || $1 || '%'`, projectiontest.PersonalID(an.gender, an.dob, an.serial)).Scan(&plain); err != nil || plain != 0 {
		t.Errorf("rows spelling the personal ID number: %d (%v)", plain, err)
	}

	b, err := dossiers.Get(ctx, pool, binh.id)
	if err != nil {
		t.Fatal(err)
	}
	if b.ManagingOrg != nil || !b.ManagementRevoked || b.Status != dossier.StatusTransferredOut || !b.Archived {
		t.Errorf("Bình after the transfer out: %+v", b.Summary)
	}
	// Reactivation by correction gives management back to orgA.
	m := l.meta(orgA, domain.Date{})
	m.Reason = "chuyển đi bị hủy"
	l.do(binh, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: handover, Reactivate: true}, m, projectiontest.AnyCode{})
	})
	rebuild(t, pool, l, 1000)
	b, err = dossiers.Get(ctx, pool, binh.id)
	if err != nil {
		t.Fatal(err)
	}
	if b.ManagingOrg == nil || *b.ManagingOrg != orgA || b.ManagementRevoked || b.Archived || b.Status != dossier.StatusActive {
		t.Errorf("Bình after reactivation: %+v", b.Summary)
	}
	if x, y, ok := sameDocument(b.Document, l.replayed(binh)); !ok {
		t.Errorf("Bình's document differs from a full replay:\n got %s\nwant %s", x, y)
	}

	type entry struct {
		Dossier     uuid.UUID
		Status      string
		Reactivated bool
	}
	rows, _ := pool.Query(ctx, `SELECT dossier_id, status, reactivated_by IS NOT NULL FROM dossiers_archive ORDER BY status`)
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[entry])
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{{uuid.UUID(an.id), "retired", false}, {uuid.UUID(binh.id), "transferred_out", true}}
	if !slices.Equal(entries, want) {
		t.Errorf("archive register = %+v, want %+v", entries, want)
	}

	if _, err := dossiers.Get(ctx, pool, domain.DossierID(uid("nobody"))); !errors.Is(err, domain.ErrNotFound) || !errors.Is(err, dossiers.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

// TestIdempotent feeds the log once, every event twice (singly and inside
// batches), and the whole log a second time: every generation must hold
// identical rows, whatever the batch boundaries.
func TestIdempotent(t *testing.T) {
	t.Parallel()
	pool, store := newDB(t)
	l := newLedger(t, store)
	career(l)
	randomLedger(t, l, rand.New(rand.NewPCG(7, 11)), 6, 25)
	events := l.Events()
	p := dossiers.New(store)

	once := projectiontest.Setup(t, pool, p, 1)
	projectiontest.ApplyInBatches(t, pool, p, once, events, 1000)
	want := dump(t, pool, once)

	twiceSingly := projectiontest.Setup(t, pool, p, 2)
	for _, ev := range events {
		for range 2 {
			projectiontest.InTx(t, pool, func(tx pgx.Tx) error { return p.Apply(context.Background(), tx, twiceSingly, ev) })
		}
	}
	doubled := make([]eventstore.Event, 0, 2*len(events))
	for _, ev := range events {
		doubled = append(doubled, ev, ev)
	}
	twiceInBatches := projectiontest.Setup(t, pool, p, 3)
	projectiontest.ApplyInBatches(t, pool, p, twiceInBatches, doubled, 5)
	logTwice := projectiontest.Setup(t, pool, p, 4)
	projectiontest.ApplyInBatches(t, pool, p, logTwice, events, 1)
	projectiontest.ApplyInBatches(t, pool, p, logTwice, events, 1000)

	for name, tables := range map[string]int{"every event twice": 2, "doubled batches": 3, "log twice": 4} {
		if got := dump(t, pool, projections.NewTables(tables)); got != want {
			t.Errorf("%s: rows differ from a single feed:\n got %s\nwant %s", name, got, want)
		}
	}
}

// TestMatchesReplay drives random histories (updates, rows, corrections of
// any earlier event, transfers, archiving and reactivation, proposals)
// through the projection in random batch sizes and checks every stored
// document against a full replay of the history up to the stored version.
func TestMatchesReplay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	l := newLedger(t, store)
	rng := rand.New(rand.NewPCG(1, 2))
	people := randomLedger(t, l, rng, 12, 40)
	events := l.Events()
	p := dossiers.New(store)
	tables := projectiontest.Setup(t, pool, p, 1)

	histories := map[domain.DossierID][]domain.Recorded{}
	for _, who := range people {
		h, err := hosoledger.Ledger{Store: store}.Load(ctx, who.id.StreamID(), dossier.Decode)
		if err != nil {
			t.Fatal(err)
		}
		histories[who.id] = h.Events
	}
	corrections := 0
	for _, ev := range events {
		if ev.Type == dossier.TypeCorrected {
			corrections++
		}
	}
	if corrections < 10 {
		t.Fatalf("only %d corrections generated; the test would prove little", corrections)
	}
	var offTail int
	for _, who := range people {
		offTail += correctionsOffTail(histories[who.id])
	}
	for len(events) > 0 {
		k := min(1+rng.IntN(30), len(events))
		chunk := events[:k]
		events = events[k:]
		projectiontest.InTx(t, pool, func(tx pgx.Tx) error { return p.ApplyBatch(ctx, tx, tables, chunk) })
		seen := map[domain.DossierID]bool{}
		for _, ev := range chunk {
			id, _ := domain.ParseDossierID(ev.StreamID[len("dossier-"):])
			if seen[id] {
				continue
			}
			seen[id] = true
			doc, v := storedDocument(t, pool, tables, id)
			d, err := dossier.Replay(histories[id][:v])
			if err != nil {
				t.Fatal(err)
			}
			want := d.Document()
			want.Header.PersonalIDNumber = ""
			if a, b, ok := sameDocument(doc, want); !ok {
				t.Fatalf("dossier %s at version %d:\n got %s\nwant %s", id, v, a, b)
			}
		}
	}
	// Only corrections off the tail need the history: the snapshot must
	// restore every other state (a spurious mismatch would make every batch
	// slow, however exact).
	if got := p.SlowPaths(); got > int64(offTail) || offTail == 0 {
		t.Errorf("%d slow folds for %d corrections off the tail", got, offTail)
	}
}

// correctionsOffTail counts the corrections of h that fold before its end:
// those whose target is not on the fold tail when they are recorded.
func correctionsOffTail(h []domain.Recorded) int {
	n := 0
	var tail []uuid.UUID
	for _, r := range h {
		c, ok := r.Event.(dossier.Corrected)
		if !ok {
			tail = []uuid.UUID{r.ID}
			continue
		}
		i := slices.Index(tail, c.Corrects)
		if i < 0 {
			n++
			tail = tailOf(h, r.Version)
			continue
		}
		tail = append(tail[:i+1], r.ID)
	}
	return n
}

// tailOf is the fold tail of h up to version v.
func tailOf(h []domain.Recorded, v uint64) []uuid.UUID {
	last := map[uuid.UUID]uuid.UUID{}
	var top uuid.UUID
	for _, r := range h[:v] {
		if c, ok := r.Event.(dossier.Corrected); ok {
			last[c.Corrects] = r.ID
			continue
		}
		top = r.ID
	}
	tail := []uuid.UUID{top}
	for {
		next, ok := last[tail[len(tail)-1]]
		if !ok {
			return tail
		}
		tail = append(tail, next)
	}
}

// randomLedger creates n dossiers and runs about steps random commands on
// each, interleaved, skipping commands their state refuses.
func randomLedger(t testing.TB, l *ledger, rng *rand.Rand, n, steps int) []*person {
	t.Helper()
	families := []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng", "Vũ", "Đỗ"}
	middles := []string{"Văn", "Thị", "Đức", "Minh", "Thu", "Quang"}
	givens := []string{"An", "Bình", "Đào", "Hoa", "Hùng", "Lan", "Đông", "Yến"}
	orgs := []domain.OrgID{orgA, orgB, orgC}
	people := make([]*person, n)
	for i := range people {
		g := dossier.GenderMale
		if i%2 == 1 {
			g = dossier.GenderFemale
		}
		org := orgs[i%len(orgs)]
		people[i] = &person{
			name:   families[rng.IntN(len(families))] + " " + middles[rng.IntN(len(middles))] + " " + givens[rng.IntN(len(givens))],
			gender: g, dob: domain.MustDate(1960+rng.IntN(40), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)),
			org: org, unit: org, serial: 1000 + i,
		}
		l.create(people[i])
	}
	for range n * steps {
		who := people[rng.IntN(n)]
		randomStep(l, rng, who, orgs)
	}
	return people
}

func randomStep(l *ledger, rng *rand.Rand, who *person, orgs []domain.OrgID) {
	h := l.history(who)
	d, err := dossier.Replay(h)
	if err != nil {
		l.t.Fatal(err)
	}
	managing, ok := d.ManagingOrg()
	if !ok {
		managing = who.org
	}
	m := l.meta(managing, domain.Date{})
	n := rng.IntN(100)
	if l.rareCorrections && n >= 52 && n < 72 && rng.IntN(10) != 0 {
		n = rng.IntN(52)
	}
	salary := func() *dossier.Salary {
		return &dossier.Salary{Rank: "01.003", Step: 1 + rng.IntN(9), Coefficient: dossier.Coefficient(234 + rng.IntN(400)), JobPosition: fmt.Sprint("vt", rng.IntN(3))}
	}
	row := func() dossier.Row {
		switch rng.IntN(3) {
		case 0:
			return dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: uuid.New(), Side: dossier.FamilyOwn, Relation: "Con", Name: fmt.Sprint("Con ", rng.IntN(9)), BirthYear: 2000 + rng.IntN(20)}}
		case 1:
			return dossier.Row{Table: dossier.TableRewards, Reward: &dossier.RewardRow{ID: uuid.New(), Year: 2010 + rng.IntN(10), Form: "Giấy khen"}}
		}
		return dossier.Row{Table: dossier.TableEvaluations, Evaluation: &dossier.EvaluationRow{ID: uuid.New(), Year: 2010 + rng.IntN(10), Rating: dossier.RatingGood}}
	}
	var decide func(d *dossier.Dossier) ([]domain.Event, error)
	switch {
	case n < 20:
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.UpdateSection(dossier.Patch{Salary: salary()}, m, projectiontest.AnyCode{})
		}
	case n < 30:
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.UpdateSection(dossier.Patch{Qualifications: &dossier.Qualifications{HighestQualification: []string{"dai_hoc", "thac_si"}[rng.IntN(2)],
				Languages: []dossier.LanguageLevel{{Language: "en", Level: []string{"A2", "B1", "B2"}[rng.IntN(3)]}}}}, m, projectiontest.AnyCode{})
		}
	case n < 45:
		decide = func(d *dossier.Dossier) ([]domain.Event, error) { return d.AddRow(row(), m, projectiontest.AnyCode{}) }
	case n < 52:
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			doc := d.Document()
			if len(doc.Family) == 0 {
				return nil, domain.ErrConflict
			}
			r := doc.Family[rng.IntN(len(doc.Family))]
			r.Name += " (sửa)"
			return d.AmendRow(dossier.Row{Table: dossier.TableFamily, Family: &r}, m, projectiontest.AnyCode{})
		}
	case n < 72:
		// A correction of any earlier event, often not the latest: salary,
		// a new row (whose place in the table depends on where it folds),
		// or the name.
		target := h[rng.IntN(len(h))].ID
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			p := dossier.Patch{}
			switch rng.IntN(3) {
			case 0:
				p.Salary = salary()
			case 1:
				p.Rows = []dossier.Row{row()}
			default:
				id := d.Document().Identity
				id.OtherNames = fmt.Sprint("Bí danh ", rng.IntN(100))
				p.Identity = &id
			}
			return d.Correct(dossier.Correction{Corrects: target, Patch: p}, m, projectiontest.AnyCode{})
		}
	case n < 78:
		target := orgs[rng.IntN(len(orgs))]
		tid := uuid.New()
		if err := l.try(who, m, func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.InitiateTransfer(dossier.TransferOrder{TransferID: tid, Kind: dossier.TransferBetweenOrgs, TargetOrg: target}, m)
		}); err != nil {
			return
		}
		m2 := l.meta(target, domain.Date{})
		if rng.IntN(3) == 0 {
			m2.Reason = "không tiếp nhận"
			decide = func(d *dossier.Dossier) ([]domain.Event, error) { return d.RejectTransfer(tid, m2) }
		} else {
			decide = func(d *dossier.Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(tid, m2) }
		}
		m = m2
	case n < 82:
		tid := uuid.New()
		if err := l.try(who, m, func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.InitiateTransfer(dossier.TransferOrder{TransferID: tid, Kind: dossier.TransferOutOfProvince}, m)
		}); err != nil {
			return
		}
		m = l.meta(managing, domain.Date{})
		decide = func(d *dossier.Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(tid, m) }
	case n < 86:
		decide = func(d *dossier.Dossier) ([]domain.Event, error) { return d.ChangeStatus(dossier.StatusRetired, m) }
	case n < 92:
		// Reactivate: correct the event that archived the dossier.
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			for i := len(h) - 1; i >= 0; i-- {
				switch e := h[i].Event.(type) {
				case dossier.StatusChanged:
				case dossier.TransferReceived:
					if e.Kind != dossier.TransferOutOfProvince {
						continue
					}
				default:
					continue
				}
				return d.Correct(dossier.Correction{Corrects: h[i].ID, Reactivate: true}, m, projectiontest.AnyCode{})
			}
			return nil, domain.ErrConflict
		}
	case n < 95:
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.AttachDocument(dossier.Attachment{Title: "Quyết định", Document: domain.SourceDocument{Kind: "decision", Number: fmt.Sprint(rng.IntN(1000), "/QĐ"),
				Date: domain.MustDate(2020, 1, 2), Issuer: "UBND", SHA256: fmt.Sprintf("%064x", rng.Uint64())}}, m)
		}
	case n < 97:
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.IssueCivilServantNumber(fmt.Sprint("CC.", rng.IntN(100000)), m)
		}
	default:
		pid := uuid.New()
		if err := l.try(who, m, func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.SubmitProposal(dossier.ProposalDraft{ProposalID: pid, Kind: dossier.ProposalChange,
				Patch: dossier.Patch{Health: &dossier.Health{Status: "tốt", HeightCM: 150 + rng.IntN(40)}}}, m, projectiontest.AnyCode{})
		}); err != nil {
			return
		}
		m = l.meta(managing, domain.Date{})
		decide = func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.AcceptProposal(pid, nil, m, projectiontest.AnyCode{})
		}
	}
	if err := l.try(who, m, decide); err != nil && !errors.Is(err, domain.ErrConflict) && !errors.Is(err, domain.ErrInvalid) {
		l.t.Fatalf("%s: %v", who.name, err)
	}
}

// TestUnknownEventType checks that an event of a type this code does not
// know (written by a newer version) is ignored, as the runner's contract
// asks, and that the dossier's later events still apply.
func TestUnknownEventType(t *testing.T) {
	t.Parallel()
	pool, store := newDB(t)
	l := newLedger(t, store)
	l.KeepHistories()
	who := &person{name: "Hồ Thị Xuân", gender: dossier.GenderFemale, dob: domain.MustDate(1991, 3, 8), org: orgA, unit: unitA1, serial: 77}
	l.create(who)
	// The unknown event goes around Append, so the ledger's in-memory
	// history (what a replay by this release sees) leaves it out.
	l.AppendJSON(who.id.StreamID(), "dossier.future_fact.v1", map[string]int{"anything": 1}, l.meta(orgA, domain.Date{}))
	d, err := dossier.Replay(l.history(who))
	if err != nil {
		t.Fatal(err)
	}
	m := l.meta(orgA, domain.Date{})
	evs, err := d.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: "01.003", Step: 1, Coefficient: 234}}, m, projectiontest.AnyCode{})
	if err != nil {
		t.Fatal(err)
	}
	l.Append(who.id.StreamID(), eventstore.Any, m, evs)
	p := dossiers.New(store)
	for _, batch := range []int{1, 1000} {
		tables := projectiontest.Setup(t, pool, p, batch)
		projectiontest.ApplyInBatches(t, pool, p, tables, l.Events(), batch)
		doc, v := storedDocument(t, pool, tables, who.id)
		want, _ := dossier.Replay(l.history(who))
		wantDoc := want.Document()
		wantDoc.Header.PersonalIDNumber = ""
		if a, b, ok := sameDocument(doc, wantDoc); !ok || v != 3 {
			t.Errorf("batch %d: version %d, document\n got %s\nwant %s", batch, v, a, b)
		}
	}
}
