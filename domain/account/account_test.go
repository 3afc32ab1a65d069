package account

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

func aid(n byte) domain.AccountID {
	return domain.AccountID(uuid.MustParse("0190b000-0000-7000-8000-0000000000" + hex2(n)))
}
func oid(n byte) domain.OrgID {
	return domain.OrgID(uuid.MustParse("0190c000-0000-7000-8000-0000000000" + hex2(n)))
}
func gid(n byte) uuid.UUID { return uuid.MustParse("0190d000-0000-7000-8000-0000000000" + hex2(n)) }
func hex2(n byte) string   { const h = "0123456789abcdef"; return string([]byte{h[n>>4], h[n&15]}) }

var (
	acct    = aid(1) // the account under test
	admin   = aid(2) // the DoHA administrator acting
	home    = oid(1)
	other   = oid(2)
	dossier = domain.DossierID(uuid.MustParse("0190e000-0000-7000-8000-000000000001"))
	elsewho = domain.DossierID(uuid.MustParse("0190e000-0000-7000-8000-000000000002"))
)

func day(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

// metaBy is the metadata of a command by actor, effective eff and recorded
// at 09:00 in Vietnam that day.
func metaBy(actor domain.AccountID, eff domain.Date) domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: actor, Name: "Lê Văn Cường"},
		RecordedAt:    eff.StartInVietnam().Add(9 * time.Hour).UTC(),
		EffectiveDate: eff,
		Source:        domain.SourceDocument{Kind: "decision", Number: "45/QĐ-SNV", Date: eff, Issuer: "Sở Nội vụ tỉnh Phú Thọ"},
	}
}

func meta(eff domain.Date) domain.Meta { return metaBy(admin, eff) }

type step struct {
	e   domain.Event
	eff domain.Date
}

func history(steps ...step) []domain.Recorded {
	h := make([]domain.Recorded, len(steps))
	for i, s := range steps {
		m := meta(s.eff)
		if ps, ok := s.e.(PasswordSet); ok {
			m = metaBy(ps.By, s.eff)
		}
		h[i] = domain.Recorded{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i)}), Version: uint64(i + 1), Event: s.e, Meta: m}
	}
	return h
}

func given(t *testing.T, steps ...step) *Account {
	t.Helper()
	a, err := Replay(history(steps...))
	if err != nil {
		t.Fatalf("Replay(given) = %v", err)
	}
	return a
}

var (
	start    = day(2024, 1, 2)
	eff      = day(2024, 3, 1)
	personal = step{Created{Account: acct, Kind: KindPersonal, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", HomeOrg: home, Dossier: dossier}, start}
	orgAcct  = step{Created{Account: acct, Kind: KindOrg, Username: "snv.phutho", DisplayName: "Sở Nội vụ tỉnh Phú Thọ", HomeOrg: home}, start}
	service  = step{Created{Account: acct, Kind: KindService, Username: "national-sync", DisplayName: "Đồng bộ CSDL quốc gia", HomeOrg: home}, start}
	hr       = step{RoleGranted{Grant: gid(1), Role: RoleHROfficer, Org: home, ValidUntil: day(2024, 12, 31), By: admin}, start}
	approver = step{RoleGranted{Grant: gid(2), Role: RoleApprover, Org: home, By: admin}, start}
	restrict = step{Restricted{Reason: "nghi vấn lộ mật khẩu"}, day(2024, 2, 1)}
	closed   = step{Closed{Reason: "chuyển công tác ra ngoài tỉnh"}, day(2024, 2, 1)}
)

func hasRule(err error, rule string) bool {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			if p.Rule == rule || p.Field == rule {
				return true
			}
		}
	}
	var se *domain.StateError
	if errors.As(err, &se) && se.Rule == rule {
		return true
	}
	var fe *ForbiddenError
	return errors.As(err, &fe) && fe.Rule == rule
}

func check(t *testing.T, got []domain.Event, err error, want []domain.Event, wantErr error, rule string) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("err = %v, want %v", err, wantErr)
		}
		if rule != "" && !hasRule(err, rule) {
			t.Fatalf("err = %v, want it to name %q", err, rule)
		}
		if got != nil {
			t.Fatalf("events = %#v alongside an error", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("err = %v, want none", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %#v, want %#v", got, want)
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	good := CreateAccount{Kind: KindPersonal, Username: "  NguyenVanAn ", DisplayName: "Nguye\u0302\u0303n Văn An", HomeOrg: home, Dossier: dossier}
	with := func(f func(*CreateAccount)) CreateAccount { c := good; f(&c); return c }
	noSource := meta(start)
	noSource.Source = domain.SourceDocument{}
	tests := []struct {
		name string
		m    domain.Meta
		c    CreateAccount
		then []domain.Event
		err  error
		rule string
	}{
		{"personal, username and name normalized", meta(start), good,
			[]domain.Event{Created{Account: acct, Kind: KindPersonal, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", HomeOrg: home, Dossier: dossier}}, nil, ""},
		{"org account", meta(start), CreateAccount{Kind: KindOrg, Username: "snv.phutho", DisplayName: "Sở Nội vụ", HomeOrg: home},
			[]domain.Event{Created{Account: acct, Kind: KindOrg, Username: "snv.phutho", DisplayName: "Sở Nội vụ", HomeOrg: home}}, nil, ""},
		{"Vietnamese letters in the username", meta(start), with(func(c *CreateAccount) { c.Username = "nguyễnvănan" }), nil, domain.ErrInvalid, "username"},
		{"username too short", meta(start), with(func(c *CreateAccount) { c.Username = "an" }), nil, domain.ErrInvalid, "username"},
		{"display name required", meta(start), with(func(c *CreateAccount) { c.DisplayName = " " }), nil, domain.ErrInvalid, "display_name"},
		{"home org required", meta(start), with(func(c *CreateAccount) { c.HomeOrg = domain.OrgID{} }), nil, domain.ErrInvalid, "home_org"},
		{"personal needs the dossier", meta(start), with(func(c *CreateAccount) { c.Dossier = domain.DossierID{} }), nil, domain.ErrInvalid, "dossier_id"},
		{"only personal has a dossier", meta(start), with(func(c *CreateAccount) { c.Kind = KindService }), nil, domain.ErrInvalid, "dossier_id"},
		{"unknown kind", meta(start), with(func(c *CreateAccount) { c.Kind = "guest" }), nil, domain.ErrInvalid, "kind"},
		{"written decision required", noSource, good, nil, domain.ErrInvalid, "source_document"},
		{"cannot create oneself", metaBy(acct, start), good, nil, domain.ErrForbidden, "own_privileges"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Create(acct, tt.m, tt.c)
			check(t, got, err, tt.then, tt.err, tt.rule)
		})
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	certPEM := testCertificate(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	expiredPEM := testCertificate(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))
	var wantCert CertificateRegistered
	{
		var v domain.ValidationError
		wantCert, _ = parseCertificate(&v, certPEM)
	}
	certOn := day(2026, 3, 5)
	registered := step{wantCert, certOn}
	noSource := meta(eff)
	noSource.Source = domain.SourceDocument{}
	tests := []struct {
		name  string
		given []step
		when  func(*Account) ([]domain.Event, error)
		then  []domain.Event
		err   error
		rule  string
	}{
		{"holder sets the password", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.SetPassword(metaBy(acct, eff)) },
			[]domain.Event{PasswordSet{By: acct}}, nil, ""},
		{"another cannot set it", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.SetPassword(meta(eff)) }, nil, domain.ErrForbidden, "not_holder"},
		{"a service has no password", []step{service},
			func(a *Account) ([]domain.Event, error) { return a.SetPassword(metaBy(acct, eff)) }, nil, domain.ErrConflict, "no_password"},
		{"restricted cannot set it", []step{personal, restrict},
			func(a *Account) ([]domain.Event, error) { return a.SetPassword(metaBy(acct, eff)) }, nil, domain.ErrConflict, "restricted"},
		{"administrator resets", []step{personal, restrict},
			func(a *Account) ([]domain.Event, error) { return a.ResetPassword(meta(eff)) },
			[]domain.Event{PasswordReset{By: admin}}, nil, ""},
		{"holder cannot reset", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.ResetPassword(metaBy(acct, eff)) }, nil, domain.ErrForbidden, "own_privileges"},
		{"no reset on a closed account", []step{personal, closed},
			func(a *Account) ([]domain.Event, error) { return a.ResetPassword(meta(eff)) }, nil, domain.ErrConflict, "closed"},

		{"grant hr_officer on a subtree", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleHROfficer, Org: home, ValidUntil: day(2025, 12, 31)})
			},
			[]domain.Event{RoleGranted{Grant: gid(9), Role: RoleHROfficer, Org: home, ValidUntil: day(2025, 12, 31), By: admin}}, nil, ""},
		{"grant self over the own dossier", []step{personal},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleSelf, Dossier: dossier})
			},
			[]domain.Event{RoleGranted{Grant: gid(9), Role: RoleSelf, Dossier: dossier, By: admin}}, nil, ""},
		{"self over another dossier", []step{personal},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleSelf, Dossier: elsewho})
			}, nil, domain.ErrInvalid, "own_dossier"},
		{"self on an org account", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleSelf, Dossier: dossier})
			}, nil, domain.ErrInvalid, "kind"},
		{"admin on a personal account", []step{personal},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleAdmin, Org: home})
			}, nil, domain.ErrInvalid, "kind"},
		{"approver on a service", []step{service},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleApprover, Org: home})
			}, nil, domain.ErrInvalid, "kind"},
		{"grant needs an org", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleHROfficer})
			},
			nil, domain.ErrInvalid, "org_id"},
		{"grant needs its decision", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(noSource, NewGrant{ID: gid(9), Role: RoleHROfficer, Org: home})
			}, nil, domain.ErrInvalid, "source_document"},
		{"grant ending before it starts", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleHROfficer, Org: home, ValidUntil: day(2024, 2, 1)})
			}, nil, domain.ErrInvalid, "range"},
		{"no granting to oneself", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(metaBy(acct, eff), NewGrant{ID: gid(9), Role: RoleAdmin, Org: home})
			}, nil, domain.ErrForbidden, "own_privileges"},
		{"no granting to oneself on behalf of another", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				m := meta(eff)
				m.Actor.OnBehalfOf = acct
				return a.Grant(m, NewGrant{ID: gid(9), Role: RoleAdmin, Org: home})
			}, nil, domain.ErrForbidden, "own_privileges"},
		{"no grant to a closed account", []step{orgAcct, closed},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleHROfficer, Org: home})
			}, nil, domain.ErrConflict, "closed"},
		{"same role over the same org twice", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(9), Role: RoleHROfficer, Org: home})
			}, nil, domain.ErrConflict, "duplicate"},
		{"same role again after the first expired", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(day(2025, 1, 1)), NewGrant{ID: gid(9), Role: RoleHROfficer, Org: home})
			}, []domain.Event{RoleGranted{Grant: gid(9), Role: RoleHROfficer, Org: home, By: admin}}, nil, ""},
		{"re-sent grant is a no-op", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(start), NewGrant{ID: gid(1), Role: RoleHROfficer, Org: home, ValidUntil: day(2024, 12, 31)})
			}, nil, nil, ""},
		{"grant id naming another grant", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) {
				return a.Grant(meta(eff), NewGrant{ID: gid(1), Role: RoleInspector, Org: other})
			}, nil, domain.ErrConflict, "grant_id_taken"},

		{"extend", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) { return a.ExtendGrant(meta(eff), gid(1), day(2025, 12, 31)) },
			[]domain.Event{GrantExtended{Grant: gid(1), ValidUntil: day(2025, 12, 31)}}, nil, ""},
		{"extend an unknown grant", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) { return a.ExtendGrant(meta(eff), gid(7), day(2025, 12, 31)) },
			nil, domain.ErrNotFound, ""},
		{"extend to an earlier end", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) { return a.ExtendGrant(meta(eff), gid(1), day(2024, 6, 30)) },
			nil, domain.ErrInvalid, "range"},
		{"extend an open-ended grant", []step{orgAcct, approver},
			func(a *Account) ([]domain.Event, error) { return a.ExtendGrant(meta(eff), gid(2), day(2025, 12, 31)) },
			nil, domain.ErrConflict, "open_ended"},
		{"extend a revoked grant", []step{orgAcct, hr, {GrantRevoked{Grant: gid(1)}, day(2024, 2, 1)}},
			func(a *Account) ([]domain.Event, error) { return a.ExtendGrant(meta(eff), gid(1), day(2025, 12, 31)) },
			nil, domain.ErrConflict, "revoked"},
		{"extend one's own grant", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) {
				return a.ExtendGrant(metaBy(acct, eff), gid(1), day(2025, 12, 31))
			},
			nil, domain.ErrForbidden, "own_privileges"},

		{"revoke a grant", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) {
				return a.RevokeGrant(meta(eff), gid(1), "thôi phụ trách")
			},
			[]domain.Event{GrantRevoked{Grant: gid(1), Reason: "thôi phụ trách"}}, nil, ""},
		{"one may revoke one's own grant", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) { return a.RevokeGrant(metaBy(acct, eff), gid(1), "") },
			[]domain.Event{GrantRevoked{Grant: gid(1)}}, nil, ""},
		{"revoke twice is a no-op", []step{orgAcct, hr, {GrantRevoked{Grant: gid(1)}, day(2024, 2, 1)}},
			func(a *Account) ([]domain.Event, error) { return a.RevokeGrant(meta(eff), gid(1), "") }, nil, nil, ""},
		{"revoke an unknown grant", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) { return a.RevokeGrant(meta(eff), gid(1), "") }, nil, domain.ErrNotFound, ""},

		{"restrict", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) {
				return a.Restrict(meta(eff), "nghi  vấn lộ mật khẩu")
			},
			[]domain.Event{Restricted{Reason: "nghi vấn lộ mật khẩu"}}, nil, ""},
		{"restrict needs a reason", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) { return a.Restrict(meta(eff), "") }, nil, domain.ErrInvalid, "reason"},
		{"restrict twice is a no-op", []step{orgAcct, restrict},
			func(a *Account) ([]domain.Event, error) { return a.Restrict(meta(eff), "x") }, nil, nil, ""},
		{"restrict before the last reinstatement", []step{orgAcct, restrict, {Reinstated{}, day(2024, 4, 1)}},
			func(a *Account) ([]domain.Event, error) { return a.Restrict(meta(eff), "x") }, nil, domain.ErrConflict, "before_last_change"},
		{"reinstate", []step{orgAcct, restrict},
			func(a *Account) ([]domain.Event, error) { return a.Reinstate(meta(eff), "đã đổi mật khẩu") },
			[]domain.Event{Reinstated{Reason: "đã đổi mật khẩu"}}, nil, ""},
		{"reinstate oneself", []step{orgAcct, restrict},
			func(a *Account) ([]domain.Event, error) { return a.Reinstate(metaBy(acct, eff), "") }, nil, domain.ErrForbidden, "own_privileges"},
		{"reinstate an active account is a no-op", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) { return a.Reinstate(meta(eff), "") }, nil, nil, ""},
		{"reinstate on the day of the suspension", []step{orgAcct, restrict},
			func(a *Account) ([]domain.Event, error) { return a.Reinstate(meta(day(2024, 2, 1)), "") }, nil, domain.ErrConflict, "before_last_change"},

		{"close", []step{orgAcct, hr},
			func(a *Account) ([]domain.Event, error) { return a.Close(meta(eff), "nghỉ hưu") },
			[]domain.Event{Closed{Reason: "nghỉ hưu"}}, nil, ""},
		{"close needs a reason", []step{orgAcct},
			func(a *Account) ([]domain.Event, error) { return a.Close(meta(eff), "") }, nil, domain.ErrInvalid, "reason"},
		{"close twice", []step{orgAcct, closed},
			func(a *Account) ([]domain.Event, error) { return a.Close(meta(eff), "x") }, nil, domain.ErrConflict, "closed"},

		{"register an approver's certificate", []step{personal, approver},
			func(a *Account) ([]domain.Event, error) { return a.RegisterCertificate(meta(certOn), certPEM) },
			[]domain.Event{wantCert}, nil, ""},
		{"certificate without the approver role", []step{personal, hr},
			func(a *Account) ([]domain.Event, error) { return a.RegisterCertificate(meta(certOn), certPEM) },
			nil, domain.ErrConflict, "not_approver"},
		{"certificate that is not PEM", []step{personal, approver},
			func(a *Account) ([]domain.Event, error) { return a.RegisterCertificate(meta(certOn), "MIIB...") },
			nil, domain.ErrInvalid, "pem"},
		{"a key is not a certificate", []step{personal, approver},
			func(a *Account) ([]domain.Event, error) {
				return a.RegisterCertificate(meta(certOn), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})))
			}, nil, domain.ErrInvalid, "pem"},
		{"expired certificate", []step{personal, approver},
			func(a *Account) ([]domain.Event, error) { return a.RegisterCertificate(meta(certOn), expiredPEM) },
			nil, domain.ErrInvalid, "expired"},
		{"registering one's own certificate", []step{personal, approver},
			func(a *Account) ([]domain.Event, error) { return a.RegisterCertificate(metaBy(acct, certOn), certPEM) },
			nil, domain.ErrForbidden, "own_privileges"},
		{"certificate registered twice", []step{personal, approver, registered},
			func(a *Account) ([]domain.Event, error) { return a.RegisterCertificate(meta(certOn), certPEM) },
			nil, domain.ErrConflict, "duplicate"},
		{"revoke a certificate by a colon-separated fingerprint", []step{personal, approver, registered},
			func(a *Account) ([]domain.Event, error) {
				return a.RevokeCertificate(meta(certOn), colons(wantCert.Fingerprint), "mất thiết bị ký")
			}, []domain.Event{CertificateRevoked{Fingerprint: wantCert.Fingerprint, Reason: "mất thiết bị ký"}}, nil, ""},
		{"revoke an unknown certificate", []step{personal, approver},
			func(a *Account) ([]domain.Event, error) {
				return a.RevokeCertificate(meta(certOn), wantCert.Fingerprint, "")
			},
			nil, domain.ErrNotFound, ""},
		{"revoke a revoked certificate", []step{personal, approver, registered, {CertificateRevoked{Fingerprint: wantCert.Fingerprint}, certOn}},
			func(a *Account) ([]domain.Event, error) {
				return a.RevokeCertificate(meta(certOn), wantCert.Fingerprint, "")
			},
			nil, nil, ""},

		{"issue an API key id", []step{service},
			func(a *Account) ([]domain.Event, error) { return a.IssueAPIKey(meta(eff), "key_01HZX3K9") },
			[]domain.Event{APIKeyIssued{KeyID: "key_01HZX3K9"}}, nil, ""},
		{"API keys are for services", []step{personal},
			func(a *Account) ([]domain.Event, error) { return a.IssueAPIKey(meta(eff), "key_01HZX3K9") },
			nil, domain.ErrConflict, "not_service"},
		{"malformed key id", []step{service},
			func(a *Account) ([]domain.Event, error) { return a.IssueAPIKey(meta(eff), "k") }, nil, domain.ErrInvalid, "key_id"},
		{"a service issuing its own key", []step{service},
			func(a *Account) ([]domain.Event, error) { return a.IssueAPIKey(metaBy(acct, eff), "key_01HZX3K9") },
			nil, domain.ErrForbidden, "own_privileges"},
		{"key id issued twice", []step{service, {APIKeyIssued{KeyID: "key_01HZX3K9"}, eff}},
			func(a *Account) ([]domain.Event, error) { return a.IssueAPIKey(meta(eff), "key_01HZX3K9") },
			nil, domain.ErrConflict, "duplicate"},
		{"revoke a key id", []step{service, {APIKeyIssued{KeyID: "key_01HZX3K9"}, eff}},
			func(a *Account) ([]domain.Event, error) {
				return a.RevokeAPIKey(meta(eff), "key_01HZX3K9", "lộ khóa")
			},
			[]domain.Event{APIKeyRevoked{KeyID: "key_01HZX3K9", Reason: "lộ khóa"}}, nil, ""},
		{"revoke an unknown key id", []step{service},
			func(a *Account) ([]domain.Event, error) { return a.RevokeAPIKey(meta(eff), "key_01HZX3K9", "") },
			nil, domain.ErrNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := given(t, tt.given...)
			before := reflect.ValueOf(*a).Interface()
			got, err := tt.when(a)
			check(t, got, err, tt.then, tt.err, tt.rule)
			if !reflect.DeepEqual(before, *a) {
				t.Fatal("a command changed the aggregate; only Replay may")
			}
		})
	}
}

func colons(hexs string) string {
	var b strings.Builder
	for i := 0; i < len(hexs); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(hexs[i : i+2]))
	}
	return b.String()
}

// testCertificate is a self-signed Ed25519 certificate from a fixed seed:
// Ed25519 signatures are deterministic, so the PEM is the same on every run
// and can sit in a golden file.
func testCertificate(notBefore, notAfter time.Time) string {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(notBefore.Unix()),
		Subject:      pkix.Name{CommonName: "Nguyễn Văn An", Organization: []string{"UBND tỉnh Phú Thọ"}, Country: []string{"VN"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err) // a fixture, fixed at compile time
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestStandingOverTime: which grants give rights on which day, through
// expiry, suspension, reinstatement, revocation and closure.
func TestStandingOverTime(t *testing.T) {
	t.Parallel()
	a := given(t,
		orgAcct,
		hr,       // 2024-01-02 .. 2024-12-31
		approver, // 2024-01-02 ..
		step{Restricted{Reason: "x"}, day(2024, 3, 1)},
		step{Reinstated{}, day(2024, 3, 10)},
		step{GrantExtended{Grant: gid(1), ValidUntil: day(2025, 6, 30)}, day(2024, 12, 1)},
		step{GrantRevoked{Grant: gid(2)}, day(2025, 1, 1)},
		step{Closed{Reason: "y"}, day(2025, 6, 1)},
	)
	roles := func(d domain.Date) []Role {
		var out []Role
		for _, g := range a.Grants(d) {
			out = append(out, g.Role)
		}
		return out
	}
	tests := []struct {
		on   domain.Date
		want []Role
	}{
		{day(2024, 1, 1), nil},
		{day(2024, 1, 2), []Role{RoleHROfficer, RoleApprover}},
		{day(2024, 3, 1), nil}, // suspended
		{day(2024, 3, 9), nil},
		{day(2024, 3, 10), []Role{RoleHROfficer, RoleApprover}},
		{day(2024, 12, 31), []Role{RoleHROfficer, RoleApprover}},
		{day(2025, 1, 1), []Role{RoleHROfficer}}, // approver revoked from that day
		{day(2025, 5, 31), []Role{RoleHROfficer}},
		{day(2025, 6, 1), nil}, // closed
	}
	for _, tt := range tests {
		if got := roles(tt.on); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Grants(%s) roles = %v, want %v", tt.on, got, tt.want)
		}
	}
	if a.Status() != StatusClosed || a.Active() || a.ClosedOn() != day(2025, 6, 1) {
		t.Errorf("status = %s active=%v closed %s", a.Status(), a.Active(), a.ClosedOn())
	}
	if g := a.AllGrants(); len(g) != 2 || g[0].Source.Number != "45/QĐ-SNV" || g[0].Until != day(2025, 6, 30) {
		t.Errorf("AllGrants = %+v", g)
	}
	if p := a.Suspensions(); len(p) != 1 || p[0].Until != day(2024, 3, 10) {
		t.Errorf("Suspensions = %+v", p)
	}
	if a.Username() != "snv.phutho" || a.Kind() != KindOrg || a.HomeOrg() != home || a.ID() != acct || a.Version() != 8 || a.CreatedOn() != start {
		t.Errorf("identity = %s %s %v %v v%d %s", a.Username(), a.Kind(), a.HomeOrg(), a.ID(), a.Version(), a.CreatedOn())
	}
}

func TestPasswordCertificateAndKeyState(t *testing.T) {
	t.Parallel()
	pemText := testCertificate(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	var v domain.ValidationError
	cert, _ := parseCertificate(&v, pemText)
	h := history(personal, approver,
		step{PasswordReset{By: admin}, eff},
		step{cert, day(2026, 1, 5)},
		step{CertificateRevoked{Fingerprint: cert.Fingerprint}, day(2026, 2, 5)},
	)
	a, err := Replay(h)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.Password(); !p.Set || !p.MustChange || p.ChangedBy != admin {
		t.Errorf("after reset: %+v", p)
	}
	a2, _ := Replay(append(h, history(personal, step{PasswordSet{By: acct}, eff})[1]))
	if p := a2.Password(); !p.Set || p.MustChange || p.ChangedBy != acct {
		t.Errorf("after set: %+v", p)
	}
	c, ok := a.Certificate(colons(cert.Fingerprint))
	if !ok || c.Subject != cert.Subject || a.Dossier() != dossier || a.DisplayName() != "Nguyễn Văn An" {
		t.Fatalf("Certificate = %+v, %v", c, ok)
	}
	if !c.UsableAt(h[4].Meta.RecordedAt.Add(-time.Second)) || c.UsableAt(h[4].Meta.RecordedAt) || c.UsableAt(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("UsableAt: want usable from not_before until the revocation, got %+v", c)
	}
	if len(a.Certificates()) != 1 {
		t.Errorf("Certificates = %d, want 1", len(a.Certificates()))
	}
	s := given(t, service, step{APIKeyIssued{KeyID: "key_aaaaaaaa"}, eff}, step{APIKeyIssued{KeyID: "key_bbbbbbbb"}, eff}, step{APIKeyRevoked{KeyID: "key_bbbbbbbb"}, eff})
	if !s.APIKeyActive("key_aaaaaaaa") || s.APIKeyActive("key_bbbbbbbb") || s.APIKeyActive("key_cccccccc") || len(s.APIKeys()) != 2 {
		t.Errorf("API keys: %+v", s.APIKeys())
	}
	s2 := given(t, service, step{APIKeyIssued{KeyID: "key_aaaaaaaa"}, eff}, step{Restricted{Reason: "x"}, eff})
	if s2.APIKeyActive("key_aaaaaaaa") {
		t.Error("a restricted service's key must not be active")
	}
}

func TestReplayRefusesWhatIsNotAnAccountHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    []domain.Recorded
		err  error
	}{
		{"empty", nil, domain.ErrNotFound},
		{"no creation first", history(hr), domain.ErrInvalid},
		{"created twice", history(personal, personal), domain.ErrInvalid},
		{"a pointer event", history(personal, step{&Closed{}, eff}), domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Replay(tt.h); !errors.Is(err, tt.err) {
				t.Fatalf("Replay = %v, want %v", err, tt.err)
			}
		})
	}
}

// TestReplayIsDeterministic is the property test: any history the commands
// accept replays to the same state every time.
func TestReplayIsDeterministic(t *testing.T) {
	t.Parallel()
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 11))
		steps := []step{personal}
		for i := range r.IntN(15) {
			a, _ := Replay(history(steps...))
			d := start.AddDays(r.IntN(900))
			var evs []domain.Event
			switch r.IntN(7) {
			case 0:
				evs, _ = a.Grant(meta(d), NewGrant{ID: gid(byte(i)), Role: []Role{RoleSelf, RoleHROfficer, RoleApprover}[r.IntN(3)],
					Org: []domain.OrgID{{}, home, other}[r.IntN(3)], Dossier: dossier, ValidUntil: d.AddDays(r.IntN(400))})
				if evs == nil {
					evs, _ = a.Grant(meta(d), NewGrant{ID: gid(byte(i)), Role: RoleInspector, Org: home, ValidUntil: d.AddDays(r.IntN(400))})
				}
			case 1:
				evs, _ = a.ExtendGrant(meta(d), gid(byte(r.IntN(i+1))), d.AddDays(r.IntN(900)))
			case 2:
				evs, _ = a.RevokeGrant(meta(d), gid(byte(r.IntN(i+1))), "")
			case 3:
				evs, _ = a.Restrict(meta(d), "lý do")
			case 4:
				evs, _ = a.Reinstate(meta(d), "")
			case 5:
				evs, _ = a.ResetPassword(meta(d))
			case 6:
				if r.IntN(4) == 0 {
					evs, _ = a.Close(meta(d), "lý do")
				}
			}
			for _, e := range evs {
				steps = append(steps, step{e, d})
			}
		}
		h := history(steps...)
		a, err := Replay(h)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		b, _ := Replay(append([]domain.Recorded(nil), h...))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two replays differ", seed)
		}
		for d := start; d.Before(start.AddDays(1300)); d = d.AddDays(17) {
			for _, g := range a.Grants(d) {
				if !g.ActiveOn(d) || !a.ActiveOn(d) {
					t.Fatalf("seed %d: Grants(%s) returned %+v which is not in force", seed, d, g)
				}
			}
		}
	}
}
