package dossiers_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// TestArchive lists the permanent archive of the search population, where
// Nguyễn Văn Bình retired and Trần Thị Bình left the province (both on the
// clock's first day, 2020-01-06), and here also Nguyễn Thị Đào resigned
// (2019-06-30), Lê Đức Dũng died (2019-12-01), and Nguyễn Văn Anh retired
// and was brought back by a reactivating correction.
func TestArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	l := newLedger(t, store)
	pop := populate(t, l)
	leave := func(key string, s dossier.Status, on domain.Date) {
		p := pop.byKey[key]
		m := l.meta(p.org, on)
		l.do(p, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ChangeStatus(s, m) })
	}
	leave("dao", dossier.StatusResigned, domain.MustDate(2019, 6, 30))
	leave("dung", dossier.StatusDeceased, domain.MustDate(2019, 12, 1))
	leave("anh", dossier.StatusRetired, domain.MustDate(2019, 12, 31))
	anh := pop.byKey["anh"]
	m := l.meta(anh.org, domain.Date{})
	l.do(anh, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.Correct(dossier.Correction{Corrects: anh.history[len(anh.history)-1], Reactivate: true}, m, projectiontest.AnyCode{})
	})
	rebuild(t, pool, l, 3)

	all := []domain.OrgID{orgA, orgB, orgC}
	keys := func(items []dossiers.ArchivedDossier) []string {
		out := make([]string, len(items))
		for i, a := range items {
			out[i] = pop.names[a.ID]
		}
		return out
	}
	// The two who left on 2020-01-06 come in dossier id order, descending.
	sameDay := []string{"vanbinh", "thibinh"}
	if pop.byKey["vanbinh"].id.String() < pop.byKey["thibinh"].id.String() {
		sameDay = []string{"thibinh", "vanbinh"}
	}
	tests := []struct {
		name string
		q    dossiers.ArchiveQuery
		want []string
	}{
		{"latest departures first", dossiers.ArchiveQuery{Scope: all}, []string{"vanbinh", "dung", "dao"}},
		{"with those handed over", dossiers.ArchiveQuery{Scope: all, IncludeRevoked: true}, append(slices.Clone(sameDay), "dung", "dao")},
		{"by name", dossiers.ArchiveQuery{Scope: all, IncludeRevoked: true, Sort: dossiers.ArchiveByName}, []string{"dung", "dao", "vanbinh", "thibinh"}},
		{"scope of one org", dossiers.ArchiveQuery{Scope: []domain.OrgID{orgB}}, []string{"dung", "dao"}},
		{"handed over stays out of scope", dossiers.ArchiveQuery{Scope: []domain.OrgID{orgA}}, []string{"vanbinh"}},
		{"empty scope", dossiers.ArchiveQuery{}, nil},
		{"how they left", dossiers.ArchiveQuery{Scope: all, IncludeRevoked: true, Statuses: []dossier.Status{dossier.StatusDeceased, dossier.StatusTransferredOut}}, []string{"thibinh", "dung"}},
		{"left in 2019", dossiers.ArchiveQuery{Scope: all, IncludeRevoked: true, LeftFrom: domain.MustDate(2019, 1, 1), LeftTo: domain.MustDate(2019, 12, 31)}, []string{"dung", "dao"}},
		{"left from 2019-12-01", dossiers.ArchiveQuery{Scope: all, LeftFrom: domain.MustDate(2019, 12, 1)}, []string{"vanbinh", "dung"}},
		{"name without diacritics", dossiers.ArchiveQuery{Scope: all, IncludeRevoked: true, Text: "binh", Sort: dossiers.ArchiveByName}, []string{"vanbinh", "thibinh"}},
		{"name with a typo", dossiers.ArchiveQuery{Scope: all, Text: "nguyen van bimh"}, []string{"vanbinh"}},
		{"reactivated is not archived", dossiers.ArchiveQuery{Scope: all, Text: "nguyen van anh"}, nil},
		{"sex and birth", dossiers.ArchiveQuery{Scope: all, IncludeRevoked: true, Sexes: []dossier.Gender{dossier.GenderFemale}, BornFrom: domain.MustDate(1981, 1, 1)}, []string{"thibinh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, err := dossiers.Archive(ctx, pool, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(page.Items); !slices.Equal(got, tt.want) {
				t.Errorf("Archive(%s) = %v, want %v", tt.name, got, tt.want)
			}
			if page.Next != "" {
				t.Errorf("Archive(%s).Next = %q on the only page", tt.name, page.Next)
			}
		})
	}

	t.Run("departure", func(t *testing.T) {
		t.Parallel()
		page, err := dossiers.Archive(ctx, pool, dossiers.ArchiveQuery{Scope: all, Statuses: []dossier.Status{dossier.StatusResigned}})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("Archive = %v, %v; want Đào", page.Items, err)
		}
		a := page.Items[0]
		dao := pop.byKey["dao"]
		if a.Status != dossier.StatusResigned || !a.Archived || a.LeftOn != domain.MustDate(2019, 6, 30) ||
			a.DepartureEventID != dao.history[len(dao.history)-1] || a.LeftRecordedAt.IsZero() || a.FullName != "Nguyễn Thị Đào" {
			t.Errorf("Đào's entry = %+v", a)
		}
	})

	for _, sort := range []dossiers.ArchiveSort{dossiers.ArchiveByDeparture, dossiers.ArchiveByName} {
		t.Run("paging", func(t *testing.T) {
			t.Parallel()
			q := dossiers.ArchiveQuery{Scope: all, IncludeRevoked: true, Sort: sort}
			whole, err := dossiers.Archive(ctx, pool, q)
			if err != nil {
				t.Fatal(err)
			}
			q.Limit = 1
			var got []string
			for range 10 {
				page, err := dossiers.Archive(ctx, pool, q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, keys(page.Items)...)
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			if want := keys(whole.Items); !slices.Equal(got, want) || len(want) != 4 {
				t.Errorf("pages of one (sort %d) = %v, want %v", sort, got, want)
			}
		})
	}

	search, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: all, Limit: 1})
	if err != nil || search.Next == "" {
		t.Fatalf("no search cursor: %v", err)
	}
	byName, err := dossiers.Archive(ctx, pool, dossiers.ArchiveQuery{Scope: all, Limit: 1, Sort: dossiers.ArchiveByName})
	if err != nil || byName.Next == "" {
		t.Fatalf("no archive cursor: %v", err)
	}
	for _, q := range []dossiers.ArchiveQuery{
		{Scope: all, Limit: dossiers.MaxLimit + 1},
		{Scope: all, Limit: -1},
		{Scope: all, Sort: 7},
		{Scope: all, Cursor: "not-a-cursor"},
		{Scope: all, Cursor: search.Next},
		{Scope: all, Cursor: byName.Next}, // another sort
	} {
		if _, err := dossiers.Archive(ctx, pool, q); !errors.Is(err, dossiers.ErrInvalid) || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Archive(%+v) = %v, want ErrInvalid", q, err)
		}
	}
}

// TestArchiveReactivatedByDecision: TG 10.1 — Nguyễn Thị Đào resigned,
// then was re-employed by org C, which reactivated her dossier by decision
// (dossier.reactivated.v1): she leaves the archive and is found, active,
// in org C's scope, her document folded exactly as a full replay folds it;
// Trần Thị Bình, handed over out of the province, comes back the same way.
func TestArchiveReactivatedByDecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	l := newLedger(t, store)
	pop := populate(t, l)
	dao := pop.byKey["dao"]
	m := l.meta(dao.org, domain.MustDate(2019, 6, 30))
	l.do(dao, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ChangeStatus(dossier.StatusResigned, m) })
	rebuild(t, pool, l, 2)
	if page, err := dossiers.Archive(ctx, pool, dossiers.ArchiveQuery{Scope: []domain.OrgID{orgA, orgB, orgC}, Text: "nguyen thi dao"}); err != nil || len(page.Items) != 1 {
		t.Fatalf("before: Archive = %v, %v", page.Items, err)
	}
	for _, p := range []*person{dao, pop.byKey["thibinh"]} {
		m := l.meta(orgC, domain.Date{})
		l.do(p, m, func(d *dossier.Dossier) ([]domain.Event, error) {
			return d.Reactivate(dossier.Reactivation{ManagingOrg: orgC}, m)
		})
	}
	for _, batch := range []int{1, 3} {
		rebuild(t, pool, l, batch)
		page, err := dossiers.Archive(ctx, pool, dossiers.ArchiveQuery{Scope: []domain.OrgID{orgA, orgB, orgC}, IncludeRevoked: true, Text: "dao"})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("batch %d: TG 10.1: the reactivated dossier is still archived: %v, %v", batch, page.Items, err)
		}
		for _, key := range []string{"dao", "thibinh"} {
			p := pop.byKey[key]
			found, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: []domain.OrgID{orgC}, IDs: []domain.DossierID{p.id}})
			if err != nil || len(found.Items) != 1 || found.Items[0].Archived || found.Items[0].ManagementRevoked ||
				found.Items[0].ManagingOrg == nil || *found.Items[0].ManagingOrg != orgC {
				t.Errorf("batch %d: %s in org C = %+v, %v", batch, key, found.Items, err)
			}
			got, err := dossiers.Get(ctx, pool, p.id)
			if err != nil {
				t.Fatal(err)
			}
			if a, b, ok := sameDocument(got.Document, l.replayed(p)); !ok {
				t.Errorf("batch %d: %s's document differs from a full replay:\n got %s\nwant %s", batch, key, a, b)
			}
		}
	}
}
