package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
)

var reform = domain.MustDate(2025, 7, 1)

// TestOrgCommands: given the fixture world, when an org command runs, then
// it fails with the error kind or the org's stream ends with the type.
func TestOrgCommands(t *testing.T) {
	t.Parallel()
	unit := domain.OrgID(fixedID("org/hospital"))
	missing := domain.OrgID(fixedID("org/missing"))
	type call func(context.Context, *world) (eventstore.AppendResult, error)
	tests := []struct {
		name     string
		stream   domain.OrgID
		when     call
		wantErr  error
		wantType string
	}{
		{"create under a parent", unit, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Create(ctx, unit, org.CreateOrg{Name: "Bệnh viện Đa khoa tỉnh Phú Thọ", Code: "H45.02.01", Kind: org.KindPublicServiceUnit, Level: org.LevelUnit, Parent: health}, metaOn(province, d2))
		}, nil, org.TypeCreated},
		{"create under a missing parent", unit, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Create(ctx, unit, org.CreateOrg{Name: "Bệnh viện", Code: "H45.02.01", Kind: org.KindPublicServiceUnit, Level: org.LevelUnit, Parent: missing}, metaOn(province, d2))
		}, domain.ErrInvalid, ""},
		{"create an org twice", doha, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Create(ctx, doha, org.CreateOrg{Name: "Sở Nội vụ", Code: "H45.01", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, metaOn(province, d2))
		}, domain.ErrConflict, ""},
		{"rename", doha, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Rename(ctx, doha, 0, "Sở Nội vụ tỉnh Phú Thọ (mới)", "", metaOn(province, d2))
		}, nil, org.TypeRenamed},
		{"move under a department", district, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Move(ctx, district, 0, doha, metaOn(province, d2))
		}, nil, org.TypeMoved},
		{"move into its own subtree", province, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Move(ctx, province, 0, doha, metaOn(province, d2))
		}, domain.ErrInvalid, ""},
		{"merge into an org not yet founded", district, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Merge(ctx, district, 0, commune, metaOn(province, reform.AddDays(-1)))
		}, domain.ErrInvalid, ""},
		{"merge", district, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Merge(ctx, district, 0, commune, metaOn(province, reform))
		}, nil, org.TypeMerged},
		{"split", district, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Split(ctx, district, 0, []domain.OrgID{commune, province}, metaOn(province, reform))
		}, nil, org.TypeSplit},
		{"split into a missing org", district, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Split(ctx, district, 0, []domain.OrgID{commune, missing}, metaOn(province, reform))
		}, domain.ErrInvalid, ""},
		{"dissolve an org that manages nobody", district, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Dissolve(ctx, district, 0, domain.OrgID{}, metaOn(province, reform))
		}, nil, org.TypeDissolved},
		{"dissolve an org that manages dossiers without a successor", district, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			w.create(t, 5, district)
			return w.orgs.Dissolve(ctx, district, 0, domain.OrgID{}, metaOn(province, reform))
		}, domain.ErrInvalid, ""},
		{"a stale If-Match", doha, func(ctx context.Context, w *world) (eventstore.AppendResult, error) {
			return w.orgs.Rename(ctx, doha, 7, "Sở Nội vụ", "", metaOn(province, d2))
		}, domain.ErrConflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, nil)
			_, err := tt.when(context.Background(), w)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := last(w.types(t, tt.stream.StreamID())); got != tt.wantType {
				t.Fatalf("last event = %s, want %s", got, tt.wantType)
			}
		})
	}
}

func TestAccountCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	admin := domain.AccountID(fixedID("account/admin"))
	officer := domain.AccountID(fixedID("account/officer"))
	m := metaOn(doha, d2)
	m.Actor.Account = admin

	// Given an administrator created by the bootstrap actor…
	boot := metaOn(doha, d2)
	if _, err := w.accounts.Create(ctx, admin, account.CreateAccount{Kind: account.KindAdministrator, Username: "quantri", DisplayName: "Quản trị hệ thống", HomeOrg: doha}, boot); err != nil {
		t.Fatal(err)
	}
	// …when it creates an HR officer with a name already taken, then refused.
	_, err := w.accounts.Create(ctx, officer, account.CreateAccount{Kind: account.KindOrg, Username: "QuanTri", DisplayName: "Cán bộ tổ chức", HomeOrg: doha}, m)
	var se *domain.StateError
	if !errors.As(err, &se) || se.Rule != app.RuleUsernameTaken {
		t.Fatalf("duplicate username: err = %v, want %s", err, app.RuleUsernameTaken)
	}
	if _, err := w.accounts.Create(ctx, officer, account.CreateAccount{Kind: account.KindOrg, Username: "tccb.soyte", DisplayName: "Cán bộ tổ chức Sở Y tế", HomeOrg: health}, m); err != nil {
		t.Fatal(err)
	}
	grant := fixedID("grant/1")
	if _, err := w.accounts.Grant(ctx, officer, 0, account.NewGrant{ID: grant, Role: account.RoleHROfficer, Org: domain.OrgID(fixedID("org/missing"))}, m); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("grant over a missing org: err = %v, want ErrInvalid", err)
	}
	if _, err := w.accounts.Grant(ctx, officer, 1, account.NewGrant{ID: grant, Role: account.RoleHROfficer, Org: health}, m); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.Grant(ctx, officer, 1, account.NewGrant{ID: fixedID("grant/2"), Role: account.RoleInspector, Org: health}, m); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("grant with a stale If-Match: err = %v, want ErrConflict", err)
	}
	if _, err := w.accounts.ResetPassword(ctx, officer, 0, m); err != nil {
		t.Fatal(err)
	}
	self := m
	self.Actor.Account = officer
	if _, err := w.accounts.SetPassword(ctx, officer, 0, self); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.Grant(ctx, officer, 0, account.NewGrant{ID: fixedID("grant/3"), Role: account.RoleApprover, Org: health}, self); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("self grant: err = %v, want ErrForbidden", err)
	}
	if _, err := w.accounts.Restrict(ctx, officer, 0, "nghỉ phép dài hạn", m); err != nil {
		t.Fatal(err)
	}
	later := metaOn(doha, d2.AddDays(30))
	later.Actor.Account = admin
	if _, err := w.accounts.Reinstate(ctx, officer, 0, "đi làm trở lại", later); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.RevokeGrant(ctx, officer, 0, grant, "chuyển công tác", later); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.Close(ctx, officer, 0, "nghỉ hưu", later); err != nil {
		t.Fatal(err)
	}
	a, err := w.accounts.Get(ctx, officer)
	if err != nil || a.Status() != account.StatusClosed {
		t.Fatalf("account after close: %v, %v", a, err)
	}
	// A personal account names a dossier that exists.
	_, err = w.accounts.Create(ctx, domain.AccountID(fixedID("account/person")), account.CreateAccount{Kind: account.KindPersonal, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", HomeOrg: doha, Dossier: domain.DossierID(fixedID("dossier/404"))}, m)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("personal account for a missing dossier: err = %v, want ErrInvalid", err)
	}
	id := w.create(t, 1, doha)
	if _, err := w.accounts.Create(ctx, domain.AccountID(fixedID("account/person")), account.CreateAccount{Kind: account.KindPersonal, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", HomeOrg: doha, Dossier: id}, m); err != nil {
		t.Fatal(err)
	}
}

func TestServiceAccountKeysAndGrantExtension(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	admin := domain.AccountID(fixedID("account/admin"))
	svc := domain.AccountID(fixedID("account/sync"))
	m := metaOn(doha, d2)
	m.Actor.Account = admin
	if _, err := w.accounts.Create(ctx, svc, account.CreateAccount{Kind: account.KindService, Username: "dongbo.quocgia", DisplayName: "Đồng bộ CSDL quốc gia", HomeOrg: doha}, m); err != nil {
		t.Fatal(err)
	}
	grant := fixedID("grant/sync")
	g := account.NewGrant{ID: grant, Role: account.RoleInspector, Org: province, ValidUntil: d2.AddDays(365)}
	if _, err := w.accounts.Grant(ctx, svc, 1, g, m); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.ExtendGrant(ctx, svc, 2, grant, d2.AddDays(730), m); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.IssueAPIKey(ctx, svc, 3, "key_2024_01", m); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.IssueAPIKey(ctx, svc, 0, "key_2024_01", m); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("reissuing a key id: err = %v, want ErrConflict", err)
	}
	if _, err := w.accounts.RevokeAPIKey(ctx, svc, 4, "key_2024_01", "lộ khóa", m); err != nil {
		t.Fatal(err)
	}
	a, err := w.accounts.Get(ctx, svc)
	if err != nil || a.APIKeyActive("key_2024_01") || len(a.Grants(d2.AddDays(500))) != 1 {
		t.Fatalf("service account after revoke and extension: %v", err)
	}
}
