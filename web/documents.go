package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// dossierDocument serves a document of a dossier, the CV form as PDF
// (cv.pdf) or the signed export (export), by asking the API for it with
// the page's session: the access rule, the redaction of sensitive fields
// and the read-log entry are exactly the API's. The page's "as known on"
// day (as_of, a date) becomes the end of that day in Vietnam, as on the
// dossier page; an export states what the ledger knew at a past instant,
// so a day not yet over is asked for as now.
func (a *App) dossierDocument(doc string) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		in, q := r.URL.Query(), url.Values{}
		if v := in.Get("as_of"); v != "" {
			dt, err := domain.ParseDate(v)
			if err != nil {
				a.render(w, r, http.StatusBadRequest, "error", "", view{Title: "Ngày không hợp lệ", S: s, Flash: "Ngày “biết đến ngày” không hợp lệ."})
				return
			}
			end := dt.AddDays(1).StartInVietnam().Add(-time.Second)
			if doc != "export" || end.Before(time.Now()) {
				q.Set("as_of", end.Format(time.RFC3339))
			}
		}
		if v := in.Get("effective_on"); v != "" && doc == "cv.pdf" {
			q.Set("effective_on", v)
		}
		for k, v := range purposeQuery(in) {
			q[k] = v
		}
		p := "/api/v1/dossiers/" + url.PathEscape(r.PathValue("id")) + "/" + doc
		if len(q) > 0 {
			p += "?" + q.Encode()
		}
		accept := "application/pdf"
		if doc == "export" {
			accept = "application/zip"
		}
		rep := a.api.call(r, http.MethodGet, p, s.Token, nil, "Accept", accept)
		a.passFile(w, r, s, rep, in)
	}
}

// attachmentDownload is a scan attached to a dossier, through GET
// /api/v1/attachments/{sha256} (the same access, purpose and read log;
// the dossier in the path only places the link, the API decides which
// dossier the read is logged against).
func (a *App) attachmentDownload(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	p := "/api/v1/attachments/" + url.PathEscape(r.PathValue("sha256"))
	if q := purposeQuery(in); len(q) > 0 {
		p += "?" + q.Encode()
	}
	a.passFile(w, r, s, a.api.call(r, http.MethodGet, p, s.Token, nil), in)
}

// passFile hands a file the API answered to the browser; a refusal for
// want of a purpose or consent asks for it (askPurpose), any other is the
// error page.
func (a *App) passFile(w http.ResponseWriter, r *http.Request, s *session, rep reply, in url.Values) {
	if !rep.OK() {
		if !a.askPurpose(w, r, s, rep, in) {
			a.failure(w, r, rep)
		}
		return
	}
	for _, h := range []string{"Content-Type", "Content-Disposition", "ETag", "X-Content-Type-Options"} {
		if v := rep.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rep.Body)
}
