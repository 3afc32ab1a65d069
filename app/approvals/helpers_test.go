package approvals_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

func id(s string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceURL, []byte("hoso-approvals-test:"+s)) }

var admin = domain.AccountID(id("account/admin"))

// at is admin acting on the Vietnamese date of t, with a decision.
func at(t time.Time) domain.Meta {
	d := domain.DateOf(t)
	return domain.Meta{
		Actor:      domain.Actor{Account: admin, Name: "Lê Văn Quản"},
		RecordedAt: t.UTC(), EffectiveDate: d,
		Source: domain.SourceDocument{Kind: "decision", Number: "12/QĐ-UBND", Date: d, Issuer: "UBND tỉnh"},
	}
}

type world struct {
	ledger   ledger.Ledger
	orgs     app.Orgs
	dossiers app.Dossiers
	accounts app.Accounts
	n        int
}

func (w *world) org(t testing.TB, oid domain.OrgID, c org.CreateOrg, when time.Time) {
	t.Helper()
	if _, err := w.orgs.Create(context.Background(), oid, c, at(when)); err != nil {
		t.Fatalf("creating %s: %v", c.Name, err)
	}
}

// dossier creates a dossier managed by o, recorded at when.
func (w *world) dossier(t testing.TB, o domain.OrgID, when time.Time) domain.DossierID {
	t.Helper()
	w.n++
	c := dossier.CreateDossier{
		DossierID: domain.DossierID(id(fmt.Sprint("dossier/", w.n))), Class: dossier.ClassCongChuc,
		ManagingOrg: o, EmployingUnit: o, PersonalIDNumber: fmt.Sprintf("025090%06d", w.n),
		Identity: dossier.Identity{
			BirthName: "Nguyễn Văn An", Gender: dossier.GenderMale, DateOfBirth: domain.MustDate(1990, 5, 12),
			Ethnicity: "01", Religion: "none", HomeTown: dossier.Address{Place: "25", Detail: "xã Lâm Thao"},
		},
	}
	m := at(when)
	m.Actor.ActingOrg = o
	if _, err := w.dossiers.Create(context.Background(), c, m); err != nil {
		t.Fatalf("creating dossier: %v", err)
	}
	return c.DossierID
}

// approver creates an account holding the approver role over o and
// registers cert on it.
func (w *world) approver(t testing.TB, name string, home, over domain.OrgID, cert string, when time.Time) domain.AccountID {
	t.Helper()
	ctx := context.Background()
	aid := domain.AccountID(id("account/" + name))
	if _, err := w.accounts.Create(ctx, aid, account.CreateAccount{Kind: account.KindOrg, Username: name, DisplayName: name, HomeOrg: home}, at(when)); err != nil {
		t.Fatalf("creating account %s: %v", name, err)
	}
	if _, err := w.accounts.Grant(ctx, aid, 0, account.NewGrant{ID: id("grant/" + name), Role: account.RoleApprover, Org: over}, at(when)); err != nil {
		t.Fatalf("granting %s: %v", name, err)
	}
	if cert != "" {
		if _, err := w.accounts.RegisterCertificate(ctx, aid, 0, cert, at(when)); err != nil {
			t.Fatalf("registering %s's certificate: %v", name, err)
		}
	}
	return aid
}

var cat = catalog.Default()

// newWorld is a fresh schema with its store, Merkle log and app services.
func newWorld(t testing.TB) (*world, *pgxpool.Pool, *postgres.Store, *treelog.Log) {
	t.Helper()
	pool, _ := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	tree := treelog.New(pool, store, treelog.Options{})
	l := ledger.Ledger{Store: store}
	w := &world{ledger: l, orgs: app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)},
		dossiers: app.Dossiers{Ledger: l, Catalogue: cat, PersonalIDKey: []byte("test-secret-for-personal-id-hmac")},
		accounts: app.Accounts{Ledger: l}}
	return w, pool, store, tree
}
