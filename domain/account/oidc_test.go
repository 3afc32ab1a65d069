package account

import (
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

const (
	issuer  = "https://sso.hue.gov.vn/realms/hue"
	subject = "f3c1a6e2-5b7d-4c1e-9a0b-2d4e6f8a1c3e"
)

func TestOIDCLinkCommands(t *testing.T) {
	t.Parallel()
	linked := step{OIDCLinked{Link: gid(7), Issuer: issuer, Subject: subject, By: admin}, eff}
	unlinked := step{OIDCUnlinked{Link: gid(7), Reason: "thu hồi"}, eff}
	tests := []struct {
		name  string
		given []step
		when  func(*Account) ([]domain.Event, error)
		then  []domain.Event
		err   error
		rule  string
	}{
		{"administrator links a subject", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, subject) },
			[]domain.Event{OIDCLinked{Link: gid(7), Issuer: issuer, Subject: subject, By: admin}}, nil, ""},
		{"a restricted account may be linked (it still cannot log in)", []step{orgAcct, restrict},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, subject) },
			[]domain.Event{OIDCLinked{Link: gid(7), Issuer: issuer, Subject: subject, By: admin}}, nil, ""},
		{"the same link again is nothing new", []step{personal, linked},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, subject) }, nil, nil, ""},
		{"the subject under another link id", []step{personal, linked},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(8), issuer, subject) },
			nil, domain.ErrConflict, "duplicate"},
		{"a link id naming another link", []step{personal, linked},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, "other-sub") },
			nil, domain.ErrConflict, "link_id_taken"},
		{"a revoked link's id is not reused", []step{personal, linked, unlinked},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, subject) },
			nil, domain.ErrConflict, "link_id_taken"},
		{"relinking after a revocation takes a new id", []step{personal, linked, unlinked},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(8), issuer, subject) },
			[]domain.Event{OIDCLinked{Link: gid(8), Issuer: issuer, Subject: subject, By: admin}}, nil, ""},
		{"the holder cannot link their own", []step{personal},
			func(a *Account) ([]domain.Event, error) {
				return a.LinkOIDC(metaBy(acct, eff), gid(7), issuer, subject)
			},
			nil, domain.ErrForbidden, "own_privileges"},
		{"a service account has API keys only", []step{service},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, subject) },
			nil, domain.ErrConflict, "no_login"},
		{"a closed account", []step{personal, closed},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, subject) },
			nil, domain.ErrConflict, "closed"},
		{"no link id", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), [16]byte{}, issuer, subject) },
			nil, domain.ErrInvalid, "link_id"},
		{"an issuer that is no URL", []step{personal},
			func(a *Account) ([]domain.Event, error) {
				return a.LinkOIDC(meta(eff), gid(7), "sso.hue.gov.vn", subject)
			},
			nil, domain.ErrInvalid, "issuer"},
		{"an issuer with a query", []step{personal},
			func(a *Account) ([]domain.Event, error) {
				return a.LinkOIDC(meta(eff), gid(7), issuer+"?x=1", subject)
			},
			nil, domain.ErrInvalid, "issuer"},
		{"no subject", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, "") },
			nil, domain.ErrInvalid, "subject"},
		{"a subject with a space", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, "a b") },
			nil, domain.ErrInvalid, "subject"},
		{"a subject with Vietnamese letters", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.LinkOIDC(meta(eff), gid(7), issuer, "nguyễn") },
			nil, domain.ErrInvalid, "subject"},
		{"a subject too long", []step{personal},
			func(a *Account) ([]domain.Event, error) {
				return a.LinkOIDC(meta(eff), gid(7), issuer, strings.Repeat("x", MaxOIDCSubject+1))
			},
			nil, domain.ErrInvalid, "subject"},
		{"revoke a link", []step{personal, linked},
			func(a *Account) ([]domain.Event, error) { return a.UnlinkOIDC(meta(eff), gid(7), "thu hồi") },
			[]domain.Event{OIDCUnlinked{Link: gid(7), Reason: "thu hồi"}}, nil, ""},
		{"revoke a closed account's link", []step{personal, linked, closed},
			func(a *Account) ([]domain.Event, error) { return a.UnlinkOIDC(meta(eff), gid(7), "") },
			[]domain.Event{OIDCUnlinked{Link: gid(7)}}, nil, ""},
		{"revoke a revoked link", []step{personal, linked, unlinked},
			func(a *Account) ([]domain.Event, error) { return a.UnlinkOIDC(meta(eff), gid(7), "") }, nil, nil, ""},
		{"revoke an unknown link", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.UnlinkOIDC(meta(eff), gid(7), "") }, nil, domain.ErrNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := given(t, tt.given...)
			got, err := tt.when(a)
			check(t, got, err, tt.then, tt.err, tt.rule)
		})
	}
}

func TestOIDCLinkState(t *testing.T) {
	t.Parallel()
	a := given(t, personal, step{OIDCLinked{Link: gid(7), Issuer: issuer, Subject: subject, By: admin}, eff})
	tests := []struct {
		issuer, subject string
		want            bool
	}{
		{issuer, subject, true},
		{issuer + "/", subject, false}, // issuers compare exactly (OIDC Core §3.1.3.7)
		{issuer, strings.ToUpper(subject), false},
		{"https://other.example", subject, false},
	}
	for _, tt := range tests {
		if got := a.OIDCLinked(tt.issuer, tt.subject); got != tt.want {
			t.Errorf("OIDCLinked(%q, %q) = %v, want %v", tt.issuer, tt.subject, got, tt.want)
		}
	}
	b := given(t, personal, step{OIDCLinked{Link: gid(7), Issuer: issuer, Subject: subject, By: admin}, eff},
		step{OIDCUnlinked{Link: gid(7)}, eff})
	if b.OIDCLinked(issuer, subject) {
		t.Error("OIDCLinked after the revocation = true")
	}
	if l := b.OIDCLinks(); len(l) != 1 || l[0].Active() || l[0].By != admin || l[0].LinkedAt.IsZero() {
		t.Errorf("OIDCLinks() = %+v, want one revoked link by the administrator", l)
	}
}
