package service_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/internal/certtest"
)

// TestApprovalOnEachBackend: a unit's month is served and signed through
// HTTP on every backend, EventStoreDB's protocol server included, where
// the manifest is built through the store interface and the Merkle log
// (no events table).
func TestApprovalOnEachBackend(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			root := certtest.NewCA(t, "Hoso Backend Root")
			roots := x509.NewCertPool()
			roots.AddCert(root.Cert)
			cfg := b.store(t)
			cfg.TrustRoots = roots
			env := apitest.Start(t, apitest.Options{Config: cfg})
			ctx := context.Background()
			unit := env.Org("Sở Y tế", "000.00.02.T31", env.Root)
			env.Dossier(unit, "Nguyễn Văn An")
			env.Dossier(unit, "Lê Thị Hoa")
			id := env.Account("giamdoc", "", account.KindOrg, account.RoleApprover, unit)
			now := time.Now()
			signer := root.Issue(t, "Giám đốc Sở Y tế", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
			if _, err := env.Svc.Deps.Accounts.RegisterCertificate(ctx, id, 0, signer.PEM, env.Meta()); err != nil {
				t.Fatal(err)
			}
			tok := env.Session(id)
			base := fmt.Sprintf("/api/v1/approvals/%s/%s", unit, approval.MonthOf(now))
			r := env.Do(http.MethodGet, base+"/manifest", tok, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET manifest: %d %s", r.Status, r.Body)
			}
			m, err := approvals.ParseManifest(r.Body)
			if err != nil || m.Count != 2 || len(m.Changes) != 2 {
				t.Fatalf("manifest: %d entries, %d dossiers in the view, %v", m.Count, len(m.Changes), err)
			}
			r = env.Do(http.MethodPost, base+"/signature", tok, signer.SignGo(t, r.Body), "Content-Type", "application/pkcs7-signature")
			if r.Status != http.StatusCreated {
				t.Fatalf("POST signature: %d %s", r.Status, r.Body)
			}
		})
	}
}
