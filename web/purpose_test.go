package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

// TestPagesReadPurpose: an inspector opening a dossier is asked the
// purpose and its reference (Decree 27/2026), reads it once they are
// given, is told a statistical read needs the person's consent, and finds
// the purposes in the read log page; an HR officer is asked nothing.
func TestPagesReadPurpose(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	unit := e.Org("Sở Tư pháp", "000.00.03.T01", e.Root)
	id := e.Dossier(unit, "Đặng Thị Mục Đích")
	e.Account("nhansu", "NhanSu@Test2026", account.KindOrg, account.RoleHROfficer, unit)
	e.Account("thanhtra", "ThanhTra@Test2026", account.KindOrg, account.RoleInspector, e.Root)
	e.WaitCaughtUp()
	page := "/dossiers/" + id.String()

	hr := newClient(t, e.URL)
	hr.login("nhansu", "NhanSu@Test2026")
	if p := hr.get(page); p.Status != http.StatusOK || !strings.Contains(p.Body, "Đặng Thị Mục Đích") {
		t.Fatalf("HR's dossier page: %d", p.Status)
	}

	c := newClient(t, e.URL)
	c.login("thanhtra", "ThanhTra@Test2026")
	for _, tc := range []struct {
		query  string
		status int
		want   string
	}{
		{"", http.StatusBadRequest, "hãy nêu mục đích"},
		{"?purpose=inspection", http.StatusBadRequest, "cần số văn bản"},
		{"?purpose=statistics", http.StatusForbidden, "cần sự đồng ý"},
		{"?purpose=inspection&purpose_ref=" + url.QueryEscape("15/QĐ-TTr"), http.StatusOK, "Đặng Thị Mục Đích"},
	} {
		p := c.get(page + tc.query)
		if p.Status != tc.status || !strings.Contains(p.Body, tc.want) {
			t.Errorf("inspector's dossier page%s: %d, want %d with %q", tc.query, p.Status, tc.status, tc.want)
		}
	}
	p := c.get("/audit/reads?purpose=inspection")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Thanh tra, kiểm tra") || !strings.Contains(p.Body, "15/QĐ-TTr") {
		t.Errorf("the read log page: %d", p.Status)
	}
}
