package compliance_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
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

// create opens a dossier managed by org; it returns the dossier id and the
// creation's event id.
func (l ledger) create(name string, org domain.OrgID, m domain.Meta) (domain.DossierID, uuid.UUID) {
	id := domain.DossierID(uid("dossier-" + name))
	dob := d(1985, 5, 17)
	return id, l.CreateDossier(dossier.CreateDossier{
		DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org,
		PersonalIDNumber: projectiontest.PersonalID(dossier.GenderFemale, dob, l.Seq),
		Identity:         dossier.Identity{BirthName: name, Gender: dossier.GenderFemale, DateOfBirth: dob, Ethnicity: "01"},
	}, m, catalog.Default())
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

// dump renders both tables of a generation as JSON, in key order.
func dump(t testing.TB, pool *pgxpool.Pool, tables projections.Tables) string {
	t.Helper()
	return projectiontest.Dump(t, pool,
		projectiontest.DumpTable(tables.Name(compliance.ViewItems), "item_id"),
		projectiontest.DumpTable(tables.Name(compliance.ViewDossiers), "dossier_id"),
	)
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
