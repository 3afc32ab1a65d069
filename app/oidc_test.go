package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/reservation"
)

const (
	testIssuer  = "https://sso.phutho.gov.vn/realms/tinh"
	testSubject = "3d9e0f6a-1111-4c1e-9a0b-000000000001"
)

// TestOIDCSubjectLinksToOneAccount: of accounts racing to link one
// subject, exactly one wins; the subject then finds that account, the
// losers' claims are gone, and a revocation frees the subject for another.
func TestOIDCSubjectLinksToOneAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, nil)
	m := metaOn(doha, d2)
	m.Actor.Account = domain.AccountID(fixedID("account/admin"))
	const n = 6
	ids := make([]domain.AccountID, n)
	for i := range ids {
		ids[i] = domain.AccountID(fixedID(fmt.Sprint("account/racer-", i)))
		if _, err := w.accounts.Create(ctx, ids[i], account.CreateAccount{Kind: account.KindOrg, Username: fmt.Sprint("can.bo.", i),
			DisplayName: "Cán bộ", HomeOrg: doha}, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.accounts.ByOIDCSubject(ctx, testIssuer, testSubject); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("ByOIDCSubject before any link: err = %v, want ErrNotFound", err)
	}

	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = w.accounts.LinkOIDC(ctx, ids[i], 1, fixedID(fmt.Sprint("link-", i)), testIssuer, testSubject, m)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		var se *domain.StateError
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("accounts %d and %d both linked the subject", winner, i)
			}
			winner = i
		case !errors.As(err, &se) || se.Rule != app.RuleOIDCSubjectTaken:
			t.Errorf("a loser's err = %v, want %s", err, app.RuleOIDCSubjectTaken)
		}
	}
	if winner < 0 {
		t.Fatal("no account linked the subject")
	}
	a, err := w.accounts.ByOIDCSubject(ctx, testIssuer, testSubject)
	if err != nil || a.ID() != ids[winner] {
		t.Fatalf("ByOIDCSubject = %v, %v; want the winner %s", a, err, ids[winner])
	}
	if _, err := w.accounts.ByOIDCSubject(ctx, testIssuer+"/", testSubject); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another issuer spelling: err = %v, want ErrNotFound", err)
	}

	// A link the account refuses (a stale version) claims nothing.
	other := ids[(winner+1)%n]
	if _, err := w.accounts.LinkOIDC(ctx, other, 7, fixedID("link-stale"), testIssuer, "another-subject", m); err == nil {
		t.Fatal("a link with a stale version went through")
	}
	if r, err := (app.Reservations{Ledger: w.ledger}).Get(ctx, reservation.OIDCSubjectStream(testIssuer, "another-subject")); err != nil || r.Version != 0 {
		t.Errorf("the refused link's reservation = %+v, %v; want never claimed", r, err)
	}

	// Revoked, the subject logs in to no one and may go to another account.
	if _, err := w.accounts.UnlinkOIDC(ctx, ids[winner], 2, fixedID(fmt.Sprint("link-", winner)), "nhầm người", m); err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.ByOIDCSubject(ctx, testIssuer, testSubject); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ByOIDCSubject after the revocation: err = %v, want ErrNotFound", err)
	}
	if _, err := w.accounts.LinkOIDC(ctx, other, 1, fixedID("link-again"), testIssuer, testSubject, m); err != nil {
		t.Fatalf("the freed subject to another account: %v", err)
	}
	if a, err := w.accounts.ByOIDCSubject(ctx, testIssuer, testSubject); err != nil || a.ID() != other {
		t.Errorf("ByOIDCSubject = %v, %v; want %s", a, err, other)
	}
}
