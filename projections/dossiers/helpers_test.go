package dossiers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	hosoledger "github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/dossiers"
)

// anyCode is a catalogue that knows every code: these tests are about
// folding and searching, not about catalogue rules.
type anyCode struct{}

func (anyCode) Has(kind, code string) bool { return code != "" }

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

// ledger drives dossiers through the domain's commands into a store, with a
// clock that advances one hour per command so recorded_at is known.
type ledger struct {
	t     testing.TB
	ctx   context.Context
	store eventstore.Store
	clock time.Time
	// appended counts the events written and last is the position of the
	// latest: readers of the log wait for them (see allEvents, rebuild).
	appended int
	last     eventstore.Position
	// cache, when set, keeps each dossier's decoded history in memory so
	// generating a large log does not re-read and decode it per command.
	cache map[domain.DossierID][]domain.Recorded
	// rareCorrections makes randomStep correct about one command in fifty,
	// as in real use, instead of one in five.
	rareCorrections bool
}

// history is p's stored history, decoded.
func (l *ledger) history(p *person) []domain.Recorded {
	l.t.Helper()
	if l.cache != nil {
		return l.cache[p.id]
	}
	h, err := hosoledger.Ledger{Store: l.store}.Load(l.ctx, p.id.StreamID(), dossier.Decode)
	if err != nil {
		l.t.Fatal(err)
	}
	return h.Events
}

func newLedger(t testing.TB, store eventstore.Store) *ledger {
	return &ledger{t: t, ctx: context.Background(), store: store, clock: time.Date(2020, 1, 6, 2, 0, 0, 0, time.UTC)}
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

// personalID builds a valid 12-digit number for the gender and birth year.
func personalID(g dossier.Gender, dob domain.Date, serial int) string {
	code := 2 * (dob.Year()/100 - 19)
	if g == dossier.GenderFemale {
		code++
	}
	return fmt.Sprintf("025%d%02d%06d", code, dob.Year()%100, serial%1000000)
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
	evs, err := dossier.Create(dossier.CreateDossier{
		DossierID: p.id, Class: p.class, ManagingOrg: p.org, EmployingUnit: p.unit,
		PersonalIDNumber: personalID(p.gender, p.dob, p.serial),
		Identity:         dossier.Identity{BirthName: p.name, Gender: p.gender, DateOfBirth: p.dob, Ethnicity: p.ethnic},
	}, m, anyCode{})
	if err != nil {
		l.t.Fatalf("create %s: %v", p.name, err)
	}
	l.append(p, eventstore.NoStream, m, evs)
}

// do runs a command on p's current state; it fails the test on refusal.
func (l *ledger) do(p *person, m domain.Meta, decide func(d *dossier.Dossier) ([]domain.Event, error)) {
	l.t.Helper()
	if err := l.try(p, m, decide); err != nil {
		l.t.Fatalf("%s: %v", p.name, err)
	}
}

func (l *ledger) try(p *person, m domain.Meta, decide func(d *dossier.Dossier) ([]domain.Event, error)) error {
	h := l.history(p)
	d, err := dossier.Replay(h)
	if err != nil {
		return err
	}
	evs, err := decide(d)
	if err != nil {
		return err
	}
	l.append(p, eventstore.Exactly(uint64(len(h))), m, evs)
	return nil
}

func (l *ledger) append(p *person, expected eventstore.Expected, m domain.Meta, evs []domain.Event) {
	l.t.Helper()
	ids := make([]uuid.UUID, len(evs))
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	res, err := hosoledger.Ledger{Store: l.store}.Append(l.ctx, p.id.StreamID(), expected, m, evs, ids)
	if err != nil {
		l.t.Fatalf("append to %s: %v", p.name, err)
	}
	l.appended += len(evs)
	if l.cache != nil {
		for i, e := range evs {
			l.cache[p.id] = append(l.cache[p.id], domain.Recorded{ID: ids[i], Version: uint64(len(l.cache[p.id]) + 1), Event: e, Meta: m})
		}
	}
	if res.Position.After(l.last) {
		l.last = res.Position
	}
	p.history = append(p.history, ids...)
}

// replayed is the document a full replay of p's stored history gives, with
// the personal ID number blanked as the read model stores it.
func (l *ledger) replayed(p *person) dossier.Document {
	l.t.Helper()
	h, err := hosoledger.Ledger{Store: l.store}.Load(l.ctx, p.id.StreamID(), dossier.Decode)
	if err != nil {
		l.t.Fatal(err)
	}
	d, err := dossier.Replay(h.Events)
	if err != nil {
		l.t.Fatal(err)
	}
	doc := d.Document()
	doc.Header.PersonalIDNumber = ""
	return doc
}

// allEvents reads the whole log the ledger wrote. ReadAll returns only the
// log's stable prefix, which a long transaction anywhere in the cluster (a
// parallel test) holds back: wait for every event rather than stopping at
// the first empty read.
func allEvents(t testing.TB, l *ledger) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	from := eventstore.Start
	deadline := time.Now().Add(time.Minute)
	for len(out) < l.appended {
		evs, err := l.store.ReadAll(context.Background(), from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the log shows %d of %d events", len(out), l.appended)
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		out = append(out, evs...)
		from = evs[len(evs)-1].Position
	}
	return out
}

// newDB is a fresh schema with the migrations and a PostgreSQL event store.
func newDB(t testing.TB) (*pgxpool.Pool, *postgres.Store) {
	t.Helper()
	pool, _ := pgtest.New(t)
	return pool, postgres.New(pool, postgres.Options{})
}

// setup creates generation gen of the projection's tables.
func setup(t testing.TB, pool *pgxpool.Pool, p *dossiers.Projection, gen int) projections.Tables {
	t.Helper()
	tables := projections.NewTables(gen)
	inTx(t, pool, func(tx pgx.Tx) error { return p.Setup(context.Background(), tx, tables) })
	return tables
}

// applyInBatches applies events in batches of size n, one transaction each.
func applyInBatches(t testing.TB, pool *pgxpool.Pool, p *dossiers.Projection, tables projections.Tables, events []eventstore.Event, n int) {
	t.Helper()
	for len(events) > 0 {
		k := min(n, len(events))
		chunk := events[:k]
		events = events[k:]
		inTx(t, pool, func(tx pgx.Tx) error { return p.ApplyBatch(context.Background(), tx, tables, chunk) })
	}
}

func inTx(t testing.TB, pool *pgxpool.Pool, f func(pgx.Tx) error) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := f(tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// dump renders both tables of a generation as JSON rows, in key order.
func dump(t testing.TB, pool *pgxpool.Pool, tables projections.Tables) string {
	t.Helper()
	var out string
	for _, q := range []string{
		`SELECT coalesce(json_agg(to_jsonb(d) ORDER BY dossier_id), '[]')::text FROM ` + tables.Name(dossiers.ViewDossiers) + ` d`,
		`SELECT coalesce(json_agg(to_jsonb(a) ORDER BY event_id), '[]')::text FROM ` + tables.Name(dossiers.ViewArchive) + ` a`,
	} {
		var s string
		if err := pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		out += s + "\n"
	}
	return out
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
	r := projections.NewRunner(pool, l.store, projections.Config{BatchSize: batch, PollInterval: 10 * time.Millisecond, BatchWindow: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := dossiers.New(l.store)
	if err := r.Rebuild(ctx, p, projections.RebuildOptions{}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	caughtUp := func() bool {
		var pos string
		err := pool.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE projection = $1 AND live`, dossiers.Name).Scan(&pos)
		if err != nil {
			t.Fatal(err)
		}
		return pos >= l.last.String() // the text form sorts in log order
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
