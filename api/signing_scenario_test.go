package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/internal/tokensign"
)

// TestSigningScenario is the month of issue 15's signing half, through
// real HTTP: HR writes; the unit head fetches the manifest, HR writes
// again (past the manifest's cut), and the head signs with a key on a
// SoftHSM2 token through `hoso sign`'s code (tokensign) — accepted, since
// the manifest is a snapshot; the Sở Nội vụ's director signs level 2
// through prepare/complete, the test playing the remote hash-signing
// service. A local OCSP responder (named in the certificates' AIA) answers
// good and a local TSA stamps each signature: both are in the events.
// Then another unit's approver, whose certificate the CA revoked, is
// refused with nothing appended.
func TestSigningScenario(t *testing.T) {
	ctx := context.Background()
	root := certtest.NewCA(t, "Hoso Scenario Root CA")
	responder, authority := root.OCSPResponder(t), root.TSA(t)
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "checkpoint.key"), "hoso.test/scenario")
	if err != nil {
		t.Fatal(err)
	}
	a := &approvalServer{Env: apitest.Start(t, apitest.Options{Config: service.Config{CheckpointKey: &key, TrustRoots: roots,
		TSAURL: authority.URL, OCSPUnreachable: approvals.OCSPRefuse}}), key: key}
	now := time.Now()
	month := approval.MonthOf(now)
	doh := a.Org("Sở Nội vụ", "000.00.01.T15", a.Root)
	unit := a.Org("Sở Y tế", "000.00.02.T15", a.Root)
	unitB := a.Org("Sở Tài chính", "000.00.03.T15", a.Root)
	province, err := a.Svc.Deps.Orgs.Get(ctx, a.Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Svc.Deps.Orgs.DesignateHomeAffairs(ctx, a.Root, province.Version(), doh, a.Meta()); err != nil {
		t.Fatal(err)
	}
	hr := a.Session(a.Account("canbo.syt", "", account.KindOrg, account.RoleHROfficer, unit))
	d1, d2 := a.Dossier(unit, "Nguyễn Văn An"), a.Dossier(unit, "Lê Thị Hoa")
	a.Dossier(unitB, "Trần Văn Bình")
	setPosition(t, a.Env, hr, d1, `"1"`, "Chuyên viên", "10/QĐ-SYT")
	approver := func(username string, over domain.OrgID, cert *x509.Certificate) string {
		t.Helper()
		return a.approverWith(t, username, over, cert)
	}
	from, until := now.AddDate(0, -1, 0), now.AddDate(1, 0, 0)

	// Level 1: the unit head's USB token (SoftHSM2), through hoso sign's code.
	token := root.NewSoftToken(t, "giam-doc-syt", "Giám đốc Sở Y tế", from, until, responder.URL)
	t.Setenv("SOFTHSM2_CONF", token.Conf)
	head := approver("giamdoc.syt", unit, token.Cert)
	tok, err := tokensign.Open(tokensign.Options{Module: certtest.SoftHSMModule, TokenLabel: token.Label, KeyLabel: token.KeyLabel, PIN: token.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	client := tokensign.Client{BaseURL: a.URL, Token: head}
	m := tokensign.Month{Org: unit.String(), Month: month.String(), Level: "unit"}
	manifest, err := client.Manifest(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	setPosition(t, a.Env, hr, d2, `"1"`, "Phó phòng", "11/QĐ-SYT") // after the cut: not in this manifest
	der, err := tok.Sign(manifest, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, err := client.Upload(ctx, m, der)
	if err != nil {
		t.Fatalf("upload of the token's signature after a write past the cut: %v", err)
	}
	var unitApproval struct {
		ManifestDigest    string `json:"manifest_sha256"`
		SignedVia         string `json:"signed_via"`
		CertificateStatus struct {
			Status, Responder string
			Response          []byte `json:"response_der"`
		} `json:"certificate_status"`
		Timestamp struct {
			Authority string `json:"authority"`
			Token     []byte `json:"token_der"`
		} `json:"timestamp"`
	}
	if err := jsonUnmarshal(body, &unitApproval); err != nil || unitApproval.ManifestDigest != approvals.Digest(manifest) ||
		unitApproval.SignedVia != approval.SignedViaUpload || unitApproval.CertificateStatus.Status != "good" ||
		unitApproval.CertificateStatus.Responder != responder.URL || unitApproval.Timestamp.Authority != authority.URL {
		t.Fatalf("the unit approval: %s (%v)", body, err)
	}
	if r, err := ocsp.ParseResponseForCert(unitApproval.CertificateStatus.Response, token.Cert, root.Cert); err != nil || r.Status != ocsp.Good {
		t.Errorf("the OCSP evidence in the approval: %v, %v", r, err)
	}
	man, _ := approvals.ParseManifest(manifest)
	for _, e := range man.Events {
		if e.Stream == d2.StreamID() && e.Version == 2 {
			t.Errorf("the write after the cut is in the signed manifest")
		}
	}

	// Level 2: the Sở Nội vụ's director through a remote signing service.
	dirKey, directorCert := remoteKey(t, root, "Giám đốc Sở Nội vụ", responder.URL)
	director := approver("giamdoc.snv", doh, directorCert)
	dept := fmt.Sprintf("/approvals/%s/%s", doh, month)
	if r := a.do(t, "GET", dept+"/manifest?level=department", director, "", nil); r.status != http.StatusOK {
		t.Fatalf("department manifest: %d %s", r.status, r.body)
	}
	before := a.EventCount()
	for _, bad := range []struct {
		name, path string
		body       string
		status     int
		field      string
	}{
		{"prepare without a certificate", "/signature/prepare", `{}`, 422, "/certificate"},
		{"prepare with an unknown member", "/signature/prepare", `{"certificat":"x"}`, 422, "/certificat"},
		{"complete with a forged id", "/signature/complete", `{"prepare_id":"p1.00","signature":"AAAA"}`, 422, "/prepare_id"},
		{"complete with a signature that is not base64", "/signature/complete", `{"prepare_id":"x","signature":"%%%"}`, 422, "/signature"},
	} {
		r := a.do(t, "POST", dept+bad.path+"?level=department", director, "application/json", []byte(bad.body))
		if r.status != bad.status {
			t.Errorf("%s: %d %s, want %d", bad.name, r.status, r.body, bad.status)
			continue
		}
		if bad.field != "" {
			var p struct {
				Errors []struct{ Field string } `json:"errors"`
			}
			if err := jsonUnmarshal(r.body, &p); err != nil || len(p.Errors) == 0 || p.Errors[0].Field != bad.field {
				t.Errorf("%s: %s, want the field %s named", bad.name, r.body, bad.field)
			}
		}
	}
	if after := a.EventCount(); after != before {
		t.Fatalf("refused requests appended %d events", after-before)
	}
	if r := a.signRemotely(t, doh, month, "?level=department", director, directorCert, dirKey); r.status != http.StatusCreated {
		t.Fatalf("prepare/complete: %d %s", r.status, r.body)
	}
	dh, err := a.Svc.Approvals.Approval(ctx, doh, month, approval.LevelDepartment)
	if err != nil {
		t.Fatal(err)
	}
	signed, ok := dh.Signature()
	if !ok || signed.Via != approval.SignedViaRemote || signed.CertificateStatus == nil || signed.CertificateStatus.Status != "good" || signed.Timestamp == nil {
		t.Fatalf("the department approval: %+v", signed)
	}
	if _, err := approvals.VerifyTimestamp(*signed.Timestamp, signed.CMS, roots); err != nil {
		t.Errorf("the department approval's time stamp: %v", err)
	}

	// A certificate the CA revoked: refused, nothing appended.
	revokedKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	revokedCert := root.IssueFor(t, "Giám đốc Sở Tài chính", revokedKey.Public(), from, until, certtest.SigningUsage, responder.URL)
	responder.Set(revokedCert.SerialNumber, ocsp.Revoked)
	headB := approver("giamdoc.stc", unitB, revokedCert)
	clientB := tokensign.Client{BaseURL: a.URL, Token: headB}
	mB := tokensign.Month{Org: unitB.String(), Month: month.String()}
	manifestB, err := clientB.Manifest(ctx, mB)
	if err != nil {
		t.Fatal(err)
	}
	signer := certtest.Signer{Cert: revokedCert, Key: revokedKey, PEM: certtest.CertPEM(revokedCert)}
	before = a.EventCount()
	_, err = clientB.Upload(ctx, mB, signer.SignGo(t, manifestB))
	var p *tokensign.ProblemError
	if !errors.As(err, &p) || p.Status != http.StatusForbidden || p.Code != approvals.CodeCertRevokedByCA {
		t.Fatalf("upload with a revoked certificate = %v, want 403 %s", err, approvals.CodeCertRevokedByCA)
	}
	if after := a.EventCount(); after != before {
		t.Fatalf("the refused signature appended %d events", after-before)
	}
}
