package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/outage"
)

// TestPagesOutageNotices: the compliance page lists the outage notices
// (BT 14.7) of the caller's orgs, with the org's name.
func TestPagesOutageNotices(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	c := newClient(t, e.URL)
	c.login("quantri", "QuanTri@Test2026")
	if p := c.get("/compliance"); p.Status != http.StatusOK || !strings.Contains(p.Body, "Không có thông báo nào.") {
		t.Fatalf("before any notice: %d\n%s", p.Status, p.Body)
	}
	found := e.PastOutage(outage.FunctionAPI, 30*24*time.Hour)
	if len(found) != 1 || !found[0].Notified {
		t.Fatalf("the outage: %+v", found)
	}
	p := c.get("/compliance")
	start := found[0].Start.In(time.FixedZone("ICT", 7*3600)).Format("02/01/2006 15:04")
	for _, want := range []string{"Thông báo phần mềm ngừng hoạt động (1)", "<tr><td>Sở Nội vụ tỉnh Thử Nghiệm</td><td>api</td><td>" + start + "</td>"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the compliance page lacks %q:\n%s", want, p.Body)
		}
	}
}
