package compliance_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections/compliance"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestArrivalDoneWhenTheNationalDatabaseAcknowledges: TG 10.1a — the
// receiving org's request for the national-database sync of a person
// arriving from outside the province (10 working days from the hand-over)
// is done when the national database acknowledges the sync package that
// carried the arrival: on time for one, late for the other; a package that
// names neither closes nothing. Applied twice, identical.
func TestArrivalDoneWhenTheNationalDatabaseAcknowledges(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	arrive := func(name string) (domain.DossierID, uuid.UUID) {
		id := domain.DossierID(uid("arrival-" + name))
		dob := d(1990, 2, 3)
		ev := l.CreateDossier(dossier.CreateDossier{
			DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: orgB, EmployingUnit: orgB,
			PersonalIDNumber:           projectiontest.PersonalID(dossier.GenderMale, dob, l.Seq),
			Identity:                   dossier.Identity{BirthName: "Người Đến " + name, Gender: dossier.GenderMale, DateOfBirth: dob, Ethnicity: "01"},
			ArrivedFromOutsideProvince: true,
		}, l.meta(orgB, d(2026, 3, 3), d(2026, 3, 3)), catalog.Default())
		return id, uuid.NewSHA1(ev, []byte(policy.TransferInFromOutside.String()))
	}
	// Both handed over on Tuesday 3/3/2026: due Tuesday 17/3.
	early, earlyItem := arrive("sớm")
	late, lateItem := arrive("muộn")
	_, waitingItem := arrive("chờ")
	ack := func(day domain.Date, arrivals ...domain.DossierID) {
		pkg := uuid.NewSHA1(uuid.NameSpaceOID, []byte(day.String()))
		l.Append(nationalsync.StreamID(pkg), eventstore.Any, l.meta(orgB, day, day),
			[]domain.Event{nationalsync.Acknowledged{Package: pkg, Digest: "ab", Receipt: []byte(`{}`), Arrivals: arrivals}})
	}
	ack(d(2026, 3, 5))
	ack(d(2026, 3, 10), early)
	ack(d(2026, 3, 19), late)

	pool := projectiontest.NewDB(t)
	projectiontest.Build(t, pool, preset(t, "tien-giang-2025"), 1, l.Events(), 2)
	got := allItems(t, pool, orgB)
	check(t, got, earlyItem, want{policy.TransferInFromOutside, orgB, d(2026, 3, 3), d(2026, 3, 17), d(2026, 3, 10), compliance.OutcomeDone, 0, 0})
	check(t, got, lateItem, want{policy.TransferInFromOutside, orgB, d(2026, 3, 3), d(2026, 3, 17), d(2026, 3, 19), compliance.OutcomeDone, 2, 2})
	check(t, got, waitingItem, want{policy.TransferInFromOutside, orgB, d(2026, 3, 3), d(2026, 3, 17), domain.Date{}, compliance.OutcomeOpen, 0, 0})
}
