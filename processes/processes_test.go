package processes_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/processes"
	"github.com/hoso-ledger/hoso/projections"
)

func fixedID(s string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("hoso-processes-test:"+s))
}

var (
	province = domain.OrgID(fixedID("org/province"))
	district = domain.OrgID(fixedID("org/district"))
	commune  = domain.OrgID(fixedID("org/commune"))
	hr       = domain.AccountID(fixedID("account/hr"))
	reform   = domain.MustDate(2025, 7, 1)
)

func metaOn(acting domain.OrgID, d domain.Date) domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: hr, Name: "Trần Thị Bình", ActingOrg: acting},
		RecordedAt:    d.StartInVietnam().Add(9 * time.Hour).UTC(),
		EffectiveDate: d,
		Source:        domain.SourceDocument{Kind: "decision", Number: "123/QĐ-UBND", Date: d.AddDays(-1), Issuer: "UBND tỉnh Phú Thọ"},
	}
}

func newDossier(n int) dossier.CreateDossier {
	return dossier.CreateDossier{
		DossierID:        domain.DossierID(fixedID(fmt.Sprint("dossier/", n))),
		Class:            dossier.ClassCongChuc,
		ManagingOrg:      district,
		EmployingUnit:    district,
		PersonalIDNumber: fmt.Sprintf("025090%06d", n),
		Identity: dossier.Identity{
			BirthName:   "Nguyễn Văn An",
			Gender:      dossier.GenderMale,
			DateOfBirth: domain.MustDate(1990, 5, 12),
			Ethnicity:   "01",
			Religion:    "none",
			HomeTown:    dossier.Address{Place: "25", Detail: "xã Lâm Thao"},
		},
	}
}

type world struct {
	pool     *pgxpool.Pool
	store    *processes.Store
	ledger   ledger.Ledger
	dossiers app.Dossiers
	runner   *projections.Runner
}

// merger founds a province with a district and a commune on a fresh
// schema, creates n dossiers managed by the district (every 97th retired
// before the reform, so it stays), and merges the district into the commune.
func merger(t *testing.T, n int) (w *world, move, stay []domain.DossierID) {
	t.Helper()
	pool, _ := pgtest.New(t)
	es := postgres.New(pool, postgres.Options{PollInterval: 20 * time.Millisecond})
	l := ledger.Ledger{Store: es}
	w = &world{
		pool:     pool,
		store:    processes.NewStore(pool),
		ledger:   l,
		dossiers: app.Dossiers{Ledger: l, Catalogue: catalog.Default(), PersonalIDKey: []byte("test-secret-for-personal-id-hmac")},
		runner:   projections.NewRunner(pool, es, projections.Config{PollInterval: 20 * time.Millisecond}),
	}
	orgs := app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)}
	ctx := context.Background()
	early := domain.MustDate(2008, 1, 1)
	for _, o := range []struct {
		id domain.OrgID
		c  org.CreateOrg
		on domain.Date
	}{
		{province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, early},
		{district, org.CreateOrg{Name: "Ủy ban nhân dân huyện Lâm Thao", Code: "H45.20", Kind: org.KindDistrictCommittee, Level: org.LevelDistrict, Parent: province}, early},
		{commune, org.CreateOrg{Name: "Ủy ban nhân dân xã Lâm Thao", Code: "H45.30", Kind: org.KindCommuneCommittee, Level: org.LevelCommune, Parent: province}, reform},
	} {
		if _, err := orgs.Create(ctx, o.id, o.c, metaOn(province, o.on)); err != nil {
			t.Fatalf("creating %s: %v", o.c.Name, err)
		}
	}
	ids := make([]domain.DossierID, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := newDossier(i)
			ids[i] = c.DossierID
			if _, err := w.dossiers.Create(ctx, c, metaOn(district, domain.MustDate(2024, 3, 1))); err != nil {
				errs <- err
				return
			}
			if i%97 == 5 {
				if _, err := w.dossiers.ChangeStatus(ctx, c.DossierID, 0, dossier.StatusRetired, metaOn(district, domain.MustDate(2025, 1, 10))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, id := range ids {
		if i%97 == 5 {
			stay = append(stay, id)
		} else {
			move = append(move, id)
		}
	}
	if _, err := orgs.Merge(ctx, district, 0, commune, metaOn(province, reform)); err != nil {
		t.Fatal(err)
	}
	return w, move, stay
}

func (w *world) decision(t *testing.T) uuid.UUID {
	t.Helper()
	dec, err := app.FindSuccession(context.Background(), w.ledger, district)
	if err != nil {
		t.Fatal(err)
	}
	return dec.Event.ID
}

func (w *world) manager() *processes.Manager {
	return &processes.Manager{
		Store:        w.store,
		Succession:   app.Succession{Ledger: w.ledger, Managed: app.ScanManagedDossiers(w.ledger), Workers: 4},
		StepSize:     10,
		PollInterval: 20 * time.Millisecond,
	}
}

// waitEnded polls the process's status, as a client polls GET
// /processes/{id}, until it is no longer running.
func (w *world) waitEnded(t *testing.T, id uuid.UUID) processes.Status {
	t.Helper()
	return w.waitEndedAfter(t, id, time.Time{})
}

// waitEndedAfter is waitEnded for a process that must end again after it
// ended at since.
func (w *world) waitEndedAfter(t *testing.T, id uuid.UUID, since time.Time) processes.Status {
	t.Helper()
	for {
		st, err := w.store.Get(context.Background(), id)
		if err != nil && err != processes.ErrNotFound {
			t.Fatal(err)
		}
		if err == nil && st.State != processes.StateRunning && st.FinishedAt.After(since) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkMoved asserts that every dossier of move was reassigned to the
// commune exactly once, by an event whose id derives from the decision,
// and that no dossier of stay was; and that the whole log holds no other
// reassignment.
func (w *world) checkMoved(t *testing.T, decision uuid.UUID, move, stay []domain.DossierID) {
	t.Helper()
	ctx := context.Background()
	for _, id := range move {
		evs, err := w.ledger.Store.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Type == dossier.TypeManagingOrgChanged {
				n++
				if e.ID != ledger.DerivedID(decision, id.String()) {
					t.Errorf("%s: reassignment id %s is not derived from the decision", id, e.ID)
				}
			}
		}
		d, err := app.LoadDossier(ctx, w.ledger, id)
		if err != nil {
			t.Fatal(err)
		}
		if managing, _ := d.ManagingOrg(); n != 1 || managing != commune {
			t.Fatalf("dossier %s: %d reassignments, managed by %s; want 1, the commune", id, n, managing)
		}
	}
	for _, id := range stay {
		d, err := app.LoadDossier(ctx, w.ledger, id)
		if err != nil {
			t.Fatal(err)
		}
		if managing, _ := d.ManagingOrg(); managing != district {
			t.Fatalf("dossier %s moved to %s; want it kept by the district", id, managing)
		}
	}
	total := 0
	for from := eventstore.Start; ; {
		evs, err := w.ledger.Store.ReadAll(ctx, from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.Type == dossier.TypeManagingOrgChanged {
				total++
			}
		}
		from = evs[len(evs)-1].Position
	}
	if total != len(move) {
		t.Fatalf("the log holds %d reassignments, want %d", total, len(move))
	}
}

// TestSuccessionResumesAfterAKill runs a merger's process from the log (the
// projection runner finds the decision, nobody calls Start), kills the
// manager a third of the way through, starts another, and checks that
// every dossier moved exactly once and the process reports done.
func TestSuccessionResumesAfterAKill(t *testing.T) {
	t.Parallel()
	const n = 300
	w, move, stay := merger(t, n)
	decision := w.decision(t)

	ctx, kill := context.WithCancel(context.Background())
	var recorded atomic.Int64
	first := w.manager()
	first.SetAfterStep(func() {
		if recorded.Add(1) == 100 {
			kill()
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.runner.Run(ctx, processes.NewProjection()) })
	if err := first.Run(ctx); err != nil {
		t.Fatalf("first manager: %v", err)
	}
	wg.Wait()
	st, err := w.store.Get(context.Background(), decision)
	if err != nil {
		t.Fatalf("the log-driven process was not registered: %v", err)
	}
	if st.State != processes.StateRunning || !st.Listed || st.Total != len(move) || st.Moved < 100 || st.Moved >= len(move) {
		t.Fatalf("after the kill: %+v; want running, %d listed, at least 100 and not all moved", st, len(move))
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	second := w.manager()
	go func() { _ = second.Run(ctx) }()
	st = w.waitEnded(t, decision)
	if st.State != processes.StateDone || st.Total != len(move) || st.Moved != len(move) || st.Pending != 0 || st.Failed != 0 ||
		st.FinishedAt == nil || st.Org != district || st.Detail != "merge" || len(st.Failures) != 0 {
		t.Fatalf("after the restart: %+v; want done with all %d moved", st, len(move))
	}
	w.checkMoved(t, decision, move, stay)
}

// TestPoisonStepDoesNotBlockTheOthers lists a dossier that cannot be moved
// (it does not exist yet): the others move, the step is retried with
// backoff, then recorded as failed with its reason, and the process ends
// failed. Once the dossier exists, starting a manager again retries the
// step and the process ends done.
func TestPoisonStepDoesNotBlockTheOthers(t *testing.T) {
	t.Parallel()
	const n = 30
	w, move, stay := merger(t, n)
	decision := w.decision(t)
	ghost := newDossier(n + 1)
	scan := app.ScanManagedDossiers(w.ledger)
	withGhost := func(ctx context.Context, o domain.OrgID, on domain.Date) ([]domain.DossierID, error) {
		ids, err := scan(ctx, o, on)
		return append(ids, ghost.DossierID), err
	}
	m := w.manager()
	m.Succession.Managed = withGhost
	m.MaxAttempts, m.InitialBackoff, m.MaxBackoff = 3, time.Millisecond, 4*time.Millisecond
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	if _, err := m.Start(context.Background(), district); err != nil {
		t.Fatal(err)
	}
	st := w.waitEnded(t, decision)
	stop()
	<-done
	if st.State != processes.StateFailed || st.Moved != len(move) || st.Failed != 1 || st.Total != len(move)+1 || len(st.Failures) != 1 {
		t.Fatalf("with a poison step: %+v; want failed, %d moved, 1 failed", st, len(move))
	}
	if f := st.Failures[0]; f.Dossier != ghost.DossierID || f.Attempts != 3 || f.Retrying || f.Error == "" {
		t.Fatalf("failure %+v; want the ghost dossier, 3 attempts, a reason", f)
	}
	w.checkMoved(t, decision, move, stay)

	if _, err := w.dossiers.Create(context.Background(), ghost, metaOn(district, domain.MustDate(2024, 3, 1))); err != nil {
		t.Fatal(err)
	}
	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	again := w.manager()
	again.Succession.Managed = withGhost
	go func() { _ = again.Run(ctx) }()
	st = w.waitEndedAfter(t, decision, *st.FinishedAt)
	if st.State != processes.StateDone || st.Moved != len(move)+1 || st.Failed != 0 {
		t.Fatalf("after the retry: %+v; want done with every dossier moved", st)
	}
	w.checkMoved(t, decision, append(move, ghost.DossierID), stay)
}

// TestLostRecordsAndDuplicatesMoveNothingTwice runs a process to the end,
// then forgets every step's record (as a crash between each append and its
// record would), and runs it again with two managers at once and the
// process started twice: every dossier counts as moved, and the log still
// holds exactly one move per dossier.
func TestLostRecordsAndDuplicatesMoveNothingTwice(t *testing.T) {
	t.Parallel()
	const n = 40
	w, move, stay := merger(t, n)
	decision := w.decision(t)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	m := w.manager()
	wg.Go(func() { _ = m.Run(ctx) })
	if _, err := m.Start(context.Background(), district); err != nil {
		t.Fatal(err)
	}
	first := w.waitEnded(t, decision)
	stop()
	wg.Wait()
	if first.State != processes.StateDone || first.Moved != len(move) {
		t.Fatalf("first run: %+v", first)
	}

	pool := w.pool
	if _, err := pool.Exec(context.Background(), `UPDATE process_steps SET outcome = 'pending', rule = NULL;
UPDATE processes SET state = 'running', finished_at = NULL`); err != nil {
		t.Fatal(err)
	}
	ctx, stop = context.WithCancel(context.Background())
	defer stop()
	a, b := w.manager(), w.manager()
	go func() { _ = a.Run(ctx) }()
	go func() { _ = b.Run(ctx) }()
	for _, mgr := range []*processes.Manager{a, b} {
		if st, err := mgr.Start(context.Background(), district); err != nil || st.ID != decision {
			t.Fatalf("Start again: %+v, %v; want the same process", st, err)
		}
	}
	st := w.waitEndedAfter(t, decision, *first.FinishedAt)
	if st.State != processes.StateDone || st.Moved != len(move) || st.Total != len(move) {
		t.Fatalf("after the lost records: %+v; want done, all %d moved", st, len(move))
	}
	w.checkMoved(t, decision, move, stay)
}
