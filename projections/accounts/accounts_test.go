package accounts_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/projections/accounts"
	"github.com/hoso-ledger/hoso/projections/projectiontest"
)

// world: two orgs, five accounts in the first and one in the second, with
// grants in force, expired, revoked and extended, one account restricted
// then reinstated, one restricted and one closed.
type world struct {
	orgA, orgB domain.OrgID
	ids        map[string]domain.AccountID
	l          *projectiontest.Ledger
}

func build(t testing.TB) world {
	t.Helper()
	w := world{orgA: domain.OrgID(projectiontest.NewID()), orgB: domain.OrgID(projectiontest.NewID()),
		ids: map[string]domain.AccountID{}, l: projectiontest.NewLedger(t)}
	admin := domain.Actor{Account: domain.AccountID(projectiontest.NewID()), Name: "Quản trị"}
	day := projectiontest.Day(2026, 1, 5)
	m := func() domain.Meta { return w.l.Decision(admin, day, projectiontest.At(day)) }
	create := func(name, display string, kind account.Kind, home domain.OrgID) domain.AccountID {
		id := domain.AccountID(projectiontest.NewID())
		w.ids[name] = id
		w.l.CreateAccount(id, m(), account.CreateAccount{Kind: kind, Username: name, DisplayName: display, HomeOrg: home})
		return id
	}
	do := func(id domain.AccountID, e domain.Event) {
		w.l.Append(id.StreamID(), eventstore.Any, m(), []domain.Event{e})
	}
	grant := func(id domain.AccountID, role account.Role, until domain.Date) uuid.UUID {
		g := projectiontest.NewID()
		do(id, account.RoleGranted{Grant: g, Role: role, Org: w.orgA, ValidUntil: until, By: admin.Account})
		return g
	}
	an := create("an.nguyen", "Nguyễn Văn An", account.KindOrg, w.orgA)
	grant(an, account.RoleHROfficer, domain.Date{})
	binh := create("binh.tran", "Trần Thị Bình", account.KindOrg, w.orgA)
	grant(binh, account.RoleHROfficer, projectiontest.Day(2026, 1, 31)) // expired on the 15 February
	g := grant(binh, account.RoleApprover, projectiontest.Day(2026, 1, 31))
	do(binh, account.GrantExtended{Grant: g, ValidUntil: projectiontest.Day(2026, 12, 31)})
	cuong := create("cuong.le", "Lê Đức Cường", account.KindOrg, w.orgA)
	g = grant(cuong, account.RoleHROfficer, domain.Date{})
	do(cuong, account.GrantRevoked{Grant: g, Reason: "chuyển công tác"})
	do(cuong, account.Restricted{Reason: "tạm dừng"})
	dung := create("dung.pham", "Phạm Thu Dung", account.KindOrg, w.orgA)
	grant(dung, account.RoleAuditor, domain.Date{})
	do(dung, account.Restricted{Reason: "tạm dừng"})
	do(dung, account.Reinstated{Reason: "trở lại"})
	em := create("em.ho", "Hồ Minh Em", account.KindOrg, w.orgA)
	do(em, account.Closed{Reason: "nghỉ hưu"})
	create("giang.vo", "Võ Thị Giang", account.KindOrg, w.orgB)
	return w
}

func TestSearch(t *testing.T) {
	t.Parallel()
	w := build(t)
	pool := projectiontest.NewDB(t)
	events := w.l.Events()
	// Fed every event twice: the rows must equal those fed once.
	once := projectiontest.Build(t, pool, accounts.New(), 1, events, 1)
	twice := projectiontest.Build(t, pool, accounts.New(), 2, events, 2)
	for _, v := range []struct{ view, key string }{{accounts.AccountsView, "account_id"}, {accounts.GrantsView, "grant_id"}} {
		a := projectiontest.Dump(t, pool, projectiontest.DumpTable(once.Name(v.view), v.key))
		b := projectiontest.Dump(t, pool, projectiontest.DumpTable(twice.Name(v.view), v.key))
		if a != b {
			t.Errorf("%s fed twice differs:\n%s\n%s", v.view, a, b)
		}
	}
	feb := projectiontest.Day(2026, 2, 15)
	for _, tc := range []struct {
		name string
		q    accounts.Query
		want []string
	}{
		{"no scope lists nothing", accounts.Query{Today: feb}, nil},
		{"one org", accounts.Query{Scope: []domain.OrgID{w.orgA}, Today: feb}, []string{"an.nguyen", "binh.tran", "cuong.le", "dung.pham", "em.ho"}},
		{"the other org", accounts.Query{Scope: []domain.OrgID{w.orgB}, Today: feb}, []string{"giang.vo"}},
		{"without diacritics", accounts.Query{Scope: []domain.OrgID{w.orgA, w.orgB}, Text: "duc cuong", Today: feb}, []string{"cuong.le"}},
		{"with diacritics, any case", accounts.Query{Scope: []domain.OrgID{w.orgA, w.orgB}, Text: "THỊ", Today: feb}, []string{"binh.tran", "giang.vo"}},
		{"by username", accounts.Query{Scope: []domain.OrgID{w.orgA}, Text: "dung.p", Today: feb}, []string{"dung.pham"}},
		{"LIKE characters match themselves", accounts.Query{Scope: []domain.OrgID{w.orgA}, Text: "%", Today: feb}, nil},
		{"hr officers in force: expired and revoked grants do not count", accounts.Query{Scope: []domain.OrgID{w.orgA}, Roles: []string{"hr_officer"}, Today: feb}, []string{"an.nguyen"}},
		{"hr officers in January", accounts.Query{Scope: []domain.OrgID{w.orgA}, Roles: []string{"hr_officer"}, Today: projectiontest.Day(2026, 1, 20)}, []string{"an.nguyen", "binh.tran"}},
		{"an extended grant", accounts.Query{Scope: []domain.OrgID{w.orgA}, Roles: []string{"approver", "auditor"}, Today: feb}, []string{"binh.tran", "dung.pham"}},
		{"restricted", accounts.Query{Scope: []domain.OrgID{w.orgA}, States: []string{"restricted"}, Today: feb}, []string{"cuong.le"}},
		{"closed or restricted", accounts.Query{Scope: []domain.OrgID{w.orgA}, States: []string{"closed", "restricted"}, Today: feb}, []string{"cuong.le", "em.ho"}},
		{"active", accounts.Query{Scope: []domain.OrgID{w.orgA}, States: []string{"active"}, Today: feb}, []string{"an.nguyen", "binh.tran", "dung.pham"}},
		{"after a cursor", accounts.Query{Scope: []domain.OrgID{w.orgA}, After: "cuong.le", Today: feb}, []string{"dung.pham", "em.ho"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := accounts.Search(context.Background(), pool, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, it.Username)
			}
			if !slices.Equal(got, tc.want) || page.Next != "" {
				t.Errorf("Search = %v next %q, want %v", got, page.Next, tc.want)
			}
		})
	}

	t.Run("pages", func(t *testing.T) {
		var got []string
		q := accounts.Query{Scope: []domain.OrgID{w.orgA}, Limit: 2, Today: feb}
		for range 5 {
			page, err := accounts.Search(context.Background(), pool, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				got = append(got, it.Username)
			}
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		if want := []string{"an.nguyen", "binh.tran", "cuong.le", "dung.pham", "em.ho"}; !slices.Equal(got, want) {
			t.Errorf("pages = %v, want %v", got, want)
		}
	})

	t.Run("an item", func(t *testing.T) {
		page, err := accounts.Search(context.Background(), pool, accounts.Query{Scope: []domain.OrgID{w.orgA}, Text: "binh", Today: feb})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("Search = %+v, %v", page, err)
		}
		it := page.Items[0]
		// Created, two grants, an extension: version 4.
		if it.ID != w.ids["binh.tran"] || it.Version != 4 || it.Kind != "org" || it.DisplayName != "Trần Thị Bình" ||
			it.HomeOrg != w.orgA || it.Status != "active" || !slices.Equal(it.Roles, []string{"approver"}) ||
			it.CreatedOn != projectiontest.Day(2026, 1, 5) {
			t.Errorf("item = %+v", it)
		}
	})
}

// FuzzSearchText: any text the API lets through (valid UTF-8 without NUL:
// api.checkQuery refuses the rest) searches without an error, and never
// beyond the scope.
func FuzzSearchText(f *testing.F) {
	for _, s := range []string{"", "%", "_", `\`, "'", "nguyễn văn", "ĐỨC", "a%b_c\\d", "  ", "an.nguyen", "\u0301", "ﬁ"} {
		f.Add(s)
	}
	w := build(f)
	pool := projectiontest.NewDB(f)
	projectiontest.Build(f, pool, accounts.New(), 1, w.l.Events(), 1)
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			t.Skip("refused before the query (api.checkQuery)")
		}
		page, err := accounts.Search(context.Background(), pool, accounts.Query{Scope: []domain.OrgID{w.orgB}, Text: text, Today: projectiontest.Day(2026, 2, 1)})
		if err != nil {
			t.Fatalf("Search(%q): %v", text, err)
		}
		for _, it := range page.Items {
			if it.HomeOrg != w.orgB {
				t.Fatalf("Search(%q) lists %s of another org", text, it.Username)
			}
		}
	})
}
