// Package apitest runs the whole service (internal/service: PostgreSQL
// store, projections, Merkle sequencer, the HTTP API on a real port) on a
// fresh schema of the test database, and gives tests the few helpers a
// client would write: seed orgs and accounts, log in, send JSON, wait for
// the read models. Tests using it live in external test packages (api_test)
// because the service imports the api package.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/service"
)

// KEK is the tests' key-encryption key of the dossiers' data keys.
var KEK = func() seal.KeyWrapper {
	k, err := seal.NewLocalKEK([]byte("apitest-key-encryption-key-32by!"))
	if err != nil {
		panic(err)
	}
	return k
}()

// PersonalIDKey is the tests' personal-ID secret.
var PersonalIDKey = []byte("apitest-personal-id-key-0123456789abcdef")

// Options adjust Start.
type Options struct {
	// Config is applied over the defaults (Pool, Listen, keys are set by Start
	// unless given).
	Config service.Config
	// Now is the server clock; time.Now when nil.
	Now func() time.Time
	// DatabaseURL is the database the fresh schema is made in;
	// HOSO_TEST_DATABASE_URL's when empty.
	DatabaseURL string
	// NoOpenAPI turns off the check of every exchange against the OpenAPI
	// document (see Conformance.CheckExchange), which is on by default.
	NoOpenAPI bool
	// AdminName is the seed administrator's username, "quantri" when
	// empty (a test that also loads the demo province, whose administrator
	// has that name, picks another).
	AdminName string
	// NoSeed leaves the schema empty: no root org, no administrator (for
	// tests that write the demo province, which brings its own).
	NoSeed bool
}

// Env is one running service.
type Env struct {
	T      testing.TB
	Svc    *service.Service
	URL    string // http://127.0.0.1:port
	Client *http.Client
	// OpenAPI checks every request Do sends and every response it gets
	// against the served document; nil with Options.NoOpenAPI.
	OpenAPI *Conformance
	// Root is the org the seed creates ("Sở Nội vụ"), and Admin its administrator.
	Root        domain.OrgID
	Admin       domain.AccountID
	AdminToken  string
	seedActor   domain.AccountID
	stop        context.CancelFunc
	done        chan error
	sourceIndex int
	pidSeq      int
}

// Start runs a service on a fresh schema, seeds a root org with an
// administrator, and stops it when the test ends.
func Start(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	var conf *Conformance
	if !o.NoOpenAPI {
		conf = OpenAPI(t)
	}
	if o.DatabaseURL != "" {
		o.Config.Pool, _ = pgtest.NewAt(t, o.DatabaseURL)
	} else {
		o.Config.Pool, _ = pgtest.New(t)
	}
	e := start(t, o, conf)
	if o.NoSeed {
		return e
	}
	e.Root = e.Org("Sở Nội vụ tỉnh Thử Nghiệm", "000.00.01.T01", domain.OrgID{})
	admin := o.AdminName
	if admin == "" {
		admin = "quantri"
	}
	e.Admin = e.Account(admin, "QuanTri@Test2026", account.KindAdministrator, account.RoleAdmin, e.Root)
	// A session started directly: logging in costs an argon2 verification
	// (cheap at Passwords' cost, but still a request and a throttle row);
	// the login route has tests of its own.
	e.AdminToken = e.Session(e.Admin)
	return e
}

// Second starts another service on e's schema, as a second `hoso serve`
// on the same database: its own process state (caches, anything kept in
// memory), the same tables and ledger, and e's seed (Root, Admin). It runs
// no projections (e's do) and stops when the test ends. Options are as for
// Start.
func (e *Env) Second(opts ...Options) *Env {
	e.T.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Config.NoProjections = true
	o.Config.Pool = e.Svc.Pool
	s := start(e.T, o, e.OpenAPI)
	s.Root, s.Admin, s.AdminToken, s.seedActor = e.Root, e.Admin, e.AdminToken, e.seedActor
	return s
}

// From returns a copy of e whose requests come from the local address ip
// (a loopback address such as 127.0.0.2, which Linux answers without
// configuration), for tests about client addresses: the server sees it as
// the TCP peer, as it would a real client's.
func (e *Env) From(ip string) *Env {
	c := *e
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c.Client = &http.Client{Timeout: e.Client.Timeout, Transport: &http.Transport{DialContext: d.DialContext}}
	return &c
}

// start runs a service on o.Config.Pool (already migrated) and stops it
// when the test ends.
func start(t testing.TB, o Options, conf *Conformance) *Env {
	t.Helper()
	cfg := o.Config
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.MetricsListen == "" {
		cfg.MetricsListen = "127.0.0.1:0"
	}
	if cfg.PersonalIDKey == nil {
		cfg.PersonalIDKey = PersonalIDKey
	}
	if cfg.KEK == nil {
		cfg.KEK = KEK
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = o.Now
	}
	if cfg.Passwords == nil {
		cfg.Passwords = Passwords
	}
	ctx := context.Background()
	svc, err := service.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("service.Open: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	e := &Env{T: t, Svc: svc, Client: &http.Client{Timeout: 60 * time.Second}, OpenAPI: conf, stop: stop, done: make(chan error, 1),
		seedActor: domain.AccountID(uuid.MustParse("00000000-0000-7000-8000-000000000001"))}
	ready := make(chan string, 1)
	go func() { e.done <- svc.Run(runCtx, func(url string) { ready <- url }) }()
	select {
	case e.URL = <-ready:
	case err := <-e.done:
		t.Fatalf("service.Run: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-e.done; err != nil {
			t.Errorf("service.Run: %v", err)
		}
		svc.Close()
	})
	return e
}

// Meta is a seed command's envelope: the seed actor, now, effective today,
// citing a decision.
func (e *Env) Meta() domain.Meta {
	e.sourceIndex++
	now := time.Now().UTC()
	if e.Svc.Deps.Now != nil {
		now = e.Svc.Deps.Now().UTC()
	}
	today := domain.DateOf(now)
	return domain.Meta{
		Actor:         domain.Actor{Account: e.seedActor, Name: "apitest seed"},
		RecordedAt:    now,
		EffectiveDate: today,
		Source:        domain.SourceDocument{Kind: "decision", Number: fmt.Sprintf("%d/QĐ-SNV", e.sourceIndex), Date: today, Issuer: "Sở Nội vụ"},
		RequestID:     uuid.NewString(),
	}
}

// Org creates an org through the app service (under parent, or a root) and
// waits until the org read model has it.
func (e *Env) Org(name, code string, parent domain.OrgID) domain.OrgID {
	e.T.Helper()
	id := domain.OrgID(uuid.Must(uuid.NewV7()))
	kind, level := org.KindDepartment, org.LevelProvince
	if parent.IsZero() {
		kind = org.KindProvinceCommittee
	}
	if _, err := e.Svc.Deps.Orgs.Create(context.Background(), id, org.CreateOrg{Name: name, Code: code, Kind: kind, Level: level, Parent: parent}, e.Meta()); err != nil {
		e.T.Fatalf("creating org %s: %v", name, err)
	}
	e.WaitCaughtUp()
	return id
}

// Account creates an account with one role over org (for RoleSelf, org is
// ignored and dossier must be given through AccountSelf) and a password.
func (e *Env) Account(username, password string, kind account.Kind, role account.Role, scope domain.OrgID) domain.AccountID {
	e.T.Helper()
	return e.account(username, password, kind, role, scope, domain.DossierID{})
}

// SelfAccount creates the personal account of a dossier's person.
func (e *Env) SelfAccount(username, password string, home domain.OrgID, dossier domain.DossierID) domain.AccountID {
	e.T.Helper()
	return e.account(username, password, account.KindPersonal, account.RoleSelf, home, dossier)
}

func (e *Env) account(username, password string, kind account.Kind, role account.Role, scope domain.OrgID, dossier domain.DossierID) domain.AccountID {
	ctx := context.Background()
	id := domain.AccountID(uuid.Must(uuid.NewV7()))
	accts := e.Svc.Deps.Accounts
	c := account.CreateAccount{Kind: kind, Username: username, DisplayName: "Tài khoản " + username, HomeOrg: scope}
	g := account.NewGrant{ID: uuid.Must(uuid.NewV7()), Role: role, Org: scope}
	if role == account.RoleSelf {
		c.Dossier, g.Org, g.Dossier = dossier, domain.OrgID{}, dossier
	}
	res, err := accts.Create(ctx, id, c, e.Meta())
	if err != nil {
		e.T.Fatalf("creating account %s: %v", username, err)
	}
	if _, err := accts.Grant(ctx, id, res.LastVersion, g, e.Meta()); err != nil {
		e.T.Fatalf("granting %s to %s: %v", role, username, err)
	}
	if password != "" {
		hash, err := hashPassword(password)
		if err != nil {
			e.T.Fatal(err)
		}
		if err := e.Svc.Deps.Auth.SetPassword(ctx, uuid.UUID(id), account.NormalizeUsername(username), hash); err != nil {
			e.T.Fatalf("password of %s: %v", username, err)
		}
	}
	return id
}

// Dossier opens a dossier managed by (and employing in) org through the
// app service, for a person named name born on 12/04/1985 with a fresh
// personal id number, and returns its id. It does not wait for the read
// models: the dossier routes read the ledger.
func (e *Env) Dossier(org domain.OrgID, name string) domain.DossierID {
	e.T.Helper()
	id := domain.DossierID(uuid.Must(uuid.NewV7()))
	dob, err := domain.NewDate(1985, time.April, 12)
	if err != nil {
		e.T.Fatal(err)
	}
	e.pidSeq++
	// 079 (the province), 0 (a man born in the 1900s), 85 (the year), then
	// a number unique in this env's schema.
	pid := fmt.Sprintf("079085%06d", e.pidSeq)
	_, err = e.Svc.Deps.Dossiers.Create(context.Background(), dossier.CreateDossier{
		DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org, PersonalIDNumber: pid,
		Identity: dossier.Identity{BirthName: name, Gender: dossier.GenderMale, DateOfBirth: dob, Ethnicity: "01", Religion: "none"},
	}, e.Meta())
	if err != nil {
		e.T.Fatalf("creating the dossier of %s: %v", name, err)
	}
	return id
}

// Passwords is the tests' password cost: 64 KiB and one pass instead of
// production's 19 MiB and two (auth.DefaultParams), which under the race
// detector made logins take seconds. Start gives it to every service whose
// Options do not name another; TestProductionPasswordCost checks that a
// service given none hashes at full cost.
var Passwords = auth.NewHasher(auth.Params{MemoryKiB: 64, Time: 1, Threads: 1})

// hashes remembers the hash of each test password: a hash with a reused
// salt is as good as any for a test account.
var hashes sync.Map // password → hash

func hashPassword(password string) (string, error) {
	if h, ok := hashes.Load(password); ok {
		return h.(string), nil
	}
	h, err := Passwords.Hash(password)
	if err != nil {
		return "", err
	}
	hashes.Store(password, h)
	return h, nil
}

// Session starts a session for an account without logging in (no password
// check, so no argon2 work) and returns its bearer token: for tests that
// need many callers and are not about logging in.
func (e *Env) Session(id domain.AccountID) string {
	e.T.Helper()
	token, _, err := e.Svc.Deps.Auth.StartSession(context.Background(), uuid.UUID(id))
	if err != nil {
		e.T.Fatalf("starting a session for %s: %v", id, err)
	}
	return token
}

// Login returns a bearer token, failing the test when login fails.
func (e *Env) Login(username, password string) string {
	e.T.Helper()
	r := e.Do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusOK {
		e.T.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	r.JSON(&out)
	if out.Token == "" {
		e.T.Fatalf("login %s: no token in %s", username, r.Body)
	}
	return out.Token
}

// Response is an answer, read whole.
type Response struct {
	T      testing.TB
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r *Response) JSON(v any) {
	r.T.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.T.Fatalf("response is not the JSON expected (%v): %s", err, r.Body)
	}
}

// Problem decodes a problem+json body.
func (r *Response) Problem() Problem {
	r.T.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		r.T.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p Problem
	r.JSON(&p)
	return p
}

// Problem is the RFC 9457 body as a client reads it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Rule   string `json:"rule"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// Do sends a request: body is JSON-encoded unless it is []byte, string or
// an io.Reader (sent as is, Content-Type application/json unless headers
// say otherwise); headers are name, value pairs. Unless the Env was started
// with NoOpenAPI, the exchange is checked against the OpenAPI document and
// a mismatch fails the test (t.Errorf, so Do may run in goroutines).
func (e *Env) Do(method, path, token string, body any, headers ...string) *Response {
	e.T.Helper()
	var (
		rd  io.Reader
		raw []byte
	)
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	case io.Reader:
		var err error
		if raw, err = io.ReadAll(b); err != nil {
			e.T.Fatal(err)
		}
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		raw = buf
	}
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	if e.OpenAPI != nil {
		if err := e.OpenAPI.CheckExchange(req, raw, resp.StatusCode, resp.Header, data); err != nil {
			e.T.Errorf("%v", err)
		}
	}
	return &Response{T: e.T, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// WaitCaughtUp waits until every read model and the Merkle log hold every
// event written so far.
func (e *Env) WaitCaughtUp() {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.Svc.WaitCaughtUp(ctx); err != nil {
		e.T.Fatalf("waiting for the read models: %v", err)
	}
}

// EventCount is the number of events in the ledger: tests compare it before
// and after a refused request. On PostgreSQL it counts every committed row:
// the store's ReadAll shows only events below the cluster's snapshot xmin,
// which another test's open transaction can hold back, so a count through
// it may lag the writes just made.
func (e *Env) EventCount() int {
	e.T.Helper()
	n, err := e.Svc.EventCount(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	return int(n)
}
