package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// TestTransferNeedsTheReceivingOrg: receiving a dossier is the receiving
// org's act (Tiền Giang art. 10.2–10.3: the old org sends, the new org
// receives). An internal transfer (điều chuyển nội bộ) stays inside the
// sending org's subtree; a transfer to an org outside it is the
// between_orgs kind, which only a grant covering the target org receives.
// Org A's HR officer can therefore never push one of A's dossiers into org
// B and receive it on B's behalf.
func TestTransferNeedsTheReceivingOrg(t *testing.T) {
	t.Parallel()
	env := apitest.Start(t)
	ctx := context.Background()
	orgA := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
	orgB := env.Org("Sở Giáo dục và Đào tạo", "000.00.03.T01", env.Root)
	unitA1 := domain.OrgID(uuid.Must(uuid.NewV7()))
	if _, err := env.Svc.Deps.Orgs.Create(ctx, unitA1, org.CreateOrg{Name: "Bệnh viện Đa khoa tỉnh", Code: "000.02.02.T01",
		Kind: org.KindPublicServiceUnit, Level: org.LevelUnit, Parent: orgA}, env.Meta()); err != nil {
		t.Fatal(err)
	}
	env.WaitCaughtUp()
	hrA := env.Session(env.Account("tccb.a", "", account.KindOrg, account.RoleHROfficer, orgA))
	hrB := env.Session(env.Account("tccb.b", "", account.KindOrg, account.RoleHROfficer, orgB))

	transfer := func(t *testing.T, id domain.DossierID, ifMatch, kind string, target domain.OrgID, want int) *apitest.Response {
		t.Helper()
		return write(t, env, http.MethodPost, "/api/v1/dossiers/"+id.String()+"/transfers", hrA, ifMatch, map[string]any{
			"kind": kind, "target_org": target, "source_document": decision("21/QĐ-SYT"),
		}, want)
	}
	transferID := func(r *apitest.Response) string {
		var v struct {
			ID string `json:"id"`
		}
		r.JSON(&v)
		return v.ID
	}
	receive := func(t *testing.T, tid, token, ifMatch string, want int) *apitest.Response {
		t.Helper()
		return write(t, env, http.MethodPost, "/api/v1/transfers/"+tid+"/receive", token, ifMatch,
			map[string]any{"source_document": decision("22/QĐ-SGDĐT")}, want)
	}

	t.Run("an internal transfer out of the sender's subtree is refused", func(t *testing.T) {
		id := env.Dossier(orgA, "Nguyễn Văn Điều")
		before := eventCount(t, env)
		p := transfer(t, id, `"1"`, "internal", orgB, http.StatusUnprocessableEntity).Problem()
		if p.Code != "validation_failed" || len(p.Errors) != 1 || p.Errors[0].Field != "/target_org" || p.Errors[0].Rule != "outside_org" {
			t.Errorf("internal transfer to another org: %+v, want validation_failed on /target_org (outside_org)", p)
		}
		if after := eventCount(t, env); after != before {
			t.Errorf("the refused transfer appended %d events", after-before)
		}
	})

	t.Run("an internal transfer inside the subtree is received by its HR", func(t *testing.T) {
		id := env.Dossier(orgA, "Trần Văn Nội")
		tid := transferID(transfer(t, id, `"1"`, "internal", unitA1, http.StatusCreated))
		receive(t, tid, hrB, `"2"`, http.StatusNotFound)
		receive(t, tid, hrA, `"2"`, http.StatusOK)
	})

	t.Run("between orgs, only the target receives", func(t *testing.T) {
		id := env.Dossier(orgA, "Lê Văn Chuyển")
		tid := transferID(transfer(t, id, `"1"`, "between_orgs", orgB, http.StatusCreated))
		before := eventCount(t, env)
		if p := receive(t, tid, hrA, `"2"`, http.StatusForbidden).Problem(); p.Code != "forbidden" {
			t.Errorf("the sender receiving: %+v", p)
		}
		if after := eventCount(t, env); after != before {
			t.Errorf("the refused receipt appended %d events", after-before)
		}
		receive(t, tid, hrB, `"2"`, http.StatusOK)
	})

	// A pending internal transfer into org B recorded before the rule
	// (the ledger keeps its history): the sender still may not receive it.
	// The event is appended straight to the ledger, as by a process that
	// died right after its append: the transfers projection finds it all
	// the same.
	t.Run("a recorded internal transfer into another org is not the sender's to receive", func(t *testing.T) {
		id := env.Dossier(orgA, "Phạm Văn Cũ")
		tid := uuid.Must(uuid.NewV7())
		m := env.Meta()
		m.Actor.ActingOrg = orgA
		ledger := ledger.Ledger{Store: env.Svc.Store}
		if _, err := ledger.Append(ctx, id.StreamID(), eventstore.Exactly(1), m, []domain.Event{dossier.TransferInitiated{
			TransferID: tid, Kind: dossier.TransferInternal, FromOrg: orgA, FromUnit: orgA, TargetOrg: orgB,
		}}, nil); err != nil {
			t.Fatal(err)
		}
		before := eventCount(t, env)
		if p := receive(t, tid.String(), hrA, `"2"`, http.StatusForbidden).Problem(); p.Code != "forbidden" {
			t.Errorf("the sender receiving into another org: %+v", p)
		}
		if after := eventCount(t, env); after != before {
			t.Errorf("the refused receipt appended %d events", after-before)
		}
	})
}
