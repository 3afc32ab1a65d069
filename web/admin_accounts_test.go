package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// adminForm is a form of an administrative act: its decision, and kv.
func adminForm(kv ...string) url.Values {
	v := url.Values{"document_kind": {"decision"}, "document_number": {"31/QĐ-SNV"}, "document_date": {"2026-12-01"}, "document_issuer": {"Sở Nội vụ"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// tomorrow is the day after today in Vietnam, yyyy-mm-dd.
func tomorrow() string {
	return domain.DateOf(time.Now()).AddDays(1).String()
}

var versionInput = regexp.MustCompile(`name="version" value="(\d+)"`)

// version is the account version the page's forms carry.
func version(t *testing.T, p page) string {
	t.Helper()
	m := versionInput.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no version on the page (%d):\n%s", p.Status, p.Body)
	}
	return m[1]
}

// The administrators' account pages: the list in scope with its filters,
// restrict and reinstate, a grant extended and revoked, an API key shown
// once, working, then revoked, a certificate registered and revoked; a
// stale form and another administrator's scope change nothing.
func TestPagesAccounts(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t) // Sở Tài nguyên with its HR officer tccb.khac
	orgB := e.Org("Sở Giao thông vận tải", "000.00.43.T01", e.Root)
	e.Account("qt.giaothong", "QuanTri-GiaoThong-26", account.KindOrg, account.RoleAdmin, orgB)
	admin := newClient(t, e.URL)
	admin.login("quantri", "QuanTri@Test2026")

	p := admin.get("/admin/accounts?q=" + url.QueryEscape("tai khoan tccb"))
	if p.Status != http.StatusOK || !strings.Contains(p.Body, ">tccb.khac</a>") || strings.Contains(p.Body, ">quantri</a>") {
		t.Fatalf("search without diacritics: %d\n%s", p.Status, p.Body)
	}
	link := regexp.MustCompile(`href="(/admin/accounts/[0-9a-f-]+)">tccb.khac<`).FindStringSubmatch(p.Body)
	if link == nil {
		t.Fatalf("no link to the account:\n%s", p.Body)
	}
	acct := link[1]
	// htmx asks for the results only.
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/admin/accounts?q=tccb", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "results")
	if f := admin.do(req); f.Status != http.StatusOK || strings.Contains(f.Body, "<html") || !strings.Contains(f.Body, "tccb.khac") {
		t.Errorf("the results fragment: %d\n%s", f.Status, f.Body)
	}

	// Another province department's administrator sees none of it.
	other := newClient(t, e.URL)
	other.login("qt.giaothong", "QuanTri-GiaoThong-26")
	if p := other.get("/admin/accounts"); !strings.Contains(p.Body, ">qt.giaothong</a>") || strings.Contains(p.Body, "tccb.khac") {
		t.Errorf("the list of B's administrator shows another scope:\n%s", p.Body)
	}
	if p := other.get(acct); p.Status != http.StatusNotFound {
		t.Errorf("B's administrator opens an account of A: %d", p.Status)
	}
	v := version(t, admin.get(acct))
	if p := other.post(acct+"/restrict", adminForm("version", v, "reason", "thử")); p.Status != http.StatusNotFound {
		t.Errorf("B's administrator restricts an account of A: %d", p.Status)
	}

	// Restrict: the list's filter finds it; a form opened before that is
	// refused (412) and changes nothing; then reinstate.
	if p := admin.post(acct+"/restrict", adminForm("version", v, "reason", "nghỉ phép dài ngày")); p.Status != http.StatusSeeOther {
		t.Fatalf("restrict: %d\n%s", p.Status, p.Body)
	}
	if p := admin.get("/admin/accounts?state=restricted"); !strings.Contains(p.Body, ">tccb.khac</a>") {
		t.Errorf("the restricted account is not in the filtered list:\n%s", p.Body)
	}
	page := admin.get(acct)
	if !strings.Contains(page.Body, `<span id="acct-state">Tạm khoá</span>`) {
		t.Errorf("the account page does not say restricted:\n%s", page.Body)
	}
	if p := admin.post(acct+"/close", adminForm("version", v, "reason", "cũ")); p.Status != http.StatusPreconditionFailed ||
		!strings.Contains(p.Body, "Người khác đã thay đổi mục này sau khi bạn mở trang") || !strings.Contains(p.Body, `<span id="acct-state">Tạm khoá</span>`) {
		t.Errorf("a stale form: %d\n%s", p.Status, p.Body)
	}
	if now := version(t, admin.get(acct)); now == v {
		t.Fatalf("version did not move after the restriction")
	} else if p := admin.post(acct+"/reinstate", adminForm("version", now, "reason", "trở lại")); p.Status != http.StatusConflict ||
		!strings.Contains(p.Body, "before_last_change") || !strings.Contains(p.Body, `<span id="acct-state">Tạm khoá</span>`) {
		// The same day as the suspension: the domain refuses, the page says why.
		t.Fatalf("reinstate on the day of the suspension: %d\n%s", p.Status, p.Body)
	}
	if p := admin.post(acct+"/reinstate", adminForm("version", version(t, admin.get(acct)), "reason", "trở lại", "effective_date", tomorrow())); p.Status != http.StatusSeeOther {
		t.Fatalf("reinstate: %d\n%s", p.Status, p.Body)
	}
	if p := admin.get(acct + "?saved=1"); !strings.Contains(p.Body, `<span id="acct-state">Đang hoạt động</span>`) || !strings.Contains(p.Body, "Đã lưu.") {
		t.Errorf("after reinstating:\n%s", p.Body)
	}

	// A grant with an end, extended; the open-ended one revoked: its role
	// leaves the list's filter.
	if p := admin.post(acct+"/grants", adminForm("version", version(t, admin.get(acct)), "role", "approver", "org_id", e.Root.String(), "valid_until", "2027-06-30")); p.Status != http.StatusSeeOther {
		t.Fatalf("grant: %d\n%s", p.Status, p.Body)
	}
	page = admin.get(acct)
	g := regexp.MustCompile(`<tr id="grant-([0-9a-f-]+)"><td>Phê duyệt</td>`).FindStringSubmatch(page.Body)
	hrGrant := regexp.MustCompile(`<tr id="grant-([0-9a-f-]+)"><td>Cán bộ tổ chức</td>`).FindStringSubmatch(page.Body)
	if g == nil || hrGrant == nil || !strings.Contains(page.Body, "30/06/2027") {
		t.Fatalf("grant rows:\n%s", page.Body)
	}
	if strings.Contains(page.Body, "/grants/"+hrGrant[1]+"/extend") {
		t.Errorf("an open-ended grant offers an extension the domain refuses")
	}
	if p := admin.post(acct+"/grants/"+g[1]+"/extend", adminForm("version", version(t, page), "valid_until", "2030-12-31")); p.Status != http.StatusSeeOther {
		t.Fatalf("extend: %d\n%s", p.Status, p.Body)
	}
	page = admin.get(acct)
	if !strings.Contains(page.Body, "31/12/2030") {
		t.Errorf("the extended grant does not show its end:\n%s", page.Body)
	}
	if p := admin.post(acct+"/grants/"+hrGrant[1]+"/revoke", adminForm("version", version(t, page), "reason", "chuyển công tác")); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", p.Status, p.Body)
	}
	if p := admin.get("/admin/accounts?role=hr_officer&q=tccb"); strings.Contains(p.Body, ">tccb.khac</a>") {
		t.Errorf("a revoked grant still lists the account as an HR officer:\n%s", p.Body)
	}
	if p := admin.get(acct); !strings.Contains(p.Body, "thu hồi từ") {
		t.Errorf("the revoked grant does not say so:\n%s", p.Body)
	}

	// A service account: its API key is shown once, works, and is revoked.
	p = admin.post("/admin/accounts", adminForm("kind", "service", "username", "dongbo.quocgia", "display_name", "Đồng bộ CSDL quốc gia", "home_org", e.Root.String()))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create a service account: %d\n%s", p.Status, p.Body)
	}
	svc := p.Location
	p = admin.post(svc+"/api-keys", adminForm("version", version(t, admin.get(svc))))
	key := regexp.MustCompile(`<code id="new-key">([^<]+)</code>`).FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || key == nil {
		t.Fatalf("issue a key: %d\n%s", p.Status, p.Body)
	}
	secret := htmlUnescape(key[1])
	if r := e.Do(http.MethodGet, "/api/v1/me", secret, nil); r.Status != http.StatusOK {
		t.Errorf("the new key: %d %s", r.Status, r.Body)
	}
	if p := admin.get(svc); strings.Contains(p.Body, secret) {
		t.Errorf("the key's secret is shown again")
	}
	page = admin.get(svc)
	k := regexp.MustCompile(`<tr id="key-([^"]+)">`).FindStringSubmatch(page.Body)
	if k == nil {
		t.Fatalf("no key row:\n%s", page.Body)
	}
	if p := admin.post(svc+"/api-keys/"+k[1]+"/revoke", adminForm("version", version(t, page), "reason", "lộ khoá")); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke the key: %d\n%s", p.Status, p.Body)
	}
	if r := e.Do(http.MethodGet, "/api/v1/me", secret, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("a revoked key: %d", r.Status)
	}

	// A signing certificate, for an approver (the suspended account is none
	// today), registered and revoked.
	p = admin.post("/admin/accounts", adminForm("kind", "org", "username", "giamdoc.tn", "display_name", "Giám đốc Sở Tài nguyên", "home_org", e.Root.String()))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create the approver: %d\n%s", p.Status, p.Body)
	}
	acct = p.Location
	if p := admin.post(acct+"/grants", adminForm("version", version(t, admin.get(acct)), "role", "approver", "org_id", e.Root.String())); p.Status != http.StatusSeeOther {
		t.Fatalf("grant approver: %d\n%s", p.Status, p.Body)
	}
	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Phó Giám đốc Sở"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &pk.PublicKey, pk)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if p := admin.post(acct+"/certificates", adminForm("version", version(t, admin.get(acct)), "pem", certPEM)); p.Status != http.StatusSeeOther {
		t.Fatalf("register: %d\n%s", p.Status, p.Body)
	}
	page = admin.get(acct)
	fp := regexp.MustCompile(`action="[^"]+/certificates/([0-9a-f]{64})/revoke"`).FindStringSubmatch(page.Body)
	if fp == nil || !strings.Contains(page.Body, "Phó Giám đốc Sở") {
		t.Fatalf("the certificate is not shown with its revoke form:\n%s", page.Body)
	}
	if p := admin.post(acct+"/certificates/"+fp[1]+"/revoke", adminForm("version", version(t, page), "reason", "mất thiết bị ký")); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke the certificate: %d\n%s", p.Status, p.Body)
	}
	if p := admin.get(acct); !strings.Contains(p.Body, "(đã thu hồi)") {
		t.Errorf("the certificate is not shown revoked")
	}

	// A single sign-on subject linked from the page, refused for a second
	// account, shown, and revoked with its reason.
	const issuer, subject = "https://sso.thuathienhue.gov.vn", "c0ffee-42"
	if p := admin.post(acct+"/oidc-links", adminForm("version", version(t, admin.get(acct)), "issuer", issuer, "subject", subject)); p.Status != http.StatusSeeOther {
		t.Fatalf("link a subject: %d\n%s", p.Status, p.Body)
	}
	page = admin.get(acct)
	ssoLink := regexp.MustCompile(`<tr id="sso-([0-9a-f-]{36})"><td>` + regexp.QuoteMeta(issuer) + `</td><td><code>` + subject + `</code>`).FindStringSubmatch(page.Body)
	if ssoLink == nil {
		t.Fatalf("the link is not shown:\n%s", page.Body)
	}
	p = admin.post("/admin/accounts", adminForm("kind", "org", "username", "chuyenvien.tn", "display_name", "Chuyên viên Sở Tài nguyên", "home_org", e.Root.String()))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("create a second account: %d\n%s", p.Status, p.Body)
	}
	second := p.Location
	if p := admin.post(second+"/oidc-links", adminForm("version", version(t, admin.get(second)), "issuer", issuer, "subject", subject)); p.Status != http.StatusConflict ||
		!strings.Contains(p.Body, "oidc_subject_taken") {
		t.Errorf("the same subject for a second account: %d\n%s", p.Status, p.Body)
	}
	if p := admin.post(acct+"/oidc-links", adminForm("version", version(t, page), "issuer", issuer, "subject", "")); p.Status < 400 || p.Status >= 500 {
		t.Errorf("a link without its subject: %d", p.Status)
	}
	if p := other.post(acct+"/oidc-links/"+ssoLink[1]+"/revoke", adminForm("version", version(t, page), "reason", "nhầm người")); p.Status != http.StatusNotFound {
		t.Errorf("another department's administrator revokes the link: %d", p.Status)
	}
	if p := admin.post(acct+"/oidc-links/"+ssoLink[1]+"/revoke", adminForm("version", version(t, admin.get(acct)), "reason", "nhầm người")); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke the link: %d\n%s", p.Status, p.Body)
	}
	if p := admin.get(acct); !strings.Contains(p.Body, "đã thu hồi") || strings.Contains(p.Body, "/oidc-links/"+ssoLink[1]+"/revoke") {
		t.Errorf("the link is not shown revoked:\n%s", p.Body)
	}
}
