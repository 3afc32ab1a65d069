package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/service"
)

// fetchInPage fetches url from the page with its cookies, as a click on
// the link would, and answers "status content-type first-bytes".
func fetchInPage(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	do(t, ctx, "fetch "+url, chromedp.Evaluate[chromedp.Void](`window.__got = null;
		fetch(`+"`"+url+"`"+`, {credentials: "same-origin"}).then(async r => {
			const b = new Uint8Array(await r.arrayBuffer());
			window.__got = r.status + " " + r.headers.get("content-type") + " " + String.fromCharCode(...b.slice(0, 4));
		}).catch(e => { window.__got = "error " + e; })`))
	waitFor(t, ctx, "fetched "+url, `window.__got != null`)
	return get(t, ctx, "fetched", chromedp.Evaluate[string](`window.__got`))
}

// TestBrowserDossierDocuments: from the dossier page the HR officer
// downloads the CV form (PDF) and the signed export through the page
// layer, with the page's dates; another org gets the API's 404 for both;
// each download is in the read log like the API's own. The timeline names
// the changes by the form's labels, with catalogue values by name, not by
// JSON paths.
func TestBrowserDossierDocuments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(dir, "checkpoint.key"), "hoso.test/web-documents")
	if err != nil {
		t.Fatal(err)
	}
	ca := certtest.NewCA(t, "Ban Cơ yếu Chính phủ (thử nghiệm)")
	seal := apitest.Seal(t, ca, dir, "Sở Y tế tỉnh Phú Thọ", "Phú Thọ", "Giám đốc", "Lê Văn Đức")
	e := apitest.Start(t, apitest.Options{Config: service.Config{CheckpointKey: &key, Seal: seal}})
	orgA := e.Org("Sở Y tế tỉnh Phú Thọ", "000.00.31.T01", e.Root)
	orgB := e.Org("Sở Tài chính tỉnh Phú Thọ", "000.00.32.T01", e.Root)
	e.Account("tccb.soyte", "SoYTe@Test2026!", account.KindOrg, account.RoleHROfficer, orgA)
	e.Account("tccb.sotc", "SoTC@Test2026!", account.KindOrg, account.RoleHROfficer, orgB)
	auditor := e.Session(e.Account("kiem.toan", "", account.KindOrg, account.RoleAuditor, e.Root))
	id := e.Dossier(orgA, "Nguyễn Thị Hồng Nhung")
	hr := e.Login("tccb.soyte", "SoYTe@Test2026!")
	if r := e.Do(http.MethodPatch, "/api/v1/dossiers/"+id.String(), hr, map[string]any{
		"patch":           map[string]any{"health": map[string]any{"height_cm": 158, "blood_group": "O"}},
		"source_document": map[string]any{"kind": "form", "number": "7/TK", "date": time.Now().Format(time.DateOnly), "issuer": "Bệnh viện Đa khoa tỉnh Phú Thọ"},
	}, "If-Match", `"1"`); r.Status != http.StatusOK {
		t.Fatalf("the health update: %d %s", r.Status, r.Body)
	}
	e.WaitCaughtUp()
	page := e.URL + "/dossiers/" + id.String()

	t.Run("the HR officer", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, e.URL, "tccb.soyte", "SoYTe@Test2026!")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		do(t, ctx, "open the dossier", chromedp.Navigate(page))
		waitFor(t, ctx, "the timeline in the form's words", `(() => {
			const tl = document.querySelector(".timeline").innerText;
			return tl.includes("Sức khoẻ › Chiều cao (cm)") && tl.includes("Sức khoẻ › Nhóm máu") && tl.includes("158") &&
				!tl.includes("/health/") && document.querySelector(".timeline th[title='/health/height_cm']") != null;
		})()`)
		shot(t, ctx, "dossier-documents")
		if got := fetchInPage(t, ctx, "/dossiers/"+id.String()+"/cv.pdf"); got != "200 application/pdf %PDF" {
			t.Errorf("the CV: %s", got)
		}
		if got := fetchInPage(t, ctx, "/dossiers/"+id.String()+"/export"); !strings.HasPrefix(got, "200 application/zip PK") {
			t.Errorf("the export: %s", got)
		}
		// The links carry the page's dates; the export of a day not yet
		// over is the export as of now (the API refuses a future instant).
		today := domain.DateOf(time.Now()).String()
		do(t, ctx, "as known today", chromedp.Navigate(page+"?as_of="+today+"&effective_on="+today))
		waitFor(t, ctx, "links with the dates", `document.querySelector("#documents a[href$='cv.pdf?as_of=`+today+`&effective_on=`+today+`']") != null &&
			document.querySelector("#documents a[href$='export?as_of=`+today+`']") != null`)
		if got := fetchInPage(t, ctx, "/dossiers/"+id.String()+"/cv.pdf?as_of="+today+"&effective_on="+today); got != "200 application/pdf %PDF" {
			t.Errorf("the CV as known today: %s", got)
		}
		if got := fetchInPage(t, ctx, "/dossiers/"+id.String()+"/export?as_of="+today); !strings.HasPrefix(got, "200 application/zip PK") {
			t.Errorf("the export as known today: %s", got)
		}
		// A date that is not one is the page's refusal, not the API's 500.
		if got := fetchInPage(t, ctx, "/dossiers/"+id.String()+"/cv.pdf?as_of=31-12-2026"); !strings.HasPrefix(got, "400 text/html") {
			t.Errorf("a bad date: %s", got)
		}

		do(t, ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)), chromedp.Navigate(page))
		waitFor(t, ctx, "the dossier on a phone", `document.querySelector("#documents") != null && document.querySelector(".timeline li") != null`)
		waitFor(t, ctx, "fits the width", `document.documentElement.scrollWidth <= window.innerWidth + 1`)
		shot(t, ctx, "dossier-phone")
	})

	t.Run("another org", func(t *testing.T) {
		ctx := browser(t)
		login(t, ctx, e.URL, "tccb.sotc", "SoTC@Test2026!")
		waitFor(t, ctx, "signed in", `location.pathname == "/dossiers"`)
		for _, doc := range []string{"cv.pdf", "export"} {
			if got := fetchInPage(t, ctx, "/dossiers/"+id.String()+"/"+doc); !strings.HasPrefix(got, "404 text/html") {
				t.Errorf("%s for another org: %s", doc, got)
			}
		}
	})

	t.Run("the read log has the downloads", func(t *testing.T) {
		e.WaitCaughtUp()
		var reads struct {
			Items []struct {
				Username string `json:"username"`
				Route    string `json:"route"`
				Outcome  string `json:"outcome"`
			} `json:"items"`
		}
		r := e.Do(http.MethodGet, "/api/v1/audit/reads?limit=200&dossier="+id.String(), auditor, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("read log: %d %s", r.Status, r.Body)
		}
		r.JSON(&reads)
		seen := map[string]bool{}
		for _, it := range reads.Items {
			seen[it.Username+" "+it.Route+" "+it.Outcome] = true
		}
		for _, want := range []string{
			"tccb.soyte /api/v1/dossiers/:id/cv.pdf allowed", "tccb.soyte /api/v1/dossiers/:id/export allowed",
			"tccb.sotc /api/v1/dossiers/:id/cv.pdf refused", "tccb.sotc /api/v1/dossiers/:id/export refused",
		} {
			if !seen[want] {
				t.Errorf("the read log has no %q: %v", want, seen)
			}
		}
	})
}
