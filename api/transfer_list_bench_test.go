package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// BenchmarkTransferList: one page of an org's inbox, GET /transfers?
// direction=incoming&state=pending&limit=50, 50 pending transfers, over
// HTTP with a session; the baseline is the same page read from the
// read model with one SQL query (what the index alone costs). The API
// also loads each listed dossier from the ledger (the state and the
// person are the ledger's, the access rule is GET /transfers/{id}'s),
// names the orgs and writes 50 read-log rows.
func BenchmarkTransferList(b *testing.B) {
	env := apitest.Start(b)
	ctx := context.Background()
	orgA := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	orgB := env.Org("Sở Giáo dục và Đào tạo", "000.00.03.T01", env.Root)
	hrB := env.Session(env.Account("tccb.b", "", account.KindOrg, account.RoleHROfficer, orgB))
	for i := range 50 {
		id := env.Dossier(orgA, fmt.Sprintf("Nguyễn Văn Chuyển %d", i))
		m := env.Meta()
		m.Actor.ActingOrg = orgA
		if _, err := env.Svc.Deps.Dossiers.InitiateTransfer(ctx, id, 1, dossier.TransferOrder{
			TransferID: uuid.Must(uuid.NewV7()), Kind: dossier.TransferBetweenOrgs, TargetOrg: orgB}, m); err != nil {
			b.Fatal(err)
		}
	}
	env.WaitCaughtUp()
	b.Run("api", func(b *testing.B) {
		for b.Loop() {
			r := env.Do(http.MethodGet, "/api/v1/transfers?direction=incoming&state=pending&limit=50", hrB, nil)
			if r.Status != http.StatusOK {
				b.Fatalf("%d %s", r.Status, r.Body)
			}
		}
	})
	b.Run("postgres", func(b *testing.B) {
		for b.Loop() {
			rows, err := env.Svc.Pool.Query(ctx, `SELECT transfer_id, dossier_id, kind, from_org, target_org, state, initiated_on
FROM transfer_dossiers WHERE target_org = ANY($1) AND state = 'pending' ORDER BY position COLLATE "C" DESC LIMIT 51`,
				[]uuid.UUID{uuid.UUID(orgB)})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if rows.Err() != nil || n != 50 {
				b.Fatalf("%d rows, %v", n, rows.Err())
			}
		}
	})
}
