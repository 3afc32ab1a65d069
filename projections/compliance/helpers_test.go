package compliance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	hosoledger "github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/compliance"
)

func uid(s string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte("hoso-compliance-"+s)) }

var (
	orgA  = domain.OrgID(uid("orgA"))
	orgB  = domain.OrgID(uid("orgB"))
	orgC  = domain.OrgID(uid("orgC"))
	unitX = domain.OrgID(uid("unitX"))
	hr    = domain.AccountID(uid("hr"))
)

// d is a date literal for the scenarios.
func d(y int, m time.Month, day int) domain.Date { return domain.MustDate(y, m, day) }

// at is an instant on date day in Vietnam, during office hours: the done
// date is the recorded date in Vietnam, so a time near midnight UTC must
// not shift it.
func at(day domain.Date) time.Time { return day.StartInVietnam().Add(9 * time.Hour) }

// ledger drives dossiers through the domain's commands into an in-memory
// log: the projection under test reads only envelopes, so the backend of
// the log does not matter, while the read model is in PostgreSQL.
type ledger struct {
	t     testing.TB
	store *memstore.Store
	seq   int
}

func newLedger(t testing.TB) *ledger { return &ledger{t: t, store: memstore.New(nil)} }

// meta is what HR of org sends: effective on eff, recorded on day rec, on a
// decision signed on eff.
func (l *ledger) meta(org domain.OrgID, eff, rec domain.Date) domain.Meta {
	l.seq++
	return domain.Meta{
		Actor:         domain.Actor{Account: hr, Name: "Cán bộ tổ chức", ActingOrg: org},
		RecordedAt:    at(rec).Add(time.Duration(l.seq) * time.Second),
		EffectiveDate: eff,
		Source:        domain.SourceDocument{Kind: "decision", Number: fmt.Sprintf("%d/QĐ-UBND", l.seq), Date: eff, Issuer: "UBND tỉnh"},
		Reason:        "theo quyết định",
	}
}

func personalID(g dossier.Gender, dob domain.Date, serial int) string {
	code := 2 * (dob.Year()/100 - 19)
	if g == dossier.GenderFemale {
		code++
	}
	return fmt.Sprintf("025%d%02d%06d", code, dob.Year()%100, serial%1000000)
}

// create opens a dossier managed by org; it returns the dossier id and the
// creation's event id.
func (l *ledger) create(name string, org domain.OrgID, m domain.Meta) (domain.DossierID, uuid.UUID) {
	l.t.Helper()
	id := domain.DossierID(uid("dossier-" + name))
	dob := d(1985, 5, 17)
	evs, err := dossier.Create(dossier.CreateDossier{
		DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org,
		PersonalIDNumber: personalID(dossier.GenderFemale, dob, l.seq),
		Identity:         dossier.Identity{BirthName: name, Gender: dossier.GenderFemale, DateOfBirth: dob, Ethnicity: "01"},
	}, m, catalog.Default())
	if err != nil {
		l.t.Fatalf("create %s: %v", name, err)
	}
	ids := l.append(id, eventstore.NoStream, m, evs)
	return id, ids[0]
}

// do runs a command on the dossier's current state and appends its events.
func (l *ledger) do(id domain.DossierID, m domain.Meta, decide func(*dossier.Dossier) ([]domain.Event, error)) []uuid.UUID {
	l.t.Helper()
	ctx := context.Background()
	h, err := hosoledger.Ledger{Store: l.store}.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		l.t.Fatal(err)
	}
	ds, err := dossier.Replay(h.Events)
	if err != nil {
		l.t.Fatal(err)
	}
	evs, err := decide(ds)
	if err != nil {
		l.t.Fatalf("command on %s: %v", id, err)
	}
	return l.append(id, eventstore.Exactly(h.Version), m, evs)
}

func (l *ledger) append(id domain.DossierID, exp eventstore.Expected, m domain.Meta, evs []domain.Event) []uuid.UUID {
	l.t.Helper()
	ids := make([]uuid.UUID, len(evs))
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	if _, err := (hosoledger.Ledger{Store: l.store}).Append(context.Background(), id.StreamID(), exp, m, evs, ids); err != nil {
		l.t.Fatal(err)
	}
	return ids
}

func (l *ledger) events() []eventstore.Event {
	l.t.Helper()
	evs, err := l.store.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		l.t.Fatal(err)
	}
	return evs
}

func preset(t testing.TB, name string) *compliance.Projection {
	t.Helper()
	pol, err := policy.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compliance.New(pol, calendar.Official())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// build sets up generation gen in a fresh schema, applies every event times
// times (one transaction per event, as a redelivering transport would) and
// points the views at the generation as the runner does, so the query
// functions read it.
func build(t testing.TB, pool *pgxpool.Pool, p *compliance.Projection, gen int, events []eventstore.Event, times int) projections.Tables {
	t.Helper()
	ctx := context.Background()
	tables := projections.NewTables(gen)
	inTx(t, pool, func(tx pgx.Tx) error { return p.Setup(ctx, tx, tables) })
	for _, ev := range events {
		for range times {
			inTx(t, pool, func(tx pgx.Tx) error { return p.Apply(ctx, tx, tables, ev) })
		}
	}
	inTx(t, pool, func(tx pgx.Tx) error {
		for _, v := range p.Views() {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE OR REPLACE VIEW %s AS SELECT * FROM %s`, v, tables.Name(v))); err != nil {
				return err
			}
		}
		return nil
	})
	return tables
}

func inTx(t testing.TB, pool *pgxpool.Pool, f func(pgx.Tx) error) {
	t.Helper()
	if err := pgx.BeginFunc(context.Background(), pool, f); err != nil {
		t.Fatal(err)
	}
}

func newDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := pgtest.New(t)
	return pool
}

// dump renders both tables of a generation as JSON, in key order.
func dump(t testing.TB, pool *pgxpool.Pool, tables projections.Tables) string {
	t.Helper()
	var out string
	for _, q := range []string{
		`SELECT coalesce(json_agg(to_jsonb(x) ORDER BY item_id), '[]')::text FROM ` + tables.Name(compliance.ViewItems) + ` x`,
		`SELECT coalesce(json_agg(to_jsonb(x) ORDER BY dossier_id), '[]')::text FROM ` + tables.Name(compliance.ViewDossiers) + ` x`,
	} {
		var s string
		if err := pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		out += s + "\n"
	}
	return out
}

// allItems reads every item of the given orgs.
func allItems(t testing.TB, pool *pgxpool.Pool, orgs ...domain.OrgID) map[uuid.UUID]compliance.Item {
	t.Helper()
	out := map[uuid.UUID]compliance.Item{}
	f := compliance.Filter{Orgs: orgs, Limit: 1000}
	for {
		page, err := compliance.Items(context.Background(), pool, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			out[it.ID] = it
		}
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
}
