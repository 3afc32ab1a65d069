package web_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/service"
)

// TestBrowserTransfers: the receiving org finds what was sent to it in
// its inbox (GET /api/v1/transfers), without the transfer's number, with
// its deadline; receives one on its decision and rejects another with a
// reason; the sending org cancels a pending one; a third org sees none of
// them. Then the page on a phone and at 1366×768 has no sideways scroll.
func TestBrowserTransfers(t *testing.T) {
	t.Parallel()
	// The server's clock moves on after the transfers are sent, so that
	// their deadlines pass and the page marks them late.
	var shift atomic.Int64
	// Under Huế's rules (HU 10.2) the receiving org forwards a received
	// dossier within 30 days: the inbox has a deadline of its own.
	e := apitest.Start(t, apitest.Options{Now: func() time.Time { return time.Now().Add(time.Duration(shift.Load())) },
		Config: service.Config{PolicyName: "hue-health-2017"}})
	orgA := e.Org("Sở Y tế", "000.00.02.T01", e.Root)
	orgB := e.Org("Sở Giáo dục và Đào tạo", "000.00.03.T01", e.Root)
	orgC := e.Org("Sở Tài chính", "000.00.04.T01", e.Root)
	e.Account("tccb.yte", "YTe@Test2026!", account.KindOrg, account.RoleHROfficer, orgA)
	e.Account("tccb.giaoduc", "GiaoDuc@Test2026!", account.KindOrg, account.RoleHROfficer, orgB)
	e.Account("tccb.taichinh", "TaiChinh@Test2026!", account.KindOrg, account.RoleHROfficer, orgC)
	e.Account("thanhtra", "ThanhTra@Test2026!", account.KindOrg, account.RoleInspector, e.Root)
	e.WaitCaughtUp()
	hrA := e.Login("tccb.yte", "YTe@Test2026!")
	send := func(name string) string {
		id := e.Dossier(orgA, name)
		body := map[string]any{"kind": "between_orgs", "target_org": orgB,
			"source_document": map[string]any{"kind": "decision", "number": "45/QĐ-SYT", "date": time.Now().Format(time.DateOnly), "issuer": "Sở Y tế"}}
		r := e.Do(http.MethodPost, "/api/v1/dossiers/"+id.String()+"/transfers", hrA, body, "If-Match", `"1"`)
		if r.Status != http.StatusCreated {
			t.Fatalf("sending %s: %d %s", name, r.Status, r.Body)
		}
		var v struct{ ID string }
		r.JSON(&v)
		return v.ID
	}
	x := send("Nguyễn Văn Xuân")
	y := send("Trần Thị Yến")
	z := send("Lê Văn Giang")
	shift.Store(int64(45 * 24 * time.Hour))
	hrA = e.Login("tccb.yte", "YTe@Test2026!")
	state := func(tid string) string {
		r := e.Do(http.MethodGet, "/api/v1/transfers/"+tid, hrA, nil)
		var v struct{ State string }
		r.JSON(&v)
		return v.State
	}
	card := func(tid string) string {
		return `document.querySelector("form[action='/transfers/` + tid + `/receive']")`
	}

	t.Run("the receiving org's inbox", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, e.URL, "tccb.giaoduc", "GiaoDuc@Test2026!")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "open the transfers", chromedp.Navigate(e.URL+"/transfers"))
		waitFor(t, ctx, "three in the inbox", `document.querySelectorAll("#incoming section.transfer").length == 3 &&
			document.querySelector("#incoming").innerText.includes("Nguyễn Văn Xuân") &&
			document.querySelector("#incoming").innerText.includes("Sở Y tế") &&
			document.querySelector("#incoming").innerText.includes("Hạn của cơ quan bạn") &&
			document.querySelectorAll("#outgoing section.transfer").length == 0`)
		// Every date on the page is dd/mm/yyyy; no ISO date shows.
		waitFor(t, ctx, "dates dd/mm/yyyy", `!/\d{4}-\d{2}-\d{2}/.test(document.querySelector("main").innerText) &&
			document.querySelectorAll("#incoming .is-late dd.late").length == 3 &&
			document.querySelector("#incoming dd.late").innerText.includes("quá hạn")`)
		shot(t, ctx, "transfers-inbox")

		do(t, ctx, "receive X",
			chromedp.SendKeys(chromedp.CSS("#r-"+x+"-document_number"), "12/QĐ-SGDĐT"),
			chromedp.SetValue(chromedp.CSS("#r-"+x+"-document_date"), "2026-12-01"),
			chromedp.SendKeys(chromedp.CSS("#r-"+x+"-document_issuer"), "Sở Giáo dục và Đào tạo"),
			chromedp.Submit(chromedp.CSS("#r-"+x+"-document_number")))
		waitFor(t, ctx, "received", `document.body.innerText.includes("Đã tiếp nhận hồ sơ.") && `+card(x)+` == null &&
			document.querySelector("#closed").innerText.includes("Nguyễn Văn Xuân")`)
		if s := state(x); s != "received" {
			t.Errorf("X after the receipt: %s", s)
		}

		// Rejecting needs a reason: the browser's own check stops an
		// empty one, and the API would refuse it too.
		do(t, ctx, "reject Y",
			chromedp.SendKeys(chromedp.CSS("#rj-"+y), "Không còn chỉ tiêu biên chế"),
			chromedp.Submit(chromedp.CSS("#rj-"+y)))
		waitFor(t, ctx, "rejected", `document.body.innerText.includes("Đã từ chối điều chuyển.") && `+card(y)+` == null`)
		if s := state(y); s != "rejected" {
			t.Errorf("Y after the rejection: %s", s)
		}
	})

	t.Run("the sending org cancels", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, e.URL, "tccb.yte", "YTe@Test2026!")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "open the transfers", chromedp.Navigate(e.URL+"/transfers"))
		waitFor(t, ctx, "Z pending out, nothing in", `document.querySelectorAll("#outgoing section.transfer").length == 1 &&
			document.querySelector("#outgoing").innerText.includes("Lê Văn Giang") &&
			document.querySelectorAll("#incoming section.transfer").length == 0 &&
			document.querySelector("form[action='/transfers/`+z+`/receive']") == null`)
		do(t, ctx, "cancel Z", chromedp.SendKeys(chromedp.CSS("#cc-"+z), "Quyết định bị thu hồi"), chromedp.Submit(chromedp.CSS("#cc-"+z)))
		waitFor(t, ctx, "cancelled", `document.body.innerText.includes("Đã huỷ điều chuyển.") &&
			document.querySelectorAll("#outgoing section.transfer").length == 0 &&
			document.querySelector("#closed").innerText.includes("Đã huỷ")`)
		if s := state(z); s != "cancelled" {
			t.Errorf("Z after the cancellation: %s", s)
		}
	})

	t.Run("a third org sees none of them", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, e.URL, "tccb.taichinh", "TaiChinh@Test2026!")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "open the transfers", chromedp.Navigate(e.URL+"/transfers"))
		waitFor(t, ctx, "empty", `document.querySelectorAll("section.transfer").length == 0 && document.querySelector("#closed") == null &&
			!document.body.innerText.includes("Nguyễn Văn Xuân")`)
		// Nor by its number.
		do(t, ctx, "open X by number", chromedp.Navigate(e.URL+"/transfers?id="+x))
		waitFor(t, ctx, "not found", `document.body.innerText.includes("Không tìm thấy điều chuyển này") && !document.body.innerText.includes("Nguyễn Văn Xuân")`)
	})

	t.Run("narrow and office screens", func(t *testing.T) {
		// A pending one again, so the forms are on the page.
		send("Phạm Thị Vân")
		for _, vp := range []struct {
			name string
			w, h int64
		}{{"phone", 390, 844}, {"office", 1366, 768}} {
			ctx := browser(t)
			do(t, ctx, "viewport", chromedp.EmulateViewport(vp.w, vp.h))
			login(t, ctx, e.URL, "tccb.giaoduc", "GiaoDuc@Test2026!")
			waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
			do(t, ctx, "open the transfers", chromedp.Navigate(e.URL+"/transfers"))
			waitFor(t, ctx, "loaded", `document.querySelectorAll("#incoming section.transfer").length == 1 && document.querySelector("#closed") != null`)
			waitFor(t, ctx, vp.name+": fits the width", `document.documentElement.scrollWidth <= window.innerWidth + 1`)
			waitFor(t, ctx, "labels", `[...document.querySelectorAll("input:not([type=hidden]), select")].every(el => el.labels && el.labels.length > 0)`)
			if vp.name == "phone" {
				shot(t, ctx, "transfers-phone")
			}
		}
	})

	// An inspector reads every org's transfers, the pending one too, and is
	// offered no act on them (the API would refuse them all).
	t.Run("an inspector reads, acts on nothing", func(t *testing.T) {
		c := newClient(t, e.URL)
		c.login("thanhtra", "ThanhTra@Test2026!")
		// The lists name people outside the inspector's personnel work:
		// the purpose is asked first (Decree 27/2026).
		if p := c.get("/transfers"); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "hãy nêu mục đích") {
			t.Fatalf("the inspector's transfers page without a purpose: %d", p.Status)
		}
		p := c.get("/transfers?purpose=inspection&purpose_ref=15%2FQĐ-TTr")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Phạm Thị Vân") || !strings.Contains(p.Body, "Nguyễn Văn Xuân") {
			t.Fatalf("the inspector's transfers page: %d\n%s", p.Status, p.Body)
		}
		for _, act := range []string{"/receive", "/reject", "/cancel"} {
			if strings.Contains(p.Body, act+`"`) {
				t.Errorf("the inspector is offered %s", act)
			}
		}
	})
}
