package api_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	syncev "github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/natstest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// national is the national side of a sync test: the reference receiver
// (app/nationalsync.Receiver, files under dir) behind a real HTTP server,
// and a gate in front of it that can fail, delay or tamper with requests
// the way a network and a national system do.
type national struct {
	*nationalsync.Receiver
	srv  *httptest.Server
	key  checkpoint.Key // the receiver's
	mu   sync.Mutex
	gate func(n int, w http.ResponseWriter, r *http.Request, body []byte) (handled bool, forward []byte)
	hits atomic.Int32
}

func (n *national) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	hit := int(n.hits.Add(1))
	n.mu.Lock()
	gate := n.gate
	n.mu.Unlock()
	if gate != nil {
		handled, fwd := gate(hit, w, r, body)
		if handled {
			return
		}
		if fwd != nil {
			body = fwd
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	n.Receiver.ServeHTTP(w, r)
}

func (n *national) setGate(g func(int, http.ResponseWriter, *http.Request, []byte) (bool, []byte)) {
	n.mu.Lock()
	n.gate = g
	n.mu.Unlock()
}

// post sends an envelope straight to the receiver.
func (n *national) post(t *testing.T, env []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(n.srv.URL+"/packages", "application/json", bytes.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type syncWorld struct {
	*approvalServer
	national *national
	syncKey  checkpoint.Key
	roots    *x509.CertPool
	root     *certtest.CA
	doh      domain.OrgID
	clock    atomic.Int64 // offset of the sync events' clock, nanoseconds
	// ocsp and tsa are the CA's responder and time-stamping authority,
	// when the world was started with syncOptions.Revocation.
	ocsp *certtest.OCSPResponder
	tsa  *httptest.Server
	crl  *certtest.CRLServer
	// dataKey is the receiver's key-release key.
	dataKey hpke.PrivateKey
}

// syncOptions vary startSyncWith's world.
type syncOptions struct {
	// Timeout is the sender's HTTP timeout.
	Timeout time.Duration
	// Revocation starts the CA's OCSP responder, CRL and TSA and has the
	// approvals ask the first two (refusing without an answer) and stamp
	// with the third.
	Revocation bool
	// Retry is the backoff between tries of one delivery (50 ms constant
	// when nil).
	Retry func() backoff.BackOff
	// Workers is how many packages the worker delivers at once (the
	// service's default when zero).
	Workers int
	// DatabaseURL is the database of the service's schema (a private
	// cluster a test may crash); HOSO_TEST_DATABASE_URL's when empty.
	DatabaseURL string
}

// startSync runs the whole service with the delivery on: NATS JetStream
// (the machine's, or an embedded server), a topic and a relay of the test's
// own, and the reference receiver; HTTP to it times out after timeout.
func startSync(t testing.TB, timeout time.Duration) *syncWorld {
	t.Helper()
	return startSyncWith(t, syncOptions{Timeout: timeout})
}

// startSyncWith is startSync with the options o.
func startSyncWith(t testing.TB, o syncOptions) *syncWorld {
	t.Helper()
	dir := t.TempDir()
	timeout := o.Timeout
	w := &syncWorld{root: certtest.NewCA(t, "Hoso Sync Root "+t.Name())}
	w.roots = x509.NewCertPool()
	w.roots.AddCert(w.root.Cert)
	var err error
	if w.syncKey, err = checkpoint.LoadOrCreateKey(filepath.Join(dir, "sync.key"), "hoso.test/sync"); err != nil {
		t.Fatal(err)
	}
	cpKey, err := checkpoint.LoadOrCreateKey(filepath.Join(dir, "checkpoint.key"), "hoso.test/api")
	if err != nil {
		t.Fatal(err)
	}
	rkey, err := checkpoint.LoadOrCreateKey(filepath.Join(dir, "receiver.key"), "hoso.test/receiver")
	if err != nil {
		t.Fatal(err)
	}
	// The national side's key-release pair: the dossiers' data keys travel
	// wrapped to it, and the receiver refuses a package whose keys it
	// cannot open.
	release, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	releaseTo, err := hpke.NewDHKEMPublicKey(release.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if w.dataKey, err = hpke.NewDHKEMPrivateKey(release); err != nil {
		t.Fatal(err)
	}
	w.national = &national{key: rkey, Receiver: &nationalsync.Receiver{Dir: filepath.Join(dir, "national"), SyncKey: w.syncKey.Verifier,
		CheckpointKey: cpKey.Verifier, Roots: w.roots, Key: rkey.Signer, Token: "bí-mật-quốc-gia", DataKey: w.dataKey}}
	w.national.srv = httptest.NewServer(w.national)
	t.Cleanup(w.national.srv.Close)
	url := natstest.URL(t)
	retry := o.Retry
	if retry == nil {
		retry = func() backoff.BackOff { return backoff.NewConstantBackOff(50 * time.Millisecond) }
	}
	sc := &service.SyncConfig{NATSURL: url, Topic: natstest.Topic(t, url), RelayName: "national_sync_test",
		Sender: nationalsync.NewHTTPSender(w.national.srv.URL+"/packages", "bí-mật-quốc-gia", nil, timeout),
		Key:    w.syncKey.Signer, Poll: 50 * time.Millisecond, Redelay: 300 * time.Millisecond, AckWait: time.Minute,
		Retry: retry, Tries: 3, ReleaseTo: releaseTo, Workers: o.Workers,
		Now: func() time.Time { return time.Now().Add(time.Duration(w.clock.Load())) }}
	cfg := service.Config{CheckpointKey: &cpKey, TrustRoots: w.roots, Sync: sc, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if o.Revocation {
		w.ocsp, w.tsa, w.crl = w.root.OCSPResponder(t), w.root.TSA(t), w.root.CRLServer(t)
		cfg.OCSPURL, cfg.OCSPUnreachable, cfg.TSAURL, cfg.CRLURL = w.ocsp.URL, approvals.OCSPRefuse, w.tsa.URL, w.crl.URL
	}
	e := apitest.Start(t, apitest.Options{Config: cfg, DatabaseURL: o.DatabaseURL})
	w.approvalServer = &approvalServer{Env: e, key: cpKey}
	ctx := context.Background()
	w.doh = e.Org("Sở Nội vụ", "000.00.01.S"+fmt.Sprint(len(t.Name())), e.Root)
	province, err := e.Svc.Deps.Orgs.Get(ctx, e.Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Deps.Orgs.DesignateHomeAffairs(ctx, e.Root, province.Version(), w.doh, e.Meta()); err != nil {
		t.Fatal(err)
	}
	return w
}

type approverOf struct {
	token string
	cert  certtest.Signer
}

func (w *syncWorld) approver(t testing.TB, username, cn string, over domain.OrgID) approverOf {
	t.Helper()
	now := time.Now()
	id := w.Account(username, "", account.KindOrg, account.RoleApprover, over)
	c := w.root.Issue(t, cn, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	if _, err := w.Svc.Deps.Accounts.RegisterCertificate(context.Background(), id, 0, c.PEM, w.Meta()); err != nil {
		t.Fatal(err)
	}
	return approverOf{w.Session(id), c}
}

// approve fetches o's manifest (query: level, supplement) and signs it
// through the API, as an approver does.
func (w *syncWorld) approve(t *testing.T, o domain.OrgID, query string, a approverOf) {
	t.Helper()
	month := approval.MonthOf(time.Now())
	r := w.do(t, "GET", fmt.Sprintf("/approvals/%s/%s/manifest%s", o, month, query), a.token, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("manifest%s of %s: %d %s", query, o, r.status, r.body)
	}
	r = w.do(t, "POST", fmt.Sprintf("/approvals/%s/%s/signature%s", o, month, query), a.token, "application/pkcs7-signature", a.cert.SignGo(t, r.body))
	if r.status != http.StatusCreated {
		t.Fatalf("signing%s of %s: %d %s", query, o, r.status, r.body)
	}
}

// packages lists GET /sync/packages (query) as token.
func (w *syncWorld) packages(t *testing.T, token, query string) []syncstatus.Package {
	t.Helper()
	r := w.do(t, "GET", "/sync/packages"+query, token, "", nil)
	var out struct {
		Packages []syncstatus.Package `json:"packages"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
		t.Fatalf("GET /sync/packages%s: %d %s", query, r.status, r.body)
	}
	return out.Packages
}

// settled waits until every package of org is acknowledged or rejected,
// and there are want of them.
func (w *syncWorld) settled(t *testing.T, org domain.OrgID, want int) []syncstatus.Package {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ps := w.packages(t, w.AdminToken, "?org="+org.String())
		done := len(ps) == want
		for _, p := range ps {
			done = done && (p.State == "acknowledged" || p.State == "rejected")
		}
		if done {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("packages of %s not settled after 90 s: %+v", org, ps)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// delivered checks what the receiver holds for the acknowledged package p:
// the receipt in the ledger is the receiver's, for exactly these bytes, and
// the stored envelope verifies offline. It returns the envelope, the
// package and its history.
func (w *syncWorld) delivered(t *testing.T, p syncstatus.Package) ([]byte, nationalsync.Package, syncev.Package) {
	t.Helper()
	h := w.history(t, p.ID)
	if _, err := nationalsync.VerifyReceipt(h.Receipt, w.national.key.Verifier, p.ID, p.Digest); err != nil {
		t.Fatalf("the receipt of %s: %v", p.ID, err)
	}
	stored, err := os.ReadFile(filepath.Join(w.national.Dir, "packages", p.ID.String()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	pkg, problems := nationalsync.Verify(stored, w.syncKey.Verifier, w.key.Verifier, w.roots, w.departments(t)...)
	if len(problems) > 0 {
		t.Fatalf("the stored package %s: %v", p.ID, problems)
	}
	return stored, pkg, h
}

// departments are the department approvals' envelopes the receiver holds.
func (w *syncWorld) departments(t testing.TB) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(w.national.Dir, "departments", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, n := range names {
		if strings.HasSuffix(n, ".receipt.json") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// isDepartment reports whether body is a department approval's envelope.
func isDepartment(body []byte) bool {
	env, err := nationalsync.OpenEnvelope(body)
	return err == nil && env.Format == nationalsync.DepartmentEnvelopeFormat
}

func (w *syncWorld) history(t testing.TB, id uuid.UUID) syncev.Package {
	t.Helper()
	h, err := ledger.Ledger{Store: w.Svc.Store}.Load(context.Background(), syncev.StreamID(id), syncev.Decode)
	if err != nil {
		t.Fatal(err)
	}
	p, err := syncev.Replay(h.Events)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNationalSyncScenario: a month approved at both levels through the
// API (CMS signatures from test certificates) → the relay queues the
// unit-month's package and publishes it on JetStream → the worker builds,
// seals and delivers it to the reference receiver → acknowledged with a
// signed receipt → on time in GET /sync/packages. A unit that approves
// after the seal is delivered under the supplementary level-2 approval.
// The stored package verifies offline; a replay gets the same receipt, from
// a restarted receiver too; a tampered copy is refused with its reasons.
func TestNationalSyncScenario(t *testing.T) {
	t.Parallel()
	w := startSync(t, 10*time.Second)
	unitA := w.Org("Sở Y tế", "000.00.02.S1", w.Root)
	unitB := w.Org("Sở Tài chính", "000.00.03.S1", w.Root)
	w.Dossier(unitA, "Nguyễn Văn An")
	w.Dossier(unitA, "Lê Thị Hoa")
	w.Dossier(unitB, "Trần Thị Bình")
	headA := w.approver(t, "giamdoc.syt", "Giám đốc Sở Y tế", unitA)
	headB := w.approver(t, "giamdoc.stc", "Giám đốc Sở Tài chính", unitB)
	director := w.approver(t, "giamdoc.snv", "Giám đốc Sở Nội vụ", w.doh)

	w.approve(t, unitA, "", headA)
	w.approve(t, w.doh, "?level=department", director)
	ps := w.settled(t, unitA, 1)
	p := ps[0]
	if p.State != "acknowledged" || p.Late || p.Overdue || p.Due == nil || p.Article == "" || p.Attempts != 1 || p.Department != w.doh || p.Supplement != 0 {
		t.Fatalf("A's package: %+v; want acknowledged on the first attempt, on time, with its Decree 27 due date", p)
	}
	// The department sees the packages of the units it approved.
	if got := w.packages(t, director.token, ""); len(got) != 1 || got[0].ID != p.ID {
		t.Errorf("the department's view: %+v, want A's package", got)
	}

	// B approves after the seal: the supplement delivers B's month.
	w.approve(t, unitB, "", headB)
	w.approve(t, w.doh, "?level=department&supplement=1", director)
	pb := w.settled(t, unitB, 1)[0]
	if pb.State != "acknowledged" || pb.Supplement != 1 || pb.ID == p.ID {
		t.Fatalf("B's package: %+v; want acknowledged under supplement 1", pb)
	}
	if got := w.packages(t, headA.token, ""); len(got) != 1 || got[0].ID != p.ID {
		t.Errorf("unit A's view: %+v, want its own package only", got)
	}

	stored, pkg, h := w.delivered(t, p)
	if len(pkg.Unit.Events) != 2 || pkg.Org != unitA {
		t.Fatalf("the stored package: %d events", len(pkg.Unit.Events))
	}

	// A full audit bundle cannot hide an event by marking it omitted; only
	// a verifier that expects a partial bundle (the package's level 2)
	// accepts it, and says how many were left out.
	holed := pkg.Unit
	holed.Events = append([]auditEvent(nil), holed.Events...)
	holed.Events[1] = auditEvent{EventID: holed.Events[1].EventID, Stream: holed.Events[1].Stream, Version: holed.Events[1].Version, Omitted: true}
	if rep := auditbundle.Verify(holed, auditbundle.Options{Key: w.key.Verifier, Roots: w.roots}); rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "omitted") {
		t.Errorf("a full bundle with an omitted event: %v", rep.Problems)
	}
	if rep := auditbundle.Verify(holed, auditbundle.Options{Key: w.key.Verifier, Roots: w.roots, AllowOmitted: true}); !rep.OK() || !strings.Contains(strings.Join(rep.Proved, "\n"), "1 left out") {
		t.Errorf("a partial bundle: %v %v", rep.Problems, rep.Proved)
	}

	// A replay is answered with the same receipt, by a restarted receiver too.
	again := func(dir string) *nationalsync.Receiver {
		r := w.national.Receiver
		return &nationalsync.Receiver{Dir: dir, SyncKey: r.SyncKey, CheckpointKey: r.CheckpointKey, Roots: r.Roots, Key: r.Key, Token: r.Token}
	}
	for name, rc := range map[string]http.Handler{"running": w.national, "restarted": again(w.national.Dir)} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/packages", bytes.NewReader(stored))
		req.Header.Set("Authorization", "Bearer bí-mật-quốc-gia")
		rc.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), h.Receipt) {
			t.Errorf("%s receiver, replay: %d %s; want 200 with the first receipt", name, rec.Code, rec.Body)
		}
	}
	// Posted by several senders at once to a receiver that does not hold
	// it yet, a package is stored once: one 201, and that receipt to every
	// other (the receiver's store locks per package, not for all).
	empty := again(t.TempDir())
	post := func(body []byte) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/packages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer bí-mật-quốc-gia")
		empty.ServeHTTP(rec, req)
		return rec
	}
	for _, d := range w.departments(t) {
		if rec := post(d); rec.Code != http.StatusCreated {
			t.Fatalf("a department approval to an empty receiver: %d %s", rec.Code, rec.Body)
		}
	}
	answers := make([]*httptest.ResponseRecorder, 8)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() { answers[i] = post(stored) })
	}
	wg.Wait()
	created := 0
	for i, rec := range answers {
		if rec.Code == http.StatusCreated {
			created++
		}
		if (rec.Code != http.StatusCreated && rec.Code != http.StatusOK) || !bytes.Equal(rec.Body.Bytes(), answers[0].Body.Bytes()) {
			t.Errorf("sender %d of %d at once: %d %s; want 201 or 200 with one receipt for all (%s)", i, len(answers), rec.Code, rec.Body, answers[0].Body)
		}
	}
	if created != 1 {
		t.Errorf("%d of %d senders at once were answered 201; want 1", created, len(answers))
	}
	// A hoso-sync-package/v1 (the department approval carried, before it
	// travelled on its own) is still read: it verifies offline with no
	// department approval given, and a receiver holding none accepts it.
	unitApproval := slices.IndexFunc(pkg.Unit.Approval, func(e auditEvent) bool { return e.Type == approval.TypeSigned })
	deptBundle, err := auditbundle.ExportPartial(context.Background(), w.Svc.Pool, w.Svc.RawStore, w.Svc.Tree, w.doh, approval.MonthOf(time.Now()), approval.LevelDepartment, 0, "", pkg.ApprovedAt,
		func(id string) bool { return id == pkg.Unit.Approval[unitApproval].EventID.String() })
	if err != nil {
		t.Fatal(err)
	}
	v1 := pkg
	v1.Format, v1.DepartmentRef, v1.DepartmentApproval = nationalsync.FormatV1, nil, &deptBundle
	v1env, _, err := nationalsync.Seal(v1, w.syncKey.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, problems := nationalsync.Verify(v1env, w.syncKey.Verifier, w.key.Verifier, w.roots); len(problems) > 0 {
		t.Errorf("a v1 package: %v", problems)
	}
	if code, body := serve(again(t.TempDir()), v1env); code != http.StatusCreated {
		t.Errorf("a v1 package to a receiver without department approvals: %d %s, want 201", code, body)
	}
	if code, _ := w.national.post(t, stored); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}

	// A receiver that never saw the department approval answers the
	// genuine package 424 department_approval_missing (the sender's cue
	// to deliver it first), and stores nothing.
	fresh := again(t.TempDir())
	if code, body := serve(fresh, stored); code != http.StatusFailedDependency || !strings.Contains(body, nationalsync.CodeDepartmentMissing) {
		t.Errorf("a package whose department approval the receiver lacks: %d %s; want 424 %s", code, body, nationalsync.CodeDepartmentMissing)
	}
	other, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"), "hoso.test/sync")
	if err != nil {
		t.Fatal(err)
	}
	_, pkgB, _ := w.delivered(t, pb)
	deptA, err := os.ReadFile(filepath.Join(w.national.Dir, "departments", pkg.DepartmentRef.ManifestDigest+".json"))
	if err != nil {
		t.Fatal(err)
	}
	deptB, err := os.ReadFile(filepath.Join(w.national.Dir, "departments", pkgB.DepartmentRef.ManifestDigest+".json"))
	if err != nil {
		t.Fatal(err)
	}
	denv, err := nationalsync.OpenEnvelope(deptA)
	if err != nil {
		t.Fatal(err)
	}
	var department nationalsync.Department
	if err := json.Unmarshal(denv.Package, &department); err != nil {
		t.Fatal(err)
	}
	sealed := func(b []byte, _ string, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sealDept := func(d nationalsync.Department, key checkpoint.Key) []byte {
		return sealed(nationalsync.SealDepartment(d, key.Signer))
	}
	// Tampered department approvals are refused with their reasons, and
	// nothing is stored.
	for _, tc := range []tampering{
		{"the bytes changed after sealing", func() []byte {
			e := denv
			e.Package = bytes.Replace(e.Package, []byte(`"month":"`), []byte(`"month": "`), 1)
			b, _ := json.Marshal(e)
			return b
		}, "sync signature"},
		{"sealed with another key", func() []byte { return sealDept(department, other) }, "sync signature"},
		{"the approval stream edited, resealed with the sync key", func() []byte {
			d := department
			d.Bundle.Approval = append([]auditEvent(nil), d.Bundle.Approval...)
			d.Bundle.Approval[0].Data = bytes.Replace(d.Bundle.Approval[0].Data, []byte(`"level":"department"`), []byte(`"level":"unit"`), 1)
			return sealDept(d, w.syncKey)
		}, "edited"},
		{"another unit's month claimed", func() []byte {
			d := department
			d.Org = pkg.Org
			return sealDept(d, w.syncKey)
		}, "level 2"},
		{"a package's envelope relabelled a department approval", func() []byte {
			e, _ := nationalsync.OpenEnvelope(stored)
			e.Format = nationalsync.DepartmentEnvelopeFormat
			b, _ := json.Marshal(e)
			return b
		}, "sync signature"},
	} {
		if code, body := serve(fresh, tc.body()); code != http.StatusUnprocessableEntity || !strings.Contains(body, "department_invalid") || !strings.Contains(body, tc.reason) {
			t.Errorf("department approval, %s: %d %s; want 422 department_invalid naming %q", tc.name, code, body, tc.reason)
		}
	}
	if held := (&syncWorld{national: &national{Receiver: fresh}}).departments(t); len(held) != 0 {
		t.Errorf("the refused department approvals stored %d files", len(held))
	}
	// The genuine one is stored (201); a replay gets the same receipt
	// (200); the package is then accepted.
	code, first := serve(fresh, deptA)
	if code != http.StatusCreated {
		t.Fatalf("the department approval: %d %s, want 201", code, first)
	}
	if code, body := serve(fresh, deptA); code != http.StatusOK || body != first {
		t.Errorf("the department approval replayed: %d %s; want 200 with the first receipt %s", code, body, first)
	}
	if code, body := serve(fresh, deptB); code != http.StatusCreated {
		t.Errorf("the supplement's department approval: %d %s, want 201", code, body)
	}

	// Tampered packages are refused by a receiver that never saw the
	// package, with reasons naming what is wrong; the one that holds it
	// refuses other bytes under its id.
	env, err := nationalsync.OpenEnvelope(stored)
	if err != nil {
		t.Fatal(err)
	}
	seal := func(pk nationalsync.Package, key checkpoint.Key) []byte {
		return sealed(nationalsync.Seal(pk, key.Signer))
	}
	for _, tc := range []tampering{
		{"an approved event edited, resealed with the sync key", func() []byte {
			pk := pkg
			pk.Unit.Events = append([]auditEvent(nil), pk.Unit.Events...)
			pk.Unit.Events[0].Data = bytes.Replace(pk.Unit.Events[0].Data, []byte(`"male"`), []byte(`"female"`), 1)
			return seal(pk, w.syncKey)
		}, "edited"},
		{"the bytes changed after sealing", func() []byte {
			e := env
			e.Package = bytes.Replace(e.Package, []byte(`"month":"`), []byte(`"month": "`), 1)
			b, _ := json.Marshal(e)
			return b
		}, "sync signature"},
		{"sealed with another key", func() []byte { return seal(pkg, other) }, "sync signature"},
		{"the supplement's department approval named, which does not list this unit", func() []byte {
			pk := pkg
			pk.Supplement = 1
			pk.DepartmentRef = &nationalsync.DepartmentRef{ManifestDigest: pkgB.DepartmentRef.ManifestDigest, UnitInclusion: pkg.DepartmentRef.UnitInclusion}
			return seal(pk, w.syncKey)
		}, "does not list the unit approval"},
		{"the unit approval's proof in the department manifest's tree altered", func() []byte {
			pk := pkg
			proof := append(append([]auditHash(nil), pkg.DepartmentRef.UnitInclusion...), pkg.DepartmentRef.UnitInclusion...)
			pk.DepartmentRef = &nationalsync.DepartmentRef{ManifestDigest: pkg.DepartmentRef.ManifestDigest, UnitInclusion: proof}
			return seal(pk, w.syncKey)
		}, "not at leaf"},
		{"another department approval claimed", func() []byte {
			pk := pkg
			pk.Department = pkg.Org
			return seal(pk, w.syncKey)
		}, "level 2"},
		{"a v2 package carrying its department approval whole", func() []byte {
			pk := pkg
			pk.DepartmentApproval = &pk.Unit
			return seal(pk, w.syncKey)
		}, "does not carry it"},
		{"not an envelope", func() []byte { return []byte(`{"format":"x"}`) }, "not a sync envelope"},
	} {
		if code, body := serve(fresh, tc.body()); code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.reason) {
			t.Errorf("%s: %d %s; want 422 naming %q", tc.name, code, body, tc.reason)
		}
	}
	if held, err := fresh.Held(); err != nil || len(held) != 0 {
		t.Errorf("the refusals stored %v (%v)", held, err)
	}
	if code, body := serve(fresh, stored); code != http.StatusCreated {
		t.Errorf("the genuine package once its department approval is held: %d %s, want 201", code, body)
	}
	edited := seal(func() nationalsync.Package { pk := pkg; pk.ApprovedAt = pk.ApprovedAt.Add(time.Second); return pk }(), w.syncKey)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/packages", bytes.NewReader(edited))
	req.Header.Set("Authorization", "Bearer bí-mật-quốc-gia")
	w.national.ServeHTTP(rec, req)
	if rec.Code != http.StatusConflict {
		t.Errorf("other bytes under a held id: %d %s, want 409", rec.Code, rec.Body)
	}
}

type (
	auditEvent = auditbundle.Event
	auditHash  = eventstore.Hash
)

// tampering is a copy altered on the way, and what the refusal must name.
type tampering struct {
	name   string
	body   func() []byte
	reason string
}

// serve posts body to the receiver h with the token, as the sender does.
func serve(h http.Handler, body []byte) (int, string) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/packages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer bí-mật-quốc-gia")
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestNationalSyncReceiverOutage: the receiver is down (503) for the first
// delivery's three tries, the broker redelivers the package, the receiver
// is down once more, then stores the package but answers after the
// sender's timeout, then answers the retry with the same receipt. The
// package is acknowledged once, after six attempts (each a sync.sent), and
// shows late: the sync events' clock is ten days on, past the Decree 27
// due date.
func TestNationalSyncReceiverOutage(t *testing.T) {
	t.Parallel()
	w := startSync(t, 500*time.Millisecond)
	unit := w.Org("Sở Xây dựng", "000.00.04.S2", w.Root)
	w.Dossier(unit, "Phạm Văn Cường")
	head := w.approver(t, "giamdoc.sxd", "Giám đốc Sở Xây dựng", unit)
	director := w.approver(t, "giamdoc.snv2", "Giám đốc Sở Nội vụ", w.doh)
	w.clock.Store(int64(10 * 24 * time.Hour))
	var packages atomic.Int32
	w.national.setGate(func(_ int, rw http.ResponseWriter, r *http.Request, body []byte) (bool, []byte) {
		if isDepartment(body) {
			return false, nil // the department approval goes through; the outage is the package's
		}
		switch n := packages.Add(1); {
		case n <= 4:
			http.Error(rw, "bảo trì", http.StatusServiceUnavailable)
			return true, nil
		case n == 5:
			rec := httptest.NewRecorder()
			r.Body = io.NopCloser(bytes.NewReader(body))
			w.national.Receiver.ServeHTTP(rec, r)
			time.Sleep(time.Second) // stored, but the sender gave up waiting
			rw.WriteHeader(rec.Code)
			_, _ = rw.Write(rec.Body.Bytes())
			return true, nil
		}
		return false, nil
	})
	w.approve(t, unit, "", head)
	w.approve(t, w.doh, "?level=department", director)
	p := w.settled(t, unit, 1)[0]
	if p.State != "acknowledged" || p.Attempts != 6 || !p.Late || p.Overdue {
		t.Fatalf("after the outage: %+v; want acknowledged after 6 attempts, late", p)
	}
	if held, err := w.national.Held(); err != nil || len(held) != 1 || held[0] != p.ID {
		t.Errorf("the receiver holds %v (%v), want the one package", held, err)
	}
	h := w.history(t, p.ID)
	if _, err := nationalsync.VerifyReceipt(h.Receipt, w.national.key.Verifier, p.ID, p.Digest); err != nil {
		t.Errorf("receipt: %v", err)
	}
	if got := w.packages(t, w.AdminToken, "?problems=true"); len(got) != 1 || got[0].ID != p.ID {
		t.Errorf("problems=true: %+v, want the late package", got)
	}
}

// TestNationalSyncDepartmentFirst: the department approval the worker
// delivered went elsewhere (a receiver that lost it, a fail-over), so the
// receiver answers the package 424 department_approval_missing; the
// worker delivers the department approval again, then the package, in the
// same attempt, and the package is acknowledged.
func TestNationalSyncDepartmentFirst(t *testing.T) {
	t.Parallel()
	w := startSync(t, 10*time.Second)
	unit := w.Org("Sở Nội vụ thử", "000.00.06.S4", w.Root)
	w.Dossier(unit, "Vũ Văn Em")
	head := w.approver(t, "giamdoc.sdf", "Giám đốc Sở thử", unit)
	director := w.approver(t, "giamdoc.snv4", "Giám đốc Sở Nội vụ", w.doh)
	r := w.national.Receiver
	elsewhere := &nationalsync.Receiver{Dir: t.TempDir(), SyncKey: r.SyncKey, CheckpointKey: r.CheckpointKey, Roots: r.Roots, Key: r.Key, Token: r.Token}
	var (
		mu   sync.Mutex
		seen []string
	)
	w.national.setGate(func(_ int, rw http.ResponseWriter, req *http.Request, body []byte) (bool, []byte) {
		mu.Lock()
		defer mu.Unlock()
		kind, to := "package", http.Handler(w.national.Receiver)
		if isDepartment(body) {
			kind = "department"
			if len(seen) == 0 {
				to = elsewhere
			}
		}
		rec := httptest.NewRecorder()
		req.Body = io.NopCloser(bytes.NewReader(body))
		to.ServeHTTP(rec, req)
		seen = append(seen, fmt.Sprintf("%s %d", kind, rec.Code))
		rw.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
		return true, nil
	})
	w.approve(t, unit, "", head)
	w.approve(t, w.doh, "?level=department", director)
	p := w.settled(t, unit, 1)[0]
	if p.State != "acknowledged" || p.Attempts != 1 {
		t.Fatalf("the package: %+v; want acknowledged in one attempt", p)
	}
	mu.Lock()
	got := fmt.Sprint(seen)
	mu.Unlock()
	if want := fmt.Sprint([]string{"department 201", "package 424", "department 201", "package 201"}); got != want {
		t.Errorf("the receiver saw %s; want %s", got, want)
	}
	w.delivered(t, p)
}

// TestNationalSyncTamperedInTransit: a package altered on the way is
// refused by the receiver (422 with its reasons); the refusal is a
// sync.rejected event and the unit sees the reasons.
func TestNationalSyncTamperedInTransit(t *testing.T) {
	t.Parallel()
	w := startSync(t, 10*time.Second)
	unit := w.Org("Sở Giáo dục", "000.00.05.S3", w.Root)
	w.Dossier(unit, "Đỗ Thị Dung")
	head := w.approver(t, "giamdoc.sgd", "Giám đốc Sở Giáo dục", unit)
	director := w.approver(t, "giamdoc.snv3", "Giám đốc Sở Nội vụ", w.doh)
	w.national.setGate(func(n int, rw http.ResponseWriter, r *http.Request, body []byte) (bool, []byte) {
		env, err := nationalsync.OpenEnvelope(body)
		if err != nil {
			return false, nil
		}
		env.Package = bytes.Replace(env.Package, []byte(`"level":"unit"`), []byte(`"level":"department"`), 1)
		b, _ := json.Marshal(env)
		return false, b
	})
	w.approve(t, unit, "", head)
	w.approve(t, w.doh, "?level=department", director)
	p := w.settled(t, unit, 1)[0]
	if p.State != "rejected" || p.Status != http.StatusUnprocessableEntity || len(p.Reasons) == 0 || !strings.Contains(strings.Join(p.Reasons, "\n"), "sync signature") {
		t.Fatalf("the tampered package: %+v; want rejected (422) with the receiver's reasons", p)
	}
	if got := w.packages(t, head.token, "?problems=true"); len(got) != 1 || got[0].State != "rejected" || len(got[0].Reasons) == 0 {
		t.Errorf("the unit's view of its problems: %+v", got)
	}
	if held, _ := w.national.Held(); len(held) != 0 {
		t.Errorf("the receiver stored the tampered package: %v", held)
	}
	r := w.do(t, "GET", "/sync/packages/"+p.ID.String(), head.token, "", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "rejected") {
		t.Errorf("GET /sync/packages/{id}: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"?month=2026-13", "?problems=maybe", "?org=nope"} {
		if r := w.do(t, "GET", "/sync/packages"+bad, head.token, "", nil); r.status != http.StatusBadRequest {
			t.Errorf("GET /sync/packages%s: %d, want 400", bad, r.status)
		}
	}
	if r := w.do(t, "GET", "/sync/packages/not-a-uuid", head.token, "", nil); r.status != http.StatusBadRequest {
		t.Errorf("GET /sync/packages/not-a-uuid: %d, want 400", r.status)
	}
}
