package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// progressOf follows a process page as htmx does, asking for the progress
// fragment until it no longer asks again (the process ended), and returns
// that last fragment.
func progressOf(t *testing.T, c *client, base, path string) string {
	t.Helper()
	for {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "progress")
		p := c.do(req)
		if p.Status != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(p.Body), `<section id="progress"`) {
			t.Fatalf("progress fragment %s: %d\n%s", path, p.Status, p.Body)
		}
		if !strings.Contains(p.Body, `hx-trigger="every 1s"`) {
			return p.Body
		}
		time.Sleep(200 * time.Millisecond) // pacing, as htmx's every 1s: not an assertion
	}
}

// The org's page: every act with its decision and If-Match, the API's
// refusals shown, and a merge whose moves of dossiers the process page
// follows to the end.
func TestPagesOrgs(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	from := e.Org("Sở Khoa học và Công nghệ", "000.00.44.T01", e.Root)
	into := e.Org("Sở Thông tin và Truyền thông", "000.00.45.T01", e.Root)
	empty := e.Org("Ban Quản lý dự án", "000.00.46.T01", e.Root)
	split := e.Org("Sở Văn hoá, Thể thao và Du lịch", "000.00.47.T01", e.Root)
	tourism := e.Org("Sở Du lịch", "000.00.48.T01", e.Root)
	const n = 25
	for i := range n {
		e.Dossier(from, fmt.Sprintf("Nguyễn Văn Số %d", i+1))
	}
	for i := range 4 {
		e.Dossier(split, fmt.Sprintf("Trần Thị Tách %d", i+1))
	}
	e.WaitCaughtUp()
	admin := newClient(t, e.URL)
	admin.login("quantri", "QuanTri@Test2026")
	orgPath := "/admin/orgs/" + from.String()
	page := admin.get(orgPath)
	for _, want := range []string{`action="` + orgPath + `/merge"`, `action="` + orgPath + `/split"`, `action="` + orgPath + `/dissolve"`,
		`action="` + orgPath + `/move"`, `action="` + orgPath + `/staffing-quotas"`} {
		if !strings.Contains(page.Body, want) {
			t.Fatalf("the org page lacks %s:\n%s", want, page.Body)
		}
	}
	if strings.Contains(page.Body, "/home-affairs") {
		t.Errorf("a department's page offers the province's Home Affairs designation")
	}
	v := version(t, page)

	// Refusals: a stale version, a quota that is not a number, a split
	// into one org. Each page says what the API said; nothing changes.
	for _, tc := range []struct {
		name, act string
		form      url.Values
		status    int
		says      string
	}{
		{"stale version", "rename", adminForm("version", "99", "name", "Sở KH&CN (cũ)"), http.StatusPreconditionFailed, "Người khác đã thay đổi mục này sau khi bạn mở trang"},
		{"a year that is no number", "staffing-quotas", adminForm("version", v, "year", "năm nay", "count_cong_chuc", "40"), http.StatusUnprocessableEntity, "/year"},
		{"a negative count", "staffing-quotas", adminForm("version", v, "year", "2026", "count_cong_chuc", "-3"), http.StatusUnprocessableEntity, "/counts/cong_chuc"},
		{"a split into one org", "split", adminForm("version", v, "successors", into.String()), http.StatusUnprocessableEntity, "/successors"},
		{"an unknown act", "rebuild", adminForm("version", v), http.StatusNotFound, "Không tìm thấy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.post(orgPath+"/"+tc.act, tc.form)
			if p.Status != tc.status || !strings.Contains(p.Body, tc.says) {
				t.Errorf("%s: %d, want %d saying %q\n%s", tc.act, p.Status, tc.status, tc.says, p.Body)
			}
			// A refusal is shown above the org's page, to act again from.
			if tc.status != http.StatusNotFound && !strings.Contains(p.Body, `action="`+orgPath+`/merge"`) {
				t.Errorf("%s: the refusal is not shown on the org's page\n%s", tc.act, p.Body)
			}
		})
	}
	if now := version(t, admin.get(orgPath)); now != v {
		t.Fatalf("refused acts moved the version from %s to %s", v, now)
	}

	// A staffing quota, then a move under another parent.
	if p := admin.post(orgPath+"/staffing-quotas", adminForm("version", v, "year", "2026", "count_cong_chuc", "1200", "count_nguoi_lao_dong", "5")); p.Status != http.StatusSeeOther {
		t.Fatalf("quota: %d\n%s", p.Status, p.Body)
	}
	page = admin.get(orgPath)
	if !strings.Contains(page.Body, "<td>1.200</td>") || !strings.Contains(page.Body, "Đã lưu.") && !strings.Contains(page.Body, "31/QĐ-SNV") {
		t.Errorf("the quota is not shown:\n%s", page.Body)
	}
	if p := admin.post(orgPath+"/move", adminForm("version", version(t, page), "parent", into.String())); p.Status != http.StatusSeeOther {
		t.Fatalf("move: %d\n%s", p.Status, p.Body)
	}
	e.WaitCaughtUp()
	if p := admin.get(orgPath); !strings.Contains(p.Body, "trực thuộc Sở Thông tin và Truyền thông") {
		t.Errorf("the move is not shown:\n%s", p.Body)
	}
	// Back under the root, so that the merge's successor is no descendant.
	if p := admin.post(orgPath+"/move", adminForm("version", version(t, admin.get(orgPath)), "parent", e.Root.String())); p.Status != http.StatusSeeOther {
		t.Fatalf("move back: %d\n%s", p.Status, p.Body)
	}

	// The province's Department of Home Affairs, on the root's page.
	rootPath := "/admin/orgs/" + e.Root.String()
	if p := admin.post(rootPath+"/home-affairs", adminForm("version", version(t, admin.get(rootPath)), "home_affairs", into.String())); p.Status != http.StatusSeeOther {
		t.Fatalf("home affairs: %d\n%s", p.Status, p.Body)
	}
	e.WaitCaughtUp()
	if p := admin.get(rootPath); !strings.Contains(p.Body, "Sở Nội vụ của tỉnh: <a href=\"/admin/orgs/"+into.String()+"\">") {
		t.Errorf("the designation is not shown:\n%s", p.Body)
	}

	// The merge, effective tomorrow (the dossiers, opened today, are those
	// the org manages on its last day): the page goes to the process,
	// which ends with every dossier moved.
	p := admin.post(orgPath+"/merge", adminForm("version", version(t, admin.get(orgPath)), "successor", into.String(), "effective_date", tomorrow()))
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/processes/") {
		t.Fatalf("merge: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	proc := p.Location
	if p := admin.get(proc); p.Status != http.StatusOK || !strings.Contains(p.Body, "Sáp nhập: chuyển hồ sơ của Sở Khoa học và Công nghệ") {
		t.Fatalf("process page: %d\n%s", p.Status, p.Body)
	}
	last := progressOf(t, admin, e.URL, proc)
	want := fmt.Sprintf(`Đã chuyển <strong id="moved">%d</strong> / <strong id="total">%d</strong>`, n, n)
	if !strings.Contains(last, want) || !strings.Contains(last, `data-state="done"`) || !strings.Contains(last, `value="100"`) {
		t.Errorf("the last progress does not say all %d moved:\n%s", n, last)
	}
	// The merged org's page: no more acts, and the way back to its process
	// (found through the audit trail, once it has the decision).
	e.WaitCaughtUp()
	if p := admin.get(orgPath); !strings.Contains(p.Body, `<span id="org-state">Đã sáp nhập</span>`) || strings.Contains(p.Body, `/merge"`) ||
		!strings.Contains(p.Body, `<a href="`+proc+`">Đã xong — đã chuyển 25 / 25 hồ sơ</a>`) {
		t.Errorf("the merged org's page:\n%s", p.Body)
	}
	// Another administrator's scope does not see the process.
	other := newClient(t, e.URL)
	other.login("tccb.khac", "Mat-Khau-Khac-2026")
	if p := other.get(proc); p.Status != http.StatusNotFound {
		t.Errorf("an HR officer of another org follows the process: %d", p.Status)
	}

	// A split into two (the form's multiple select sends both): its
	// process moves the four dossiers.
	splitPath := "/admin/orgs/" + split.String()
	f := adminForm("version", version(t, admin.get(splitPath)), "effective_date", tomorrow())
	f["successors"] = []string{into.String(), tourism.String()}
	p = admin.post(splitPath+"/split", f)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/processes/") {
		t.Fatalf("split: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	last = progressOf(t, admin, e.URL, p.Location)
	if !strings.Contains(last, `Đã chuyển <strong id="moved">4</strong> / <strong id="total">4</strong>`) || !strings.Contains(last, `data-state="done"`) {
		t.Errorf("the split's last progress:\n%s", last)
	}
	if p := admin.get(splitPath); !strings.Contains(p.Body, `<span id="org-state">Đã chia tách</span>`) || !strings.Contains(p.Body, ">Sở Du lịch</a>") {
		t.Errorf("the split org's page:\n%s", p.Body)
	}

	// A dissolution without dossiers ends at once, without a process.
	emptyPath := "/admin/orgs/" + empty.String()
	p = admin.post(emptyPath+"/dissolve", adminForm("version", version(t, admin.get(emptyPath))))
	if p.Status != http.StatusSeeOther || p.Location != emptyPath+"?saved=1" {
		t.Fatalf("dissolve: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	if p := admin.get(emptyPath); !strings.Contains(p.Body, `<span id="org-state">Đã giải thể</span>`) {
		t.Errorf("the dissolved org's page:\n%s", p.Body)
	}
}
