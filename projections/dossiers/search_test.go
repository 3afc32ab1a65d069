package dossiers_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/internal/cursor"
	"github.com/hoso-ledger/hoso/projections/dossiers"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// population is a small province: orgA with two units, orgB, orgC, people
// with look-alike names, an archived and a transferred-out dossier.
type population struct {
	byKey map[string]*person
	names map[domain.DossierID]string // dossier → key
}

func populate(t *testing.T, l *ledger) population {
	t.Helper()
	people := []struct {
		key string
		p   person
		ed  func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error)
	}{
		{"an", person{name: "Nguyễn Văn An", gender: dossier.GenderMale, dob: domain.MustDate(1985, 4, 2), org: orgA, unit: unitA1, serial: 11},
			func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
				bg := dossier.Background{PartyAdmittedOn: domain.MustDate(2010, 5, 19)}
				return d.UpdateSection(dossier.Patch{Background: &bg,
					Salary: &dossier.Salary{Rank: "01.003", Step: 3, Coefficient: 300, JobPosition: "chuyen_vien_tong_hop"},
					Qualifications: &dossier.Qualifications{HighestQualification: "dai_hoc", PoliticalTheory: "trung_cap", ITLevel: "co_ban",
						StateManagement: "chuyen_vien", Languages: []dossier.LanguageLevel{{Language: "en", Level: "B1"}}}}, m, projectiontest.AnyCode{})
			}},
		{"anh", person{name: "Nguyễn Văn Anh", gender: dossier.GenderMale, dob: domain.MustDate(1990, 1, 15), org: orgA, unit: unitA1, serial: 12}, nil},
		{"vanbinh", person{name: "Nguyễn Văn Bình", gender: dossier.GenderMale, dob: domain.MustDate(1962, 3, 3), org: orgA, unit: unitA2, serial: 13},
			func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
				return d.ChangeStatus(dossier.StatusRetired, m)
			}},
		{"ha", person{name: "Đặng Thu Hà", gender: dossier.GenderFemale, dob: domain.MustDate(1995, 11, 20), org: orgA, unit: unitA2, serial: 14, class: dossier.ClassVienChuc, ethnic: "tay"},
			func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
				return d.UpdateSection(dossier.Patch{Salary: &dossier.Salary{Title: "V.08.01.03", Step: 1, Coefficient: 234},
					Qualifications: &dossier.Qualifications{HighestQualification: "thac_si", Languages: []dossier.LanguageLevel{{Language: "fr", Level: "B2"}}}}, m, projectiontest.AnyCode{})
			}},
		{"thibinh", person{name: "Trần Thị Bình", gender: dossier.GenderFemale, dob: domain.MustDate(1988, 8, 30), org: orgA, unit: unitA1, serial: 15}, nil},
		{"dao", person{name: "Nguyễn Thị Đào", gender: dossier.GenderFemale, dob: domain.MustDate(1980, 6, 1), org: orgB, unit: unitB1, serial: 16}, nil},
		{"dung", person{name: "Lê Đức Dũng", gender: dossier.GenderMale, dob: domain.MustDate(1975, 2, 28), org: orgB, unit: orgB, serial: 17},
			func(d *dossier.Dossier, m domain.Meta) ([]domain.Event, error) {
				return d.IssueCivilServantNumber("CC.2021.0042", m)
			}},
		{"an2", person{name: "Nguyễn Văn An", gender: dossier.GenderMale, dob: domain.MustDate(1992, 9, 9), org: orgC, unit: orgC, serial: 18}, nil},
	}
	pop := population{byKey: map[string]*person{}, names: map[domain.DossierID]string{}}
	for _, x := range people {
		p := x.p
		l.create(&p)
		if x.ed != nil {
			m := l.meta(p.org, domain.Date{})
			l.do(&p, m, func(d *dossier.Dossier) ([]domain.Event, error) { return x.ed(d, m) })
		}
		pop.byKey[x.key] = &p
		pop.names[p.id] = x.key
	}
	// Trần Thị Bình leaves the province: management revoked.
	b := pop.byKey["thibinh"]
	out := uid("thibinh-out")
	m := l.meta(orgA, domain.Date{})
	l.do(b, m, func(d *dossier.Dossier) ([]domain.Event, error) {
		return d.InitiateTransfer(dossier.TransferOrder{TransferID: out, Kind: dossier.TransferOutOfProvince}, m)
	})
	m = l.meta(orgA, domain.Date{})
	l.do(b, m, func(d *dossier.Dossier) ([]domain.Event, error) { return d.ReceiveTransfer(out, m) })
	return pop
}

func (pop population) keys(items []dossiers.Summary) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = pop.names[s.ID]
	}
	return out
}

func TestSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	l := newLedger(t, store)
	pop := populate(t, l)
	rebuild(t, pool, l, 4)

	all := []domain.OrgID{orgA, orgB, orgC}
	yes := true
	tests := []struct {
		name string
		q    dossiers.Query
		want []string // keys, in name order
	}{
		{"no diacritics", dossiers.Query{Scope: all, Text: "nguyen van an"}, []string{"an", "an2", "anh"}},
		{"capitals", dossiers.Query{Scope: all, Text: "NGUYEN VAN AN"}, []string{"an", "an2", "anh"}},
		{"exact Vietnamese", dossiers.Query{Scope: all, Text: "Nguyễn Văn An"}, []string{"an", "an2", "anh"}},
		{"decomposed input", dossiers.Query{Scope: all, Text: "Nguye\u0302\u0303n Va\u0306n An"}, []string{"an", "an2", "anh"}},
		{"d finds đ", dossiers.Query{Scope: all, Text: "dang"}, []string{"ha"}},
		{"đ finds đ", dossiers.Query{Scope: all, Text: "ĐẶNG"}, []string{"ha"}},
		{"đ given name", dossiers.Query{Scope: all, Text: "dao"}, []string{"dao"}},
		{"word prefix", dossiers.Query{Scope: all, Text: "ngu"}, []string{"dao", "an", "an2", "anh"}},
		{"prefixes of two words", dossiers.Query{Scope: all, Text: "thu h"}, []string{"ha"}},
		{"given name only", dossiers.Query{Scope: all, Text: "dung"}, []string{"dung"}},
		{"inside a word, two letters from its start", dossiers.Query{Scope: all, Text: "yen"}, nil},
		{"one letter from a word: a typo", dossiers.Query{Scope: all, Text: "guyen"}, []string{"an", "an2", "anh", "dao"}},
		{"typo: transposed letters", dossiers.Query{Scope: all, Text: "ngyuen van an"}, []string{"an", "an2", "anh"}},
		{"typo: missing letter", dossiers.Query{Scope: all, Text: "nguyn thi dao"}, []string{"dao"}},
		{"typos in two words (the trigram match)", dossiers.Query{Scope: all, Text: "nguyn thj dao"}, []string{"dao"}},
		{"typo: letters swapped in a short word", dossiers.Query{Scope: all, Text: "le duc dnug"}, []string{"dung"}},
		{"typo in a one-word search", dossiers.Query{Scope: all, Text: "dnug"}, []string{"dung"}},
		{"typo in given name", dossiers.Query{Scope: all, Text: "le duc dunh"}, []string{"dung"}},
		{"typo does not match other given names", dossiers.Query{Scope: all, Text: "nguyen van biinh", Archive: dossiers.ActiveAndArchived}, []string{"vanbinh"}},
		{"same family and middle name is not a match", dossiers.Query{Scope: all, Text: "nguyen van xuan"}, nil},
		{"scope excludes other orgs", dossiers.Query{Scope: []domain.OrgID{orgB}, Text: "nguyen"}, []string{"dao"}},
		{"scope by employing unit", dossiers.Query{Scope: []domain.OrgID{unitA2}}, []string{"ha"}},
		{"empty scope finds nothing", dossiers.Query{Text: "nguyen"}, nil},
		{"archived only", dossiers.Query{Scope: all, Archive: dossiers.ArchivedOnly}, []string{"vanbinh"}},
		{"active and archived", dossiers.Query{Scope: []domain.OrgID{orgA}, Archive: dossiers.ActiveAndArchived}, []string{"ha", "an", "anh", "vanbinh"}},
		{"revoked is out of scope", dossiers.Query{Scope: all, Text: "tran", Archive: dossiers.ActiveAndArchived}, nil},
		{"revoked for those entitled", dossiers.Query{Scope: all, Text: "tran", Archive: dossiers.ActiveAndArchived, IncludeRevoked: true}, []string{"thibinh"}},
		{"class", dossiers.Query{Scope: all, Classes: []dossier.Class{dossier.ClassVienChuc}}, []string{"ha"}},
		{"sex", dossiers.Query{Scope: all, Sexes: []dossier.Gender{dossier.GenderFemale}}, []string{"ha", "dao"}},
		{"ethnicity", dossiers.Query{Scope: all, Ethnicities: []string{"tay"}}, []string{"ha"}},
		{"rank", dossiers.Query{Scope: all, Ranks: []string{"01.003"}}, []string{"an"}},
		{"title", dossiers.Query{Scope: all, Titles: []string{"V.08.01.03"}}, []string{"ha"}},
		{"job position", dossiers.Query{Scope: all, JobPositions: []string{"chuyen_vien_tong_hop"}}, []string{"an"}},
		// Law 80/2025: a job position group (its codes) narrows the codes given.
		{"job position group", dossiers.Query{Scope: all, JobPositionGroup: []string{"chuyen_vien_tong_hop", "van_thu"}}, []string{"an"}},
		{"job position and group", dossiers.Query{Scope: all, JobPositions: []string{"chuyen_vien_tong_hop"}, JobPositionGroup: []string{"van_thu"}}, nil},
		{"qualification", dossiers.Query{Scope: all, Qualifications: []string{"thac_si", "dai_hoc"}}, []string{"ha", "an"}},
		{"political theory", dossiers.Query{Scope: all, PoliticalTheories: []string{"trung_cap"}}, []string{"an"}},
		{"state management", dossiers.Query{Scope: all, StateManagements: []string{"chuyen_vien"}}, []string{"an"}},
		{"IT level", dossiers.Query{Scope: all, ITLevels: []string{"co_ban"}}, []string{"an"}},
		{"language level", dossiers.Query{Scope: all, LanguageLevels: []string{"B2"}}, []string{"ha"}},
		{"language", dossiers.Query{Scope: all, Languages: []string{"en"}}, []string{"an"}},
		{"party member", dossiers.Query{Scope: all, PartyMember: &yes}, []string{"an"}},
		{"born between", dossiers.Query{Scope: all, BornFrom: domain.MustDate(1980, 1, 1), BornTo: domain.MustDate(1989, 12, 31)}, []string{"dao", "an"}},
		{"managing org", dossiers.Query{Scope: all, ManagingOrgs: []domain.OrgID{orgC}}, []string{"an2"}},
		{"employing unit", dossiers.Query{Scope: all, EmployingUnits: []domain.OrgID{unitA1}}, []string{"an", "anh"}},
		{"status", dossiers.Query{Scope: all, Statuses: []dossier.Status{dossier.StatusRetired}, Archive: dossiers.ActiveAndArchived}, []string{"vanbinh"}},
		{"civil-servant number", dossiers.Query{Scope: all, CivilServantNo: "CC.2021.0042"}, []string{"dung"}},
		{"personal ID number", dossiers.Query{Scope: all, PersonalIDNumber: projectiontest.PersonalID(dossier.GenderFemale, domain.MustDate(1980, 6, 1), 16)}, []string{"dao"}},
		{"ids", dossiers.Query{Scope: all, IDs: []domain.DossierID{pop.byKey["anh"].id}}, []string{"anh"}},
		{"text and filter", dossiers.Query{Scope: all, Text: "nguyen van an", ManagingOrgs: []domain.OrgID{orgA}}, []string{"an", "anh"}},
		{"LIKE wildcards are literal", dossiers.Query{Scope: all, Text: "%"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, err := dossiers.Search(ctx, pool, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			// Same-named people tie on the name and are ordered by id:
			// compare as sets here; TestPaging checks the order.
			got := pop.keys(page.Items)
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Search(%+v) = %v, want %v", tt.q, got, tt.want)
			}
			if page.Next != "" {
				t.Errorf("Next = %q on a short page", page.Next)
			}
		})
	}
	t.Run("archived row keeps its data", func(t *testing.T) {
		page, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: all, Archive: dossiers.ArchivedOnly})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("Search = %v, %v", page, err)
		}
		if s := page.Items[0]; s.Status != dossier.StatusRetired || !s.Archived || s.FullName != "Nguyễn Văn Bình" {
			t.Errorf("archived row = %+v", s)
		}
	})
}

func TestSearchInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	rebuild(t, pool, newLedger(t, store), 10)
	scope := []domain.OrgID{orgA}
	byName, _ := dossiers.Search(ctx, pool, dossiers.Query{Scope: scope})
	for _, q := range []dossiers.Query{
		{Scope: scope, Limit: -1},
		{Scope: scope, Limit: dossiers.MaxLimit + 1},
		{Scope: scope, Cursor: "not a cursor"},
		{Scope: scope, Cursor: "eyJzIjowfQ"},                                             // {"s":0}: the format before internal/cursor
		{Scope: scope, Cursor: cursor.Encode("dossiers.search", map[string]int{"s": 0})}, // no id
		{Scope: scope, Cursor: cursor.Encode("dossiers.archive", map[string]any{"i": uuid.New()})},
		{Scope: scope, Sort: 7},
		{Scope: scope, Archive: 9},
	} {
		if _, err := dossiers.Search(ctx, pool, q); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Search(%+v) = %v, want ErrInvalid", q, err)
		}
	}
	if byName.Items != nil {
		t.Errorf("empty model returned %v", byName.Items)
	}
}

// TestPaging walks every page of two sorts and checks that each row comes
// exactly once, in order, even when dossiers are added between pages.
func TestPaging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	l := newLedger(t, store)
	for i := range 23 {
		l.create(&person{name: fmt.Sprintf("Phạm Thị Lan %c", 'A'+i%7), gender: dossier.GenderFemale,
			dob: domain.MustDate(1980, 1, 1+i), org: orgA, unit: unitA1, serial: 100 + i})
	}
	rebuild(t, pool, l, 1000)
	scope := []domain.OrgID{orgA}
	for _, sort := range []dossiers.Sort{dossiers.SortName, dossiers.SortUpdatedAt} {
		t.Run(fmt.Sprint("sort ", sort), func(t *testing.T) {
			full, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: scope, Sort: sort, Limit: 200})
			if err != nil || len(full.Items) != 23 {
				t.Fatalf("full = %d rows, %v", len(full.Items), err)
			}
			if !slices.IsSortedFunc(full.Items, order(sort)) {
				t.Errorf("not in order")
			}
			var got []dossiers.Summary
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				page, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: scope, Sort: sort, Limit: 5, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) > 5 {
					t.Fatalf("page of %d rows", len(page.Items))
				}
				got = append(got, page.Items...)
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			if !slices.EqualFunc(got, full.Items, func(a, b dossiers.Summary) bool { return a.ID == b.ID }) {
				t.Errorf("pages gave %d rows, not the %d of one page in the same order", len(got), len(full.Items))
			}
			other := dossiers.SortUpdatedAt
			if sort == other {
				other = dossiers.SortName
			}
			if _, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: scope, Sort: other, Cursor: cursor}); cursor != "" && !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("a cursor of another sort: %v, want ErrInvalid", err)
			}
		})
	}

	t.Run("inserts between pages", func(t *testing.T) {
		first, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: scope, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		// New people sorting before, inside and after the first page.
		for i, name := range []string{"Bùi An", "Phạm Thị Lan B", "Vương Yến"} {
			l.create(&person{name: name, gender: dossier.GenderFemale, dob: domain.MustDate(1981, 2, 1+i), org: orgA, unit: unitA1, serial: 200 + i})
		}
		rebuild(t, pool, l, 1000)
		seen := map[domain.DossierID]int{}
		for _, s := range first.Items {
			seen[s.ID]++
		}
		cursor := first.Next
		for cursor != "" {
			page, err := dossiers.Search(ctx, pool, dossiers.Query{Scope: scope, Limit: 10, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page.Items {
				seen[s.ID]++
			}
			cursor = page.Next
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s seen %d times", id, n)
			}
		}
		if len(seen) < 23 {
			t.Errorf("saw %d rows, want the 23 that existed all along", len(seen))
		}
	})
}

func order(sort dossiers.Sort) func(a, b dossiers.Summary) int {
	return func(a, b dossiers.Summary) int {
		if sort == dossiers.SortUpdatedAt {
			if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
				return c
			}
			return strings.Compare(uuid.UUID(b.ID).String(), uuid.UUID(a.ID).String())
		}
		return 0 // name order is checked through the page-by-page comparison
	}
}

// TestNameWindow pages through one-word searches with name windows too small,
// just right and larger than the province, and wants exactly the pages of
// the indexed search: a window answers only when it holds a whole page.
func TestNameWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, store := newDB(t)
	l := newLedger(t, store)
	names := []string{"Phạm Thị Lan", "Lan Văn Bình", "Nguyễn Lan Anh", "Lâm Thị Hoa", "Đỗ Văn Lành", "Bùi Lan", "Lê Thị Lan Anh",
		"Phạm Lan Chi", "Trần Văn Lâm", "Hoàng Thị Thu", "Lạc Long Quân", "Nguyễn Thị Lan"}
	for i := range 36 {
		l.create(&person{name: fmt.Sprintf("%s %c", names[i%len(names)], 'A'+i/len(names)), gender: dossier.GenderFemale,
			dob: domain.MustDate(1980, 1, 1+i%28), org: orgA, unit: unitA1, serial: 300 + i})
	}
	rebuild(t, pool, l, 1000)
	pages := func(q dossiers.Query, window int) []domain.DossierID {
		t.Helper()
		var ids []domain.DossierID
		for n := 0; ; n++ {
			if n > 50 {
				t.Fatal("paging does not end")
			}
			page, err := dossiers.SearchWindow(ctx, pool, q, window)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page.Items {
				ids = append(ids, s.ID)
			}
			if page.Next == "" {
				return ids
			}
			q.Cursor = page.Next
		}
	}
	// The typos ("pahm", "lna", …) go to the one-word typo search, whose
	// ranges are windowed too: "lna" reads the names beginning with "la",
	// where "Lâm" does not match and "Lâm Thị Lan" does, through its last
	// word.
	for _, text := range []string{"lan", "LA", "pham", "thi", "lâm", "xyz", "pahm", "ngyuen", "lna", "tarn", "hoagn"} {
		for _, limit := range []int{2, 5} {
			q := dossiers.Query{Scope: []domain.OrgID{orgA}, Text: text, Limit: limit}
			want := pages(q, 0)
			if text == "lan" && len(want) != 24 {
				t.Fatalf("the indexed search found %d dossiers for %q, want 24: the test data is not what it says", len(want), text)
			}
			for _, window := range []int{3, 8, 15, 1000} {
				if got := pages(q, window); !slices.Equal(got, want) {
					t.Errorf("%q, pages of %d, window %d: %d dossiers %v, want the indexed search's %d %v", text, limit, window, len(got), got, len(want), want)
				}
			}
		}
	}
	// The typo search answers from its ranges when they hold a page, and
	// leaves it to the indexed search when a window ends too soon.
	for _, c := range []struct {
		text    string
		window  int
		settled bool
	}{
		{"pahm", 1000, true},
		{"ngyuen", 1000, true},
		{"lna", 1000, true},
		{"pahm", 2, false}, // "Phạm …" is a range of six names; a page and one more is three
		{"lna", 15, true},  // 18 names have "lan" after the first word: read in name order
	} {
		page, settled, err := dossiers.SearchNearOneWord(ctx, pool, dossiers.Query{Scope: []domain.OrgID{orgA}, Text: c.text, Limit: 2}, c.window)
		if err != nil {
			t.Fatal(err)
		}
		if settled != c.settled || (settled && len(page.Items) != 2) {
			t.Errorf("%q, window %d: settled %v with %d items, want settled %v with a page of 2", c.text, c.window, settled, len(page.Items), c.settled)
		}
	}
}
