package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

// fillDecision fills a decision fieldset whose inputs have prefix p.
func fillDecision(p string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS("#"+p+"document_number"), "45/QĐ-UBND"),
		chromedp.SetValue(chromedp.CSS("#"+p+"document_date"), "2026-12-01"),
		chromedp.SetValue(chromedp.CSS("#"+p+"document_issuer"), "UBND tỉnh"),
	}
}

// labelled is true when every visible control of the page has a label.
const labelled = `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")].every(el => el.labels && el.labels.length > 0)`

// fits is true when the page does not scroll sideways.
const fits = `document.documentElement.scrollWidth <= window.innerWidth + 1`

// The administrator's pages in a real browser: the account list searched
// as one types, an account restricted, an org merged with the progress of
// its dossiers' moves followed until done without reloading the page; an
// HR officer adds a row to a dossier's table; the pages at 390 px, with
// labels, and the list by keyboard.
func TestBrowserAdmin(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	from := e.Org("Sở Khoa học và Công nghệ", "000.00.44.T01", e.Root)
	into := e.Org("Sở Thông tin và Truyền thông", "000.00.45.T01", e.Root)
	e.Account("tccb.khcn", "KhCn@Test2026!", account.KindOrg, account.RoleHROfficer, from)
	e.Account("nguyen.van.an", "", account.KindOrg, account.RoleHROfficer, into)
	e.Account("tccb.ttt", "Ttt@Test2026!", account.KindOrg, account.RoleHROfficer, into)
	const n = 120
	for i := range n {
		e.Dossier(from, fmt.Sprintf("Lê Thị Hồ Sơ %03d", i+1))
	}
	rowDossier := e.Dossier(into, "Phạm Văn Dòng").String()
	e.WaitCaughtUp()
	base := e.URL

	t.Run("accounts: search as you type, restrict", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, base, "quantri", "QuanTri@Test2026")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "the list", chromedp.Navigate(base+"/admin/accounts"), chromedp.WaitVisible(chromedp.CSS("#ac-q")))
		waitFor(t, ctx, "every account of the scope", `document.querySelectorAll("#results tbody tr").length >= 3`)
		waitFor(t, ctx, "labels", labelled)
		do(t, ctx, "type without diacritics", chromedp.SendKeys(chromedp.CSS("#ac-q"), "tai khoan nguyen"))
		waitFor(t, ctx, "one account", `new URLSearchParams(location.search).get("q") == "tai khoan nguyen" &&
			document.querySelectorAll("#results tbody tr").length == 1 &&
			document.querySelector("#results tbody tr a").innerText == "nguyen.van.an"`)
		shot(t, ctx, "admin-accounts")
		// The link is followed by the page's own click, not a mouse click
		// at coordinates the screenshot just before may have shifted (a
		// click that missed left the list on screen once in a few runs).
		do(t, ctx, "open it", chromedp.Evaluate[chromedp.Void](`document.querySelector("#results tbody tr a").click()`))
		waitFor(t, ctx, "the account", `document.getElementById("acct-state") && document.getElementById("acct-state").innerText == "Đang hoạt động"`)
		waitFor(t, ctx, "labels", labelled)
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS(`#h-state ~ details summary`)),
			chromedp.SetValue(chromedp.CSS("#s-restrict-reason"), "Nghỉ phép dài ngày"),
		}
		steps = append(steps, fillDecision("s-restrict-")...)
		steps = append(steps, chromedp.Submit(chromedp.CSS("#s-restrict-reason")))
		do(t, ctx, "restrict", steps...)
		waitFor(t, ctx, "restricted", `document.getElementById("acct-state").innerText == "Tạm khoá" && document.body.innerText.includes("Đã lưu.")`)
		shot(t, ctx, "admin-account")
		do(t, ctx, "the restricted ones", chromedp.Navigate(base+"/admin/accounts"), chromedp.WaitVisible(chromedp.CSS("#ac-state")),
			chromedp.SetValue(chromedp.CSS("#ac-state"), "restricted"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("ac-state").dispatchEvent(new Event("change", {bubbles: true}))`))
		waitFor(t, ctx, "state filter", `location.search.includes("state=restricted") &&
			[...document.querySelectorAll("#results tbody tr")].map(r => r.cells[0].innerText).join() == "nguyen.van.an"`)
	})

	t.Run("merge with its progress", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, base, "quantri", "QuanTri@Test2026")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "the org", chromedp.Navigate(base+"/admin/orgs/"+from.String()), chromedp.WaitVisible(chromedp.CSS("#h-end")))
		waitFor(t, ctx, "labels", labelled)
		shot(t, ctx, "admin-org")
		do(t, ctx, "open the merge form", chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/merge"]').closest("details").open = true`))
		merge := []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.CSS("#mg-successor"), into.String())}
		merge = append(merge, fillDecision("mg-")...)
		merge = append(merge, chromedp.SetValue(chromedp.CSS("#mg-effective_date"), tomorrow()), chromedp.Submit(chromedp.CSS("#mg-successor")))
		do(t, ctx, "merge", merge...)
		waitFor(t, ctx, "the process page", `location.pathname.startsWith("/admin/processes/") && document.getElementById("process-state") != null`)
		// A mark on the page: still there at the end, so the progress came
		// by htmx's polling, not by reloading.
		do(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.hosoMark = 1`))
		waitFor(t, ctx, "done", fmt.Sprintf(`window.hosoMark == 1 && document.getElementById("process-state").dataset.state == "done" &&
			document.getElementById("moved").innerText == "%d" && document.getElementById("total").innerText == "%d" &&
			document.getElementById("process-bar").value == 100`, n, n))
		waitFor(t, ctx, "polling stopped", `!document.getElementById("progress").hasAttribute("hx-trigger")`)
		shot(t, ctx, "admin-process")
		do(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		waitFor(t, ctx, "the process fits a phone", fits)
		do(t, ctx, "the org on a phone", chromedp.Navigate(base+"/admin/orgs/"+into.String()), chromedp.WaitVisible(chromedp.CSS("#h-quota")))
		waitFor(t, ctx, "the org fits a phone", fits)
		do(t, ctx, "the accounts on a phone", chromedp.Navigate(base+"/admin/accounts"), chromedp.WaitVisible(chromedp.CSS("#ac-q")))
		waitFor(t, ctx, "the list fits a phone", fits)
		shot(t, ctx, "admin-accounts-phone")
	})

	t.Run("a row added to a table", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, base, "tccb.ttt", "Ttt@Test2026!")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "the dossier", chromedp.Navigate(base+"/dossiers/"+rowDossier), chromedp.WaitVisible(chromedp.CSS("#training a.add-row")))
		do(t, ctx, "add a row", chromedp.Click(chromedp.CSS("#training a.add-row")), chromedp.WaitVisible(chromedp.CSS("#f-kind")))
		waitFor(t, ctx, "labels", labelled)
		fill := []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS("#f-kind"), "professional_degree"),
			chromedp.SetValue(chromedp.CSS("#f-from"), "2015-09"),
			chromedp.SetValue(chromedp.CSS("#f-to"), "2019-06"),
			chromedp.SendKeys(chromedp.CSS("#f-institution"), "Đại học Luật Hà Nội"),
			chromedp.SendKeys(chromedp.CSS("#f-major"), "Luật hành chính"),
			chromedp.SetValue(chromedp.CSS("#f-qualification"), "bachelor"),
		}
		fill = append(fill, fillDecision("")...)
		do(t, ctx, "fill the row", fill...)
		shot(t, ctx, "row-add")
		do(t, ctx, "save", chromedp.Submit(chromedp.CSS("#f-institution")))
		waitFor(t, ctx, "the row in its table", `location.search.includes("saved=1") && location.hash == "#training" &&
			document.querySelector("#training table") && document.querySelector("#training table").innerText.includes("Đại học Luật Hà Nội") &&
			document.querySelector("#training table a.edit") != null`)
		do(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
			chromedp.Click(chromedp.CSS("#training table a.edit")), chromedp.WaitVisible(chromedp.CSS("#f-major")))
		waitFor(t, ctx, "the edit form fits a phone, with the row", fits+` && document.getElementById("f-major").value == "Luật hành chính"`)
	})

	t.Run("keyboard reaches the account search", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, base, "quantri", "QuanTri@Test2026")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "the list", chromedp.Navigate(base+"/admin/accounts"), chromedp.WaitVisible(chromedp.CSS("#ac-q")))
		do(t, ctx, "tab", chromedp.KeyEvent("\t"))
		waitFor(t, ctx, "skip link first", `document.activeElement.classList.contains("skip")`)
		for range 15 {
			if got := get(t, ctx, "focus", chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.tagName`)); got == "ac-q" {
				do(t, ctx, "type", chromedp.KeyEvent("quantri"))
				waitFor(t, ctx, "search by keyboard", `new URLSearchParams(location.search).get("q") == "quantri" && document.querySelectorAll("#results tbody tr").length == 1`)
				return
			}
			do(t, ctx, "tab", chromedp.KeyEvent("\t"))
		}
		t.Fatal("the account search is not reachable by Tab from the top of the page")
	})
}
