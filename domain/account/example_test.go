package account_test

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// An HR officer granted over a department may write the dossiers of its
// units but not those of the province above it.
func ExamplePolicy_Can() {
	province := domain.OrgID(uuid.MustParse("0190c000-0000-7000-8000-000000000001"))
	dept := domain.OrgID(uuid.MustParse("0190c000-0000-7000-8000-000000000002"))
	unit := domain.OrgID(uuid.MustParse("0190c000-0000-7000-8000-000000000003"))
	parent := map[domain.OrgID]domain.OrgID{dept: province, unit: dept}
	ancestry := func(o domain.OrgID) []domain.OrgID {
		chain := []domain.OrgID{o}
		for p, ok := parent[o]; ok; p, ok = parent[p] {
			chain = append(chain, p)
		}
		return chain
	}
	p := account.NewPolicy([]account.Grant{{Role: account.RoleHROfficer, Org: dept}}, ancestry)
	fmt.Println(p.Can(account.ActionWriteDossier, unit), p.Can(account.ActionWriteDossier, province), p.Can(account.ActionApproveMonth, unit))
	// Output: true false false
}
