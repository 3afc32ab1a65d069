package approvals_test

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

// authority is a province (committee, Sở Nội vụ, two other departments)
// and a second province with its own Sở Nội vụ, over one past month.
type authority struct {
	*world
	svc      *approvals.Service
	month    approval.Month
	day      func(int) time.Time
	root     *certtest.CA
	from, to time.Time
	other    domain.OrgID // the second province's committee
	otherDoH domain.OrgID // its Sở Nội vụ
}

func newAuthority(t *testing.T) *authority {
	t.Helper()
	pool, _ := pgtest.New(t)
	store := postgres.New(pool, postgres.Options{})
	l := ledger.Ledger{Store: store}
	w := &world{ledger: l, orgs: app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)},
		dossiers: app.Dossiers{Ledger: l, Catalogue: cat, PersonalIDKey: []byte("test-secret-for-personal-id-hmac")},
		accounts: app.Accounts{Ledger: l}}
	now := time.Now()
	month := approval.MonthOf(now).Prev()
	a := &authority{world: w, month: month, root: certtest.NewCA(t, "Hoso Authority Root"),
		day:  func(d int) time.Time { return month.Start().AddDate(0, 0, d-1).Add(9 * time.Hour) },
		from: month.Start().AddDate(0, -2, 0), to: now.AddDate(1, 0, 0),
		other: domain.OrgID(id("org/other-province")), otherDoH: domain.OrgID(id("org/other-doha"))}
	founded := month.Start().AddDate(-1, 0, 0)
	w.org(t, province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, founded)
	w.org(t, doha, org.CreateOrg{Name: "Sở Nội vụ tỉnh Phú Thọ", Code: "H45.01", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	w.org(t, unitA, org.CreateOrg{Name: "Sở Y tế tỉnh Phú Thọ", Code: "H45.02", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	w.org(t, unitB, org.CreateOrg{Name: "Sở Tài chính tỉnh Phú Thọ", Code: "H45.03", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	w.org(t, a.other, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Lào Cai", Code: "H15", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, founded)
	w.org(t, a.otherDoH, org.CreateOrg{Name: "Sở Nội vụ tỉnh Lào Cai", Code: "H15.01", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: a.other}, founded)
	roots := x509.NewCertPool()
	roots.AddCert(a.root.Cert)
	a.svc = approvals.New(approvals.Config{Pool: pool, Store: store, Tree: treelog.New(pool, store, treelog.Options{}), Roots: roots,
		Policy: preset(t), Calendar: calendar.Official()})
	return a
}

// designate records province's decision naming its Sở Nội vụ.
func (a *authority) designate(t *testing.T, prov, doh domain.OrgID) {
	t.Helper()
	o, err := a.orgs.Get(context.Background(), prov)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.orgs.DesignateHomeAffairs(context.Background(), prov, o.Version(), doh, at(a.month.Start().AddDate(0, 0, -20))); err != nil {
		t.Fatalf("designating the Sở Nội vụ: %v", err)
	}
}

// signer is a certificate holder (subject cn) with account username and
// the approver role over org.
func (a *authority) signer(t *testing.T, username, cn string, over domain.OrgID) certtest.Signer {
	t.Helper()
	c := a.root.Issue(t, cn, a.from, a.to, certtest.SigningUsage)
	a.approver(t, username, over, over, c.PEM, a.day(2))
	return c
}

// sign fetches the manifest of o's month at level and signs it with c.
func (a *authority) sign(t *testing.T, o domain.OrgID, level approval.Level, c certtest.Signer) (approvals.Served, error) {
	t.Helper()
	ctx := context.Background()
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	served, err := a.svc.Manifest(ctx, o, a.month, level, meta)
	if err != nil {
		return served, err
	}
	_, err = a.svc.Submit(ctx, o, a.month, level, c.SignGo(t, served.Bytes), meta)
	return served, err
}

// TestOnlyTheDesignatedHomeAffairsSignsLevel2 (Tiền Giang art. 11.3, 12):
// the province's level-2 approval is the Department of Home Affairs' act,
// and the org that is that department is named by a decision, never
// inferred from its kind: another department of the province may not sign
// it, nor may the Sở Nội vụ of another province cover this one's units.
func TestOnlyTheDesignatedHomeAffairsSignsLevel2(t *testing.T) {
	t.Parallel()
	a := newAuthority(t)
	a.dossier(t, unitA, a.day(10))
	if _, err := a.sign(t, unitA, approval.LevelUnit, a.signer(t, "gd.soyte", "Giám đốc Sở Y tế", unitA)); err != nil {
		t.Fatalf("unit approval: %v", err)
	}
	ctx := context.Background()
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	// Before any designation, no department signs level 2.
	if _, err := a.svc.Manifest(ctx, doha, a.month, approval.LevelDepartment, meta); approvals.CodeOf(err) != approvals.CodeLevelNotAllowed {
		t.Fatalf("level 2 by an undesignated Sở Nội vụ: %v, want %s", err, approvals.CodeLevelNotAllowed)
	}
	a.designate(t, province, doha)
	a.designate(t, a.other, a.otherDoH)
	if _, err := a.svc.Manifest(ctx, unitB, a.month, approval.LevelDepartment, meta); approvals.CodeOf(err) != approvals.CodeLevelNotAllowed {
		t.Fatalf("level 2 by the Sở Tài chính (a department, not the designated one): %v, want %s", err, approvals.CodeLevelNotAllowed)
	}
	if _, err := a.svc.Manifest(ctx, a.otherDoH, a.month, approval.LevelDepartment, meta); approvals.CodeOf(err) != approvals.CodeNoUnitApprovals {
		t.Fatalf("level 2 of another province: %v, want %s (this province's unit approvals are not its to cover)", err, approvals.CodeNoUnitApprovals)
	}
	served, err := a.sign(t, doha, approval.LevelDepartment, a.signer(t, "gd.sonoivu", "Giám đốc Sở Nội vụ", doha))
	if err != nil || served.Manifest.Count != 1 {
		t.Fatalf("level 2 by the designated Sở Nội vụ: %d entries, %v; want 1 (the Sở Y tế's approval)", served.Manifest.Count, err)
	}
}

// TestOnePersonNeverSignsBothLevels (Tiền Giang art. 6 and 12; Circular
// 06/2023): level 1 is the approval of the unit's own head (or delegate),
// so its signer holds the approver role on the unit itself, not through
// the Sở Nội vụ or any other ancestor; and the holder of one certificate
// subject never signs both levels of one month.
func TestOnePersonNeverSignsBothLevels(t *testing.T) {
	t.Parallel()
	a := newAuthority(t)
	a.designate(t, province, doha)
	a.dossier(t, unitA, a.day(10))
	a.dossier(t, doha, a.day(11))

	// The province's approver (grant on the committee, which covers every
	// unit below it) may not sign the Sở Y tế's level 1.
	if _, err := a.sign(t, unitA, approval.LevelUnit, a.signer(t, "ct.ubnd", "Chủ tịch UBND tỉnh", province)); approvals.CodeOf(err) != approvals.CodeSignerNotApprover {
		t.Fatalf("level 1 through an ancestor's grant: %v, want %s", err, approvals.CodeSignerNotApprover)
	}
	if _, err := a.sign(t, unitA, approval.LevelUnit, a.signer(t, "gd.soyte", "Giám đốc Sở Y tế", unitA)); err != nil {
		t.Fatalf("level 1 by the unit's own approver: %v", err)
	}
	// The director of the Sở Nội vụ signs its own staff's level 1 …
	director := a.signer(t, "gd.sonoivu", "Giám đốc Sở Nội vụ", doha)
	if _, err := a.sign(t, doha, approval.LevelUnit, director); err != nil {
		t.Fatalf("level 1 of the Sở Nội vụ's own staff: %v", err)
	}
	// … so level 2 over it is signed by someone else: not by the same
	// account, nor by another certificate with the same subject.
	again := a.root.Issue(t, "Giám đốc Sở Nội vụ", a.from, a.to, certtest.SigningUsage)
	a.approver(t, "gd.sonoivu.2", doha, doha, again.PEM, a.day(2))
	for name, c := range map[string]certtest.Signer{"same certificate": director, "same subject": again} {
		if _, err := a.sign(t, doha, approval.LevelDepartment, c); approvals.CodeOf(err) != approvals.CodeSignedBothLevels {
			t.Errorf("level 2 by the level-1 signer (%s): %v, want %s", name, err, approvals.CodeSignedBothLevels)
		}
	}
	if _, err := a.sign(t, doha, approval.LevelDepartment, a.signer(t, "pgd.sonoivu", "Phó Giám đốc Sở Nội vụ", doha)); err != nil {
		t.Fatalf("level 2 by another leader of the Sở Nội vụ: %v", err)
	}
}
