package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
)

// routes is every page of the application, in one place.
func (a *App) routes() {
	m := a.mux
	m.HandleFunc("GET /{$}", a.signedIn(func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/dossiers", http.StatusSeeOther)
	}))
	m.HandleFunc("GET /login", a.loginPage)
	m.HandleFunc("POST /login", a.login)
	m.HandleFunc("POST /logout", a.logout)
	if a.cfg.SSO.Enabled() {
		m.HandleFunc("GET /login/oidc", a.ssoStart)
		m.HandleFunc("GET /login/oidc/callback", a.ssoCallback)
	}
	m.HandleFunc("GET /password", a.withSession(a.passwordPage, true))
	m.HandleFunc("POST /password", a.withSession(a.changePassword, true))
	m.HandleFunc("GET /dossiers", a.signedIn(a.dossierList))
	m.HandleFunc("GET /dossiers/{id}", a.signedIn(a.dossierPage))
	m.HandleFunc("GET /dossiers/{id}/cv.pdf", a.signedIn(a.dossierDocument("cv.pdf")))
	m.HandleFunc("GET /dossiers/{id}/export", a.signedIn(a.dossierDocument("export")))
	m.HandleFunc("GET /dossiers/{id}/attachments/{sha256}", a.signedIn(a.attachmentDownload))
	m.HandleFunc("GET /dossiers/{id}/sections/{section}", a.signedIn(a.editPage))
	m.HandleFunc("POST /dossiers/{id}/sections/{section}", a.signedIn(a.saveSection))
	m.HandleFunc("POST /dossiers/{id}/status", a.signedIn(a.changeStatus))
	m.HandleFunc("GET /dossiers/{id}/tables/{table}/rows", a.signedIn(a.rowPage))
	m.HandleFunc("POST /dossiers/{id}/tables/{table}/rows", a.signedIn(a.saveRow))
	m.HandleFunc("GET /dossiers/{id}/tables/{table}/rows/{row}", a.signedIn(a.rowPage))
	m.HandleFunc("POST /dossiers/{id}/tables/{table}/rows/{row}", a.signedIn(a.saveRow))
	m.HandleFunc("POST /dossiers/{id}/attachments", a.signedIn(a.uploadAttachment))
	m.HandleFunc("POST /dossiers/{id}/transfers", a.signedIn(a.sendTransfer))
	m.HandleFunc("POST /dossiers/{id}/proposals/{proposal}/{act}", a.signedIn(a.proposalAct))
	m.HandleFunc("GET /transfers", a.signedIn(a.transfersPage))
	m.HandleFunc("POST /transfers/{id}/{act}", a.signedIn(a.transferAct))
	m.HandleFunc("GET /compliance", a.signedIn(a.compliancePage))
	m.HandleFunc("GET /approvals", a.signedIn(a.approvalsPage))
	m.HandleFunc("GET /admin", a.signedIn(a.adminPage))
	m.HandleFunc("POST /admin/orgs", a.signedIn(a.createOrg))
	m.HandleFunc("GET /admin/orgs/{id}", a.signedIn(a.orgPage))
	m.HandleFunc("POST /admin/orgs/{id}/rename", a.signedIn(a.renameOrg))
	m.HandleFunc("POST /admin/orgs/{id}/{act}", a.signedIn(a.orgAct))
	m.HandleFunc("GET /admin/processes/{id}", a.signedIn(a.processPage))
	m.HandleFunc("GET /admin/accounts", a.signedIn(a.accountsPage))
	m.HandleFunc("POST /admin/accounts", a.signedIn(a.createAccount))
	m.HandleFunc("GET /admin/accounts/{id}", a.signedIn(a.accountPage))
	m.HandleFunc("POST /admin/accounts/{id}/{act}", a.signedIn(a.accountAct))
	m.HandleFunc("POST /admin/accounts/{id}/{kind}/{item}/{act}", a.signedIn(a.accountItemAct))
	m.HandleFunc("GET /audit", a.signedIn(a.auditPage))
	m.HandleFunc("GET /audit/reads", a.signedIn(a.readsPage))
	m.HandleFunc("GET /audit/verify", a.signedIn(a.verifyPage))
	m.HandleFunc("GET /approvals/{org}/{month}/manifest.json", a.signedIn(a.approvalManifest))
	m.HandleFunc("POST /approvals/{org}/{month}/signature", a.signedIn(a.approvalSign))
	m.HandleFunc("POST /approvals/{org}/{month}/prepare", a.signedIn(a.approvalPrepare))
	m.HandleFunc("POST /approvals/{org}/{month}/complete", a.signedIn(a.approvalComplete))
}

// view is what every page template gets.
type view struct {
	Title   string
	S       *session
	CSRF    string
	Flash   string
	Problem *problem
	Data    any
}

func (a *App) funcs() template.FuncMap {
	return template.FuncMap{
		"vnDate":         vnDate,
		"vnTime":         vnTime,
		"vnNumber":       vnNumber,
		"status":         func(c string) string { return named(statusNames, c) },
		"class":          func(c string) string { return named(classNames, c) },
		"sex":            func(c string) string { return named(sexNames, c) },
		"role":           func(c string) string { return named(roleNames, c) },
		"code":           a.codeName,
		"field":          fieldLabel,
		"event":          eventName,
		"named_level":    func(c string) string { return named(levelNames, c) },
		"read_outcome":   func(c string) string { return named(readOutcomeNames, c) },
		"read_outcomes":  func() map[string]string { return readOutcomeNames },
		"purpose_name":   func(c string) string { return named(purposeNames, c) },
		"purpose_names":  func() map[string]string { return purposeNames },
		"event_types":    func() []string { return eventTypes },
		"action":         func(c string) string { return named(actionNames, c) },
		"outcome":        func(c string) string { return named(outcomeNames, c) },
		"unit":           func(c string) string { return named(unitNames, c) },
		"kind":           func(c string) string { return named(transferKindNames, c) },
		"json":           jsonText,
		"vnDateOf":       func(d domain.Date) string { return d.Vietnamese() },
		"decisionToday":  func(today string) decisionForm { return decisionForm{EffectiveDate: today} },
		"transfer_state": func(c string) string { return named(transferStateNames, c) },
		"delivery_state": func(c string) string { return named(deliveryStates, c) },
		"vnInt":          func(n int) string { return vnNumber(float64(n)) },
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				m[k] = kv[i+1]
			}
			return m
		},
	}
}

// parsePages parses each page with the layout.
func parsePages(funcs template.FuncMap) map[string]*template.Template {
	pages := map[string]*template.Template{}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t := template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n))
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages
}

// render writes a page, or only one of its blocks (an htmx fragment).
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, page, block string, v view) {
	if v.CSRF == "" {
		if v.S != nil {
			v.CSRF = v.S.CSRF
		} else {
			v.CSRF = csrfToken(w, r)
		}
	}
	t := a.pages[page]
	if block == "" {
		block = "layout"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		a.cfg.Logger.Error("web: template", "page", page, "error", err.Error())
		http.Error(w, "Lỗi hiển thị trang", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// forbidden answers a refused form (CSRF, cross origin).
func (a *App) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	a.render(w, r, http.StatusForbidden, "error", "", view{Title: "Yêu cầu bị từ chối", Flash: msg})
}

// failure shows the API's refusal as a page, with its status: a dossier
// the caller may not read is "not found", exactly as the API says.
func (a *App) failure(w http.ResponseWriter, r *http.Request, rep reply) {
	p := rep.problem()
	msg := problemMessage(p)
	a.render(w, r, p.Status, "error", "", view{Title: "Không thực hiện được", Flash: msg, Problem: &p})
}

// problemMessage is a Vietnamese sentence for the API's stable codes.
func problemMessage(p problem) string {
	switch p.Status {
	case http.StatusNotFound:
		return "Không tìm thấy (hoặc bạn không có quyền xem)."
	case http.StatusForbidden:
		return "Bạn không có quyền thực hiện việc này."
	case http.StatusPreconditionFailed:
		return "Hồ sơ đã được người khác thay đổi trong lúc bạn sửa."
	case http.StatusTooManyRequests:
		return "Quá nhiều lần thử. Vui lòng đợi rồi thử lại."
	case http.StatusServiceUnavailable:
		return "Hệ thống tạm thời không sẵn sàng. Vui lòng thử lại sau."
	case http.StatusConflict:
		return "Không thực hiện được với tình trạng hiện tại (xem lý do bên dưới)."
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		return "Thông tin chưa hợp lệ."
	}
	return "Đã có lỗi xảy ra."
}

// ---- sessions ----

func (a *App) loginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "login", "", view{Title: "Đăng nhập", Data: a.loginData(r.URL.Query().Get("next"), "")})
}

// loginData is what the login page shows: where to go after, the name
// typed, and whether single sign-on is offered.
func (a *App) loginData(next, username string) map[string]string {
	d := map[string]string{"Next": localPath(next), "Username": username}
	if a.cfg.SSO.Enabled() {
		d["SSO"] = "/login/oidc?next=" + url.QueryEscape(localPath(next))
	}
	return d
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	rep := a.api.call(r, http.MethodPost, "/api/v1/auth/login", "", map[string]string{
		"username": r.PostFormValue("username"), "password": r.PostFormValue("password"),
	})
	a.startSession(w, r, rep, next, "Tên đăng nhập hoặc mật khẩu không đúng.", r.PostFormValue("username"))
}

// startSession ends a login, by password or by SSO, with the API's answer:
// the token goes into the session cookie and the browser on to next (or to
// the forced password change); a refusal shows the login page again with
// unauthorized as the 401's message.
func (a *App) startSession(w http.ResponseWriter, r *http.Request, rep reply, next, unauthorized, username string) {
	if !rep.OK() {
		msg := unauthorized
		if rep.Status == http.StatusTooManyRequests {
			msg = "Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau " + rep.Header.Get("Retry-After") + " giây."
		} else if rep.Status != http.StatusUnauthorized {
			msg = problemMessage(rep.problem())
		}
		a.render(w, r, rep.Status, "login", "", view{Title: "Đăng nhập", Flash: msg, Data: a.loginData(next, username)})
		return
	}
	var out struct {
		Token   string `json:"token"`
		Account struct {
			MustChangePassword bool `json:"must_change_password"`
		} `json:"account"`
	}
	if err := rep.decode(&out); err != nil {
		a.failure(w, r, reply{Status: http.StatusInternalServerError})
		return
	}
	setSession(w, r, out.Token)
	if out.Account.MustChangePassword {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session here, then, for a session started by single
// sign-on, at the provider too (RP-initiated logout): the browser goes to
// its end_session_endpoint and comes back to the login page. The local
// session is ended first, whatever the provider does.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	if tok := token(r); tok != "" {
		a.api.call(r, http.MethodPost, "/api/v1/auth/logout", tok, nil)
	}
	clearSession(w, r)
	if c, err := r.Cookie(ssoIDCookie); err == nil {
		setIDCookie(w, r, "", -1)
		if a.cfg.SSO.Enabled() && c.Value != "" {
			if u, ok := a.sso.logoutURL(r.Context(), c.Value); ok {
				http.Redirect(w, r, u, http.StatusSeeOther)
				return
			}
		}
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (a *App) passwordPage(w http.ResponseWriter, r *http.Request, s *session) {
	a.render(w, r, http.StatusOK, "password", "", view{Title: "Đổi mật khẩu", S: s})
}

func (a *App) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	if r.PostFormValue("new_password") != r.PostFormValue("confirm_password") {
		a.render(w, r, http.StatusUnprocessableEntity, "password", "", view{Title: "Đổi mật khẩu", S: s, Flash: "Mật khẩu mới nhập lại không khớp."})
		return
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/auth/password", s.Token, map[string]string{
		"current_password": r.PostFormValue("current_password"), "new_password": r.PostFormValue("new_password"),
	})
	if !rep.OK() {
		p := rep.problem()
		msg := problemMessage(p)
		for _, e := range p.Errors {
			switch e.Rule {
			case "mismatch":
				msg = "Mật khẩu hiện tại không đúng."
			case "length":
				msg = "Mật khẩu mới phải có từ 12 đến 256 ký tự."
			case "unchanged":
				msg = "Mật khẩu mới phải khác mật khẩu hiện tại."
			}
		}
		a.render(w, r, p.Status, "password", "", view{Title: "Đổi mật khẩu", S: s, Flash: msg, Problem: &p})
		return
	}
	http.Redirect(w, r, "/dossiers", http.StatusSeeOther)
}

// ---- orgs ----

type orgView struct {
	ID     string `json:"id"`
	Code   string `json:"code"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
	Status string `json:"status"`
}

// orgs is the org tree the caller may see (GET /orgs); none when the API
// refuses it (a person's own account sees no tree).
func (a *App) orgs(r *http.Request, s *session) []orgView {
	rep := a.api.call(r, http.MethodGet, "/api/v1/orgs", s.Token, nil)
	var out struct {
		Orgs []orgView `json:"orgs"`
	}
	if rep.OK() {
		_ = rep.decode(&out)
	}
	return out.Orgs
}

func orgNamer(list []orgView) func(string) string {
	names := make(map[string]string, len(list))
	for _, o := range list {
		names[o.ID] = o.Name
	}
	return func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
}

// ---- the list of dossiers ----

type summary struct {
	ID            string `json:"id"`
	Version       uint64 `json:"version"`
	Status        string `json:"status"`
	Class         string `json:"class"`
	ManagingOrg   string `json:"managing_org"`
	EmployingUnit string `json:"employing_unit"`
	FullName      string `json:"full_name"`
	BirthDate     string `json:"birth_date"`
	Sex           string `json:"sex"`
	JobPosition   string `json:"job_position"`
	Rank          string `json:"rank"`
	Title         string `json:"title"`
}

type listData struct {
	Query      url.Values
	Orgs       []orgView
	OrgName    func(string) string
	Ranks      []catalog.Entry
	Positions  []catalog.Entry
	Statuses   []struct{ Code, Name string }
	Items      []summary
	NextCursor string
	NextURL    string
	Paged      bool
	// PurposeQuery carries the purpose stated to each dossier's page.
	PurposeQuery string
}

// listFilters are the list's filters, passed to GET /api/v1/dossiers as
// given: the API checks them.
var listFilters = []string{"q", "org", "rank", "job_position", "status", "cursor"}

func (a *App) dossierList(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range listFilters {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", "20")
	// A list showing dossiers outside personnel work states its purpose
	// like one dossier's page (Decree 27/2026).
	for k, v := range purposeQuery(in) {
		q[k] = v
	}
	rep := a.api.call(r, http.MethodGet, "/api/v1/dossiers?"+q.Encode(), s.Token, nil)
	var page struct {
		Items      []summary `json:"items"`
		NextCursor string    `json:"next_cursor"`
	}
	var p *problem
	if rep.OK() {
		_ = rep.decode(&page)
	} else if a.askPurpose(w, r, s, rep, in) {
		return
	} else {
		pr := rep.problem()
		p = &pr
	}
	orgList := a.orgs(r, s)
	d := listData{Query: in, Orgs: orgList, OrgName: orgNamer(orgList), Items: page.Items, NextCursor: page.NextCursor, PurposeQuery: withPurpose(in),
		Ranks: a.cfg.Catalog.Entries(catalog.KindRank), Positions: a.cfg.Catalog.Entries(catalog.KindPosition), Paged: in.Get("cursor") != ""}
	for _, c := range statusOrder {
		d.Statuses = append(d.Statuses, struct{ Code, Name string }{c, statusNames[c]})
	}
	if page.NextCursor != "" {
		next := purposeQuery(in)
		for _, k := range listFilters {
			if v := in.Get(k); v != "" && k != "cursor" {
				next.Set(k, v)
			}
		}
		next.Set("cursor", page.NextCursor)
		d.NextURL = "/dossiers?" + next.Encode()
	}
	v := view{Title: "Danh sách hồ sơ", S: s, Problem: p, Data: d}
	if p != nil {
		v.Flash = problemMessage(*p)
	}
	status := http.StatusOK
	if p != nil {
		status = p.Status
	}
	if r.Header.Get("HX-Request") != "" && r.Header.Get("HX-Target") == "results" {
		a.render(w, r, status, "dossiers", "results", v)
		return
	}
	a.render(w, r, status, "dossiers", "", v)
}

// ---- one dossier ----

type historyEntry struct {
	EventID       string                 `json:"event_id"`
	Version       uint64                 `json:"version"`
	Type          string                 `json:"type"`
	Actor         domain.Actor           `json:"actor"`
	RecordedAt    time.Time              `json:"recorded_at"`
	EffectiveDate string                 `json:"effective_date"`
	Source        *domain.SourceDocument `json:"source_document"`
	Reason        string                 `json:"reason"`
	IsCorrection  bool                   `json:"is_correction"`
	// A correction: the event it corrects and, when a signed monthly
	// approval had covered that event, the approval.
	CorrectsApproved bool `json:"corrects_approved"`
	Corrected        *struct {
		Type           string                 `json:"type"`
		RecordedAt     time.Time              `json:"recorded_at"`
		Actor          domain.Actor           `json:"actor"`
		SourceDocument *domain.SourceDocument `json:"source_document"`
	} `json:"corrected"`
	CorrectedApproval *struct {
		Month         string    `json:"month"`
		SignerSubject string    `json:"signer_subject"`
		SignedAt      time.Time `json:"signed_at"`
	} `json:"corrected_approval"`
	DossierID string `json:"dossier_id"`
	Changes   []struct {
		Path   string          `json:"path"`
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	} `json:"changes"`
	ChangesRedacted int `json:"changes_redacted"`
	// Rows are Changes labelled for reading (changeRows).
	Rows []changeRow `json:"-"`
}

type dossierData struct {
	ID          string
	Version     uint64
	Status      string
	Class       string
	FullName    string
	Sections    []section
	History     []historyEntry
	AsOf        string // the "as known on" date, yyyy-mm-dd
	EffectiveOn string
	Travel      bool
	ReadAt      time.Time
	CanWrite    bool
	CanPropose  bool
	Proposals   []proposalView
	Orgs        []orgView
	Statuses    []struct{ Code, Name string }
	Today       string
	// TravelQuery and ExportQuery carry the page's dates to the document
	// links ("" or "?as_of=…&effective_on=…"); the export is as known on
	// a day only (the API's export has no effective date).
	TravelQuery, ExportQuery string
	// Purpose is the purpose stated for this read, and PurposeQuery the
	// same as "?purpose=…": carried to the attachments' downloads and the
	// page's own forms.
	Purpose      url.Values
	PurposeQuery string
}

// dossierResponse is the API's GET /dossiers/{id}.
type dossierResponse struct {
	ID       string         `json:"id"`
	Version  uint64         `json:"version"`
	Status   string         `json:"status"`
	Class    string         `json:"class"`
	Document map[string]any `json:"document"`
	Redacted []string       `json:"redacted"`
}

func (d dossierResponse) fullName() string {
	if id, ok := d.Document["identity"].(map[string]any); ok {
		if n, ok := id["birth_name"].(string); ok {
			return n
		}
	}
	return ""
}

func (a *App) dossierPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	in := r.URL.Query()
	q := url.Values{}
	asOf, effOn := in.Get("as_of"), in.Get("effective_on")
	if asOf != "" {
		// "As known on" a day: everything recorded until that day's end in Vietnam.
		dt, err := domain.ParseDate(asOf)
		if err != nil {
			a.render(w, r, http.StatusBadRequest, "error", "", view{Title: "Ngày không hợp lệ", S: s, Flash: "Ngày “biết đến ngày” không hợp lệ."})
			return
		}
		q.Set("as_of", dt.AddDays(1).StartInVietnam().Add(-time.Second).Format(time.RFC3339))
	}
	if effOn != "" {
		q.Set("effective_on", effOn)
	}
	// A read outside personnel work states its purpose (Decree 27/2026):
	// the purpose form below sends it, and it goes to both reads.
	stated := purposeQuery(in)
	for k, v := range stated {
		q[k] = v
	}
	p := "/api/v1/dossiers/" + url.PathEscape(id)
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	readAt := time.Now()
	rep := a.api.call(r, http.MethodGet, p, s.Token, nil)
	if !rep.OK() {
		if a.askPurpose(w, r, s, rep, in) {
			return
		}
		a.failure(w, r, rep)
		return
	}
	var d dossierResponse
	if err := rep.decode(&d); err != nil {
		a.failure(w, r, reply{Status: http.StatusInternalServerError})
		return
	}
	orgList := a.orgs(r, s)
	travel := asOf != "" || effOn != ""
	data := dossierData{ID: d.ID, Version: d.Version, Status: d.Status, Class: d.Class, FullName: d.fullName(),
		Sections: a.sectionsOf(d.Document, d.Redacted, orgNamer(orgList)), AsOf: asOf, EffectiveOn: effOn,
		Orgs: orgList, Travel: asOf != "" || effOn != "", ReadAt: readAt, CanWrite: s.Can("write_dossier") && d.Status == "active", Today: s.Me.Today}
	data.CanPropose = !travel && s.proposes(d.ID)
	// The downloads are reads too: they carry the purpose stated here.
	data.Purpose, data.PurposeQuery = stated, withPurpose(in)
	if tq := purposeQuery(in); travel || len(tq) > 0 {
		if asOf != "" {
			tq.Set("as_of", asOf)
		}
		if len(tq) > 0 {
			data.ExportQuery = "?" + tq.Encode()
		}
		if effOn != "" {
			tq.Set("effective_on", effOn)
		}
		data.TravelQuery = "?" + tq.Encode()
	}
	if !travel {
		data.Proposals = a.proposalViews(d.Document, decodeProposals(rep.Body))
	}
	for _, c := range statusOrder[1:] {
		data.Statuses = append(data.Statuses, struct{ Code, Name string }{c, statusNames[c]})
	}
	hpath := "/api/v1/dossiers/" + url.PathEscape(id) + "/history"
	if len(stated) > 0 {
		hpath += "?" + stated.Encode()
	}
	hrep := a.api.call(r, http.MethodGet, hpath, s.Token, nil)
	if hrep.OK() {
		var h struct {
			Items []historyEntry `json:"items"`
		}
		_ = hrep.decode(&h)
		// Newest first: the timeline reads from today backwards.
		names := orgNamer(orgList)
		for i := len(h.Items) - 1; i >= 0; i-- {
			h.Items[i].Rows = a.changeRows(h.Items[i], names)
			data.History = append(data.History, h.Items[i])
		}
	}
	a.render(w, r, http.StatusOK, "dossier", "", view{Title: data.FullName, S: s, Data: data})
}

// eventNames name the history's event types in Vietnamese.
var eventNames = map[string]string{
	"dossier.created":                     "Lập hồ sơ",
	"dossier.section_updated":             "Cập nhật thông tin",
	"dossier.row_added":                   "Thêm dòng",
	"dossier.row_amended":                 "Sửa dòng",
	"dossier.corrected":                   "Đính chính",
	"dossier.status_changed":              "Thay đổi trạng thái",
	"dossier.transfer_initiated":          "Gửi điều chuyển",
	"dossier.transfer_received":           "Tiếp nhận điều chuyển",
	"dossier.transfer_rejected":           "Từ chối điều chuyển",
	"dossier.transfer_cancelled":          "Huỷ điều chuyển",
	"dossier.document_attached":           "Đính kèm tệp",
	"dossier.managing_org_changed":        "Đổi cơ quan quản lý",
	"dossier.transfer_requested":          "Cơ quan nhận đề nghị chuyển hồ sơ",
	"dossier.proposal_submitted":          "Cá nhân đề nghị thay đổi",
	"dossier.proposal_accepted":           "Chấp nhận đề nghị",
	"dossier.proposal_rejected":           "Từ chối đề nghị",
	"dossier.civil_servant_number_issued": "Cấp số hiệu công chức",
	"dossier.reactivated":                 "Khôi phục hồ sơ",
}

// eventTypes are the stored names the audit filter offers.
var eventTypes = func() []string {
	var out []string
	for k := range eventNames {
		out = append(out, k+".v1")
	}
	sort.Strings(out)
	return out
}()

func eventName(t string) string {
	base := t
	if i := strings.LastIndex(t, ".v"); i > 0 {
		base = t[:i]
	}
	if n, ok := eventNames[base]; ok {
		return n
	}
	return t
}
