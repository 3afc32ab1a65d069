package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
)

var cat = catalog.Default()

// testKey is a 32-byte deployment secret for the personal-ID digest.
var testKey = []byte("test-secret-for-personal-id-hmac")

func fixedID(s string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceURL, []byte("hoso-app-test:"+s)) }

// The world every service test starts from: the Phú Thọ province committee,
// two departments under it, a historic district committee and a commune.
var (
	province = domain.OrgID(fixedID("org/province"))
	doha     = domain.OrgID(fixedID("org/doha"))   // Sở Nội vụ
	health   = domain.OrgID(fixedID("org/health")) // Sở Y tế
	district = domain.OrgID(fixedID("org/district"))
	commune  = domain.OrgID(fixedID("org/commune"))
	hr       = domain.AccountID(fixedID("account/hr"))
)

func decision(d domain.Date) domain.SourceDocument {
	return domain.SourceDocument{Kind: "decision", Number: "123/QĐ-UBND", Date: d, Issuer: "UBND tỉnh Phú Thọ"}
}

// metaOn is HR acting for org on date d, with its decision.
func metaOn(acting domain.OrgID, d domain.Date) domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: hr, Name: "Trần Thị Bình", ActingOrg: acting},
		RecordedAt:    d.StartInVietnam().Add(9 * time.Hour).UTC(),
		EffectiveDate: d,
		Source:        decision(d.AddDays(-1)),
	}
}

type world struct {
	ledger   ledger.Ledger
	dossiers app.Dossiers
	orgs     app.Orgs
	accounts app.Accounts
}

func newWorld(t testing.TB, store eventstore.Store) *world {
	t.Helper()
	if store == nil {
		store = memstore.New(nil)
	}
	l := ledger.Ledger{Store: store}
	w := &world{
		ledger:   l,
		dossiers: app.Dossiers{Ledger: l, Catalogue: cat, PersonalIDKey: testKey},
		orgs:     app.Orgs{Ledger: l, Managed: app.ScanManagedDossiers(l)},
		accounts: app.Accounts{Ledger: l},
	}
	ctx := context.Background()
	early := domain.MustDate(2008, 1, 1)
	for _, o := range []struct {
		id     domain.OrgID
		c      org.CreateOrg
		create domain.Date
	}{
		{province, org.CreateOrg{Name: "Ủy ban nhân dân tỉnh Phú Thọ", Code: "H45", Kind: org.KindProvinceCommittee, Level: org.LevelProvince}, early},
		{doha, org.CreateOrg{Name: "Sở Nội vụ tỉnh Phú Thọ", Code: "H45.01", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, early},
		{health, org.CreateOrg{Name: "Sở Y tế tỉnh Phú Thọ", Code: "H45.02", Kind: org.KindDepartment, Level: org.LevelProvince, Parent: province}, early},
		{district, org.CreateOrg{Name: "Ủy ban nhân dân huyện Lâm Thao", Code: "H45.20", Kind: org.KindDistrictCommittee, Level: org.LevelDistrict, Parent: province}, early},
		{commune, org.CreateOrg{Name: "Ủy ban nhân dân xã Lâm Thao", Code: "H45.30", Kind: org.KindCommuneCommittee, Level: org.LevelCommune, Parent: province}, domain.MustDate(2025, 7, 1)},
	} {
		if _, err := w.orgs.Create(ctx, o.id, o.c, metaOn(province, o.create)); err != nil {
			t.Fatalf("creating %s: %v", o.c.Name, err)
		}
	}
	return w
}

// personalID is a plausible number for a man born in 1990 (century/gender
// digit 0, year 90), unique per n.
func personalID(n int) string { return fmt.Sprintf("025090%06d", n) }

func newDossier(n int, managing domain.OrgID) dossier.CreateDossier {
	return dossier.CreateDossier{
		DossierID:        domain.DossierID(fixedID(fmt.Sprint("dossier/", n))),
		Class:            dossier.ClassCongChuc,
		ManagingOrg:      managing,
		EmployingUnit:    managing,
		PersonalIDNumber: personalID(n),
		Identity: dossier.Identity{
			BirthName:   "Nguyễn Văn An",
			Gender:      dossier.GenderMale,
			DateOfBirth: domain.MustDate(1990, 5, 12),
			Ethnicity:   "01",
			Religion:    "none",
			HomeTown:    dossier.Address{Place: "25", Detail: "xã Lâm Thao"},
		},
	}
}

// create makes dossier n managed by org on 2024-03-01 and returns its id.
func (w *world) create(t testing.TB, n int, managing domain.OrgID) domain.DossierID {
	t.Helper()
	c := newDossier(n, managing)
	if _, err := w.dossiers.Create(context.Background(), c, metaOn(managing, domain.MustDate(2024, 3, 1))); err != nil {
		t.Fatalf("Create(dossier %d): %v", n, err)
	}
	return c.DossierID
}

// types lists the stored event types of a stream.
func (w *world) types(t testing.TB, stream string) []string {
	t.Helper()
	evs, err := w.ledger.Store.ReadStream(context.Background(), stream, eventstore.ReadOptions{})
	if err != nil {
		t.Fatalf("ReadStream(%s): %v", stream, err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func (w *world) version(t testing.TB, stream string) uint64 {
	t.Helper()
	return uint64(len(w.types(t, stream)))
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

func hexOf(b byte) string { return strings.Repeat(fmt.Sprintf("%02x", b), 32) }
