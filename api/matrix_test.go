package api_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/breach"
	"github.com/hoso-ledger/hoso/domain/consent"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/internal/ssotest"
)

// The access matrix: every route × every role × the caller's own org (A)
// and another org (B). The callers all hold their grant over org A (the
// person's self grant covers their own dossier, which A manages). For each
// cell the test sends a request that would succeed for an entitled caller
// (a valid body, the current If-Match) and checks:
//
//   - side B: nothing succeeds — writes are refused, reads are refused, and
//     a list answered 200 holds nothing of B's (no id, no name);
//   - side A: the roles the route allows succeed with its status; the
//     others are refused;
//   - a refusal never reveals existence: a dossier the caller may not read
//     is 404, never 403 (403 only for a dossier they may read but not
//     change);
//   - every refused request that opened a dossier is in the read log as a
//     refusal of that dossier, and a refused request appends no event.
//
// The routes come from Echo: a route missing from the table fails the
// test, so a new route cannot skip the matrix.

type role string

const (
	roleAdmin     role = "admin"
	roleHR        role = "hr_officer"
	roleApprover  role = "approver"
	roleInspector role = "inspector"
	roleAuditor   role = "auditor"
	roleSelf      role = "self"
)

var matrixRoles = []role{roleAdmin, roleHR, roleApprover, roleInspector, roleAuditor, roleSelf}

// readers may read the non-sensitive parts of org A's dossiers (the
// person only their own): for them a refused write is 403, for the others 404.
var readers = []role{roleHR, roleApprover, roleInspector, roleSelf}

type side string

const (
	own   side = "own"
	other side = "other"
)

// request is one call of the matrix.
type request struct {
	method, path string
	body         any
	headers      []string
	token        string           // instead of the role's token (logout)
	dossier      domain.DossierID // the dossier the route opens: its refusals must be in the read log
}

// route is one row of the matrix.
type route struct {
	pattern string // "POST /api/v1/dossiers/{id}/rows", as Echo mounts it
	// allowed are the roles that succeed on side own, with status want.
	allowed []role
	want    int
	// wantAlso are other statuses an entitled call may get that are not
	// refusals (a month with nothing to approve, a signature refused on
	// its merits).
	wantAlso []int
	// list: a refusal may be a 200 that lists nothing of the other org.
	list bool
	// dossierScoped: refusals follow the dossier rule (404 unless a reader).
	dossierScoped bool
	// unscoped routes (me, login, the document…) answer every role the
	// same and have no other org: they run once per role on side own
	// (once only, as the administrator, when once is set: logging in costs
	// an argon2 hash).
	unscoped, once bool
	// refused are the statuses a refusal may have besides 403 and 404
	// (422 "unknown" for an out-of-scope org named in a body).
	refused []int
	// build makes the request against an object of side s for role r; for
	// a write it is called afresh for each role allowed to succeed.
	build func(m *matrix, t *testing.T, s side, r role) request
}

type matrix struct {
	env      *apitest.Env
	a, b, c  domain.OrgID
	tokens   map[role]string
	ids      map[role]domain.AccountID
	mine     domain.DossierID // the self account's dossier, in A
	hrB, hrC string           // tokens that seed objects in B and C through the API
	secrets  []string         // what no A caller may ever see: B's dossier ids and names
	seq      int
	shared   map[string]request // objects for refusals, by pattern and side
	sso      *ssotest.Provider  // the single sign-on provider the service trusts
}

func (m *matrix) next() int { m.seq++; return m.seq }

// linkOIDC links the provider's subject to the account through the app
// service and returns the link's id.
func (m *matrix) linkOIDC(t *testing.T, id domain.AccountID, subject string) string {
	t.Helper()
	a, err := m.env.Svc.Deps.Accounts.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	link := uuid.Must(uuid.NewV7())
	if _, err := m.env.Svc.Deps.Accounts.LinkOIDC(context.Background(), id, a.Version(), link, m.sso.Issuer, subject, m.env.Meta()); err != nil {
		t.Fatal(err)
	}
	return link.String()
}

func (m *matrix) orgOf(s side) domain.OrgID {
	if s == own {
		return m.a
	}
	return m.b
}

// dossierIn opens a dossier in org; one in B is a secret.
func (m *matrix) dossierIn(t *testing.T, org domain.OrgID) domain.DossierID {
	t.Helper()
	name := fmt.Sprintf("Nguyễn Văn Ma Trận %d", m.next())
	id := m.env.Dossier(org, name)
	if org == m.b {
		m.secrets = append(m.secrets, id.String(), name)
	}
	return id
}

func (m *matrix) dossierETag(t *testing.T, id domain.DossierID) string {
	t.Helper()
	d, err := m.env.Svc.Deps.Dossiers.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return `"` + strconv.FormatUint(d.Version(), 10) + `"`
}

func (m *matrix) accountETag(t *testing.T, id domain.AccountID) string {
	t.Helper()
	a, err := m.env.Svc.Deps.Accounts.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return `"` + strconv.FormatUint(a.Version(), 10) + `"`
}

func (m *matrix) orgETag(t *testing.T, id domain.OrgID) string {
	t.Helper()
	o, err := m.env.Svc.Deps.Orgs.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return `"` + strconv.FormatUint(o.Version(), 10) + `"`
}

// target is a dossier of side s for role r: the person's own dossier for
// the self role on side own, else a fresh dossier of the side's org.
func (m *matrix) target(t *testing.T, s side, r role) domain.DossierID {
	if s == own && r == roleSelf {
		return m.mine
	}
	return m.dossierIn(t, m.orgOf(s))
}

// dossierWrite builds a write to a dossier of side s at its current version.
func (m *matrix) dossierWrite(t *testing.T, s side, r role, method, suffix string, body func(domain.DossierID) any) request {
	id := m.target(t, s, r)
	return request{method: method, path: "/api/v1/dossiers/" + id.String() + suffix, body: body(id),
		headers: []string{"If-Match", m.dossierETag(t, id)}, dossier: id}
}

// consentBody is the body of a consent recorded from the person's form n.
func consentBody(n int) map[string]any {
	return map[string]any{"purposes": []string{"statistics"}, "scope": "view",
		"form": map[string]any{"kind": "form", "number": fmt.Sprintf("%d/GĐY", n), "date": "2026-12-01", "issuer": "Người đồng ý"}}
}

// consentOn records a consent on dossier id (through the app service: the
// matrix tests the route that withdraws it).
func (m *matrix) consentOn(t *testing.T, id domain.DossierID) uuid.UUID {
	t.Helper()
	cid := uuid.Must(uuid.NewV7())
	meta := m.env.Meta()
	_, _, err := app.Consents{Ledger: m.env.Svc.Deps.Dossiers.Ledger}.Record(context.Background(), consent.Recorded{ConsentID: cid, DossierID: id,
		Purposes: []policy.Purpose{policy.PurposeStatistics}, Scope: consent.ScopeView, ValidFrom: meta.EffectiveDate,
		Form: domain.SourceDocument{Kind: "form", Number: "1/GĐY", Date: meta.EffectiveDate, Issuer: "Người đồng ý"}}, 0, meta.EffectiveDate, meta)
	if err != nil {
		t.Fatal(err)
	}
	return cid
}

// proposalOn has the person behind dossier id propose a change (through
// the app service: the matrix tests the routes that review it).
func (m *matrix) proposalOn(t *testing.T, id domain.DossierID) uuid.UUID {
	t.Helper()
	pid := uuid.Must(uuid.NewV7())
	d, err := m.env.Svc.Deps.Dossiers.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.env.Svc.Deps.Dossiers.SubmitProposal(context.Background(), id, d.Version(), dossier.ProposalDraft{
		ProposalID: pid, Kind: dossier.ProposalChange,
		Patch: dossier.Patch{Position: &dossier.Position{Current: "Chuyên viên"}},
	}, m.env.Meta()); err != nil {
		t.Fatalf("proposal: %v", err)
	}
	return pid
}

// transferTo starts a transfer of a fresh dossier of org from to org to,
// through the API as from's HR would.
func (m *matrix) transfer(t *testing.T, fromToken string, from, to domain.OrgID) (uuid.UUID, domain.DossierID) {
	t.Helper()
	id := m.dossierIn(t, from)
	r := m.env.Do(http.MethodPost, "/api/v1/dossiers/"+id.String()+"/transfers", fromToken, map[string]any{
		"kind": "between_orgs", "target_org": to, "source_document": decision(fmt.Sprintf("%d/QĐ-CHUYEN", m.next())),
	}, "If-Match", m.dossierETag(t, id))
	if r.Status != http.StatusCreated {
		t.Fatalf("starting a transfer: %d %s", r.Status, r.Body)
	}
	var v struct {
		ID uuid.UUID `json:"id"`
	}
	r.JSON(&v)
	return v.ID, id
}

// transferFor is a pending transfer in which side s's org acts: receives
// it (receiver) or sent it (sender).
func (m *matrix) transferFor(t *testing.T, s side, receiver bool) (uuid.UUID, domain.DossierID) {
	t.Helper()
	org := m.orgOf(s)
	if receiver {
		return m.transfer(t, m.hrC, m.c, org)
	}
	tok := m.hrB
	if s == own {
		tok = m.tokens[roleHR]
	}
	return m.transfer(t, tok, org, m.c)
}

// attachmentIn uploads a scan to a fresh dossier of org with token.
func (m *matrix) attachmentIn(t *testing.T, s side) (string, domain.DossierID) {
	t.Helper()
	tok := m.hrB
	if s == own {
		tok = m.tokens[roleHR]
	}
	id := m.dossierIn(t, m.orgOf(s))
	body, ct := multipartScan(t, fmt.Sprintf("matrix scan %d", m.next()))
	r := m.env.Do(http.MethodPost, "/api/v1/dossiers/"+id.String()+"/attachments", tok, body,
		"Content-Type", ct, "If-Match", m.dossierETag(t, id))
	if r.Status != http.StatusCreated {
		t.Fatalf("uploading: %d %s", r.Status, r.Body)
	}
	var v struct {
		SHA256 string `json:"sha256"`
	}
	r.JSON(&v)
	return v.SHA256, id
}

// accountIn creates an HR account homed in side s's org (an approver when
// approver is set, for certificates), through the app service.
func (m *matrix) accountIn(t *testing.T, s side, approver bool) domain.AccountID {
	t.Helper()
	r := account.RoleHROfficer
	if approver {
		r = account.RoleApprover
	}
	return m.newAccount(t, s, account.KindOrg, r, domain.Date{}, 0)
}

// newAccount creates an account of kind with one grant of r over side s's
// org, last in force on until (zero: open-ended), created back days ago.
func (m *matrix) newAccount(t *testing.T, s side, kind account.Kind, r account.Role, until domain.Date, back int) domain.AccountID {
	t.Helper()
	ctx := context.Background()
	id := domain.AccountID(uuid.Must(uuid.NewV7()))
	meta := m.env.Meta()
	meta.EffectiveDate = meta.EffectiveDate.AddDays(-back)
	res, err := m.env.Svc.Deps.Accounts.Create(ctx, id, account.CreateAccount{Kind: kind, Username: fmt.Sprintf("matran.%d", m.next()),
		DisplayName: "Tài khoản ma trận", HomeOrg: m.orgOf(s)}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.env.Svc.Deps.Accounts.Grant(ctx, id, res.LastVersion, account.NewGrant{ID: uuid.Must(uuid.NewV7()), Role: r,
		Org: m.orgOf(s), ValidUntil: until}, meta); err != nil {
		t.Fatal(err)
	}
	if s == other {
		m.secrets = append(m.secrets, id.String())
	}
	return id
}

func (m *matrix) childOrg(t *testing.T, s side) domain.OrgID {
	t.Helper()
	n := m.next()
	return m.env.Org(fmt.Sprintf("Phòng ma trận %d", n), fmt.Sprintf("000.09.%02d.M%02d", n%100, n%97), m.orgOf(s))
}

// province is a fresh province's people's committee in side s's org, with
// a department under it to designate as its Department of Home Affairs.
func (m *matrix) province(t *testing.T, s side) (province, department domain.OrgID) {
	t.Helper()
	n := m.next()
	province = domain.OrgID(uuid.Must(uuid.NewV7()))
	if _, err := m.env.Svc.Deps.Orgs.Create(context.Background(), province, org.CreateOrg{Name: fmt.Sprintf("UBND tỉnh ma trận %d", n),
		Code: fmt.Sprintf("H%02d.M%02d", n%100, n%97), Kind: org.KindProvinceCommittee, Level: org.LevelProvince, Parent: m.orgOf(s)}, m.env.Meta()); err != nil {
		t.Fatal(err)
	}
	m.env.WaitCaughtUp()
	return province, m.childOrgOf(t, province)
}

// childOrgOf is a fresh department under parent.
func (m *matrix) childOrgOf(t *testing.T, parent domain.OrgID) domain.OrgID {
	t.Helper()
	n := m.next()
	return m.env.Org(fmt.Sprintf("Sở ma trận %d", n), fmt.Sprintf("000.10.%02d.M%02d", n%100, n%97), parent)
}

// certificatePEM is a fresh self-signed certificate, valid for a year.
func certificatePEM(t *testing.T) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Phê duyệt ma trận"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), fingerprint(c.Raw)
}

func newMatrix(t *testing.T) *matrix {
	t.Helper()
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "checkpoint.key"), "hoso.test/matrix")
	if err != nil {
		t.Fatal(err)
	}
	seal, err := export.LoadOrCreateDevSeal(t.TempDir(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sso := ssotest.New(t, "http://127.0.0.1/login/oidc/callback")
	env := apitest.Start(t, apitest.Options{Config: service.Config{CheckpointKey: &key, Seal: seal, OIDC: config.OIDC{
		Issuer: sso.Issuer, ClientID: sso.ClientID, ClientSecret: sso.ClientSecret, RedirectURL: sso.RedirectURL}}})
	m := &matrix{env: env, tokens: map[role]string{}, ids: map[role]domain.AccountID{}, shared: map[string]request{}, sso: sso}
	m.a = env.Org("Sở Ma Trận A", "000.00.21.T01", env.Root)
	m.b = env.Org("Sở Ma Trận B", "000.00.22.T01", env.Root)
	m.c = env.Org("Sở Ma Trận C", "000.00.23.T01", env.Root)
	m.mine = env.Dossier(m.a, "Trần Thị Chính Chủ")
	const pw = "MaTran@Test2026"
	// Sessions are started directly (no argon2 work per caller); the login
	// route has its own row, with the administrator's password.
	grants := map[role]account.Role{roleAdmin: account.RoleAdmin, roleHR: account.RoleHROfficer, roleApprover: account.RoleApprover,
		roleInspector: account.RoleInspector, roleAuditor: account.RoleAuditor}
	for _, r := range matrixRoles {
		name := "a." + string(r)
		switch r {
		case roleSelf:
			m.ids[r] = env.SelfAccount(name, "", m.a, m.mine)
		case roleAdmin:
			m.ids[r] = env.Account(name, pw, account.KindAdministrator, grants[r], m.a)
		default:
			m.ids[r] = env.Account(name, "", account.KindOrg, grants[r], m.a)
		}
		m.tokens[r] = env.Session(m.ids[r])
	}
	m.hrB = env.Session(env.Account("b.hr", "", account.KindOrg, account.RoleHROfficer, m.b))
	m.hrC = env.Session(env.Account("c.hr", "", account.KindOrg, account.RoleHROfficer, m.c))
	return m
}

// lastMonth is the month before this one, yyyy-mm.
func lastMonth() string {
	return time.Now().In(domain.VietnamZone).AddDate(0, -1, 0).Format("2006-01")
}

func reason(n int) map[string]any {
	return map[string]any{"reason": "kiểm tra ma trận", "source_document": decision(fmt.Sprintf("%d/QĐ-MT", n))}
}

func acctDecision(n int) map[string]any {
	return map[string]any{"source_document": decision(fmt.Sprintf("%d/QĐ-TK", n))}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// matrixRoutes is the table. Keep it in the order of the route files.
func matrixRoutes() []route {
	dossierRoles := []role{roleHR}
	dossierReaders := []role{roleHR, roleApprover, roleInspector, roleSelf}
	get := func(suffix string) func(m *matrix, t *testing.T, s side, r role) request {
		return func(m *matrix, t *testing.T, s side, r role) request {
			id := m.target(t, s, r)
			// Personnel work needs no purpose; the inspector's reads do
			// (Decree 27/2026), and an inspection needs no consent.
			return request{method: http.MethodGet, path: "/api/v1/dossiers/" + id.String() + suffix, dossier: id,
				headers: []string{"X-Purpose", "kiểm tra ma trận", "Hoso-Purpose", `inspection; ref="15/QĐ-TTr"`}}
		}
	}
	list := func(path string) func(m *matrix, t *testing.T, s side, r role) request {
		return func(m *matrix, t *testing.T, s side, r role) request {
			q := "?org=" + m.orgOf(s).String()
			if s == own && r == roleSelf {
				q = "" // the person has no org grant: their list is their dossier
			}
			// A list showing dossiers outside personnel work is gated
			// like a read of each (Decree 27/2026).
			return request{method: http.MethodGet, path: path + q, headers: []string{"Hoso-Purpose", `inspection; ref="15/QĐ-TTr"`}}
		}
	}
	acctWrite := func(suffix string, body func(m *matrix, t *testing.T, id domain.AccountID) (string, any), approver bool) func(m *matrix, t *testing.T, s side, r role) request {
		return func(m *matrix, t *testing.T, s side, r role) request {
			id := m.accountIn(t, s, approver)
			p, b := body(m, t, id)
			return request{method: http.MethodPost, path: "/api/v1/accounts/" + id.String() + strings.ReplaceAll(suffix, "{}", p),
				body: b, headers: []string{"If-Match", m.accountETag(t, id)}}
		}
	}
	orgWrite := func(suffix string, body func(m *matrix, t *testing.T, s side) any, ifMatch bool) func(m *matrix, t *testing.T, s side, r role) request {
		return func(m *matrix, t *testing.T, s side, r role) request {
			id := m.childOrg(t, s)
			b := body(m, t, s)
			req := request{method: http.MethodPost, path: "/api/v1/orgs/" + id.String() + suffix, body: b}
			if ifMatch {
				req.headers = []string{"If-Match", m.orgETag(t, id)}
			}
			return req
		}
	}
	admins := []role{roleAdmin}
	auditors := []role{roleAdmin, roleInspector, roleAuditor}
	approvalReaders := []role{roleAdmin, roleApprover, roleInspector, roleAuditor}
	complianceReaders := []role{roleAdmin, roleHR, roleApprover, roleInspector, roleAuditor, roleSelf}
	return []route{
		// Session and the document: the same for everyone.
		{pattern: "POST /api/v1/auth/login", unscoped: true, once: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodPost, path: "/api/v1/auth/login", body: map[string]string{"username": "a." + string(r), "password": "MaTran@Test2026"}}
			}},
		{pattern: "POST /api/v1/auth/oidc", unscoped: true, once: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				// A subject linked to an account of its own (a token starts one session).
				id := m.newAccount(t, own, account.KindOrg, account.RoleAuditor, domain.Date{}, 0)
				sub := fmt.Sprintf("matrix-sso-%d", m.next())
				m.linkOIDC(t, id, sub)
				const nonce = "matrix-nonce-0123456789abcdef0123"
				return request{method: http.MethodPost, path: "/api/v1/auth/oidc", body: map[string]string{"id_token": m.sso.IDToken(sub, nonce), "nonce": nonce}}
			}},
		{pattern: "POST /api/v1/auth/logout", unscoped: true, want: http.StatusNoContent,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodPost, path: "/api/v1/auth/logout", token: m.env.Session(m.ids[r])}
			}},
		{pattern: "POST /api/v1/auth/password", unscoped: true, once: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				// An account of its own: the change ends the account's other sessions.
				id := m.env.Account(fmt.Sprintf("doi.mk.%d", m.next()), "MaTran@Test2026", account.KindOrg, account.RoleAuditor, m.a)
				return request{method: http.MethodPost, path: "/api/v1/auth/password", token: m.env.Session(id),
					body: map[string]string{"current_password": "MaTran@Test2026", "new_password": "MaTran@Moi-2026"}}
			}},
		{pattern: "GET /api/v1/me", unscoped: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/me"}
			}},
		{pattern: "GET /api/v1/openapi.json", unscoped: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/openapi.json"}
			}},

		// Accounts: administrators of the account's home org only.
		{pattern: "POST /api/v1/accounts", allowed: admins, want: http.StatusCreated, refused: []int{422},
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodPost, path: "/api/v1/accounts", body: with(acctDecision(m.next()),
					"kind", "org", "username", fmt.Sprintf("moi.%d", m.next()), "display_name", "Tài khoản mới", "home_org", m.orgOf(s))}
			}},
		{pattern: "GET /api/v1/accounts", list: true, allowed: admins, want: http.StatusOK, build: list("/api/v1/accounts")},
		{pattern: "GET /api/v1/accounts/{id}", allowed: admins, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/accounts/" + m.accountIn(t, s, false).String()}
			}},
		{pattern: "POST /api/v1/accounts/{id}/password-reset", allowed: admins, want: http.StatusOK,
			build: acctWrite("/password-reset", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				return "", with(acctDecision(m.next()), "reason", "quên mật khẩu")
			}, false)},
		{pattern: "POST /api/v1/accounts/{id}/grants", allowed: admins, want: http.StatusCreated, refused: []int{422},
			build: acctWrite("/grants", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				return "", with(acctDecision(m.next()), "role", "inspector", "org_id", m.a)
			}, false)},
		{pattern: "POST /api/v1/accounts/{id}/grants/{grant}/extend", allowed: admins, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				until := domain.DateOf(time.Now()).AddDays(30)
				id := m.newAccount(t, s, account.KindOrg, account.RoleHROfficer, until, 0)
				return request{method: http.MethodPost, path: "/api/v1/accounts/" + id.String() + "/grants/" + m.grantOf(t, id) + "/extend",
					body: with(acctDecision(m.next()), "valid_until", "2099-12-31"), headers: []string{"If-Match", m.accountETag(t, id)}}
			}},
		{pattern: "POST /api/v1/accounts/{id}/grants/{grant}/revoke", allowed: admins, want: http.StatusOK,
			build: acctWrite("/grants/{}/revoke", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				return m.grantOf(t, id), reason(m.next())
			}, false)},
		{pattern: "POST /api/v1/accounts/{id}/restrict", allowed: admins, want: http.StatusOK,
			build: acctWrite("/restrict", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				return "", reason(m.next())
			}, false)},
		{pattern: "POST /api/v1/accounts/{id}/reinstate", allowed: admins, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				// Suspended today, reinstated from tomorrow (a reinstatement
				// takes effect after the suspension began).
				id := m.newAccount(t, s, account.KindOrg, account.RoleHROfficer, domain.Date{}, 0)
				a, _ := m.env.Svc.Deps.Accounts.Get(context.Background(), id)
				if _, err := m.env.Svc.Deps.Accounts.Restrict(context.Background(), id, a.Version(), "tạm đình chỉ", m.env.Meta()); err != nil {
					t.Fatal(err)
				}
				tomorrow := m.env.Meta().EffectiveDate.AddDays(1)
				return request{method: http.MethodPost, path: "/api/v1/accounts/" + id.String() + "/reinstate",
					body: with(reason(m.next()), "effective_date", tomorrow.String()), headers: []string{"If-Match", m.accountETag(t, id)}}
			}},
		{pattern: "POST /api/v1/accounts/{id}/close", allowed: admins, want: http.StatusOK,
			build: acctWrite("/close", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				return "", reason(m.next())
			}, false)},
		{pattern: "POST /api/v1/accounts/{id}/api-keys", allowed: admins, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.newAccount(t, s, account.KindService, account.RoleInspector, domain.Date{}, 0)
				return request{method: http.MethodPost, path: "/api/v1/accounts/" + id.String() + "/api-keys",
					body: acctDecision(m.next()), headers: []string{"If-Match", m.accountETag(t, id)}}
			}},
		{pattern: "POST /api/v1/accounts/{id}/api-keys/{key}/revoke", allowed: admins, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.newAccount(t, s, account.KindService, account.RoleInspector, domain.Date{}, 0)
				key := fmt.Sprintf("matrixkey%d", m.next())
				a, _ := m.env.Svc.Deps.Accounts.Get(context.Background(), id)
				if _, err := m.env.Svc.Deps.Accounts.IssueAPIKey(context.Background(), id, a.Version(), key, m.env.Meta()); err != nil {
					t.Fatal(err)
				}
				return request{method: http.MethodPost, path: "/api/v1/accounts/" + id.String() + "/api-keys/" + key + "/revoke",
					body: reason(m.next()), headers: []string{"If-Match", m.accountETag(t, id)}}
			}},
		{pattern: "POST /api/v1/accounts/{id}/certificates", allowed: admins, want: http.StatusCreated,
			build: acctWrite("/certificates", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				p, _ := certificatePEM(t)
				return "", with(acctDecision(m.next()), "pem", p)
			}, true)},
		{pattern: "POST /api/v1/accounts/{id}/certificates/{fingerprint}/revoke", allowed: admins, want: http.StatusOK,
			build: acctWrite("/certificates/{}/revoke", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				p, fp := certificatePEM(t)
				a, _ := m.env.Svc.Deps.Accounts.Get(context.Background(), id)
				if _, err := m.env.Svc.Deps.Accounts.RegisterCertificate(context.Background(), id, a.Version(), p, m.env.Meta()); err != nil {
					t.Fatal(err)
				}
				return fp, reason(m.next())
			}, true)},

		{pattern: "POST /api/v1/accounts/{id}/oidc-links", allowed: admins, want: http.StatusCreated,
			build: acctWrite("/oidc-links", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				return "", with(acctDecision(m.next()), "issuer", m.sso.Issuer, "subject", fmt.Sprintf("matrix-sso-%d", m.next()))
			}, false)},
		{pattern: "POST /api/v1/accounts/{id}/oidc-links/{link}/revoke", allowed: admins, want: http.StatusOK,
			build: acctWrite("/oidc-links/{}/revoke", func(m *matrix, t *testing.T, id domain.AccountID) (string, any) {
				return m.linkOIDC(t, id, fmt.Sprintf("matrix-sso-%d", m.next())), reason(m.next())
			}, false)},

		// Orgs: everyone with a grant sees their subtree; administrators change it.
		{pattern: "GET /api/v1/orgs", list: true, allowed: []role{roleAdmin, roleHR, roleApprover, roleInspector, roleAuditor, roleSelf}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/orgs"}
			}},
		{pattern: "POST /api/v1/orgs", allowed: admins, want: http.StatusCreated, refused: []int{422},
			build: func(m *matrix, t *testing.T, s side, r role) request {
				n := m.next()
				return request{method: http.MethodPost, path: "/api/v1/orgs", body: with(acctDecision(n),
					"name", fmt.Sprintf("Phòng mới %d", n), "code", fmt.Sprintf("000.08.%02d.N%02d", n%100, n%97), "kind", "department", "level", "province", "parent", m.orgOf(s))}
			}},
		{pattern: "GET /api/v1/orgs/{id}", allowed: []role{roleAdmin, roleHR, roleApprover, roleInspector, roleAuditor}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/orgs/" + m.orgOf(s).String()}
			}},
		{pattern: "POST /api/v1/orgs/{id}/rename", allowed: admins, want: http.StatusOK,
			build: orgWrite("/rename", func(m *matrix, t *testing.T, s side) any {
				return with(acctDecision(m.next()), "name", fmt.Sprintf("Phòng đổi tên %d", m.next()))
			}, true)},
		{pattern: "POST /api/v1/orgs/{id}/move", allowed: admins, want: http.StatusOK, refused: []int{422},
			build: orgWrite("/move", func(m *matrix, t *testing.T, s side) any {
				return with(acctDecision(m.next()), "parent", m.childOrg(t, s))
			}, true)},
		{pattern: "POST /api/v1/orgs/{id}/home-affairs", allowed: admins, want: http.StatusOK, refused: []int{422},
			build: func(m *matrix, t *testing.T, s side, r role) request {
				prov, doh := m.province(t, s)
				return request{method: http.MethodPost, path: "/api/v1/orgs/" + prov.String() + "/home-affairs",
					body: with(acctDecision(m.next()), "home_affairs", doh), headers: []string{"If-Match", m.orgETag(t, prov)}}
			}},
		// A staffing quota is decided above the org: the HR of its parent
		// (A over A's child) or an administrator (PT 5.2đ).
		{pattern: "POST /api/v1/orgs/{id}/staffing-quotas", allowed: []role{roleAdmin, roleHR}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				child := m.childOrg(t, s)
				return request{method: http.MethodPost, path: "/api/v1/orgs/" + child.String() + "/staffing-quotas",
					body:    with(acctDecision(m.next()), "year", 2026, "counts", map[string]int{"cong_chuc": 12, "nguoi_lao_dong": 2}),
					headers: []string{"If-Match", m.orgETag(t, child)}}
			}},
		{pattern: "POST /api/v1/orgs/{id}/merge", allowed: admins, want: http.StatusAccepted, refused: []int{422},
			build: orgWrite("/merge", func(m *matrix, t *testing.T, s side) any {
				return with(acctDecision(m.next()), "successor", m.childOrg(t, s))
			}, true)},
		{pattern: "POST /api/v1/orgs/{id}/split", allowed: admins, want: http.StatusAccepted, refused: []int{422},
			build: orgWrite("/split", func(m *matrix, t *testing.T, s side) any {
				return with(acctDecision(m.next()), "successors", []domain.OrgID{m.childOrg(t, s), m.childOrg(t, s)})
			}, true)},
		{pattern: "POST /api/v1/orgs/{id}/dissolve", allowed: admins, want: http.StatusOK,
			build: orgWrite("/dissolve", func(m *matrix, t *testing.T, s side) any {
				return acctDecision(m.next())
			}, true)},
		{pattern: "GET /api/v1/processes/{id}", allowed: []role{roleAdmin, roleHR, roleApprover, roleInspector, roleAuditor}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id, succ := m.childOrg(t, s), m.childOrg(t, s)
				o, _ := m.env.Svc.Deps.Orgs.Get(context.Background(), id)
				if _, err := m.env.Svc.Deps.Orgs.Merge(context.Background(), id, o.Version(), succ, m.env.Meta()); err != nil {
					t.Fatal(err)
				}
				st, err := m.env.Svc.Processes.Start(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				return request{method: http.MethodGet, path: "/api/v1/processes/" + st.ID.String()}
			}},

		// Dossiers.
		{pattern: "POST /api/v1/dossiers", allowed: dossierRoles, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				n := m.next()
				return request{method: http.MethodPost, path: "/api/v1/dossiers", body: map[string]any{
					"class": "cong_chuc", "managing_org": m.orgOf(s), "employing_unit": m.orgOf(s),
					"personal_id_number": fmt.Sprintf("079085%06d", 900000+n),
					"identity":           map[string]any{"birth_name": fmt.Sprintf("Lê Văn Mới %d", n), "gender": "male", "date_of_birth": "1985-04-12"},
					"source_document":    decision(fmt.Sprintf("%d/QĐ-TD", n)),
				}}
			}},
		{pattern: "GET /api/v1/dossiers", list: true, allowed: dossierReaders, want: http.StatusOK, build: list("/api/v1/dossiers")},
		{pattern: "GET /api/v1/dossiers/{id}", dossierScoped: true, allowed: dossierReaders, want: http.StatusOK, build: get("")},
		{pattern: "PATCH /api/v1/dossiers/{id}", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPatch, "", func(domain.DossierID) any {
					return with(reason(m.next()), "patch", map[string]any{"position": map[string]any{"current": "Chuyên viên chính"}})
				})
			}},
		{pattern: "POST /api/v1/dossiers/{id}/rows", dossierScoped: true, allowed: dossierRoles, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/rows", func(domain.DossierID) any {
					return map[string]any{"row": map[string]any{"table": "work_history", "work_history": map[string]any{"from": "2010-01", "org": "UBND huyện"}}}
				})
			}},
		{pattern: "PUT /api/v1/dossiers/{id}/rows/{row}", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.target(t, s, r)
				row := uuid.Must(uuid.NewV7())
				d, _ := m.env.Svc.Deps.Dossiers.Get(context.Background(), id)
				if _, err := m.env.Svc.Deps.Dossiers.AddRow(context.Background(), id, d.Version(), dossier.Row{Table: dossier.TableWorkHistory,
					WorkHistory: &dossier.WorkHistoryRow{ID: row, From: dossier.MustYearMonth(2010, time.January), Org: "UBND xã"}}, m.env.Meta()); err != nil {
					t.Fatal(err)
				}
				return request{method: http.MethodPut, path: "/api/v1/dossiers/" + id.String() + "/rows/" + row.String(), dossier: id,
					body:    map[string]any{"row": map[string]any{"table": "work_history", "work_history": map[string]any{"from": "2010-01", "org": "UBND phường"}}},
					headers: []string{"If-Match", m.dossierETag(t, id)}}
			}},
		{pattern: "POST /api/v1/dossiers/{id}/corrections", dossierScoped: true, allowed: dossierRoles, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/corrections", func(id domain.DossierID) any {
					return with(reason(m.next()), "corrects", m.firstEvent(t, id),
						"patch", map[string]any{"identity": map[string]any{"birth_name": "Nguyễn Văn Đính Chính", "gender": "male", "date_of_birth": "1985-04-12"}})
				})
			}},
		{pattern: "POST /api/v1/dossiers/{id}/status", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/status", func(domain.DossierID) any {
					return with(reason(m.next()), "status", "resigned")
				})
			}},
		// TG 10.1: HR of the receiving org reactivates an archived dossier
		// it cannot read, naming the org it receives it in; a caller who does
		// not keep that org is refused (403 naming /managing_org) before the
		// dossier is looked at, so the row is not dossier-scoped.
		{pattern: "POST /api/v1/dossiers/{id}/reactivate", allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.dossierIn(t, m.orgOf(s))
				d, err := m.env.Svc.Deps.Dossiers.Get(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := m.env.Svc.Deps.Dossiers.ChangeStatus(context.Background(), id, d.Version(), dossier.StatusRetired, m.env.Meta()); err != nil {
					t.Fatal(err)
				}
				return request{method: http.MethodPost, path: "/api/v1/dossiers/" + id.String() + "/reactivate",
					body:    with(reason(m.next()), "managing_org", m.orgOf(s), "personal_id_number", d.PersonalIDNumber()),
					headers: []string{"If-Match", m.dossierETag(t, id)}}
			}},
		{pattern: "POST /api/v1/dossiers/{id}/civil-servant-number", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/civil-servant-number", func(domain.DossierID) any {
					return with(reason(m.next()), "number", fmt.Sprintf("CC%08d", m.next()))
				})
			}},
		{pattern: "POST /api/v1/dossiers/{id}/proposals", dossierScoped: true, allowed: []role{roleSelf}, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/proposals", func(domain.DossierID) any {
					return map[string]any{"kind": "change", "patch": map[string]any{"position": map[string]any{"current": "Chuyên viên"}}}
				})
			}},
		{pattern: "POST /api/v1/dossiers/{id}/proposals/{proposal}/accept", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/proposals/{p}/accept", func(domain.DossierID) any { return reason(m.next()) }).withProposal(t, m)
			}},
		{pattern: "POST /api/v1/dossiers/{id}/proposals/{proposal}/reject", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/proposals/{p}/reject", func(domain.DossierID) any { return reason(m.next()) }).withProposal(t, m)
			}},
		{pattern: "POST /api/v1/dossiers/{id}/attachments", dossierScoped: true, allowed: dossierRoles, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.target(t, s, r)
				body, ct := multipartScan(t, fmt.Sprintf("scan %d", m.next()))
				return request{method: http.MethodPost, path: "/api/v1/dossiers/" + id.String() + "/attachments", body: body, dossier: id,
					headers: []string{"Content-Type", ct, "If-Match", m.dossierETag(t, id)}}
			}},
		{pattern: "GET /api/v1/attachments/{sha256}", dossierScoped: true, allowed: []role{roleHR, roleApprover, roleInspector}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				sha, id := m.attachmentIn(t, s)
				return request{method: http.MethodGet, path: "/api/v1/attachments/" + sha, dossier: id,
					headers: []string{"Hoso-Purpose", `inspection; ref="15/QĐ-TTr"`}}
			}},
		{pattern: "POST /api/v1/dossiers/{id}/transfers", dossierScoped: true, allowed: dossierRoles, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return m.dossierWrite(t, s, r, http.MethodPost, "/transfers", func(domain.DossierID) any {
					return with(reason(m.next()), "kind", "between_orgs", "target_org", m.c)
				})
			}},
		// The inbox and out-tray: every reader gets 200, listing only its
		// orgs' transfers (none of B's secrets).
		{pattern: "GET /api/v1/transfers", list: true, allowed: dossierReaders, want: http.StatusOK, build: list("/api/v1/transfers")},
		{pattern: "GET /api/v1/transfers/{id}", dossierScoped: true, allowed: []role{roleHR, roleApprover, roleInspector}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				tid, id := m.transferFor(t, s, false)
				return request{method: http.MethodGet, path: "/api/v1/transfers/" + tid.String(), dossier: id,
					headers: []string{"Hoso-Purpose", `inspection; ref="15/QĐ-TTr"`}}
			}},
		{pattern: "POST /api/v1/transfers/{id}/receive", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request { return m.transferAct(t, s, "receive", true) }},
		{pattern: "POST /api/v1/transfers/{id}/reject", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request { return m.transferAct(t, s, "reject", true) }},
		{pattern: "POST /api/v1/transfers/{id}/cancel", dossierScoped: true, allowed: dossierRoles, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request { return m.transferAct(t, s, "cancel", false) }},
		// HU 10.2: HR of the receiving org lodges its request for a dossier
		// of another org it cannot read; a caller who does not keep the
		// requesting org is refused (403 naming /requesting_org) before the
		// dossier is looked at, so the row is not dossier-scoped.
		{pattern: "POST /api/v1/transfer-requests", allowed: dossierRoles, want: http.StatusAccepted,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				held := m.a
				if s == own {
					held = m.b
				}
				id := m.dossierIn(t, held)
				return request{method: http.MethodPost, path: "/api/v1/transfer-requests",
					body: with(reason(m.next()), "dossier_id", id, "requesting_org", m.orgOf(s))}
			}},
		{pattern: "GET /api/v1/dossiers/{id}/history", dossierScoped: true, allowed: dossierReaders, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				req := get("/history")(m, t, s, r)
				m.env.WaitCaughtUp() // the trail is a read model
				return req
			}},

		// Inspection and reports.
		{pattern: "GET /api/v1/audit", list: true, allowed: auditors, want: http.StatusOK, build: list("/api/v1/audit")},
		{pattern: "GET /api/v1/audit/reads", list: true, allowed: auditors, want: http.StatusOK, build: list("/api/v1/audit/reads")},
		{pattern: "GET /api/v1/archive", list: true, allowed: dossierReaders, want: http.StatusOK, build: list("/api/v1/archive")},
		{pattern: "GET /api/v1/compliance/items", list: true, allowed: complianceReaders, want: http.StatusOK, build: list("/api/v1/compliance/items")},
		{pattern: "GET /api/v1/compliance/overdue", list: true, allowed: complianceReaders, want: http.StatusOK, build: list("/api/v1/compliance/overdue")},
		{pattern: "GET /api/v1/compliance/summary", list: true, allowed: complianceReaders, want: http.StatusOK, build: list("/api/v1/compliance/summary")},
		{pattern: "GET /api/v1/compliance/approvals", list: true, allowed: complianceReaders, want: http.StatusOK, build: list("/api/v1/compliance/approvals")},
		{pattern: "GET /api/v1/reports/headcount", list: true, allowed: []role{roleHR, roleApprover, roleInspector}, want: http.StatusOK,
			build: list("/api/v1/reports/headcount")},
		// Report due dates: every compliance reader sees them; HR of the org
		// records a report it sent (TG 15.5's yearly report, the default
		// policy's), If-Match the org's ETag.
		{pattern: "GET /api/v1/compliance/reports", list: true, allowed: complianceReaders, want: http.StatusOK, build: list("/api/v1/compliance/reports")},
		{pattern: "POST /api/v1/reports/{kind}/{period}/submissions", allowed: dossierRoles, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				o := m.orgOf(s)
				return request{method: http.MethodPost, path: "/api/v1/reports/report_year/2026/submissions",
					body: with(acctDecision(m.next()), "org", o, "sha256", fmt.Sprintf("%064x", m.next())), headers: []string{"If-Match", m.orgETag(t, o)}}
			}},

		// Monthly approvals: approvers sign, auditors of the org look; the
		// refusal is a 403 (approvals name orgs, not people).
		{pattern: "GET /api/v1/approvals/{org}/{month}/manifest", allowed: approvalReaders, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/approvals/" + m.orgOf(s).String() + "/" + lastMonth() + "/manifest"}
			}},
		// An approver's signature passes authorization and is then checked:
		// the matrix sends a malformed one (a valid CMS signature needs a
		// certificate chained to the deployment's trust roots), so the
		// entitled cell is a 4xx about the signature, never 401/403/404.
		{pattern: "POST /api/v1/approvals/{org}/{month}/signature", allowed: []role{roleApprover}, want: http.StatusUnprocessableEntity,
			wantAlso: []int{http.StatusBadRequest, http.StatusConflict},
			build: func(m *matrix, t *testing.T, s side, r role) request {
				if s == own {
					// The manifest is served before it is signed.
					m.send(roleApprover, request{method: http.MethodGet, path: "/api/v1/approvals/" + m.a.String() + "/" + lastMonth() + "/manifest"})
				}
				return request{method: http.MethodPost, path: "/api/v1/approvals/" + m.orgOf(s).String() + "/" + lastMonth() + "/signature",
					body: []byte("not a CMS signature"), headers: []string{"Content-Type", "application/pkcs7-signature"}}
			}},
		{pattern: "GET /api/v1/approvals/{org}/{month}", allowed: approvalReaders, want: http.StatusOK, wantAlso: []int{http.StatusNotFound},
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/approvals/" + m.orgOf(s).String() + "/" + lastMonth()}
			}},
		// Proofs and checkpoints carry hashes and positions, no personal
		// data and no org: every authenticated caller gets them.
		{pattern: "GET /api/v1/proofs/inclusion", unscoped: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				m.env.WaitCaughtUp() // the Merkle log holds every event
				return request{method: http.MethodGet, path: "/api/v1/proofs/inclusion?event=" + m.firstEvent(t, m.mine).String()}
			}},
		{pattern: "GET /api/v1/proofs/consistency", unscoped: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				m.env.WaitCaughtUp()
				return request{method: http.MethodGet, path: "/api/v1/proofs/consistency?from=1"}
			}},
		{pattern: "GET /api/v1/checkpoints/latest", unscoped: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/checkpoints/latest"}
			}},
		// Remote hash signing: an approver passes authorization, then the
		// malformed fingerprint or prepare id is refused on its field.
		{pattern: "POST /api/v1/approvals/{org}/{month}/signature/prepare", allowed: []role{roleApprover}, want: http.StatusUnprocessableEntity,
			wantAlso: []int{http.StatusConflict},
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodPost, path: "/api/v1/approvals/" + m.orgOf(s).String() + "/" + lastMonth() + "/signature/prepare",
					body: []byte(`{"fingerprint_sha256":"xyz"}`), headers: []string{"Content-Type", "application/json"}}
			}},
		{pattern: "POST /api/v1/approvals/{org}/{month}/signature/complete", allowed: []role{roleApprover}, want: http.StatusUnprocessableEntity,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodPost, path: "/api/v1/approvals/" + m.orgOf(s).String() + "/" + lastMonth() + "/signature/complete",
					body: []byte(`{"prepare_id":"p1.x","signature":"AAAA"}`), headers: []string{"Content-Type", "application/json"}}
			}},

		// Documents: the JSON read's rule, as a PDF and as a signed package.
		{pattern: "GET /api/v1/dossiers/{id}/cv.pdf", dossierScoped: true, allowed: dossierReaders, want: http.StatusOK, build: get("/cv.pdf")},
		{pattern: "GET /api/v1/dossiers/{id}/export", dossierScoped: true, allowed: dossierReaders, want: http.StatusOK, build: get("/export")},

		// The consent register: the managing org's HR and the person.
		{pattern: "GET /api/v1/dossiers/{id}/consents", dossierScoped: true, allowed: []role{roleHR, roleSelf}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.target(t, s, r)
				return request{method: http.MethodGet, path: "/api/v1/dossiers/" + id.String() + "/consents", dossier: id}
			}},
		{pattern: "POST /api/v1/dossiers/{id}/consents", dossierScoped: true, allowed: []role{roleHR, roleSelf}, want: http.StatusCreated,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.target(t, s, r)
				return request{method: http.MethodPost, path: "/api/v1/dossiers/" + id.String() + "/consents", dossier: id,
					body: consentBody(m.next())}
			}},
		{pattern: "POST /api/v1/dossiers/{id}/consents/{consent}/withdraw", dossierScoped: true, allowed: []role{roleHR, roleSelf}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				id := m.target(t, s, r)
				cid := m.consentOn(t, id)
				return request{method: http.MethodPost, path: "/api/v1/dossiers/" + id.String() + "/consents/" + cid.String() + "/withdraw",
					dossier: id, body: reason(m.next())}
			}},

		// Deliveries to the national database: compliance readers list
		// their orgs' packages; a package outside the scope (or none, as in
		// this world) is 404 for everyone.
		{pattern: "GET /api/v1/sync/packages", list: true, allowed: complianceReaders, want: http.StatusOK, build: list("/api/v1/sync/packages")},
		{pattern: "GET /api/v1/sync/packages/{id}", unscoped: true, want: http.StatusNotFound,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/sync/packages/" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("no package")).String()}
			}},

		// Bulk imports: dry runs, so no import appends while the matrix
		// counts the events of a refusal.
		{pattern: "POST /api/v1/imports", allowed: dossierRoles, want: http.StatusAccepted,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				body, ct := importUpload(t, m.orgOf(s), domain.DateOf(time.Now()).String(), 1, 1000+m.next(), map[string]string{"dry_run": "true"}, nil)
				return request{method: http.MethodPost, path: "/api/v1/imports", body: body, headers: []string{"Content-Type", ct}}
			}},
		{pattern: "GET /api/v1/imports/{id}", allowed: dossierRoles, want: http.StatusOK, build: importIn("")},
		{pattern: "GET /api/v1/imports/{id}/report.xlsx", allowed: dossierRoles, want: http.StatusOK, build: importIn("/report.xlsx")},
		{pattern: "GET /api/v1/imports/{id}/report.json", allowed: dossierRoles, want: http.StatusOK, build: importIn("/report.json")},

		// hoso's availability is nobody's personal data: every caller sees
		// it (the notices only of their orgs; this world has none).
		{pattern: "GET /api/v1/outages", unscoped: true, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/outages"}
			}},
		// Suspected personal-data breaches.
		{pattern: "POST /api/v1/breaches", allowed: admins, want: http.StatusCreated, refused: []int{422},
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodPost, path: "/api/v1/breaches", body: map[string]any{
					"what": fmt.Sprintf("Lộ bản sao hồ sơ %d", m.next()), "detected_at": "2026-01-02T08:00:00+07:00", "orgs": []string{m.orgOf(s).String()}}}
			}},
		{pattern: "GET /api/v1/breaches", list: true, allowed: []role{roleAdmin, roleInspector}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				return request{method: http.MethodGet, path: "/api/v1/breaches"}
			}},
		{pattern: "GET /api/v1/breaches/{id}", allowed: []role{roleAdmin, roleInspector}, want: http.StatusOK,
			build: func(m *matrix, t *testing.T, s side, r role) request {
				ev, _, err := m.env.Svc.Deps.Breaches.Record(context.Background(), uuid.Must(uuid.NewV7()),
					breach.Record{What: "Mất máy tính xách tay", DetectedAt: time.Now().Add(-time.Hour), Orgs: []uuid.UUID{uuid.UUID(m.orgOf(s))}},
					m.env.Meta(), time.Now())
				if err != nil {
					t.Fatal(err)
				}
				return request{method: http.MethodGet, path: "/api/v1/breaches/" + ev.BreachID.String()}
			}},
	}
}

// importIn starts a dry-run import of a one-person file into the side's
// org and returns a GET of the import (path suffix after its id).
func importIn(suffix string) func(m *matrix, t *testing.T, s side, r role) request {
	return func(m *matrix, t *testing.T, s side, r role) request {
		t.Helper()
		file := filepath.Join(t.TempDir(), "ho-so.xlsx")
		var buf bytes.Buffer
		if err := demo.WriteImportWorkbook(&buf, demo.ImportConfig{Seed: 4, People: 1, Offset: 2000 + m.next()}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := m.env.Svc.Imports.Start(context.Background(), api.ImportRequest{Org: m.orgOf(s), DryRun: true, File: file,
			Decision: domain.SourceDocument{Kind: "decision", Number: "15/QĐ-UBND", Date: domain.DateOf(time.Now()), Issuer: "UBND tỉnh"},
			Actor:    m.env.Meta().Actor})
		if err != nil {
			t.Fatal(err)
		}
		m.env.Svc.Imports.Wait()
		return request{method: http.MethodGet, path: "/api/v1/imports/" + st.ID.String() + suffix}

	}
}

// withProposal puts a fresh proposal on the request's dossier in its path.
func (r request) withProposal(t *testing.T, m *matrix) request {
	t.Helper()
	pid := m.proposalOn(t, r.dossier)
	r.path = strings.Replace(r.path, "{p}", pid.String(), 1)
	r.headers = []string{"If-Match", m.dossierETag(t, r.dossier)}
	return r
}

// transferAct builds receive/reject (receiver) or cancel (sender) of a
// transfer in which side s's org acts.
func (m *matrix) transferAct(t *testing.T, s side, act string, receiver bool) request {
	t.Helper()
	tid, id := m.transferFor(t, s, receiver)
	return request{method: http.MethodPost, path: "/api/v1/transfers/" + tid.String() + "/" + act, dossier: id,
		body: reason(m.next()), headers: []string{"If-Match", m.dossierETag(t, id)}}
}

func (m *matrix) grantOf(t *testing.T, id domain.AccountID) string {
	t.Helper()
	a, err := m.env.Svc.Deps.Accounts.Get(context.Background(), id)
	if err != nil || len(a.AllGrants()) == 0 {
		t.Fatalf("grant of %s: %v", id, err)
	}
	return a.AllGrants()[0].ID.String()
}

func (m *matrix) firstEvent(t *testing.T, id domain.DossierID) uuid.UUID {
	t.Helper()
	h, err := m.env.Svc.Deps.Dossiers.Ledger.Load(context.Background(), id.StreamID(), dossier.Decode)
	if err != nil || len(h.Events) == 0 {
		t.Fatalf("history of %s: %v", id, err)
	}
	return h.Events[0].ID
}

// matrixGroups is how many services run the matrix at once: each runs a
// share of the routes one after the other (the event count is compared
// around each refusal, so one service must not write meanwhile), and the
// services run in parallel, since a cell mostly waits on PostgreSQL. More
// than two ran the shared test cluster out of connections (each service
// holds up to pgtest.MaxConns).
const matrixGroups = 2

func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	routes := matrixRoutes()
	for g := range matrixGroups {
		t.Run(fmt.Sprintf("services/%d", g), func(t *testing.T) {
			t.Parallel()
			m := newMatrix(t)
			if g == 0 {
				checkMatrixCoversRoutes(t, m.env, routes)
			}
			for i, rt := range routes {
				if i%matrixGroups == g {
					t.Run(rt.pattern, func(t *testing.T) { m.run(t, rt) })
				}
			}
		})
	}
}

// checkMatrixCoversRoutes: every route the server mounts is in the table,
// and nothing else.
func checkMatrixCoversRoutes(t *testing.T, env *apitest.Env, routes []route) {
	t.Helper()
	inTable := map[string]bool{}
	for _, r := range routes {
		if inTable[r.pattern] {
			t.Errorf("route %s is twice in the matrix", r.pattern)
		}
		inTable[r.pattern] = true
	}
	for _, k := range servedRoutes(env) {
		if strings.HasPrefix(k, "GET /healthz") || strings.HasPrefix(k, "GET /readyz") || strings.HasPrefix(k, "GET /metrics") {
			continue // probes and metrics: no token, no data
		}
		if !inTable[k] {
			t.Errorf("route %s is not in the access matrix (api/matrix_test.go): add a row", k)
		}
		delete(inTable, k)
	}
	for k := range inTable {
		t.Errorf("the access matrix has %s, which the server does not serve", k)
	}
}

// run checks one route's row: every role on the other org, then on its own.
func (m *matrix) run(t *testing.T, rt route) {
	for _, s := range []side{other, own} {
		if rt.unscoped && s == other {
			continue
		}
		// Refusals first, on one shared object per side: they must
		// change nothing, so they can share it.
		// (The person's target on their own side is their dossier.)
		var shared, sharedSelf *request
		for _, r := range matrixRoles {
			allowed := s == own && (rt.unscoped || slices.Contains(rt.allowed, r))
			if allowed {
				continue
			}
			slot := &shared
			if s == own && r == roleSelf {
				slot = &sharedSelf
			}
			if *slot == nil {
				req := rt.build(m, t, s, r)
				*slot = &req
			}
			m.refused(t, rt, s, r, **slot)
		}
		if s == other {
			continue
		}
		for _, r := range matrixRoles {
			if rt.once && r != roleAdmin {
				continue
			}
			if rt.unscoped || slices.Contains(rt.allowed, r) {
				m.succeeds(t, rt, r, rt.build(m, t, s, r))
			}
		}
	}
}

func (m *matrix) send(r role, req request) *apitest.Response {
	tok := req.token
	if tok == "" {
		tok = m.tokens[r]
	}
	return m.env.Do(req.method, req.path, tok, req.body, req.headers...)
}

func (m *matrix) succeeds(t *testing.T, rt route, r role, req request) {
	t.Helper()
	resp := m.send(r, req)
	switch {
	case resp.Status == rt.want:
	case slices.Contains(rt.wantAlso, resp.Status):
		t.Logf("%s as %s on its own org: %d (not a refusal) %s", rt.pattern, r, resp.Status, clipBody(resp.Body))
	default:
		t.Errorf("%s as %s on its own org: %d %s, want %d", rt.pattern, r, resp.Status, clipBody(resp.Body), rt.want)
	}
	m.noSecrets(t, rt, r, own, req, resp)
}

func (m *matrix) refused(t *testing.T, rt route, s side, r role, req request) {
	t.Helper()
	before := m.env.EventCount()
	resp := m.send(r, req)
	cell := fmt.Sprintf("%s as %s on %s org", rt.pattern, r, s)
	if rt.list && resp.Status == http.StatusOK {
		m.noSecrets(t, rt, r, s, req, resp)
	} else {
		ok := resp.Status == http.StatusForbidden || resp.Status == http.StatusNotFound || slices.Contains(rt.refused, resp.Status)
		if !ok {
			t.Errorf("%s: %d %s, want a refusal", cell, resp.Status, clipBody(resp.Body))
		}
		// Existence is not revealed: 403 only to a reader of the dossier.
		if rt.dossierScoped && resp.Status == http.StatusForbidden && (s == other || !slices.Contains(readers, r)) {
			t.Errorf("%s: 403, want 404 (the caller may not know the dossier exists)", cell)
		}
		m.noSecrets(t, rt, r, s, req, resp)
		if !req.dossier.IsZero() && (resp.Status == http.StatusForbidden || resp.Status == http.StatusNotFound) {
			var n int
			err := m.env.Svc.Pool.QueryRow(context.Background(),
				`SELECT count(*) FROM dossier_reads WHERE request_id = $1 AND dossier_id = $2 AND outcome = 'refused'`,
				resp.Header.Get("X-Request-Id"), uuid.UUID(req.dossier)).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("%s: refused (%d) but not in the read log", cell, resp.Status)
			}
		}
	}
	if after := m.env.EventCount(); after != before {
		t.Errorf("%s: refused, yet the ledger grew from %d to %d events: %s", cell, before, after, m.eventsAfter(t, before))
	}
}

// eventsAfter names the events after the first n, for a failure message.
func (m *matrix) eventsAfter(t *testing.T, n int) string {
	t.Helper()
	evs, err := m.env.Svc.Store.ReadAll(context.Background(), eventstore.Start, 100000)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, e := range evs[min(n, len(evs)):] {
		out = append(out, e.Type+" on "+e.StreamID)
	}
	return strings.Join(out, ", ")
}

// noSecrets: nothing of org B reaches a caller from org A (but what the
// caller sent, such as the id in the path that a 404's instance repeats).
func (m *matrix) noSecrets(t *testing.T, rt route, r role, s side, req request, resp *apitest.Response) {
	t.Helper()
	if rt.pattern == "GET /api/v1/orgs/{id}" || rt.pattern == "GET /api/v1/orgs" || rt.pattern == "GET /api/v1/openapi.json" {
		return // org names and ids are not secrets; the document names nobody
	}
	body := string(resp.Body)
	for _, sec := range m.secrets {
		if strings.Contains(body, sec) && !strings.Contains(req.path, sec) {
			t.Errorf("%s as %s on %s org: the answer (%d) reveals %q of the other org", rt.pattern, r, s, resp.Status, sec)
		}
	}
}

func clipBody(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// multipartScan is an upload form with a tiny PNG (unique per note) and
// its source document.
func multipartScan(t *testing.T, note string) ([]byte, string) {
	t.Helper()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	png = append(png, note...)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"title": "Quyết định", "document_kind": "decision", "document_number": note + "/QĐ",
		"document_date": "2025-01-02", "document_issuer": "Sở Nội vụ"} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "scan.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(png); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// fingerprint is a certificate's SHA-256, hex, as the ledger names it.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
