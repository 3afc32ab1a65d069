package dossiers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

func uid(s string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("hoso-projections-dossiers-"+s))
}

var (
	orgA   = domain.OrgID(uid("orgA"))
	orgB   = domain.OrgID(uid("orgB"))
	orgC   = domain.OrgID(uid("orgC"))
	unitA1 = domain.OrgID(uid("unitA1"))
	unitA2 = domain.OrgID(uid("unitA2"))
	unitB1 = domain.OrgID(uid("unitB1"))
	hr     = domain.AccountID(uid("hr"))
	src    = domain.SourceDocument{Kind: "decision", Number: "12/QĐ-UBND", Date: domain.MustDate(2020, 1, 2), Issuer: "UBND tỉnh Phú Thọ"}
)

// ledger drives dossiers through the domain's commands into a store
// (projectiontest.Ledger), with a clock that advances one hour per command
// so recorded_at is known.
type ledger struct {
	*projectiontest.Ledger
	t     testing.TB
	clock time.Time
	// rareCorrections makes randomStep correct about one command in fifty,
	// as in real use, instead of one in five.
	rareCorrections bool
}

// history is p's stored history, decoded.
func (l *ledger) history(p *person) []domain.Recorded {
	l.t.Helper()
	return l.History(p.id)
}

func newLedger(t testing.TB, store eventstore.Store) *ledger {
	return &ledger{Ledger: projectiontest.NewLedgerOn(t, store), t: t, clock: time.Date(2020, 1, 6, 2, 0, 0, 0, time.UTC)}
}

// meta is what HR of org sends, effective on eff (zero: the clock's date).
func (l *ledger) meta(org domain.OrgID, eff domain.Date) domain.Meta {
	l.clock = l.clock.Add(time.Hour)
	if eff.IsZero() {
		eff = domain.DateOf(l.clock)
	}
	return domain.Meta{
		Actor:         domain.Actor{Account: hr, Name: "Cán bộ tổ chức", ActingOrg: org},
		RecordedAt:    l.clock,
		EffectiveDate: eff,
		Source:        src,
		Reason:        "cập nhật hồ sơ",
	}
}

type person struct {
	id      domain.DossierID
	name    string
	gender  dossier.Gender
	dob     domain.Date
	class   dossier.Class
	org     domain.OrgID
	unit    domain.OrgID
	serial  int
	ethnic  string
	history []uuid.UUID // event ids, in stream order
}

func (l *ledger) create(p *person) {
	l.t.Helper()
	if p.id.IsZero() {
		p.id = domain.DossierID(uid("dossier-" + p.name + fmt.Sprint(p.serial)))
	}
	if p.class.IsZero() {
		p.class = dossier.ClassCongChuc
	}
	if p.ethnic == "" {
		p.ethnic = "kinh"
	}
	m := l.meta(p.org, domain.Date{})
	p.history = append(p.history, l.CreateDossier(dossier.CreateDossier{
		DossierID: p.id, Class: p.class, ManagingOrg: p.org, EmployingUnit: p.unit,
		PersonalIDNumber: projectiontest.PersonalID(p.gender, p.dob, p.serial),
		Identity:         dossier.Identity{BirthName: p.name, Gender: p.gender, DateOfBirth: p.dob, Ethnicity: p.ethnic},
	}, m, projectiontest.AnyCode{}))
}

// do runs a command on p's current state; it fails the test on refusal.
func (l *ledger) do(p *person, m domain.Meta, decide func(d *dossier.Dossier) ([]domain.Event, error)) {
	l.t.Helper()
	if err := l.try(p, m, decide); err != nil {
		l.t.Fatalf("%s: %v", p.name, err)
	}
}

func (l *ledger) try(p *person, m domain.Meta, decide func(d *dossier.Dossier) ([]domain.Event, error)) error {
	l.t.Helper()
	ids, err := l.TryDossier(p.id, m, decide)
	p.history = append(p.history, ids...)
	return err
}

// replayed is the document a full replay of p's stored history gives, with
// the personal ID number blanked as the read model stores it.
func (l *ledger) replayed(p *person) dossier.Document {
	l.t.Helper()
	d, err := dossier.Replay(l.Load(p.id.StreamID(), dossier.Decode).Events)
	if err != nil {
		l.t.Fatal(err)
	}
	doc := d.Document()
	doc.Header.PersonalIDNumber = ""
	return doc
}

// newDB is a fresh schema with the migrations and a PostgreSQL event store.
func newDB(t testing.TB) (*pgxpool.Pool, *postgres.Store) {
	t.Helper()
	pool := projectiontest.NewDB(t)
	return pool, postgres.New(pool, postgres.Options{})
}

// dump renders both tables of a generation as JSON rows, in key order.
func dump(t testing.TB, pool *pgxpool.Pool, tables projections.Tables) string {
	t.Helper()
	return projectiontest.Dump(t, pool,
		projectiontest.DumpTable(tables.Name(dossiers.ViewDossiers), "dossier_id"),
		projectiontest.DumpTable(tables.Name(dossiers.ViewArchive), "event_id"),
	)
}

// storedDocument reads one dossier's stored document from a generation.
func storedDocument(t testing.TB, pool *pgxpool.Pool, tables projections.Tables, id domain.DossierID) (dossier.Document, uint64) {
	t.Helper()
	var raw []byte
	var v int64
	err := pool.QueryRow(context.Background(), `SELECT document, version FROM `+tables.Name(dossiers.ViewDossiers)+` WHERE dossier_id = $1`, uuid.UUID(id)).Scan(&raw, &v)
	if err != nil {
		t.Fatalf("stored document of %s: %v", id, err)
	}
	var doc dossier.Document
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc, uint64(v)
}

// sameDocument compares documents by their JSON, the form the model stores.
func sameDocument(a, b dossier.Document) (string, string, bool) {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x), string(y), string(x) == string(y)
}

// rebuild builds the projection with the runner, which points the views at
// it, and then runs it until it has applied the ledger's last event: the
// rebuild counts as caught up when the log's stable prefix is exhausted,
// which parallel tests' transactions may hold back.
func rebuild(t testing.TB, pool *pgxpool.Pool, l *ledger, batch int) {
	t.Helper()
	r := projections.NewRunner(pool, l.Store, projections.Config{BatchSize: batch, PollInterval: 10 * time.Millisecond, BatchWindow: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := dossiers.New(l.Store)
	if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	caughtUp := func() bool {
		var pos string
		err := pool.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE projection = $1 AND live`, dossiers.Name).Scan(&pos)
		if err != nil {
			t.Fatal(err)
		}
		return pos >= l.Last.String() // the text form sorts in log order
	}
	if caughtUp() {
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx, p) }()
	defer func() { stop(); <-done }()
	for !caughtUp() {
		if ctx.Err() != nil {
			t.Fatal("the projection did not catch up with the ledger")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
