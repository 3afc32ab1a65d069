package web_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/service"
)

// TestBrowserRemoteSigning: the approver signs the month through a remote
// hash-signing service from the approvals page: prepare with the
// certificate, the page shows the digest, the test plays the service
// (signs the digest with the holder's key), a wrong signature is the
// API's refusal shown on the page with the digest kept, the right one
// records the approval. The national delivery of the month shows with
// its state, deadline and the receiver's reasons.
func TestBrowserRemoteSigning(t *testing.T) {
	t.Parallel()
	root := certtest.NewCA(t, "Hoso Web Remote Root")
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "checkpoint.key"), "hoso.test/web-remote")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, apitest.Options{Config: service.Config{TrustRoots: roots, CheckpointKey: &key}})
	unit := e.Org("Sở Y tế", "000.00.02.T01", e.Root)
	e.Dossier(unit, "Nguyễn Văn An")
	approverID := e.Account("giamdoc", "GiamDoc@Test2026", account.KindOrg, account.RoleApprover, unit)
	now := time.Now()
	signer := root.Issue(t, "Giám đốc Sở Y tế", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	if _, err := e.Svc.Deps.Accounts.RegisterCertificate(t.Context(), approverID, 0, signer.PEM, e.Meta()); err != nil {
		t.Fatal(err)
	}
	e.WaitCaughtUp()
	month := now.In(domain.VietnamZone).Format("2006-01")
	page := fmt.Sprintf("%s/approvals?org=%s&month=%s", e.URL, unit, month)

	ctx := browser(t)
	login(t, ctx, e.URL, "giamdoc", "GiamDoc@Test2026")
	waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
	do(t, ctx, "the manifest", chromedp.Navigate(page+"&manifest=unit"))
	waitFor(t, ctx, "what will be signed", `document.body.innerText.includes("Danh sách sẽ ký") && document.querySelector("#remote-prepare") != null`)
	do(t, ctx, "prepare with the certificate",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("remote-prepare").open = true`),
		chromedp.SetValue(chromedp.CSS("#rp-cert"), signer.PEM),
		chromedp.Submit(chromedp.CSS("#rp-cert")))
	waitFor(t, ctx, "the digest to sign", `document.querySelector("#remote-digest-b64") != null && document.querySelector("#remote-sig") != null`)
	digestB64 := get(t, ctx, "digest", chromedp.Text(chromedp.CSS("#remote-digest-b64")))
	digest, err := base64.StdEncoding.DecodeString(strings.TrimSpace(digestB64))
	if err != nil || len(digest) != sha256.Size {
		t.Fatalf("the page's digest %q: %v", digestB64, err)
	}
	shot(t, ctx, "approvals-remote")

	// The service signs something else: the API refuses, the page says
	// why and keeps the digest for another try.
	other := sha256.Sum256([]byte("không phải danh sách"))
	bad, err := ecdsa.SignASN1(rand.Reader, signer.Key, other[:])
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "complete with a wrong signature",
		chromedp.SetValue(chromedp.CSS("#remote-sig"), base64.StdEncoding.EncodeToString(bad)),
		chromedp.Submit(chromedp.CSS("#remote-sig")))
	waitFor(t, ctx, "the refusal", `document.querySelector("#refusal") != null &&
		document.querySelector("#refusal").innerText.includes("signature_mismatch") &&
		document.querySelector("#refusal").innerText.includes("Chữ ký không khớp") &&
		document.querySelector("#remote-digest-b64").innerText.trim() == `+"`"+digestB64+"`")
	if r := e.Do(http.MethodGet, fmt.Sprintf("/api/v1/approvals/%s/%s?level=unit", unit, month), e.AdminToken, nil); !strings.Contains(string(r.Body), `"sealed":false`) {
		t.Fatalf("after the refused signature: %d %s", r.Status, r.Body)
	}

	// The holder confirms; the service answers the signature of the digest.
	good, err := ecdsa.SignASN1(rand.Reader, signer.Key, digest)
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "complete", chromedp.SetValue(chromedp.CSS("#remote-sig"), base64.StdEncoding.EncodeToString(good)),
		chromedp.Submit(chromedp.CSS("#remote-sig")))
	waitFor(t, ctx, "signed", `document.body.innerText.includes("Đã ghi nhận chữ ký số.") &&
		document.querySelector("tbody tr").innerText.includes("Đã ký") && document.querySelector("tbody tr").innerText.includes("Giám đốc Sở Y tế")`)

	// The national delivery: the receiver refused the package, after its
	// deadline. (The delivery itself is api's TestNationalSyncScenario;
	// here its events are appended to the ledger as the worker records
	// them, and the read model built from the log shows them.)
	pkg := uuid.New()
	yesterday := domain.DateOf(now).AddDays(-1)
	e.Record(nationalsync.StreamID(pkg),
		nationalsync.Queued{Package: pkg, Org: unit, Month: month, Department: e.Root, ApprovedAt: now.Add(-48 * time.Hour),
			Due: yesterday, Article: "Điều 12 Nghị định 27/2026/NĐ-CP"},
		nationalsync.Sent{Package: pkg, Digest: strings.Repeat("ab", 32), Endpoint: "https://csdlqg.example/packages", Attempt: 1},
		nationalsync.Rejected{Package: pkg, Digest: strings.Repeat("ab", 32), Status: 422, Reasons: []string{"Thiếu số định danh cá nhân của hồ sơ 12"}})
	e.WaitCaughtUp()
	do(t, ctx, "the month again", chromedp.Navigate(page))
	waitFor(t, ctx, "the delivery", `(() => { const d = document.querySelector("#delivery").innerText;
		return d.includes("Bị từ chối") && d.includes("Thiếu số định danh cá nhân của hồ sơ 12") && d.includes("`+yesterday.Vietnamese()+`") &&
			d.includes("quá hạn") && d.includes("Sở Y tế") && document.querySelector("#delivery tr.late") != null; })()`)
	shot(t, ctx, "approvals-delivery")
	waitFor(t, ctx, "fits 1366 px", `document.documentElement.scrollWidth <= window.innerWidth + 1`)

	do(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Navigate(page+"&manifest=unit"))
	waitFor(t, ctx, "the page on a phone", `document.querySelector("#delivery") != null`)
	waitFor(t, ctx, "fits the width", `document.documentElement.scrollWidth <= window.innerWidth + 1`)
	waitFor(t, ctx, "labels", `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")].every(el => el.labels && el.labels.length > 0)`)
}
