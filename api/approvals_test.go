package api_test

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/service"
)

// approvalServer is the whole service with trust roots and a checkpoint
// key, so it serves the approval routes; every exchange goes through
// apitest's client and is checked against the OpenAPI document like any
// other route's.
type approvalServer struct {
	*apitest.Env
	key checkpoint.Key
}

func startApprovals(t *testing.T, roots *x509.CertPool) *approvalServer {
	t.Helper()
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "checkpoint.key"), "hoso.test/api")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, apitest.Options{Config: service.Config{CheckpointKey: &key, TrustRoots: roots}})
	return &approvalServer{Env: e, key: key}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request under /api/v1 with apitest's checked client.
func (a *approvalServer) do(t *testing.T, method, path, token, contentType string, body []byte) reply {
	t.Helper()
	var b any
	if body != nil {
		b = body
	}
	var headers []string
	if contentType != "" {
		headers = append(headers, "Content-Type", contentType)
	}
	r := a.Env.Do(method, "/api/v1"+path, token, b, headers...)
	return reply{r.Status, r.Header, r.Body}
}

func (r reply) code(t *testing.T) string {
	t.Helper()
	var p struct {
		Code string `json:"code"`
	}
	if err := jsonUnmarshal(r.body, &p); err != nil {
		t.Fatalf("not a problem: %s", r.body)
	}
	return p.Code
}

// TestApprovalRoutes: manifest, signature refusals with their problem
// codes and no event appended, approval, then the proofs and the
// checkpoint, each checked by transparency-dev/merkle's verifier.
func TestApprovalRoutes(t *testing.T) {
	t.Parallel()
	root, other := certtest.NewCA(t, "Hoso API Test Root"), certtest.NewCA(t, "Untrusted")
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	a := startApprovals(t, roots)
	ctx := context.Background()

	unit := a.Org("Sở Y tế", "000.00.02.T01", a.Root)
	approvedDossier := a.Dossier(unit, "Nguyễn Văn An")
	a.Dossier(unit, "Lê Thị Hoa")
	approverID := a.Account("giamdoc", "GiamDoc@Test2026", account.KindOrg, account.RoleApprover, unit)
	a.Account("canbo", "CanBo@Test2026", account.KindOrg, account.RoleHROfficer, unit)
	now := time.Now()
	good := root.Issue(t, "Giám đốc Sở Y tế", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	if _, err := a.Svc.Deps.Accounts.RegisterCertificate(ctx, approverID, 0, good.PEM, a.Meta()); err != nil {
		t.Fatal(err)
	}
	approver, clerk := a.Login("giamdoc", "GiamDoc@Test2026"), a.Login("canbo", "CanBo@Test2026")
	month := approval.MonthOf(now)
	base := fmt.Sprintf("/approvals/%s/%s", unit, month)

	if r := a.do(t, "GET", base+"/manifest", clerk, "", nil); r.status != http.StatusForbidden {
		t.Fatalf("manifest for an HR officer: %d %s, want 403", r.status, r.body)
	}
	if r := a.do(t, "GET", "/approvals/"+unit.String()+"/2026-13/manifest", approver, "", nil); r.status != http.StatusBadRequest {
		t.Fatalf("manifest of month 13: %d, want 400", r.status)
	}
	r := a.do(t, "GET", base+"/manifest", approver, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET manifest: %d %s", r.status, r.body)
	}
	manifestBytes := r.body
	man, err := approvals.ParseManifest(manifestBytes)
	if err != nil || man.Count != 2 || r.header.Get("X-Manifest-SHA256") != approvals.Digest(manifestBytes) {
		t.Fatalf("manifest: %d events, digest header %q, %v", man.Count, r.header.Get("X-Manifest-SHA256"), err)
	}

	before := a.EventCount()
	refusals := []struct {
		name        string
		token       string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{"garbage bytes", approver, "application/pkcs7-signature", []byte("rác"), 422, approvals.CodeCMSMalformed},
		{"wrong media type", approver, "application/json", []byte(`{}`), 415, api.CodeSignatureMedia},
		{"signature over other bytes", approver, "application/pkcs7-signature", good.SignGo(t, []byte("khác")), 422, approvals.CodeSignatureMismatch},
		{"untrusted root", approver, "application/pkcs7-signature", other.Issue(t, "X", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage).SignGo(t, manifestBytes), 422, approvals.CodeCertUntrusted},
		{"expired certificate", approver, "application/pkcs7-signature", root.Issue(t, "Y", now.AddDate(-1, 0, 0), now.Add(-time.Hour), certtest.SigningUsage).SignGo(t, manifestBytes), 422, approvals.CodeCertExpired},
		{"unregistered certificate", approver, "application/x-pem-file", root.Issue(t, "Z", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage).SignOpenSSL(t, manifestBytes, "PEM"), 403, approvals.CodeCertNotRegistered},
		{"caller without the approver role", clerk, "application/pkcs7-signature", good.SignGo(t, manifestBytes), 403, api.CodeForbidden},
	}
	for _, tc := range refusals {
		r := a.do(t, "POST", base+"/signature", tc.token, tc.contentType, tc.body)
		if r.status != tc.status || r.code(t) != tc.code || !strings.HasPrefix(r.header.Get("Content-Type"), api.ProblemContentType) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	if after := a.EventCount(); after != before {
		t.Fatalf("refused signatures appended %d events", after-before)
	}

	r = a.do(t, "POST", base+"/signature", approver, "application/pkcs7-signature", good.SignOpenSSL(t, manifestBytes, "DER"))
	if r.status != http.StatusCreated {
		t.Fatalf("POST signature (openssl DER): %d %s", r.status, r.body)
	}
	var approved struct {
		ManifestDigest string `json:"manifest_sha256"`
		Signer         string `json:"signer_fingerprint_sha256"`
		Checkpoint     string `json:"checkpoint"`
	}
	if err := jsonUnmarshal(r.body, &approved); err != nil || approved.ManifestDigest != approvals.Digest(manifestBytes) || approved.Signer != good.Fingerprint() {
		t.Fatalf("approval: %s (%v)", r.body, err)
	}
	if r := a.do(t, "POST", base+"/signature", approver, "application/pkcs7-signature", good.SignGo(t, manifestBytes)); r.status != 409 || r.code(t) != approvals.CodeMonthSealed {
		t.Fatalf("second approval: %d %s, want 409 %s", r.status, r.body, approvals.CodeMonthSealed)
	}

	// Compliance lists the approval, flagged when it fell outside the window.
	a.WaitCaughtUp()
	r = a.do(t, "GET", "/compliance/approvals?org="+unit.String(), approver, "", nil)
	var listed struct {
		Approvals []struct {
			Month, Timing string
			Flagged       bool
		}
	}
	if err := jsonUnmarshal(r.body, &listed); r.status != http.StatusOK || err != nil || len(listed.Approvals) != 1 ||
		listed.Approvals[0].Month != month.String() || listed.Approvals[0].Flagged != (listed.Approvals[0].Timing != "in_window") {
		t.Errorf("compliance view of approvals: %d %s (%v)", r.status, r.body, err)
	}

	// A correction of an approved event is flagged in the dossier's history.
	hist := a.do(t, "GET", "/dossiers/"+approvedDossier.String()+"/history", clerk, "", nil)
	var trail struct {
		Items []struct {
			EventID          string `json:"event_id"`
			IsCorrection     bool   `json:"is_correction"`
			CorrectsApproved bool   `json:"corrects_approved"`
		}
	}
	if err := jsonUnmarshal(hist.body, &trail); hist.status != http.StatusOK || err != nil || len(trail.Items) == 0 {
		t.Fatalf("history: %d %s (%v)", hist.status, hist.body, err)
	}
	corr, _ := json.Marshal(map[string]any{
		"corrects":        trail.Items[0].EventID,
		"patch":           map[string]any{"position": map[string]any{"current": "Trưởng phòng", "appointed_on": "2025-06-01"}},
		"reason":          "Nhập nhầm chức vụ so với quyết định",
		"source_document": map[string]any{"kind": "decision", "number": "45/QĐ-SYT", "date": "2025-06-02", "issuer": "Sở Y tế"},
	})
	if r := a.Env.Do("POST", "/api/v1/dossiers/"+approvedDossier.String()+"/corrections", clerk, corr, "If-Match", hist.header.Get("ETag")); r.Status != http.StatusCreated {
		t.Fatalf("correction of an approved event: %d %s", r.Status, r.Body)
	}
	a.WaitCaughtUp()
	hist = a.do(t, "GET", "/dossiers/"+approvedDossier.String()+"/history", clerk, "", nil)
	if err := jsonUnmarshal(hist.body, &trail); err != nil || len(trail.Items) < 2 {
		t.Fatalf("history after the correction: %s (%v)", hist.body, err)
	}
	last := trail.Items[len(trail.Items)-1]
	if !last.IsCorrection || !last.CorrectsApproved || trail.Items[0].CorrectsApproved {
		t.Errorf("history after correcting approved data: %s", hist.body)
	}

	// The checkpoint served is the one taken at the approval, and verifies.
	r = a.do(t, "GET", "/checkpoints/latest", clerk, "", nil)
	if r.status != http.StatusOK || string(r.body) != approved.Checkpoint {
		t.Fatalf("latest checkpoint: %d %q, want the approval's %q", r.status, r.body, approved.Checkpoint)
	}
	cp, err := checkpoint.Open(r.body, a.key.Verifier)
	if err != nil {
		t.Fatal(err)
	}

	// Inclusion of the manifest's first event in the tree the manifest names.
	e0 := man.Events[0]
	var inc struct {
		LeafIndex uint64   `json:"leaf_index"`
		TreeSize  uint64   `json:"tree_size"`
		EventHash string   `json:"event_hash"`
		Root      string   `json:"root"`
		Proof     []string `json:"proof"`
	}
	r = a.do(t, "GET", fmt.Sprintf("/proofs/inclusion?event=%s&size=%d", e0.EventID, man.Log.TreeSize), clerk, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("inclusion proof: %d %s", r.status, r.body)
	}
	if err := jsonUnmarshal(r.body, &inc); err != nil || inc.Root != man.Log.Root || inc.EventHash != e0.Hash || inc.LeafIndex != e0.LeafIndex {
		t.Fatalf("inclusion proof %s does not match the manifest (%v)", r.body, err)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(unhex(t, inc.EventHash))
	path, rootHash := unhexAll(t, inc.Proof), unhex(t, inc.Root)
	if len(path) < 2 {
		t.Fatalf("proof of %d nodes is too short to truncate meaningfully", len(path))
	}
	incCases := []struct {
		name        string
		index, size uint64
		path        [][]byte
		ok          bool
	}{
		{"as served", inc.LeafIndex, inc.TreeSize, path, true},
		{"wrong index", inc.LeafIndex + 1, inc.TreeSize, path, false},
		{"wrong size", inc.LeafIndex, inc.TreeSize + 1, path, false},
		{"truncated proof", inc.LeafIndex, inc.TreeSize, path[:len(path)-1], false},
	}
	for _, tc := range incCases {
		err := proof.VerifyInclusion(rfc6962.DefaultHasher, tc.index, tc.size, leaf, tc.path, rootHash)
		if (err == nil) != tc.ok {
			t.Errorf("inclusion %s: VerifyInclusion = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}

	// Consistency from the manifest's tree to the approval's checkpoint.
	var cons struct {
		From, To         uint64
		RootFrom, RootTo string `json:"-"`
		Proof            []string
	}
	var raw struct {
		RootFrom string `json:"root_from"`
		RootTo   string `json:"root_to"`
	}
	r = a.do(t, "GET", fmt.Sprintf("/proofs/consistency?from=%d&to=%d", man.Log.TreeSize, cp.Size), clerk, "", nil)
	if r.status != http.StatusOK || jsonUnmarshal(r.body, &cons) != nil || jsonUnmarshal(r.body, &raw) != nil {
		t.Fatalf("consistency proof: %d %s", r.status, r.body)
	}
	if raw.RootFrom != man.Log.Root || raw.RootTo != cp.Root.String() {
		t.Fatalf("consistency roots %s → %s, want the manifest's %s → the checkpoint's %s", raw.RootFrom, raw.RootTo, man.Log.Root, cp.Root)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, cons.From, cons.To, unhexAll(t, cons.Proof), unhex(t, raw.RootFrom), unhex(t, raw.RootTo)); err != nil {
		t.Fatalf("the checkpoint does not extend the manifest's tree: %v", err)
	}
	// A proof from a small tree has several nodes to tamper with.
	r = a.do(t, "GET", fmt.Sprintf("/proofs/consistency?from=3&to=%d", cp.Size), clerk, "", nil)
	if r.status != http.StatusOK || jsonUnmarshal(r.body, &cons) != nil || jsonUnmarshal(r.body, &raw) != nil {
		t.Fatalf("consistency proof: %d %s", r.status, r.body)
	}
	cpath := unhexAll(t, cons.Proof)
	if len(cpath) < 2 {
		t.Fatalf("consistency proof of %d nodes from 3 to %d", len(cpath), cp.Size)
	}
	consCases := []struct {
		name     string
		from, to uint64
		path     [][]byte
		ok       bool
	}{
		{"as served", cons.From, cons.To, cpath, true},
		{"wrong old size", cons.From + 1, cons.To, cpath, false},
		{"wrong new size", cons.From, cons.To * 2, cpath, false},
		{"truncated proof", cons.From, cons.To, cpath[:len(cpath)-1], false},
	}
	for _, tc := range consCases {
		err := proof.VerifyConsistency(rfc6962.DefaultHasher, tc.from, tc.to, tc.path, unhex(t, raw.RootFrom), unhex(t, raw.RootTo))
		if (err == nil) != tc.ok {
			t.Errorf("consistency %s: VerifyConsistency = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}

	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/proofs/inclusion?event=not-a-uuid", 400},
		{"/proofs/inclusion?event=0192f0a0-0000-7000-8000-000000000000", 404},
		{fmt.Sprintf("/proofs/inclusion?event=%s&size=%d", e0.EventID, 1<<40), 400},
		{"/proofs/consistency", 400},
		{fmt.Sprintf("/proofs/consistency?from=%d&to=%d", cp.Size, 1), 400},
	} {
		if r := a.do(t, "GET", tc.path, clerk, "", nil); r.status != tc.status {
			t.Errorf("GET %s: %d %s, want %d", tc.path, r.status, r.body, tc.status)
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unhexAll(t *testing.T, ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = unhex(t, s)
	}
	return out
}

// TestLateUnitApprovalSupplement (Tiền Giang art. 12): a unit that approves
// after the Sở Nội vụ sealed the month at level 2 is covered by no level-2
// approval; a supplementary department approval covers exactly the late
// unit approvals, in its own stream, with the same proofs as the original,
// and never reopens the original's signature.
func TestLateUnitApprovalSupplement(t *testing.T) {
	t.Parallel()
	root := certtest.NewCA(t, "Hoso Supplement Root")
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	a := startApprovals(t, roots)
	ctx := context.Background()
	now := time.Now()
	doh := a.Org("Sở Nội vụ", "000.00.01.T02", a.Root)
	unitA := a.Org("Sở Y tế", "000.00.02.T02", a.Root)
	unitB := a.Org("Sở Tài chính", "000.00.03.T02", a.Root)
	province, err := a.Svc.Deps.Orgs.Get(ctx, a.Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Svc.Deps.Orgs.DesignateHomeAffairs(ctx, a.Root, province.Version(), doh, a.Meta()); err != nil {
		t.Fatal(err)
	}
	a.Dossier(unitA, "Nguyễn Văn An")
	a.Dossier(unitB, "Trần Thị Bình")
	signer := func(username, cn string, over domain.OrgID) (string, certtest.Signer) {
		id := a.Account(username, "", account.KindOrg, account.RoleApprover, over)
		c := root.Issue(t, cn, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
		if _, err := a.Svc.Deps.Accounts.RegisterCertificate(ctx, id, 0, c.PEM, a.Meta()); err != nil {
			t.Fatal(err)
		}
		return a.Session(id), c
	}
	tokA, certA := signer("giamdoc.syt", "Giám đốc Sở Y tế", unitA)
	tokB, certB := signer("giamdoc.stc", "Giám đốc Sở Tài chính", unitB)
	tokD, certD := signer("giamdoc.snv", "Giám đốc Sở Nội vụ", doh)
	month := approval.MonthOf(now)
	type manifest struct {
		approvals.Manifest
		raw    []byte
		sealed bool
	}
	get := func(o domain.OrgID, query, token string, want int) manifest {
		t.Helper()
		r := a.do(t, "GET", fmt.Sprintf("/approvals/%s/%s/manifest%s", o, month, query), token, "", nil)
		if r.status != want {
			t.Fatalf("GET manifest%s of %s: %d %s, want %d", query, o, r.status, r.body, want)
		}
		if want != http.StatusOK {
			return manifest{}
		}
		m, err := approvals.ParseManifest(r.body)
		if err != nil {
			t.Fatal(err)
		}
		return manifest{m, r.body, r.header.Get("X-Approval-Sealed") == "true"}
	}
	sign := func(o domain.OrgID, query, token string, c certtest.Signer, m manifest) reply {
		t.Helper()
		return a.do(t, "POST", fmt.Sprintf("/approvals/%s/%s/signature%s", o, month, query), token, "application/pkcs7-signature", c.SignGo(t, m.raw))
	}
	if r := sign(unitA, "", tokA, certA, get(unitA, "", tokA, 200)); r.status != http.StatusCreated {
		t.Fatalf("A's level 1: %d %s", r.status, r.body)
	}
	dept := get(doh, "?level=department", tokD, 200)
	if r := sign(doh, "?level=department", tokD, certD, dept); r.status != http.StatusCreated {
		t.Fatalf("level 2: %d %s", r.status, r.body)
	}
	// B approves after the seal.
	if r := sign(unitB, "", tokB, certB, get(unitB, "", tokB, 200)); r.status != http.StatusCreated {
		t.Fatalf("B's late level 1: %d %s", r.status, r.body)
	}
	if again := get(doh, "?level=department", tokD, 200); !again.sealed || again.Count != 1 || again.Events[0].Stream != approval.StreamID(unitA, month, approval.LevelUnit) {
		t.Fatalf("the sealed level 2 after B's late approval: sealed %v, %+v; want A's approval only, unchanged", again.sealed, again.Events)
	}
	sup := get(doh, "?level=department&supplement=1", tokD, 200)
	if sup.sealed || sup.Supplement != 1 || sup.Supplements != approvals.Digest(dept.raw) || sup.Count != 1 ||
		sup.Events[0].Stream != approval.StreamID(unitB, month, approval.LevelUnit) || sup.Events[0].Type != approval.TypeSigned {
		t.Fatalf("supplement 1: %+v (supplements %s), want exactly B's late approval, following %s", sup.Events, sup.Supplements, approvals.Digest(dept.raw))
	}
	before := a.EventCount()
	for _, tc := range []struct {
		query  string
		status int
		code   string
	}{
		{"?level=department&supplement=3", http.StatusConflict, approvals.CodeSupplementNotDue},
		{"?supplement=1", http.StatusBadRequest, api.CodeBadParameter},
		{"?level=department&supplement=0", http.StatusBadRequest, api.CodeBadParameter},
	} {
		if r := a.do(t, "GET", fmt.Sprintf("/approvals/%s/%s/manifest%s", doh, month, tc.query), tokD, "", nil); r.status != tc.status || r.code(t) != tc.code {
			t.Errorf("GET manifest%s: %d %s, want %d %s", tc.query, r.status, r.body, tc.status, tc.code)
		}
	}
	if after := a.EventCount(); after != before {
		t.Errorf("refused supplement requests appended %d events", after-before)
	}
	r := sign(doh, "?level=department&supplement=1", tokD, certD, sup)
	var signed struct {
		Supplement     int    `json:"supplement"`
		ManifestDigest string `json:"manifest_sha256"`
	}
	if r.status != http.StatusCreated || jsonUnmarshal(r.body, &signed) != nil || signed.Supplement != 1 || signed.ManifestDigest != approvals.Digest(sup.raw) {
		t.Fatalf("signing supplement 1: %d %s", r.status, r.body)
	}
	// Nothing is left uncovered; the next supplement has nothing to cover.
	if r := a.do(t, "GET", fmt.Sprintf("/approvals/%s/%s/manifest?level=department&supplement=2", doh, month), tokD, "", nil); r.status != http.StatusConflict || r.code(t) != approvals.CodeNoUnitApprovals {
		t.Errorf("supplement 2 with nothing late: %d %s, want 409 %s", r.status, r.body, approvals.CodeNoUnitApprovals)
	}
	// The supplement's entry is proved in its tree as the original's are.
	e := sup.Events[0]
	var inc struct {
		Root  string   `json:"root"`
		Proof []string `json:"proof"`
	}
	r = a.do(t, "GET", fmt.Sprintf("/proofs/inclusion?event=%s&size=%d", e.EventID, sup.Log.TreeSize), tokD, "", nil)
	if r.status != http.StatusOK || jsonUnmarshal(r.body, &inc) != nil || inc.Root != sup.Log.Root {
		t.Fatalf("inclusion proof: %d %s", r.status, r.body)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, e.LeafIndex, sup.Log.TreeSize, rfc6962.DefaultHasher.HashLeaf(unhex(t, e.Hash)),
		unhexAll(t, inc.Proof), unhex(t, inc.Root)); err != nil {
		t.Errorf("the supplement's entry is not proved in its tree: %v", err)
	}
	var status struct {
		Supplement int  `json:"supplement"`
		Sealed     bool `json:"sealed"`
	}
	r = a.do(t, "GET", fmt.Sprintf("/approvals/%s/%s?level=department&supplement=1", doh, month), tokD, "", nil)
	if r.status != http.StatusOK || jsonUnmarshal(r.body, &status) != nil || status.Supplement != 1 || !status.Sealed {
		t.Errorf("status of supplement 1: %d %s", r.status, r.body)
	}
	// The offline audit bundle of the supplement verifies as the original's.
	b, err := auditbundle.ExportSupplement(ctx, a.Svc.Pool, a.Svc.RawStore, a.Svc.Tree, doh, month, approval.LevelDepartment, 1, a.key.VerifierKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rep := auditbundle.Verify(b, auditbundle.Options{Key: a.key.Verifier, Roots: roots}); !rep.OK() || len(b.Events) != 1 || b.Events[0].EventID.String() != e.EventID {
		t.Errorf("audit bundle of supplement 1: %d events, problems %v", len(b.Events), rep.Problems)
	}
}
