package web_test

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/service"
)

// The approver reads what will be signed, downloads the exact bytes,
// signs them with their own key and uploads the .p7s; the page then shows
// the month signed. An HR officer is offered nothing to approve.
func TestPagesMonthlyApproval(t *testing.T) {
	t.Parallel()
	root := certtest.NewCA(t, "Hoso Web Test Root")
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "checkpoint.key"), "hoso.test/web")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, apitest.Options{Config: service.Config{TrustRoots: roots, CheckpointKey: &key}})
	unit := e.Org("Sở Y tế", "000.00.02.T01", e.Root)
	dossierID := e.Dossier(unit, "Nguyễn Văn An").String()
	approverID := e.Account("giamdoc", "GiamDoc@Test2026", account.KindOrg, account.RoleApprover, unit)
	e.Account("canbo", "CanBo@Test2026", account.KindOrg, account.RoleHROfficer, unit)
	e.Account("thanhtra", "ThanhTra@Test2026", account.KindOrg, account.RoleInspector, e.Root)
	now := time.Now()
	signer := root.Issue(t, "Giám đốc Sở Y tế", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	if _, err := e.Svc.Deps.Accounts.RegisterCertificate(t.Context(), approverID, 0, signer.PEM, e.Meta()); err != nil {
		t.Fatal(err)
	}
	e.WaitCaughtUp()
	month := now.In(time.FixedZone("ICT", 7*3600)).Format("2006-01")

	clerk := newClient(t, e.URL)
	clerk.login("canbo", "CanBo@Test2026")
	if p := clerk.get("/approvals"); p.Status != http.StatusOK || !strings.Contains(p.Body, "không có quyền phê duyệt") {
		t.Errorf("an HR officer's approvals page: %d, offers an org to approve", p.Status)
	}

	c := newClient(t, e.URL)
	c.login("giamdoc", "GiamDoc@Test2026")
	page := fmt.Sprintf("/approvals?org=%s&month=%s", unit, month)
	p := c.get(page + "&manifest=unit")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Danh sách sẽ ký") || !strings.Contains(p.Body, "Lập hồ sơ") {
		t.Fatalf("the manifest page: %d\n%s", p.Status, p.Body)
	}
	dl := c.get(fmt.Sprintf("/approvals/%s/%s/manifest.json?level=unit", unit, month))
	if dl.Status != http.StatusOK || !strings.HasPrefix(dl.Body, "{") {
		t.Fatalf("manifest download: %d %s", dl.Status, dl.Body)
	}
	sig := signer.SignGo(t, []byte(dl.Body))

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", c.csrf)
	_ = mw.WriteField("level", "unit")
	fw, _ := mw.CreateFormFile("signature", "manifest.p7s")
	_, _ = fw.Write(sig)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/approvals/%s/%s/signature", e.URL, unit, month), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if p := c.do(req); p.Status != http.StatusSeeOther {
		t.Fatalf("uploading the signature: %d\n%s", p.Status, p.Body)
	}
	if p := c.get(page); !strings.Contains(p.Body, "Đã ký") || !strings.Contains(p.Body, "Giám đốc Sở Y tế") {
		t.Fatalf("after signing the page does not show the month signed:\n%s", p.Body)
	}

	// The approval took a checkpoint: the inspector finds the dossier's
	// creation in the audit trail and verifies it against it.
	e.WaitCaughtUp()
	insp := newClient(t, e.URL)
	insp.login("thanhtra", "ThanhTra@Test2026")
	// The entries carry the dossiers' data: asked the purpose first.
	if p := insp.get("/audit?type=dossier.created.v1"); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "hãy nêu mục đích") {
		t.Fatalf("audit trail without purpose: %d, want the purpose form", p.Status)
	}
	const purpose = "&purpose=inspection&purpose_ref=15%2FQ%C4%90-TTr"
	audit := insp.get("/audit?type=dossier.created.v1" + purpose)
	m := regexp.MustCompile(`/audit/verify\?event=([0-9a-f-]+)`).FindStringSubmatch(audit.Body)
	if audit.Status != http.StatusOK || m == nil || strings.Contains(audit.Body, "Đổi cơ quan quản lý") {
		t.Fatalf("audit trail filtered by type: %d\n%s", audit.Status, audit.Body)
	}
	v := insp.get("/audit/verify?event=" + m[1])
	if !strings.Contains(v.Body, "Hợp lệ") || !strings.Contains(v.Body, "khớp") {
		t.Fatalf("verifying %s:\n%s", m[1], v.Body)
	}
	if v := insp.get("/audit/verify?event=" + uuid.NewString()); strings.Contains(v.Body, "Hợp lệ") {
		t.Fatal("an unknown event verifies")
	}
	if r := insp.get("/audit/reads"); r.Status != http.StatusOK {
		t.Fatalf("read log page: %d", r.Status)
	}
	// HR corrects the signed creation: the inspector's trail flags it with
	// the approval (month, signer) and what it corrects, and filters on it.
	hrToken := e.Login("canbo", "CanBo@Test2026")
	corr := e.Do(http.MethodPost, "/api/v1/dossiers/"+dossierID+"/corrections", hrToken, map[string]any{
		"corrects": m[1], "patch": map[string]any{"position": map[string]any{"current": "Trưởng khoa"}},
		"reason": "nhập nhầm chức vụ", "source_document": map[string]any{"kind": "decision", "number": "77/QĐ-SYT", "date": "2026-01-05", "issuer": "Sở Y tế"}},
		"If-Match", `"1"`)
	if corr.Status != http.StatusCreated {
		t.Fatalf("correction: %d %s", corr.Status, corr.Body)
	}
	e.WaitCaughtUp()
	flagged := insp.get("/audit?corrects_approved=true" + purpose)
	if flagged.Status != http.StatusOK || !strings.Contains(flagged.Body, "Sửa dữ liệu đã ký duyệt") || !strings.Contains(flagged.Body, "tháng "+month) ||
		!strings.Contains(flagged.Body, "Giám đốc Sở Y tế") || !strings.Contains(flagged.Body, "Đính chính: Lập hồ sơ") || strings.Count(flagged.Body, "<tr>") != 2 {
		t.Errorf("the audit trail of corrections of signed data: %d\n%s", flagged.Status, flagged.Body)
	}
	// Without read_audit the API answers an empty trail, and so does the page.
	if r := clerk.get("/audit"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Không có sự kiện nào") || strings.Contains(r.Body, m[1]) {
		t.Errorf("an HR officer's audit trail: %d, shows entries", r.Status)
	}
}
