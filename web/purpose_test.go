package web_test

import (
	"bytes"
	"mime/multipart"
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

// TestPagesListAndDownloadPurpose: the list of dossiers, the transfers,
// the CV and an attachment's download ask an inspector the purpose as
// the dossier page does, keep the page's filters through the form, carry
// the purpose on to the links they show, and refuse a statistical read
// without the person's consent; HR is asked nothing.
func TestPagesListAndDownloadPurpose(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	unit := e.Org("Sở Xây dựng", "000.00.03.T02", e.Root)
	id := e.Dossier(unit, "Lương Thị Danh Sách")
	e.Account("nhansu.xd", "NhanSu@Test2026", account.KindOrg, account.RoleHROfficer, unit)
	e.Account("thanhtra.xd", "ThanhTra@Test2026", account.KindOrg, account.RoleInspector, e.Root)
	e.WaitCaughtUp()
	hrToken := e.Login("nhansu.xd", "NhanSu@Test2026")
	scan := []byte("%PDF-1.4\n% a scan of decision 31/QĐ-SXD\n%%EOF\n")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"document_kind": "decision", "document_number": "31/QĐ-SXD", "document_date": "2026-11-02", "document_issuer": "Sở Xây dựng"} {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "qd.pdf")
	_, _ = fw.Write(scan)
	_ = mw.Close()
	r := e.Do(http.MethodPost, "/api/v1/dossiers/"+id.String()+"/attachments", hrToken, buf.Bytes(), "Content-Type", mw.FormDataContentType(), "If-Match", `"1"`)
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var up struct {
		SHA256 string `json:"sha256"`
	}
	r.JSON(&up)
	e.WaitCaughtUp()
	download := "/dossiers/" + id.String() + "/attachments/" + up.SHA256

	hr := newClient(t, e.URL)
	hr.login("nhansu.xd", "NhanSu@Test2026")
	for _, path := range []string{"/dossiers?q=luong+thi", "/transfers", download, "/dossiers/" + id.String() + "/cv.pdf"} {
		if p := hr.get(path); p.Status != http.StatusOK {
			t.Errorf("HR's %s: %d", path, p.Status)
		}
	}

	ref := "&purpose_ref=" + url.QueryEscape("15/QĐ-TTr")
	c := newClient(t, e.URL)
	c.login("thanhtra.xd", "ThanhTra@Test2026")
	for _, tc := range []struct {
		name, path string
		status     int
		want       []string
	}{
		{"list without purpose", "/dossiers?q=luong+thi", http.StatusBadRequest,
			[]string{"hãy nêu mục đích", `name="q" value="luong thi"`}},
		{"list, inspection without its decision", "/dossiers?q=luong+thi&purpose=inspection", http.StatusBadRequest, []string{"cần số văn bản"}},
		{"list, statistics", "/dossiers?q=luong+thi&purpose=statistics", http.StatusForbidden, []string{"cần sự đồng ý"}},
		{"list with purpose", "/dossiers?q=luong+thi&purpose=inspection" + ref, http.StatusOK,
			[]string{"Lương Thị Danh Sách", "/dossiers/" + id.String() + "?purpose=inspection&amp;purpose_ref=15%2FQ%C4%90-TTr"}},
		// No transfer shows anybody: nothing to ask (transfers_browser_test asks it).
		{"transfers, none to show", "/transfers", http.StatusOK, []string{"Mở điều chuyển theo mã"}},
		{"transfers with purpose", "/transfers?purpose=inspection" + ref, http.StatusOK, []string{"Mở điều chuyển theo mã"}},
		{"a scan without purpose", download, http.StatusBadRequest, []string{"hãy nêu mục đích"}},
		{"a scan, statistics", download + "?purpose=statistics", http.StatusForbidden, []string{"cần sự đồng ý"}},
		{"a scan with purpose", download + "?purpose=inspection" + ref, http.StatusOK, []string{"decision 31/QĐ-SXD"}},
		{"the CV without purpose", "/dossiers/" + id.String() + "/cv.pdf", http.StatusBadRequest, []string{"hãy nêu mục đích"}},
		{"the CV with purpose", "/dossiers/" + id.String() + "/cv.pdf?purpose=inspection" + ref, http.StatusOK, []string{"%PDF"}},
		{"the dossier page carries it to the downloads", "/dossiers/" + id.String() + "?purpose=inspection" + ref, http.StatusOK,
			[]string{"/cv.pdf?purpose=inspection&amp;purpose_ref=", download + "?purpose=inspection&amp;purpose_ref=", `name="purpose" value="inspection"`}},
	} {
		p := c.get(tc.path)
		if p.Status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, p.Status, tc.status)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(p.Body, w) {
				t.Errorf("%s: the page lacks %q", tc.name, w)
			}
		}
	}
	// The search as you type is sent to the whole page, where the form is.
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/dossiers?q=luong", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "results")
	if p := c.do(req); p.Status != http.StatusOK || p.Header.Get("HX-Redirect") != "/dossiers?q=luong" {
		t.Errorf("htmx search without purpose: %d, HX-Redirect %q", p.Status, p.Header.Get("HX-Redirect"))
	}
	// The read log: the scan's reads, refused and allowed, with the purpose.
	var log struct {
		Items []struct {
			Route, Outcome, PurposeCode string
			PurposeReference            string `json:"purpose_reference"`
		} `json:"items"`
	}
	insp := e.Login("thanhtra.xd", "ThanhTra@Test2026")
	r = e.Do(http.MethodGet, "/api/v1/audit/reads?dossier="+id.String(), insp, nil)
	r.JSON(&log)
	got := map[string]int{}
	for _, it := range log.Items {
		if it.Route == "/api/v1/attachments/:sha256" {
			got[it.Outcome+" "+it.PurposeReference]++
		}
	}
	if got["allowed 15/QĐ-TTr"] != 1 || got["refused "] != 2 || got["allowed "] != 1 {
		t.Errorf("the scan's reads in the read log: %v (HR's allowed one, the inspector's two refused and one allowed)", got)
	}
}

// TestTransferLookupCarriesPurpose: the transfers page opens one transfer
// by its id (GET /api/v1/transfers/{id}, which names the person) with the
// purpose the page states, as its lists do; without one the inspector is
// asked it, and HR of the sending org is asked nothing.
func TestTransferLookupCarriesPurpose(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	unit := e.Org("Sở Công Thương", "000.00.03.T03", e.Root)
	target := e.Org("Sở Du lịch", "000.00.03.T04", e.Root)
	id := e.Dossier(unit, "Lương Văn Điều Chuyển")
	e.Account("nhansu.ct", "NhanSu@Test2026", account.KindOrg, account.RoleHROfficer, unit)
	e.Account("thanhtra.ct", "ThanhTra@Test2026", account.KindOrg, account.RoleInspector, e.Root)
	e.WaitCaughtUp()
	hrToken := e.Login("nhansu.ct", "NhanSu@Test2026")
	r := e.Do(http.MethodPost, "/api/v1/dossiers/"+id.String()+"/transfers", hrToken, map[string]any{
		"kind": "between_orgs", "target_org": target.String(), "reason": "điều động",
		"source_document": map[string]any{"kind": "decision", "number": "51/QĐ-SCT", "date": "2026-11-20", "issuer": "UBND tỉnh"}}, "If-Match", `"1"`)
	var tr struct {
		ID string `json:"id"`
	}
	r.JSON(&tr)
	if r.Status != http.StatusCreated {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	e.WaitCaughtUp()

	hr := newClient(t, e.URL)
	hr.login("nhansu.ct", "NhanSu@Test2026")
	c := newClient(t, e.URL)
	c.login("thanhtra.ct", "ThanhTra@Test2026")
	ref := "&purpose_ref=" + url.QueryEscape("19/QĐ-TTr")
	for _, tc := range []struct {
		name   string
		client *client
		path   string
		status int
		want   string
	}{
		{"HR opens it", hr, "/transfers?id=" + tr.ID, http.StatusOK, "Điều chuyển theo mã"},
		{"the inspector without purpose", c, "/transfers?id=" + tr.ID, http.StatusBadRequest, "hãy nêu mục đích"},
		{"the inspector with purpose", c, "/transfers?id=" + tr.ID + "&purpose=inspection" + ref, http.StatusOK, "Điều chuyển theo mã"},
	} {
		p := tc.client.get(tc.path)
		if p.Status != tc.status || !strings.Contains(p.Body, tc.want) {
			t.Errorf("%s: %d, want %d with %q", tc.name, p.Status, tc.status, tc.want)
		}
		if tc.status == http.StatusOK && (!strings.Contains(p.Body, "Lương Văn Điều Chuyển") || strings.Contains(p.Body, "Không tìm thấy điều chuyển")) {
			t.Errorf("%s: the transfer is not shown", tc.name)
		}
	}
}
