package stats_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
	"github.com/hoso-ledger/hoso/projections/stats"
)

func uid(s string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte("hoso-stats-"+s)) }

var (
	orgA   = domain.OrgID(uid("orgA"))
	orgB   = domain.OrgID(uid("orgB"))
	unitA1 = domain.OrgID(uid("unitA1"))
	hr     = domain.AccountID(uid("hr"))
)

// d is a date literal for the scenarios.
func d(y int, m time.Month, day int) domain.Date { return domain.MustDate(y, m, day) }

// at is an instant on date day in Vietnam, during office hours: the done
// date is the recorded date in Vietnam, so a time near midnight UTC must
// not shift it.
func at(day domain.Date) time.Time { return projectiontest.At(day) }

// ledger drives dossiers through the domain's commands into an in-memory
// log (projectiontest.Ledger): the projection under test reads only
// envelopes, so the backend of the log does not matter, while the read
// model is in PostgreSQL.
type ledger struct{ *projectiontest.Ledger }

func newLedger(t testing.TB) ledger { return ledger{projectiontest.NewLedger(t)} }

// meta is what HR of org sends: effective on eff, recorded on day rec, on a
// decision signed on eff.
func (l ledger) meta(org domain.OrgID, eff, rec domain.Date) domain.Meta {
	return l.Decision(domain.Actor{Account: hr, Name: "Cán bộ tổ chức", ActingOrg: org}, eff, at(rec))
}

// person is who a dossier is opened for.
type person struct {
	name      string
	sex       dossier.Gender
	dob       domain.Date
	class     dossier.Class
	org, unit domain.OrgID
	ethnicity string
	religion  string
}

// create opens a dossier; it returns the dossier id and the creation's
// event id.
func (l ledger) create(p person, m domain.Meta) (domain.DossierID, uuid.UUID) {
	id := domain.DossierID(uid("dossier-" + p.name))
	if p.unit.IsZero() {
		p.unit = p.org
	}
	return id, l.CreateDossier(dossier.CreateDossier{
		DossierID: id, Class: p.class, ManagingOrg: p.org, EmployingUnit: p.unit,
		PersonalIDNumber: projectiontest.PersonalID(p.sex, p.dob, l.Seq),
		Identity: dossier.Identity{BirthName: p.name, Gender: p.sex, DateOfBirth: p.dob,
			Ethnicity: p.ethnicity, Religion: p.religion},
	}, m, catalog.Default())
}

// dump renders both tables of a generation as JSON, in key order.
func dump(t testing.TB, pool *pgxpool.Pool, tables projections.Tables) string {
	t.Helper()
	return projectiontest.Dump(t, pool,
		projectiontest.DumpTable(tables.Name(stats.ViewIntervals), "dossier_id, valid_from"),
		projectiontest.DumpTable(tables.Name(stats.ViewDossiers), "dossier_id"),
	)
}
