package dossier_test

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

type catalogue map[string]bool

func (c catalogue) Has(kind, code string) bool { return c[kind+":"+code] }

// A dossier is decided by commands and rebuilt by Replay; the caller stores
// the events in between.
func Example() {
	cat := catalogue{"ethnicity:kinh": true, "rank:01.003": true}
	m := domain.Meta{
		Actor:         domain.Actor{Account: domain.AccountID(uuid.New()), ActingOrg: domain.OrgID{1}},
		RecordedAt:    time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC),
		EffectiveDate: domain.MustDate(2024, 3, 1),
		Source:        domain.SourceDocument{Kind: "decision", Number: "123/QĐ-UBND", Date: domain.MustDate(2024, 2, 28), Issuer: "UBND tỉnh Phú Thọ"},
	}
	events, err := dossier.Create(dossier.CreateDossier{
		DossierID:        domain.DossierID{9},
		Class:            dossier.ClassCongChuc,
		ManagingOrg:      domain.OrgID{1},
		EmployingUnit:    domain.OrgID{2},
		PersonalIDNumber: "001090012345",
		Identity: dossier.Identity{BirthName: "Nguyễn Văn An", Gender: dossier.GenderMale,
			DateOfBirth: domain.MustDate(1990, 5, 12), Ethnicity: "kinh"},
	}, m, cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	history := []domain.Recorded{{ID: uuid.New(), Version: 1, Event: events[0], Meta: m}}
	d, _ := dossier.Replay(history)
	fmt.Println(events[0].EventType(), d.Document().Identity.BirthNameCaps, d.Status())

	_, err = d.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Rank: "99.999"}}, m, cat)
	fmt.Println(err)
	// Output:
	// dossier.created.v1 NGUYỄN VĂN AN active
	// invalid: patch/salary/rank: catalogue: "99.999" is not in the rank catalogue
}
