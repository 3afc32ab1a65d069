package web_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
)

// The browser tests drive Debian's Chromium through the pages against the
// whole service (PostgreSQL, projections, the API) with a small demo
// province. A missing Chromium fails them: `make test` installs it.

// screenshots is set to regenerate docs/screenshots/*.png; otherwise the
// tests take them (so taking one is tested) but write nothing, and a CI
// run leaves the tree clean.
var screenshots = os.Getenv("HOSO_TEST_SCREENSHOTS") != ""

// browser starts a headless Chromium of its own (fresh profile: no
// cookies shared between tests) at 1366×768, stopped when the test ends.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is required by the browser tests (make test-deps installs it): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		// A Vietnamese browser (its date pickers still follow the
		// platform's locale; every date the pages write is dd/mm/yyyy).
		chromedp.Flag("lang", "vi-VN"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 768),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// do runs steps with a bound, failing the test with what failed.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that answers a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitFor evaluates a JavaScript condition until it holds; errors while
// the page navigates are retried.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 1500) : ''"))
	t.Fatalf("%s: not so after 30 s (last error: %v)\npage: %s", what, last, body)
}

// shot takes a screenshot of the page as it is and, when regenerating,
// writes it to docs/screenshots/name.png.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s: %d bytes", name, len(png))
	}
	if !screenshots {
		return
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func login(t *testing.T, ctx context.Context, base, username, password string) {
	t.Helper()
	do(t, ctx, "login page",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
	)
}

func TestBrowser(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, apitest.Options{NoSeed: true})
	accts := e.Demo(40, 1)
	base := e.URL
	type cred struct{ ID, Username, Password string }
	demoAccount := func(t *testing.T, username string) cred {
		t.Helper()
		for _, a := range accts {
			if a.Username == username {
				return cred{a.ID.String(), a.Username, a.Password}
			}
		}
		t.Fatalf("no demo account %s", username)
		return cred{}
	}

	t.Run("login, search, dossier, edit with a conflict, time travel, logout", func(t *testing.T) {
		hr := demoAccount(t, "tccb.soyte")
		ctx := browser(t)

		// No session: the list sends the browser to the login page.
		do(t, ctx, "open the list", chromedp.Navigate(base+"/dossiers"), chromedp.WaitVisible(chromedp.CSS("#username")))
		if loc := get(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/login?next=%2Fdossiers") {
			t.Fatalf("without a session /dossiers went to %s", loc)
		}
		shot(t, ctx, "login")

		// A wrong password is refused with a message, not a session.
		login(t, ctx, base, hr.Username, "not-the-password")
		waitFor(t, ctx, "wrong password message", `document.body.innerText.includes("Tên đăng nhập hoặc mật khẩu không đúng")`)

		login(t, ctx, base, hr.Username, hr.Password)
		waitFor(t, ctx, "the list after login", `location.pathname == "/dossiers" && document.querySelectorAll("#results tbody tr").length > 0`)
		shot(t, ctx, "dossiers")

		// Search as you type, without diacritics: htmx replaces the results.
		do(t, ctx, "type a name", chromedp.SendKeys(chromedp.CSS("#q"), "nguyen"))
		waitFor(t, ctx, "results for nguyen", `(() => {
			const rows = [...document.querySelectorAll("#results tbody tr")];
			return location.search.includes("q=nguyen") && rows.length > 0 &&
				rows.every(r => r.cells[0].innerText.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/gi, "d").toLowerCase().includes("nguyen"));
		})()`)
		shot(t, ctx, "search")

		// A filter narrows the list the same way.
		do(t, ctx, "filter by status", chromedp.SetValue(chromedp.CSS("#status"), "retired"),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("status").dispatchEvent(new Event("change", {bubbles: true}))`))
		waitFor(t, ctx, "status filter", `location.search.includes("status=retired") &&
			[...document.querySelectorAll("#results tbody tr")].every(r => r.cells[7].innerText == "Nghỉ hưu")`)

		// Open one dossier of the officer's org.
		do(t, ctx, "back to the whole list", chromedp.Navigate(base+"/dossiers?status=active"))
		waitFor(t, ctx, "active list", `document.querySelectorAll("#results tbody tr a").length > 0`)
		name := get(t, ctx, "first name", chromedp.Text(chromedp.CSS("#results tbody tr a")))
		do(t, ctx, "open the dossier", chromedp.Click(chromedp.CSS("#results tbody tr a")))
		waitFor(t, ctx, "dossier page", `document.querySelector("h1") && document.querySelector("#identity") && document.querySelectorAll(".timeline li").length > 0`)
		if h1 := get(t, ctx, "h1", chromedp.Text(chromedp.CSS("h1"))); h1 != name {
			t.Errorf("dossier page h1 = %q, want %q", h1, name)
		}
		waitFor(t, ctx, "read-log line", `document.getElementById("readlog").innerText.includes("nhật ký truy cập")`)
		shot(t, ctx, "dossier")
		id := strings.TrimPrefix(get(t, ctx, "path", chromedp.Evaluate[string]("location.pathname")), "/dossiers/")

		// Edit the health section; meanwhile someone else changes it
		// through the API. The page shows both, and writes nothing until
		// sent again; then both changes stand.
		do(t, ctx, "open the edit form", chromedp.Click(chromedp.CSS(`#health a.edit`)), chromedp.WaitVisible(chromedp.CSS("#f-height_cm")))
		tok := e.Login(hr.Username, hr.Password)
		r := e.Do(http.MethodGet, "/api/v1/dossiers/"+id, tok, nil)
		var cur struct {
			Document struct {
				Health map[string]any `json:"health"`
			} `json:"document"`
		}
		r.JSON(&cur)
		theirs := map[string]any{}
		for k, v := range cur.Document.Health {
			theirs[k] = v
		}
		theirs["blood_group"] = "AB"
		if r := e.Do(http.MethodPatch, "/api/v1/dossiers/"+id, tok, map[string]any{
			"patch":           map[string]any{"health": theirs},
			"source_document": map[string]any{"kind": "form", "number": "7/TK", "date": "2026-11-30", "issuer": "Bệnh viện Đa khoa tỉnh Phú Thọ"},
		}, "If-Match", r.Header.Get("ETag")); r.Status != http.StatusOK {
			t.Fatalf("the other writer's change: %d %s", r.Status, r.Body)
		}
		do(t, ctx, "fill the edit form",
			chromedp.SetValue(chromedp.CSS("#f-height_cm"), "171"),
			chromedp.SendKeys(chromedp.CSS("#document_number"), "12/QĐ-SYT"),
			chromedp.SetValue(chromedp.CSS("#document_date"), "2026-12-01"),
			chromedp.SendKeys(chromedp.CSS("#document_issuer"), "Sở Y tế tỉnh Phú Thọ"),
			chromedp.Submit(chromedp.CSS("#f-height_cm")),
		)
		waitFor(t, ctx, "conflict shown", `document.body.innerText.includes("Người khác đã thay đổi mục này trong lúc bạn sửa") &&
			document.querySelector(".conflict td.changed") != null`)
		shot(t, ctx, "edit-conflict")
		if v := get(t, ctx, "height kept", chromedp.Value(chromedp.CSS("#f-height_cm"))); v != "171" {
			t.Errorf("after the conflict the form shows height %q, want the user's 171", v)
		}
		if v := get(t, ctx, "blood group now", chromedp.Value(chromedp.CSS("#f-blood_group"))); v != "AB" {
			t.Errorf("after the conflict the form shows blood group %q, want the other writer's AB", v)
		}
		do(t, ctx, "send again", chromedp.Submit(chromedp.CSS("#f-height_cm")))
		waitFor(t, ctx, "saved", `location.search.includes("saved=1") && document.querySelector("#health").innerText.includes("171")`)
		r = e.Do(http.MethodGet, "/api/v1/dossiers/"+id, tok, nil)
		r.JSON(&cur)
		if cur.Document.Health["height_cm"] != float64(171) || cur.Document.Health["blood_group"] != "AB" {
			t.Errorf("after the second send the health section is %v: a change was lost", cur.Document.Health)
		}
		// The timeline is the audit read model's: once it caught up, the
		// newest entry is the edit, field by field.
		e.WaitCaughtUp()
		do(t, ctx, "reload", chromedp.Reload())
		waitFor(t, ctx, "timeline shows the edit", `(() => { const li = document.querySelector(".timeline li");
			return li && li.innerText.includes("12/QĐ-SYT") && li.innerText.includes("Sức khoẻ › Chiều cao (cm)") && li.innerText.includes("171"); })()`)

		// As known yesterday: the edits of today are not there yet.
		yesterday := domain.DateOf(time.Now()).AddDays(-1).String()
		do(t, ctx, "as known yesterday", chromedp.SetValue(chromedp.CSS("#as_of"), yesterday), chromedp.Submit(chromedp.CSS("#as_of")))
		waitFor(t, ctx, "time travel", `location.search.includes("as_of=") && document.body.innerText.includes("Đang xem hồ sơ như đã biết vào ngày") &&
			!document.querySelector("#health").innerText.includes("171") && document.querySelector("a.edit") == null`)

		// Logout ends the session: the list asks for a login again.
		do(t, ctx, "logout", chromedp.Click(chromedp.CSS(`header form button`)), chromedp.WaitVisible(chromedp.CSS("#username")))
		do(t, ctx, "list after logout", chromedp.Navigate(base+"/dossiers"), chromedp.WaitVisible(chromedp.CSS("#username")))
	})

	t.Run("forced password change", func(t *testing.T) {
		admin := demoAccount(t, "quantri")
		auditor := demoAccount(t, "kiemtoan")
		at := e.Login(admin.Username, admin.Password)
		r := e.Do(http.MethodGet, "/api/v1/accounts/"+auditor.ID, at, nil)
		r = e.Do(http.MethodPost, "/api/v1/accounts/"+auditor.ID+"/password-reset", at, map[string]any{}, "If-Match", r.Header.Get("ETag"))
		var reset struct{ Password string }
		r.JSON(&reset)
		if r.Status != http.StatusOK || reset.Password == "" {
			t.Fatalf("password reset: %d %s", r.Status, r.Body)
		}
		ctx := browser(t)
		login(t, ctx, base, auditor.Username, reset.Password)
		waitFor(t, ctx, "sent to the change", `location.pathname == "/password" && document.body.innerText.includes("Bạn cần đổi mật khẩu")`)
		// Any other page leads back to the change while it is owed.
		do(t, ctx, "try the list", chromedp.Navigate(base+"/dossiers"))
		waitFor(t, ctx, "still the change", `location.pathname == "/password"`)
		shot(t, ctx, "password")
		newPassword := "Mat-Khau-Moi-2026"
		do(t, ctx, "mismatched confirmation",
			chromedp.SendKeys(chromedp.CSS("#current_password"), reset.Password),
			chromedp.SendKeys(chromedp.CSS("#new_password"), newPassword),
			chromedp.SendKeys(chromedp.CSS("#confirm_password"), newPassword+"x"),
			chromedp.Submit(chromedp.CSS("#confirm_password")))
		waitFor(t, ctx, "mismatch message", `document.body.innerText.includes("không khớp")`)
		do(t, ctx, "the change",
			chromedp.SendKeys(chromedp.CSS("#current_password"), reset.Password),
			chromedp.SendKeys(chromedp.CSS("#new_password"), newPassword),
			chromedp.SendKeys(chromedp.CSS("#confirm_password"), newPassword),
			chromedp.Submit(chromedp.CSS("#confirm_password")))
		waitFor(t, ctx, "the list after the change", `location.pathname == "/dossiers"`)
		e.Login(auditor.Username, newPassword)
	})

	// The other main pages, each as its role sees it.
	t.Run("compliance, transfers, approvals, audit", func(t *testing.T) {
		// purpose, when set, is stated in the form the page asks it with
		// first (Decree 27/2026), as an inspector does.
		pages := []struct{ user, path, purpose, ready, shot string }{
			{"tccb.soyte", "/compliance", "", `document.body.innerText.includes("Các việc có thời hạn")`, "compliance"},
			{"tccb.soyte", "/transfers", "", `document.body.innerText.includes("Mở điều chuyển theo mã")`, "transfers"},
			{"pheduyet.soyte", "/approvals?manifest=unit", "", `document.body.innerText.includes("Danh sách sẽ ký")`, "approvals"},
			// An inspector's list names people outside their personnel work:
			// the purpose is asked first (Decree 27/2026).
			{"thanhtra", "/dossiers", "", `document.body.innerText.includes("hãy nêu mục đích")`, "purpose"},
			{"thanhtra", "/audit", "inspection", `document.querySelectorAll("a[href^='/audit/verify']").length > 0`, "audit"},
			{"thanhtra", "/audit/reads", "", `document.body.innerText.includes("Nhật ký truy cập hồ sơ") && document.querySelectorAll("tbody tr").length > 0`, "reads"},
		}
		for _, p := range pages {
			u := demoAccount(t, p.user)
			ctx := browser(t)
			login(t, ctx, base, u.Username, u.Password)
			waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
			do(t, ctx, "open "+p.path, chromedp.Navigate(base+p.path))
			if p.purpose != "" {
				waitFor(t, ctx, p.path+": the purpose asked", `document.querySelector("#pp-purpose") != null`)
				do(t, ctx, p.path+": state the purpose",
					chromedp.SetValue(chromedp.CSS("#pp-purpose"), p.purpose),
					chromedp.SendKeys(chromedp.CSS("#pp-ref"), "15/QĐ-TTr"),
					chromedp.Submit(chromedp.CSS("#pp-ref")))
			}
			waitFor(t, ctx, p.path, p.ready)
			shot(t, ctx, p.shot)
		}
	})

	t.Run("phone", func(t *testing.T) {
		hr := demoAccount(t, "tccb.soyte")
		ctx := browser(t)
		do(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		login(t, ctx, base, hr.Username, hr.Password)
		waitFor(t, ctx, "the list", `document.querySelectorAll("#results tbody tr").length > 0`)
		// No sideways scrolling on a phone: the table folds into cards.
		waitFor(t, ctx, "fits the width", `document.documentElement.scrollWidth <= window.innerWidth + 1`)
		shot(t, ctx, "dossiers-phone")
	})
}

// The keyboard alone reaches the search, the filters and a dossier: a
// skip link first, then controls with labels.
func TestBrowserKeyboardAndLabels(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t)
	org := e.Org("Sở Tư pháp", "000.00.09.T01", e.Root)
	e.Account("tccb.tuphap", "TuPhap@Test2026!", account.KindOrg, account.RoleHROfficer, org)
	e.Dossier(org, "Trần Thị Bình")
	e.WaitCaughtUp()
	ctx := browser(t)
	login(t, ctx, e.URL, "tccb.tuphap", "TuPhap@Test2026!")
	waitFor(t, ctx, "the list", `document.querySelectorAll("#results tbody tr").length == 1`)
	// Every input and select of the page has a label a screen reader reads.
	waitFor(t, ctx, "labels", `[...document.querySelectorAll("input:not([type=hidden]), select")].every(el => el.labels && el.labels.length > 0)`)
	do(t, ctx, "tab", chromedp.KeyEvent("\t"))
	waitFor(t, ctx, "skip link first", `document.activeElement.classList.contains("skip")`)
	for i := 0; i < 12; i++ {
		if got := get(t, ctx, "focus", chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.tagName`)); got == "q" {
			do(t, ctx, "type", chromedp.KeyEvent("tran"))
			waitFor(t, ctx, "search by keyboard", `location.search.includes("q=tran")`)
			return
		}
		do(t, ctx, "tab", chromedp.KeyEvent("\t"))
	}
	t.Fatal("the search box is not reachable by Tab from the top of the page")
}
