package orgs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/orgs"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// tree builds the world, lets extend add to it, and builds the projection
// through the runner, as production does.
func tree(t *testing.T, extend func(*projectiontest.World)) (*pgxpool.Pool, *projectiontest.World) {
	t.Helper()
	pool := projectiontest.NewDB(t)
	w := projectiontest.NewWorld(t)
	if extend != nil {
		extend(w)
	}
	projectiontest.Rebuild(t, pool, w.Store, orgs.New(), projections.Config{BatchSize: 7, PollInterval: 50 * time.Millisecond})
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
		{w.Dept, projectiontest.Day(2020, 1, 1), "Sở Y tế tỉnh Tiền Giang"},
		{w.Dept, projectiontest.Day(2024, 5, 31), "Sở Y tế tỉnh Tiền Giang"},
		{w.Dept, projectiontest.Day(2024, 6, 1), "Sở Y tế tỉnh Tiền Giang (mới)"},
		{w.Dept, projectiontest.Day(2026, 1, 1), "Sở Y tế tỉnh Tiền Giang (mới)"},
		// After it was merged away the district keeps its last name.
		{w.District, projectiontest.Day(2024, 3, 1), "UBND huyện Cái Bè"},
		{w.District, projectiontest.Day(2025, 8, 1), "UBND huyện Cái Bè"},
		{w.Commune, projectiontest.Day(2025, 7, 1), "UBND xã Cái Bè"},
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
		{w.Dept, projectiontest.Day(2019, 12, 31)},
		{w.Commune, projectiontest.Day(2025, 6, 30)},
		{domain.OrgID(projectiontest.NewID()), projectiontest.Day(2024, 1, 1)},
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
	if d := byID[w.District]; d.Status != org.StatusMerged || d.Successor() != w.Commune || d.ClosedOn != projectiontest.Day(2025, 7, 1) ||
		d.Parent != w.Province || d.Kind != org.KindDistrictCommittee || d.Level != org.LevelDistrict || d.Code != "000.01.00.H60" {
		t.Errorf("district = %+v", d)
	}
	if d := byID[w.Dept]; d.Name != "Sở Y tế tỉnh Tiền Giang (mới)" || d.Status != org.StatusActive || !d.ClosedOn.IsZero() || d.CreatedOn != projectiontest.Day(2020, 1, 1) {
		t.Errorf("department = %+v", d)
	}
	if u := byID[w.Unit]; u.Parent != w.Commune {
		t.Errorf("unit parent = %s, want the commune %s", u.Parent, w.Commune)
	}
	if p := byID[w.Province]; !p.Parent.IsZero() {
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
		{"province now", []domain.OrgID{w.Province}, domain.Date{}, sorted(w.Province, w.Doha, w.Dept, w.District, w.Commune, w.Unit)},
		{"district now: its unit moved away", []domain.OrgID{w.District}, domain.Date{}, sorted(w.District)},
		{"commune now: the unit moved in", []domain.OrgID{w.Commune}, domain.Date{}, sorted(w.Commune, w.Unit)},
		{"two roots, overlapping", []domain.OrgID{w.Province, w.Commune}, domain.Date{}, sorted(w.Province, w.Doha, w.Dept, w.District, w.Commune, w.Unit)},
		{"district on 1 March 2024", []domain.OrgID{w.District}, projectiontest.Day(2024, 3, 1), sorted(w.District, w.Unit)},
		{"province on 1 March 2024: no commune yet", []domain.OrgID{w.Province}, projectiontest.Day(2024, 3, 1), sorted(w.Province, w.Doha, w.Dept, w.District, w.Unit)},
		{"province after the reform: the district ended", []domain.OrgID{w.Province}, projectiontest.Day(2025, 7, 1), sorted(w.Province, w.Doha, w.Dept, w.Commune, w.Unit)},
		{"commune on 1 March 2024: did not exist", []domain.OrgID{w.Commune}, projectiontest.Day(2024, 3, 1), []domain.OrgID{}},
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
	pool, w := tree(t, func(w *projectiontest.World) {
		// Dung leaves the province for good.
		gone = domain.DossierID(projectiontest.NewID())
		w.CreateDossier(w.HrDept, projectiontest.Day(2024, 2, 1), dossier.CreateDossier{DossierID: gone, Class: dossier.ClassVienChuc,
			ManagingOrg: w.Dept, EmployingUnit: w.Dept, PersonalIDNumber: projectiontest.PersonalIDOf(9), Identity: projectiontest.Identity("Đỗ Văn Dung")})
		out := projectiontest.NewID()
		w.DossierDo(w.HrDept, gone, projectiontest.Day(2024, 12, 1), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
			return d.InitiateTransfer(dossier.TransferOrder{TransferID: out, Kind: dossier.TransferOutOfProvince}, m)
		})
		w.DossierDo(w.HrDept, gone, projectiontest.Day(2024, 12, 20), func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
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
		{"an before creation", w.An, projectiontest.Day(2024, 1, 14), domain.OrgID{}},
		{"an at creation", w.An, projectiontest.Day(2024, 1, 15), w.District},
		{"an on 1 March 2024", w.An, projectiontest.Day(2024, 3, 1), w.District},
		{"an after the transfer was initiated, before it was received", w.An, projectiontest.Day(2024, 8, 9), w.District},
		{"an on the day the transfer was received", w.An, projectiontest.Day(2024, 8, 10), w.Dept},
		{"an today", w.An, projectiontest.Day(2026, 11, 23), w.Dept},
		{"binh before the merger", w.Binh, projectiontest.Day(2025, 6, 30), w.District},
		{"binh on the day of the merger", w.Binh, projectiontest.Day(2025, 7, 1), w.Commune},
		{"binh after the merger", w.Binh, projectiontest.Day(2026, 1, 1), w.Commune},
		{"chi before the transfer out", w.Chi, projectiontest.Day(2024, 10, 14), w.Doha},
		// The transfer out was corrected away: the DoHA never lost Chí.
		{"chi after the corrected transfer out", w.Chi, projectiontest.Day(2024, 10, 20), w.Doha},
		{"chi today", w.Chi, projectiontest.Day(2026, 1, 1), w.Doha},
		{"dung before leaving", gone, projectiontest.Day(2024, 12, 19), w.Dept},
		{"dung after leaving", gone, projectiontest.Day(2024, 12, 20), domain.OrgID{}},
		{"unknown dossier", domain.DossierID(projectiontest.NewID()), projectiontest.Day(2024, 12, 20), domain.OrgID{}},
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
		{w.District, projectiontest.Day(2024, 3, 1), sorted(w.An, w.Binh)},
		{w.District, projectiontest.Day(2024, 9, 1), sorted(w.Binh)},
		{w.District, projectiontest.Day(2025, 7, 1), sorted()},
		{w.Commune, projectiontest.Day(2025, 7, 1), sorted(w.Binh)},
		{w.Dept, projectiontest.Day(2024, 9, 1), sorted(w.An, gone)},
		{w.Dept, projectiontest.Day(2025, 1, 1), sorted(w.An)},
		{w.Doha, projectiontest.Day(2024, 10, 20), sorted(w.Chi)},
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
	pool := projectiontest.NewDB(t)
	w := projectiontest.NewWorld(t)
	evs := w.Events()
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
	// ApplyBatch, as the runner calls it: batches of one, of three, of the
	// whole log, and the log twice in one batch.
	for gen, batch := range map[int]int{3: 1, 4: 3, 5: len(evs)} {
		tb := projections.NewTables(gen)
		projectiontest.InTx(t, pool, func(tx pgx.Tx) error { return p.Setup(ctx, tx, tb) })
		projectiontest.ApplyInBatches(t, pool, p, tb, evs, batch)
	}
	tb := projections.NewTables(6)
	projectiontest.InTx(t, pool, func(tx pgx.Tx) error { return p.Setup(ctx, tx, tb) })
	projectiontest.ApplyInBatches(t, pool, p, tb, append(slices.Clone(evs), evs...), 2*len(evs))
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
	for gen := 3; gen <= 6; gen++ {
		if got := dump(gen); got != once {
			t.Errorf("generation %d fed by ApplyBatch:\n%s\n\nfed by Apply:\n%s", gen, got, once)
		}
	}
	if len(once) < 1000 {
		t.Fatalf("suspiciously little was projected:\n%s", once)
	}
}

// TestHomeAffairsDesignation: a province's designation of its Sở Nội vụ
// (org.home_affairs_designated.v1) is in the read model; a later decision
// replaces it, and a back-dated one does not displace the one in force.
func TestHomeAffairsDesignation(t *testing.T) {
	t.Parallel()
	pool, w := tree(t, func(w *projectiontest.World) {
		designate := func(doh domain.OrgID, on domain.Date) {
			w.OrgDo(w.Admin, w.Province, on, func(o *org.Org, m domain.Meta) ([]domain.Event, error) {
				return o.DesignateHomeAffairs(m, doh, []domain.OrgID{doh, w.Province})
			})
		}
		designate(w.Doha, projectiontest.Day(2024, 1, 1))
		designate(w.Dept, projectiontest.Day(2025, 7, 1))
		designate(w.Doha, projectiontest.Day(2025, 8, 1))
		designate(w.Dept, projectiontest.Day(2024, 6, 1)) // back-dated, entered late
	})
	all, err := orgs.Tree(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		want := domain.OrgID{}
		if o.ID == w.Province {
			want = w.Doha
		}
		if o.HomeAffairs != want {
			t.Errorf("%s (%s): home affairs %v, want %v", o.Name, o.ID, o.HomeAffairs, want)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+orgs.HomeAffairsView+` WHERE org_id = $1 AND valid_to IS NULL`, uuid.UUID(w.Province)).Scan(&n); err != nil || n != 1 {
		t.Errorf("designations in force: %d, %v; want 1", n, err)
	}
}
