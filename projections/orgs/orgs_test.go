package orgs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/orgs"
)

// tree builds the world, lets extend add to it, and builds the projection
// through the runner, as production does.
func tree(t *testing.T, extend func(*world)) (*pgxpool.Pool, *world) {
	t.Helper()
	pool, _ := pgtest.New(t)
	w := buildWorld(t)
	if extend != nil {
		extend(w)
	}
	r := projections.NewRunner(pool, w.store, projections.Config{BatchSize: 7, PollInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Rebuild(ctx, orgs.New(), projections.RebuildOptions{}); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	return pool, w
}

func TestNamesOnDates(t *testing.T) {
	t.Parallel()
	pool, w := tree(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		org  domain.OrgID
		on   domain.Date
		want string
	}{
		{w.dept, day(2020, 1, 1), "Sở Y tế tỉnh Tiền Giang"},
		{w.dept, day(2024, 5, 31), "Sở Y tế tỉnh Tiền Giang"},
		{w.dept, day(2024, 6, 1), "Sở Y tế tỉnh Tiền Giang (mới)"},
		{w.dept, day(2026, 1, 1), "Sở Y tế tỉnh Tiền Giang (mới)"},
		// After it was merged away the district keeps its last name.
		{w.district, day(2024, 3, 1), "UBND huyện Cái Bè"},
		{w.district, day(2025, 8, 1), "UBND huyện Cái Bè"},
		{w.commune, day(2025, 7, 1), "UBND xã Cái Bè"},
	} {
		got, err := orgs.NameOn(ctx, pool, tc.org, tc.on)
		if err != nil || got != tc.want {
			t.Errorf("NameOn(%s, %s) = %q, %v; want %q", tc.org, tc.on, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		org domain.OrgID
		on  domain.Date
	}{
		{w.dept, day(2019, 12, 31)},
		{w.commune, day(2025, 6, 30)},
		{domain.OrgID(newID()), day(2024, 1, 1)},
	} {
		if got, err := orgs.NameOn(ctx, pool, tc.org, tc.on); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("NameOn(%s, %s) = %q, %v; want ErrNotFound", tc.org, tc.on, got, err)
		}
	}
}

func TestTreeAndSubtrees(t *testing.T) {
	t.Parallel()
	pool, w := tree(t, nil)
	ctx := context.Background()
	all, err := orgs.Tree(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[domain.OrgID]orgs.Org{}
	for _, o := range all {
		byID[o.ID] = o
	}
	if len(all) != 6 {
		t.Fatalf("Tree = %d orgs, want 6", len(all))
	}
	if d := byID[w.district]; d.Status != org.StatusMerged || d.Successor() != w.commune || d.ClosedOn != day(2025, 7, 1) ||
		d.Parent != w.province || d.Kind != org.KindDistrictCommittee || d.Level != org.LevelDistrict || d.Code != "000.01.00.H60" {
		t.Errorf("district = %+v", d)
	}
	if d := byID[w.dept]; d.Name != "Sở Y tế tỉnh Tiền Giang (mới)" || d.Status != org.StatusActive || !d.ClosedOn.IsZero() || d.CreatedOn != day(2020, 1, 1) {
		t.Errorf("department = %+v", d)
	}
	if u := byID[w.unit]; u.Parent != w.commune {
		t.Errorf("unit parent = %s, want the commune %s", u.Parent, w.commune)
	}
	if p := byID[w.province]; !p.Parent.IsZero() {
		t.Errorf("province parent = %s, want none", p.Parent)
	}

	sorted := func(ids ...domain.OrgID) []domain.OrgID {
		return slices.SortedFunc(slices.Values(ids), func(a, b domain.OrgID) int { return compareIDs(a, b) })
	}
	for _, tc := range []struct {
		name  string
		roots []domain.OrgID
		on    domain.Date // zero: the current tree
		want  []domain.OrgID
	}{
		{"province now", []domain.OrgID{w.province}, domain.Date{}, sorted(w.province, w.doha, w.dept, w.district, w.commune, w.unit)},
		{"district now: its unit moved away", []domain.OrgID{w.district}, domain.Date{}, sorted(w.district)},
		{"commune now: the unit moved in", []domain.OrgID{w.commune}, domain.Date{}, sorted(w.commune, w.unit)},
		{"two roots, overlapping", []domain.OrgID{w.province, w.commune}, domain.Date{}, sorted(w.province, w.doha, w.dept, w.district, w.commune, w.unit)},
		{"district on 1 March 2024", []domain.OrgID{w.district}, day(2024, 3, 1), sorted(w.district, w.unit)},
		{"province on 1 March 2024: no commune yet", []domain.OrgID{w.province}, day(2024, 3, 1), sorted(w.province, w.doha, w.dept, w.district, w.unit)},
		{"province after the reform: the district ended", []domain.OrgID{w.province}, day(2025, 7, 1), sorted(w.province, w.doha, w.dept, w.commune, w.unit)},
		{"commune on 1 March 2024: did not exist", []domain.OrgID{w.commune}, day(2024, 3, 1), []domain.OrgID{}},
	} {
		var got []domain.OrgID
		var err error
		if tc.on.IsZero() {
			got, err = orgs.Subtree(ctx, pool, tc.roots)
		} else {
			got, err = orgs.SubtreeOn(ctx, pool, tc.roots, tc.on)
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func compareIDs(a, b domain.OrgID) int {
	return slices.Compare(a[:], b[:])
}

func TestManagementIntervals(t *testing.T) {
	t.Parallel()
	var gone domain.DossierID
	pool, w := tree(t, func(w *world) {
		// Dung leaves the province for good.
		gone = domain.DossierID(newID())
		w.createDossier(w.hrDept, day(2024, 2, 1), dossier.CreateDossier{DossierID: gone, Class: dossier.ClassVienChuc,
			ManagingOrg: w.dept, EmployingUnit: w.dept, PersonalIDNumber: personalID(9), Identity: identity("Đỗ Văn Dung")})
		out := newID()
		w.dossierDo(w.hrDept, gone, day(2024, 12, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
			return d.InitiateTransfer(dossier.TransferOrder{TransferID: out, Kind: dossier.TransferOutOfProvince}, m)
		})
		w.dossierDo(w.hrDept, gone, day(2024, 12, 20), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
			return d.ReceiveTransfer(out, m)
		})
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		dossier domain.DossierID
		on      domain.Date
		want    domain.OrgID // zero: ErrNotFound
	}{
		{"an before creation", w.an, day(2024, 1, 14), domain.OrgID{}},
		{"an at creation", w.an, day(2024, 1, 15), w.district},
		{"an on 1 March 2024", w.an, day(2024, 3, 1), w.district},
		{"an after the transfer was initiated, before it was received", w.an, day(2024, 8, 9), w.district},
		{"an on the day the transfer was received", w.an, day(2024, 8, 10), w.dept},
		{"an today", w.an, day(2026, 11, 23), w.dept},
		{"binh before the merger", w.binh, day(2025, 6, 30), w.district},
		{"binh on the day of the merger", w.binh, day(2025, 7, 1), w.commune},
		{"binh after the merger", w.binh, day(2026, 1, 1), w.commune},
		{"chi before the transfer out", w.chi, day(2024, 10, 14), w.doha},
		// The transfer out was corrected away: the DoHA never lost Chí.
		{"chi after the corrected transfer out", w.chi, day(2024, 10, 20), w.doha},
		{"chi today", w.chi, day(2026, 1, 1), w.doha},
		{"dung before leaving", gone, day(2024, 12, 19), w.dept},
		{"dung after leaving", gone, day(2024, 12, 20), domain.OrgID{}},
		{"unknown dossier", domain.DossierID(newID()), day(2024, 12, 20), domain.OrgID{}},
	} {
		got, err := orgs.ManagedBy(ctx, pool, tc.dossier, tc.on)
		switch {
		case tc.want.IsZero() && !errors.Is(err, domain.ErrNotFound):
			t.Errorf("%s: ManagedBy = %s, %v; want ErrNotFound", tc.name, got, err)
		case !tc.want.IsZero() && (err != nil || got != tc.want):
			t.Errorf("%s: ManagedBy = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}

	sorted := func(ids ...domain.DossierID) []domain.DossierID {
		return slices.SortedFunc(slices.Values(ids), func(a, b domain.DossierID) int { return slices.Compare(a[:], b[:]) })
	}
	for _, tc := range []struct {
		org  domain.OrgID
		on   domain.Date
		want []domain.DossierID
	}{
		{w.district, day(2024, 3, 1), sorted(w.an, w.binh)},
		{w.district, day(2024, 9, 1), sorted(w.binh)},
		{w.district, day(2025, 7, 1), sorted()},
		{w.commune, day(2025, 7, 1), sorted(w.binh)},
		{w.dept, day(2024, 9, 1), sorted(w.an, gone)},
		{w.dept, day(2025, 1, 1), sorted(w.an)},
		{w.doha, day(2024, 10, 20), sorted(w.chi)},
	} {
		got, err := orgs.ManagedDossiers(ctx, pool, tc.org, tc.on)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ManagedDossiers(%s, %s) = %v, %v; want %v", tc.org, tc.on, got, err, tc.want)
		}
	}
}

// TestIdempotent feeds every event twice (and the whole log once more) to
// one generation and once to another: the rows must be the same.
func TestIdempotent(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	w := buildWorld(t)
	evs := w.events()
	p := orgs.New()
	ctx := context.Background()
	feed := func(gen, times int, again bool) {
		tb := projections.NewTables(gen)
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if err := p.Setup(ctx, tx, tb); err != nil {
				return err
			}
			for _, ev := range evs {
				for range times {
					if err := p.Apply(ctx, tx, tb, ev); err != nil {
						return err
					}
				}
			}
			if again {
				for _, ev := range evs {
					if err := p.Apply(ctx, tx, tb, ev); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("generation %d: %v", gen, err)
		}
	}
	feed(1, 1, false)
	feed(2, 2, true)
	dump := func(gen int) string {
		tb := projections.NewTables(gen)
		var out string
		q := ""
		for i, v := range p.Views() {
			if i > 0 {
				q += " || E'\\n--\\n' || "
			}
			q += fmt.Sprintf(`coalesce((SELECT string_agg(row_to_json(x)::text, E'\n' ORDER BY row_to_json(x)::text) FROM %s x), '')`, tb.Name(v))
		}
		if err := pool.QueryRow(ctx, "SELECT "+q).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	once, twice := dump(1), dump(2)
	if once != twice {
		t.Fatalf("fed once:\n%s\n\nfed twice:\n%s", once, twice)
	}
	if len(once) < 1000 {
		t.Fatalf("suspiciously little was projected:\n%s", once)
	}
}
