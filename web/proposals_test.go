package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

// The person proposes a change of their own dossier; HR sees it beside
// what is recorded and accepts one, rejects another; the dossier changes
// only by the accepted one.
func TestPagesProposals(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	org := e.Org("Sở Công Thương", "000.00.31.T01", e.Root)
	e.Account("tccb.ct", "Mat-Khau-CT-2026", account.KindOrg, account.RoleHROfficer, org)
	id := e.Dossier(org, "Hoàng Văn Dũng")
	e.SelfAccount("canhan.dung", "Mat-Khau-Dung-2026", org, id)
	e.WaitCaughtUp()
	path := "/dossiers/" + id.String()
	version := regexp.MustCompile(`name="version" value="(\d+)"`)
	original := regexp.MustCompile(`name="original" value="([^"]*)"`)

	person := newClient(t, e.URL)
	person.login("canhan.dung", "Mat-Khau-Dung-2026")
	propose := func(height string) {
		t.Helper()
		form := person.get(path + "/sections/health")
		if form.Status != http.StatusOK || !strings.Contains(form.Body, "Đề nghị sửa") || strings.Contains(form.Body, "document_number") {
			t.Fatalf("the person's form: %d\n%s", form.Status, form.Body)
		}
		p := person.post(path+"/sections/health", url.Values{
			"version":     {version.FindStringSubmatch(form.Body)[1]},
			"original":    {htmlUnescape(original.FindStringSubmatch(form.Body)[1])},
			"f.height_cm": {height},
		})
		if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "proposed=1") {
			t.Fatalf("proposing: %d %q\n%s", p.Status, p.Location, p.Body)
		}
	}
	propose("168")
	propose("190")
	if p := person.get(path); !strings.Contains(p.Body, "Đang chờ bộ phận tổ chức cán bộ xem xét") || strings.Contains(p.Body, "/accept") {
		t.Fatalf("the person's view of their proposals:\n%s", p.Body)
	}

	hr := newClient(t, e.URL)
	hr.login("tccb.ct", "Mat-Khau-CT-2026")
	page := hr.get(path)
	accepts := regexp.MustCompile(`action="(/dossiers/[^"]+/proposals/[^"]+)/accept"`).FindAllStringSubmatch(page.Body, -1)
	if len(accepts) != 2 || !strings.Contains(page.Body, "Cá nhân đề nghị") || !strings.Contains(page.Body, "168") {
		t.Fatalf("HR's view of two proposals:\n%s", page.Body)
	}
	v := version.FindStringSubmatch(page.Body)[1]
	if p := hr.post(accepts[0][1]+"/accept", url.Values{"version": {v}, "document_kind": {"form"}, "document_number": {"1/TK"},
		"document_date": {"2026-12-01"}, "document_issuer": {"Sở Công Thương"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", p.Status, p.Body)
	}
	page = hr.get(path)
	v = version.FindStringSubmatch(page.Body)[1]
	if p := hr.post(accepts[1][1]+"/reject", url.Values{"version": {v}, "reason": {"Số đo không khớp giấy khám sức khoẻ"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", p.Status, p.Body)
	}
	page = hr.get(path)
	if strings.Contains(page.Body, "Đang ghi trong hồ sơ") {
		t.Error("a decided proposal is still offered")
	}
	health := regexp.MustCompile(`(?s)id="health".*?</section>`).FindString(page.Body)
	if !strings.Contains(health, "168") || strings.Contains(health, "190") {
		t.Errorf("after accepting 168 and rejecting 190 the health section reads:\n%s", health)
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}
