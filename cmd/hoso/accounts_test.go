package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

func runWithStdin(t *testing.T, databaseURL, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "HOSO_DATABASE_URL":
			return databaseURL
		case "USER":
			return "tester"
		}
		return ""
	}
	code := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestBootstrapAdminOnEmptyLedger(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.New(t)
	ctx := context.Background()

	if code, _, stderr := runWithStdin(t, url, "short\n", "accounts", "bootstrap-admin", "quantri"); code != 1 || !strings.Contains(stderr, "12 to 256") {
		t.Errorf("weak password: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := runWithStdin(t, url, "Mat-Khau-Quan-Tri-2026\n", "accounts", "bootstrap-admin", "--org-code", "SNV-TN", "QuanTri")
	if code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "founded root org") {
		t.Errorf("stdout %q does not mention the founded root", stdout)
	}
	id, err := auth.NewStore(pgadapter.NewCredentials(pool), nil).Login(ctx, "quantri", "Mat-Khau-Quan-Tri-2026")
	if err != nil {
		t.Fatalf("login with the bootstrap password: %v", err)
	}
	l := ledger.Ledger{Store: postgres.New(pool, postgres.Options{})}
	a, err := app.LoadAccount(ctx, l, domain.AccountID(id))
	if err != nil {
		t.Fatal(err)
	}
	today := domain.DateOf(time.Now())
	gs := a.Grants(today)
	if a.Kind() != account.KindAdministrator || len(gs) != 1 || gs[0].Role != account.RoleAdmin || gs[0].Org != a.HomeOrg() || !a.Password().MustChange {
		t.Errorf("account: kind %s grants %+v must_change %v", a.Kind(), gs, a.Password().MustChange)
	}
	o, err := app.LoadOrg(ctx, l, a.HomeOrg())
	if err != nil || o.Name() != "Sở Nội vụ" || o.Code() != "SNV-TN" || !o.Parent().IsZero() {
		t.Errorf("root org: %v %v", o, err)
	}

	code, _, stderr = runWithStdin(t, url, "Mat-Khau-Khac-2026-xx\n", "accounts", "bootstrap-admin", "quantri2")
	if code != 1 || !strings.Contains(stderr, "refused") || !strings.Contains(stderr, "quantri") {
		t.Errorf("second bootstrap: exit %d, stderr %q; want 1 and a refusal naming quantri", code, stderr)
	}
}

func TestBootstrapAdminOverExistingRoots(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.New(t)
	ctx := context.Background()
	l := ledger.Ledger{Store: postgres.New(pool, postgres.Options{})}
	today := domain.DateOf(time.Now())
	meta := domain.Meta{Actor: domain.Actor{Account: domain.AccountID(uuid.Must(uuid.NewV7())), Name: "seed"}, RecordedAt: time.Now().UTC(),
		EffectiveDate: today, Source: domain.SourceDocument{Kind: "decision", Number: "1/QĐ", Date: today, Issuer: "UBND"}}
	var roots []domain.OrgID
	for _, code := range []string{"UBND-A", "UBND-B"} {
		id := domain.OrgID(uuid.Must(uuid.NewV7()))
		if _, err := (app.Orgs{Ledger: l}).Create(ctx, id, org.CreateOrg{Name: "UBND " + code, Code: code, Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, meta); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, id)
	}
	child := domain.OrgID(uuid.Must(uuid.NewV7()))
	if _, err := (app.Orgs{Ledger: l}).Create(ctx, child, org.CreateOrg{Name: "Sở Nội vụ", Code: "SNV", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: roots[0]}, meta); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runWithStdin(t, url, "Mat-Khau-Quan-Tri-2026", "accounts", "bootstrap-admin", "quantri")
	if code != 0 || strings.Contains(stdout, "founded") {
		t.Fatalf("bootstrap: exit %d\n%s%s", code, stdout, stderr)
	}
	id, err := auth.NewStore(pgadapter.NewCredentials(pool), nil).Login(ctx, "quantri", "Mat-Khau-Quan-Tri-2026")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.LoadAccount(ctx, l, domain.AccountID(id))
	if err != nil {
		t.Fatal(err)
	}
	var over []domain.OrgID
	for _, g := range a.Grants(today) {
		over = append(over, g.Org)
	}
	if len(over) != 2 || over[0] != roots[0] || over[1] != roots[1] || a.HomeOrg() != roots[0] {
		t.Errorf("admin grants over %v (home %v), want the two roots %v", over, a.HomeOrg(), roots)
	}
}
