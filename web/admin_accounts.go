package web

import (
	"net/http"
	"net/url"
	"strings"
)

// accountStateNames name an account's state (account.Status).
var accountStateNames = map[string]string{"active": "Đang hoạt động", "restricted": "Tạm khoá", "closed": "Đã đóng"}

// accountLine is one line of GET /api/v1/accounts.
type accountLine struct {
	ID          string   `json:"id"`
	Version     uint64   `json:"version"`
	Kind        string   `json:"kind"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Status      string   `json:"status"`
	HomeOrg     string   `json:"home_org"`
	Roles       []string `json:"roles"`
}

type accountsData struct {
	Query   url.Values
	Items   []accountLine
	Orgs    []orgView
	OrgName func(string) string
	Roles   map[string]string
	States  map[string]string
	Kinds   map[string]string
	Next    string
	Paged   bool
}

// accountFilters are the list's filters, passed to the API as they are.
var accountFilters = []string{"q", "org", "role", "state", "cursor"}

// accountsPage lists the accounts the administrator manages (GET
// /api/v1/accounts): search as you type without diacritics, filters by
// org, role and state, cursor paging. ?id= opens one account by its id.
func (a *App) accountsPage(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	if id := strings.TrimSpace(in.Get("id")); id != "" {
		http.Redirect(w, r, "/admin/accounts/"+url.PathEscape(id), http.StatusSeeOther)
		return
	}
	q := url.Values{}
	for _, k := range accountFilters {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", "25")
	rep := a.api.call(r, http.MethodGet, "/api/v1/accounts?"+q.Encode(), s.Token, nil)
	var page struct {
		Items []accountLine `json:"items"`
		Next  string        `json:"next_cursor"`
	}
	var p *problem
	if rep.OK() {
		_ = rep.decode(&page)
	} else {
		pr := rep.problem()
		p = &pr
	}
	orgList := a.orgs(r, s)
	d := accountsData{Query: in, Items: page.Items, Orgs: orgList, OrgName: orgNamer(orgList), Roles: roleNames,
		States: accountStateNames, Kinds: accountKindNames, Next: nextLink("/admin/accounts", in, page.Next), Paged: in.Get("cursor") != ""}
	v := view{Title: "Tài khoản", S: s, Problem: p, Data: d}
	status := http.StatusOK
	if p != nil {
		v.Flash, status = problemMessage(*p), p.Status
	}
	if r.Header.Get("HX-Request") != "" && r.Header.Get("HX-Target") == "results" {
		a.render(w, r, status, "accounts", "results", v)
		return
	}
	a.render(w, r, status, "accounts", "", v)
}

// staleMessage answers an administrative act refused because what it acts
// on changed since the form was read (412): nothing was written, and the
// page below is as it now stands.
const staleMessage = "Người khác đã thay đổi mục này sau khi bạn mở trang; thao tác chưa được thực hiện. Trang dưới đây là bản mới nhất: hãy xem lại rồi làm lại nếu vẫn cần."

// adminRefusal is the status, message and problem of a page that shows the
// API's refusal of an act above what it acted on.
func adminRefusal(p problem) (int, string, *problem) {
	if p.Status == http.StatusPreconditionFailed {
		return p.Status, staleMessage, &p
	}
	return p.Status, problemMessage(p), &p
}

// refusedOnAccount shows the API's refusal of an act on the account on
// the account's page, as it now stands, so the administrator can act
// again; what the caller may not see stays the API's 404.
func (a *App) refusedOnAccount(w http.ResponseWriter, r *http.Request, s *session, id string, rep reply) {
	if rep.Status == http.StatusNotFound || rep.Status == http.StatusUnauthorized {
		a.failure(w, r, rep)
		return
	}
	p := rep.problem()
	a.showAccount(w, r, s, id, "", func(d *accountData) { d.Refused = &p })
}

// accountItemAct is an act on one grant, API key, certificate or single
// sign-on link of an account: extend or revoke a grant, revoke the others.
func (a *App) accountItemAct(w http.ResponseWriter, r *http.Request, s *session) {
	id, kind, item, act := r.PathValue("id"), r.PathValue("kind"), r.PathValue("item"), r.PathValue("act")
	body := decisionBody(r, map[string]any{})
	switch {
	case kind == "grants" && act == "extend":
		body["valid_until"] = r.PostFormValue("valid_until")
	case (kind == "grants" || kind == "api-keys" || kind == "certificates" || kind == "oidc-links") && act == "revoke":
		body["reason"] = strings.TrimSpace(r.PostFormValue("reason"))
	default:
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	path := "/api/v1/accounts/" + url.PathEscape(id) + "/" + kind + "/" + url.PathEscape(item) + "/" + act
	rep := a.api.call(r, http.MethodPost, path, s.Token, body, "If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.refusedOnAccount(w, r, s, id, rep)
		return
	}
	http.Redirect(w, r, "/admin/accounts/"+url.PathEscape(id)+"?saved=1", http.StatusSeeOther)
}
