package stats

import (
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// TG 10.1: a person who left (retired, or transferred out of the province)
// and whose archived dossier is reactivated by decision is counted again,
// under the receiving org.
func TestReactivatedDossierIsCountedAgain(t *testing.T) {
	t.Parallel()
	oldOrg := domain.OrgID(uuid.MustParse("0190f5a6-0000-7000-8000-000000000001"))
	newOrg := domain.OrgID(uuid.MustParse("0190f5a6-0000-7000-8000-000000000002"))
	unit := domain.OrgID(uuid.MustParse("0190f5a6-0000-7000-8000-000000000003"))
	for _, left := range []struct {
		name  string
		event domain.Event
	}{
		{"retired", dossier.StatusChanged{Status: dossier.StatusRetired}},
		{"transferred out of the province", dossier.StatusChanged{Status: dossier.StatusTransferredOut}},
	} {
		t.Run(left.name, func(t *testing.T) {
			t.Parallel()
			var f folding
			for _, ev := range []domain.Event{
				dossier.Created{ManagingOrg: oldOrg, EmployingUnit: oldOrg, Class: dossier.ClassVienChuc},
				left.event,
			} {
				x, _ := patchOf(ev)
				f.apply(x)
			}
			if f.counted() {
				t.Fatalf("counted after leaving: %+v", f.attrs)
			}
			x, ok := patchOf(dossier.Reactivated{ManagingOrg: newOrg, EmployingUnit: unit, FromStatus: dossier.StatusRetired})
			if !ok {
				t.Fatal("a reactivation changes nothing the reports count")
			}
			f.apply(x)
			if !f.counted() || f.Org != newOrg || f.Unit != unit {
				t.Errorf("after reactivation: counted %v, org %v, unit %v; want counted under %v, %v", f.counted(), f.Org, f.Unit, newOrg, unit)
			}
		})
	}
}
