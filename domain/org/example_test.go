package org_test

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/org"
)

// An org renamed and then merged by the 2025 reform still answers what it
// was called on an earlier date.
func ExampleOrg_NameOn() {
	id := domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000001"))
	successor := domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000002"))
	meta := func(y int, m time.Month, d int) domain.Meta {
		eff := domain.MustDate(y, m, d)
		return domain.Meta{
			Actor:         domain.Actor{Account: domain.AccountID(uuid.MustParse("0190a000-0000-7000-8000-0000000000a1"))},
			EffectiveDate: eff,
			Source:        domain.SourceDocument{Kind: "decision", Number: "1/QĐ-UBND", Date: eff, Issuer: "UBND tỉnh Tiền Giang"},
		}
	}
	var history []domain.Recorded
	record := func(m domain.Meta) func([]domain.Event, error) {
		return func(evs []domain.Event, err error) {
			if err != nil {
				panic(err)
			}
			for _, e := range evs {
				history = append(history, domain.Recorded{Version: uint64(len(history) + 1), Event: e, Meta: m})
			}
		}
	}
	m := meta(2008, 1, 1)
	record(m)(org.Create(id, m, org.CreateOrg{Name: "Sở Nội vụ tỉnh Tiền Giang", Code: "H57.01", Kind: org.KindDepartment, Level: org.LevelProvince}))
	o, _ := org.Replay(history)
	m = meta(2025, 7, 1)
	record(m)(o.Merge(m, successor))
	o, _ = org.Replay(history)

	name, _ := o.NameOn(domain.MustDate(2024, 3, 1))
	fmt.Println(name)
	fmt.Println(o.Status(), o.ActiveOn(domain.MustDate(2025, 7, 1)))
	// Output:
	// Sở Nội vụ tỉnh Tiền Giang
	// merged false
}
