package api_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hpke"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	"golang.org/x/crypto/ocsp"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/dossier"
	syncev "github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/tokensign"
	"github.com/hoso-ledger/hoso/projections/syncstatus"
)

// Fixtures shared by the signing scenarios (TestSigningScenario,
// TestMonthlyCycleScenario).

// approverWith makes an approver over org holding cert (registered to the
// account) and returns a session token.
func (a *approvalServer) approverWith(t *testing.T, username string, over domain.OrgID, cert *x509.Certificate) string {
	t.Helper()
	id := a.Account(username, "", account.KindOrg, account.RoleApprover, over)
	if _, err := a.Svc.Deps.Accounts.RegisterCertificate(context.Background(), id, 0, certtest.CertPEM(cert), a.Meta()); err != nil {
		t.Fatal(err)
	}
	return a.Session(id)
}

// setPosition is an HR write through the API: the dossier's current
// position, on decision number, If-Match etag.
func setPosition(t *testing.T, env *apitest.Env, token string, d domain.DossierID, etag, title, number string) {
	t.Helper()
	write(t, env, http.MethodPatch, "/api/v1/dossiers/"+d.String(), token, etag, map[string]any{
		"patch": map[string]any{"position": map[string]any{"current": title}}, "source_document": decision(number),
	}, http.StatusOK)
}

// signRemotely signs org's month (query: level, supplement) through
// prepare/complete, the test playing the remote hash-signing service that
// holds key: it signs the digest the server prepared for cert, as VNPT
// SmartCA or Viettel MySign do after the holder confirms on a phone. It
// returns the first answer that is not a success (prepare's or
// complete's), or complete's.
func (a *approvalServer) signRemotely(t *testing.T, org domain.OrgID, month approval.Month, query, token string, cert *x509.Certificate, key crypto.Signer) reply {
	t.Helper()
	base := fmt.Sprintf("/approvals/%s/%s/signature", org, month)
	prep, _ := json.Marshal(map[string]string{"certificate": certtest.CertPEM(cert)})
	r := a.do(t, "POST", base+"/prepare"+query, token, "application/json", prep)
	if r.status != http.StatusOK {
		return r
	}
	var prepared struct {
		PrepareID    string `json:"prepare_id"`
		DigestBase64 string `json:"digest_base64"`
	}
	if err := jsonUnmarshal(r.body, &prepared); err != nil {
		t.Fatalf("prepare: %s (%v)", r.body, err)
	}
	digest, err := base64.StdEncoding.DecodeString(prepared.DigestBase64)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := key.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	done, _ := json.Marshal(map[string]string{"prepare_id": prepared.PrepareID, "signature": base64.StdEncoding.EncodeToString(sig)})
	return a.do(t, "POST", base+"/complete"+query, token, "application/json", done)
}

// remoteKey is a key held by the remote signing service, with its
// certificate from root naming responder as its OCSP responder.
func remoteKey(t *testing.T, root *certtest.CA, cn, responder string) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return k, root.IssueFor(t, cn, k.Public(), now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage, responder)
}

// TestMonthlyCycleScenario is issue 15's "done means", one month through
// real HTTP on a real server: PostgreSQL, a SoftHSM2 token opened by
// `hoso sign`'s code (internal/tokensign, crypto11), the CA's OCSP
// responder and an RFC 3161 TSA (Go test servers), NATS JetStream, and the
// reference receiver (`hoso receiver`'s code) behind HTTP.
//
//  1. HR writes; the unit head signs level 1 with the token; the Sở Nội
//     vụ's director signs level 2 by prepare/complete; OCSP and the CA's
//     CRL answer good for both, and their evidence is kept; the package is
//     delivered, acknowledged with a verified receipt, and on time.
//  2. Another unit's head, whose certificate the CA revoked, is refused
//     (upload and prepare/complete alike), with nothing appended.
//  3. That unit approves late, with a new certificate, while the receiver
//     is down: the supplementary level-2 approval queues its own package,
//     which is retried with backoff (sync.sent each time, visible per org
//     in GET /sync/packages and in `hoso sync status`'s list) and
//     acknowledged once the receiver is back.
func TestMonthlyCycleScenario(t *testing.T) {
	// Not parallel: the token's SoftHSM2 configuration is an environment
	// variable of the process.
	ctx := context.Background()
	w := startSyncWith(t, syncOptions{Timeout: 5 * time.Second, Revocation: true, Retry: func() backoff.BackOff {
		return &backoff.ExponentialBackOff{InitialInterval: 20 * time.Millisecond, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: 200 * time.Millisecond}
	}})
	now := time.Now()
	month := approval.MonthOf(now)
	unitA := w.Org("Sở Y tế", "000.00.02.C15", w.Root)
	unitB := w.Org("Sở Tài chính", "000.00.03.C15", w.Root)

	// HR writes.
	hr := w.Session(w.Account("canbo.syt.c15", "", account.KindOrg, account.RoleHROfficer, unitA))
	d1, d2 := w.Dossier(unitA, "Nguyễn Văn An"), w.Dossier(unitA, "Lê Thị Hoa")
	w.Dossier(unitB, "Trần Văn Bình")
	setPosition(t, w.Env, hr, d1, `"1"`, "Chuyên viên", "10/QĐ-SYT")

	// Level 1: the unit head's USB token, through hoso sign's code.
	token := w.root.NewSoftToken(t, "giam-doc-syt-c15", "Giám đốc Sở Y tế", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), w.ocsp.URL)
	t.Setenv("SOFTHSM2_CONF", token.Conf)
	head := w.approverWith(t, "giamdoc.syt.c15", unitA, token.Cert)
	tok, err := tokensign.Open(tokensign.Options{Module: certtest.SoftHSMModule, TokenLabel: token.Label, KeyLabel: token.KeyLabel, PIN: token.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	client := tokensign.Client{BaseURL: w.URL, Token: head}
	manifest, body, err := tokensign.SignMonth(ctx, client, tok, tokensign.Month{Org: unitA.String(), Month: month.String(), Level: "unit"}, time.Now())
	if err != nil {
		t.Fatalf("hoso sign: %v", err)
	}
	var unitApproval struct {
		SignedVia         string `json:"signed_via"`
		CertificateStatus struct {
			Status   string `json:"status"`
			Response []byte `json:"response_der"`
			CRL      struct {
				Status string `json:"status"`
				DER    []byte `json:"crl_der"`
			} `json:"crl"`
		} `json:"certificate_status"`
		Timestamp struct {
			Authority string `json:"authority"`
		} `json:"timestamp"`
	}
	if err := jsonUnmarshal(body, &unitApproval); err != nil || unitApproval.SignedVia != approval.SignedViaUpload ||
		unitApproval.CertificateStatus.Status != "good" || unitApproval.CertificateStatus.CRL.Status != "good" ||
		len(unitApproval.CertificateStatus.CRL.DER) == 0 || unitApproval.Timestamp.Authority != w.tsa.URL {
		t.Fatalf("the unit approval: %s (%v)", body, err)
	}
	if r, err := ocsp.ParseResponseForCert(unitApproval.CertificateStatus.Response, token.Cert, w.root.Cert); err != nil || r.Status != ocsp.Good {
		t.Errorf("the OCSP evidence in the unit approval: %v, %v", r, err)
	}
	// A write after the head signed waits for the next approval.
	setPosition(t, w.Env, hr, d2, `"1"`, "Phó phòng", "11/QĐ-SYT")

	// The same month with a revoked certificate: unit B's head, by upload
	// and by prepare/complete; the CA's responder and its CRL both say so;
	// nothing is appended.
	revokedKey, revokedCert := remoteKey(t, w.root, "Giám đốc Sở Tài chính", w.ocsp.URL)
	w.ocsp.Set(revokedCert.SerialNumber, ocsp.Revoked)
	w.crl.Revoke(revokedCert.SerialNumber)
	headB := w.approverWith(t, "giamdoc.stc.c15", unitB, revokedCert)
	clientB := tokensign.Client{BaseURL: w.URL, Token: headB}
	mB := tokensign.Month{Org: unitB.String(), Month: month.String(), Level: "unit"}
	manifestB, err := clientB.Manifest(ctx, mB)
	if err != nil {
		t.Fatal(err)
	}
	before := w.EventCount()
	var p *tokensign.ProblemError
	if _, err := clientB.Upload(ctx, mB, certtest.Signer{Cert: revokedCert, Key: revokedKey}.SignGo(t, manifestB)); !errors.As(err, &p) ||
		p.Status != http.StatusForbidden || p.Code != approvals.CodeCertRevokedByCA {
		t.Fatalf("upload with a revoked certificate = %v, want 403 %s", err, approvals.CodeCertRevokedByCA)
	}
	if r := w.signRemotely(t, unitB, month, "", headB, revokedCert, revokedKey); r.status != http.StatusForbidden || r.code(t) != approvals.CodeCertRevokedByCA {
		t.Fatalf("prepare/complete with a revoked certificate: %d %s, want 403 %s", r.status, r.body, approvals.CodeCertRevokedByCA)
	}
	if after := w.EventCount(); after != before {
		t.Fatalf("the refused signatures appended %d events", after-before)
	}

	// Level 2: the Sở Nội vụ's director through the remote signing service.
	dirKey, dirCert := remoteKey(t, w.root, "Giám đốc Sở Nội vụ", w.ocsp.URL)
	director := w.approverWith(t, "giamdoc.snv.c15", w.doh, dirCert)
	if r := w.do(t, "GET", fmt.Sprintf("/approvals/%s/%s/manifest?level=department", w.doh, month), director, "", nil); r.status != http.StatusOK {
		t.Fatalf("department manifest: %d %s", r.status, r.body)
	}
	if r := w.signRemotely(t, w.doh, month, "?level=department", director, dirCert, dirKey); r.status != http.StatusCreated {
		t.Fatalf("level 2 by prepare/complete: %d %s", r.status, r.body)
	}

	// Delivered, acknowledged and on time.
	pa := w.settled(t, unitA, 1)[0]
	if pa.State != "acknowledged" || pa.Attempts != 1 || pa.Late || pa.Overdue || pa.Due == nil || pa.Article == "" || pa.Supplement != 0 ||
		pa.SettledAt == nil || domain.DateOf(*pa.SettledAt).After(*pa.Due) {
		t.Fatalf("unit A's package: %+v; want acknowledged on the first attempt, by its Decree 27 due date", pa)
	}
	if late := w.packages(t, w.AdminToken, "?problems=true"); len(late) != 0 {
		t.Errorf("problems after an on-time delivery: %+v", late)
	}
	stored, pkg, _ := w.delivered(t, pa)
	if pkg.Org != unitA || len(pkg.Unit.Events) != len(mustManifest(t, manifest).Events) || len(pkg.Unit.Events) != 3 {
		t.Fatalf("the stored package: %d events (the signed manifest lists %d)", len(pkg.Unit.Events), len(mustManifest(t, manifest).Events))
	}
	for _, e := range pkg.Unit.Events {
		if e.Stream == d2.StreamID() && e.Version == 2 {
			t.Errorf("the write after the head signed travelled in the package")
		}
	}
	// The receiver reads the sensitive data elements: the dossiers' data
	// keys travel wrapped to its key. Another receiver's key opens nothing
	// and is refused cleanly.
	opened, err := nationalsync.OpenEvents(pkg, w.dataKey)
	if err != nil {
		t.Fatalf("opening the package with the receiver's key: %v", err)
	}
	pid := ""
	for _, o := range opened {
		if o.Stream == d1.StreamID() && o.Type == dossier.TypeCreated {
			var c struct {
				PersonalID string `json:"personal_id_number"`
			}
			_ = json.Unmarshal(o.Data, &c)
			pid = c.PersonalID
		}
	}
	if pid != "079085000001" || len(pkg.DataKeys) != 2 {
		t.Errorf("the receiver read the personal ID %q from %d released keys; want 079085000001 from 2", pid, len(pkg.DataKeys))
	}
	for _, e := range pkg.Unit.Events {
		if bytes.Contains(e.Data, []byte("079085000001")) {
			t.Errorf("%s@%d carries the personal ID in clear", e.Stream, e.Version)
		}
	}
	wrongKey, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := hpke.NewDHKEMPrivateKey(wrongKey)
	if _, err := nationalsync.OpenEvents(pkg, wrong); !errors.Is(err, nationalsync.ErrKeyRelease) {
		t.Errorf("another key opened the package: %v", err)
	}
	r := w.national.Receiver
	other := &nationalsync.Receiver{Dir: t.TempDir(), SyncKey: r.SyncKey, CheckpointKey: r.CheckpointKey, Roots: r.Roots, Key: r.Key, Token: r.Token, DataKey: wrong}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/packages", bytes.NewReader(stored))
	req.Header.Set("Authorization", "Bearer bí-mật-quốc-gia")
	other.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "package_keys_invalid") {
		t.Errorf("a receiver with another key: %d %s, want 422 package_keys_invalid", rec.Code, rec.Body)
	}
	if held, _ := other.Held(); len(held) != 0 {
		t.Errorf("the receiver with another key stored %v", held)
	}
	if types := w.streamTypes(t, pa.ID); fmt.Sprint(types) != fmt.Sprint([]string{syncev.TypeQueued, syncev.TypeSent, syncev.TypeAcknowledged}) {
		t.Errorf("A's package stream: %v", types)
	}

	// Unit B approves late, with a new certificate, while the receiver is down.
	var down atomic.Bool
	down.Store(true)
	w.national.setGate(func(_ int, rw http.ResponseWriter, _ *http.Request, _ []byte) (bool, []byte) {
		if down.Load() {
			http.Error(rw, "bảo trì hệ thống", http.StatusServiceUnavailable)
			return true, nil
		}
		return false, nil
	})
	newKey, newCert := remoteKey(t, w.root, "Giám đốc Sở Tài chính", w.ocsp.URL)
	headB2 := w.approverWith(t, "giamdoc2.stc.c15", unitB, newCert)
	if _, err := (tokensign.Client{BaseURL: w.URL, Token: headB2}).Manifest(ctx, mB); err != nil {
		t.Fatal(err)
	}
	if r := w.signRemotely(t, unitB, month, "", headB2, newCert, newKey); r.status != http.StatusCreated {
		t.Fatalf("B's late approval: %d %s", r.status, r.body)
	}
	if r := w.do(t, "GET", fmt.Sprintf("/approvals/%s/%s/manifest?level=department&supplement=1", w.doh, month), director, "", nil); r.status != http.StatusOK {
		t.Fatalf("supplement 1's manifest: %d %s", r.status, r.body)
	}
	if r := w.signRemotely(t, w.doh, month, "?level=department&supplement=1", director, dirCert, dirKey); r.status != http.StatusCreated {
		t.Fatalf("supplement 1 by prepare/complete: %d %s", r.status, r.body)
	}
	// Retried: more tries than one delivery of the message allows, so the
	// broker redelivered it; unacknowledged, per org in the API and in the
	// operator's list.
	var pb syncstatus.Package
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if ps := w.packages(t, headB2, ""); len(ps) == 1 && ps[0].Attempts > 3 {
			pb = ps[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's package not retried past one delivery in 90 s: %+v", w.packages(t, w.AdminToken, "?org="+unitB.String()))
		}
	}
	if pb.State != "sent" || pb.Supplement != 1 || pb.ID == pa.ID {
		t.Fatalf("B's package while the receiver is down: %+v; want sent (unacknowledged) under supplement 1", pb)
	}
	listed, err := syncstatus.List(ctx, w.Svc.Pool, syncstatus.Filter{Orgs: []domain.OrgID{unitB}, Today: domain.DateOf(time.Now())})
	if err != nil || len(listed) != 1 || listed[0].ID != pb.ID || listed[0].State != "sent" {
		t.Errorf("hoso sync status --org B: %+v (%v)", listed, err)
	}
	if held, err := w.national.Held(); err != nil || len(held) != 1 {
		t.Errorf("the receiver holds %v (%v) while down; want A's package only", held, err)
	}
	down.Store(false)
	pb = w.settled(t, unitB, 1)[0]
	if pb.State != "acknowledged" || pb.Attempts < 4 || pb.Supplement != 1 || pb.Late || pb.Overdue {
		t.Fatalf("B's package after the receiver came back: %+v; want acknowledged, on time", pb)
	}
	if _, pkgB, _ := w.delivered(t, pb); pkgB.Org != unitB || pkgB.Supplement != 1 {
		t.Fatalf("B's stored package: %s, supplement %d", pkgB.Org, pkgB.Supplement)
	}
	types := w.streamTypes(t, pb.ID)
	sent, acked := 0, 0
	for _, ty := range types {
		switch ty {
		case syncev.TypeSent:
			sent++
		case syncev.TypeAcknowledged:
			acked++
		}
	}
	if sent != pb.Attempts || acked != 1 || types[len(types)-1] != syncev.TypeAcknowledged {
		t.Errorf("B's package stream: %v; want a sync.sent per attempt (%d) and one acknowledgement last", types, pb.Attempts)
	}
	if held, err := w.national.Held(); err != nil || len(held) != 2 {
		t.Errorf("the receiver holds %v (%v), want both packages", held, err)
	}
	if got := w.packages(t, director, ""); len(got) != 2 {
		t.Errorf("the department's view: %+v, want both units' packages", got)
	}
}

func mustManifest(t *testing.T, b []byte) approvals.Manifest {
	t.Helper()
	m, err := approvals.ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// streamTypes lists the event types of package id's stream, in order.
func (w *syncWorld) streamTypes(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	evs, err := w.Svc.Store.ReadStream(context.Background(), syncev.StreamID(id), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
