package approvals_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
)

// TestApproveLargeMonth approves a unit-month of 5,000 dossiers (a
// creation and a section update each: 10,000 entries, a manifest of about
// 6 MB) end to end: served, signed, recorded, then exported as an offline
// audit bundle that verifies. Before the manifest's bytes left the
// approval.manifest_served event (1 MiB at most), serving failed above
// about 2,000 entries.
func TestApproveLargeMonth(t *testing.T) {
	t.Parallel()
	const dossiers = 5000
	ctx := context.Background()
	w, pool, store, tree := newWorld(t)
	now := time.Now()
	month := approval.MonthOf(now).Prev()
	founded := month.Start().AddDate(-1, 0, 0)
	w.org(t, province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, founded)
	w.org(t, unitA, org.CreateOrg{Name: "Sở Giáo dục và Đào tạo", Code: "H45.09", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, founded)
	root := certtest.NewCA(t, "Hoso Test Root CA")
	signer := root.Issue(t, "Nguyễn Văn An", month.Start().AddDate(0, -2, 0), now.AddDate(1, 0, 0), x509.KeyUsageDigitalSignature)
	w.approver(t, "giamdoc", unitA, unitA, signer.PEM, month.Start().Add(9*time.Hour))

	// 8 writers at a time: the dossiers are independent streams.
	var g errgroup.Group
	g.SetLimit(8)
	patch := dossier.Patch{Position: &dossier.Position{Current: "Giáo viên"}}
	for i := range dossiers {
		g.Go(func() error {
			when := month.Start().Add(time.Duration(i)*time.Minute + time.Hour)
			c := dossier.CreateDossier{
				DossierID: domain.DossierID(id(fmt.Sprint("large/", i))), Class: dossier.ClassVienChuc,
				ManagingOrg: unitA, EmployingUnit: unitA, PersonalIDNumber: fmt.Sprintf("025190%06d", i),
				Identity: dossier.Identity{BirthName: fmt.Sprintf("Trần Thị Giáo Viên %d", i), Gender: dossier.GenderFemale,
					DateOfBirth: domain.MustDate(1990, 5, 12), Ethnicity: "01", Religion: "none", HomeTown: dossier.Address{Place: "25", Detail: "xã Lâm Thao"}},
			}
			m := at(when)
			m.Actor.ActingOrg = unitA
			if _, err := w.dossiers.Create(ctx, c, m); err != nil {
				return err
			}
			m = at(when.Add(time.Second))
			m.Actor.ActingOrg = unitA
			_, err := w.dossiers.UpdateSection(ctx, c.DossierID, 1, patch, m)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}

	key, err := checkpoint.LoadOrCreateKey(t.TempDir()+"/checkpoint.key", "hoso.test/approvals")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	svc := approvals.New(approvals.Config{Pool: pool, Store: store, Tree: tree, Checkpoints: checkpoint.New(pool, tree, key, nil),
		Roots: roots, Policy: preset(t), Calendar: calendar.Official()})
	meta := domain.Meta{Actor: domain.Actor{Account: admin}}
	served, err := svc.Manifest(ctx, unitA, month, approval.LevelUnit, meta)
	if err != nil {
		t.Fatalf("serving the manifest of %d dossiers: %v", dossiers, err)
	}
	if served.Manifest.Count != 2*dossiers || len(served.Bytes) <= eventstore.MaxEventSize {
		t.Fatalf("the manifest: %d entries, %d bytes; want %d entries, over %d bytes", served.Manifest.Count, len(served.Bytes), 2*dossiers, eventstore.MaxEventSize)
	}
	stream := approval.StreamID(unitA, month, approval.LevelUnit)
	evs, err := store.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil || len(evs) != 1 || len(evs[0].Data) > 1024 {
		t.Fatalf("the served event: %d events, %v; want one small event", len(evs), err)
	}
	ok, err := svc.Submit(ctx, unitA, month, approval.LevelUnit, signer.SignGo(t, served.Bytes), meta)
	if err != nil {
		t.Fatalf("signing the manifest of %d dossiers: %v", dossiers, err)
	}
	if ok.Signed.ManifestDigest != served.Digest || ok.Checkpoint == nil {
		t.Fatalf("the approval: %+v", ok.Signed)
	}

	b, err := auditbundle.Export(ctx, pool, store, tree, unitA, month, approval.LevelUnit, key.VerifierKey, now)
	if err != nil {
		t.Fatal(err)
	}
	if approvals.Digest(b.Manifest) != served.Digest {
		t.Fatal("the bundle does not carry the signed manifest's bytes")
	}
	r := auditbundle.Verify(b, auditbundle.Options{Key: key.Verifier, Roots: roots})
	if !r.OK() {
		t.Fatalf("the bundle of %d events: %s", 2*dossiers, strings.Join(r.Problems, "\n"))
	}
	if !strings.Contains(strings.Join(r.Proved, "\n"), fmt.Sprintf("all %d listed events", 2*dossiers)) {
		t.Errorf("the bundle's report: %s", strings.Join(r.Proved, "\n"))
	}
}
