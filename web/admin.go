package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var orgKindNames = map[string]string{
	"ministry": "Bộ, cơ quan ngang bộ", "province_committee": "UBND tỉnh", "department": "Sở, ban, ngành",
	"district_committee": "UBND huyện", "commune_committee": "UBND xã, phường", "public_service_unit": "Đơn vị sự nghiệp", "other": "Khác",
}

var orgLevelNames = map[string]string{"central": "Trung ương", "province": "Tỉnh", "district": "Huyện", "commune": "Xã", "unit": "Đơn vị"}

var accountKindNames = map[string]string{"administrator": "Quản trị", "org": "Tài khoản đơn vị", "personal": "Tài khoản cá nhân", "service": "Tài khoản dịch vụ"}

type adminData struct {
	Orgs       []orgView
	OrgName    func(string) string
	OrgKinds   map[string]string
	OrgLevels  map[string]string
	AcctKinds  map[string]string
	Today      string
	AccountRef string
}

// adminPage is the administrator's: the org tree with creation, and
// accounts (the list, create one). An org's page has the other acts.
func (a *App) adminPage(w http.ResponseWriter, r *http.Request, s *session) {
	orgList := a.orgs(r, s)
	d := adminData{Orgs: orgList, OrgName: orgNamer(orgList), OrgKinds: orgKindNames, OrgLevels: orgLevelNames,
		AcctKinds: accountKindNames, Today: s.Me.Today}
	a.render(w, r, http.StatusOK, "admin", "", view{Title: "Quản trị", S: s, Data: d})
}

// decisionBody is the envelope of an administrative act (api.decision).
func decisionBody(r *http.Request, body map[string]any) map[string]any {
	return decisionFrom(r).envelope(body)
}

func (a *App) createOrg(w http.ResponseWriter, r *http.Request, s *session) {
	body := decisionBody(r, map[string]any{"name": strings.TrimSpace(r.PostFormValue("name")), "code": strings.TrimSpace(r.PostFormValue("code")),
		"kind": r.PostFormValue("kind"), "level": r.PostFormValue("level"), "parent": r.PostFormValue("parent")})
	rep := a.api.call(r, http.MethodPost, "/api/v1/orgs", s.Token, body)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	http.Redirect(w, r, "/admin?saved=1", http.StatusSeeOther)
}

func (a *App) renameOrg(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	body := decisionBody(r, map[string]any{"name": strings.TrimSpace(r.PostFormValue("name"))})
	rep := a.api.call(r, http.MethodPost, "/api/v1/orgs/"+url.PathEscape(id)+"/rename", s.Token, body, "If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.refusedOnOrg(w, r, s, id, rep)
		return
	}
	http.Redirect(w, r, "/admin/orgs/"+url.PathEscape(id)+"?saved=1", http.StatusSeeOther)
}

// accountView is the API's account as the admin page shows it.
type accountView struct {
	ID          string `json:"id"`
	Version     uint64 `json:"version"`
	Kind        string `json:"kind"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Status      string `json:"status"`
	HomeOrg     string `json:"home_org"`
	Dossier     string `json:"dossier_id"`
	Password    struct {
		Set        bool `json:"set"`
		MustChange bool `json:"must_change"`
	} `json:"password"`
	Grants []struct {
		ID      string  `json:"id"`
		Role    string  `json:"role"`
		Org     string  `json:"org_id"`
		Dossier string  `json:"dossier_id"`
		From    string  `json:"from"`
		Until   *string `json:"until"`
		Revoked *string `json:"revoked_on"`
		InForce bool    `json:"in_force"`
	} `json:"grants"`
	Certificates []struct {
		Fingerprint string  `json:"fingerprint"`
		Subject     string  `json:"subject"`
		RevokedAt   *string `json:"revoked_at"`
	} `json:"certificates"`
	APIKeys []struct {
		ID        string     `json:"id"`
		IssuedAt  time.Time  `json:"issued_at"`
		RevokedAt *time.Time `json:"revoked_at"`
	} `json:"api_keys"`
	// OIDCLinks are the single sign-on subjects linked to the account.
	OIDCLinks []struct {
		ID         string     `json:"id"`
		Issuer     string     `json:"issuer"`
		Subject    string     `json:"subject"`
		LinkedAt   time.Time  `json:"linked_at"`
		UnlinkedAt *time.Time `json:"unlinked_at"`
	} `json:"oidc_links"`
}

type accountData struct {
	Account     accountView
	Orgs        []orgView
	OrgName     func(string) string
	Roles       map[string]string
	Kinds       map[string]string
	Today       string
	OneTimePass string
	// NewKey is an API key just issued: its secret is shown once.
	NewKey struct{ ID, Secret string }
	States map[string]string
	// StateActs are the state changes the account's status allows.
	StateActs []string
	// Refused is the API's refusal of an act, shown above the page as it
	// now stands (a 412 says the account changed since the form was read).
	Refused *problem
	// SSOIssuer is the configured provider, offered for a new link.
	SSOIssuer string
}

func (a *App) accountPage(w http.ResponseWriter, r *http.Request, s *session) {
	a.showAccount(w, r, s, r.PathValue("id"), "", nil)
}

func (a *App) showAccount(w http.ResponseWriter, r *http.Request, s *session, id, oneTime string, setup func(*accountData)) {
	rep := a.api.call(r, http.MethodGet, "/api/v1/accounts/"+url.PathEscape(id), s.Token, nil)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	var acc accountView
	_ = rep.decode(&acc)
	orgList := a.orgs(r, s)
	d := accountData{Account: acc, Orgs: orgList, OrgName: orgNamer(orgList), Roles: roleNames, Kinds: accountKindNames, Today: s.Me.Today,
		OneTimePass: oneTime, States: accountStateNames, SSOIssuer: a.sso.cfg.Issuer}
	switch acc.Status {
	case "active":
		d.StateActs = []string{"restrict", "close"}
	case "restricted":
		d.StateActs = []string{"reinstate", "close"}
	}
	if setup != nil {
		setup(&d)
	}
	v := view{Title: acc.Username, S: s, Data: d}
	status := http.StatusOK
	switch {
	case d.Refused != nil:
		status, v.Flash, v.Problem = adminRefusal(*d.Refused)
	case r.URL.Query().Get("saved") == "1":
		v.Flash = "Đã lưu."
	}
	a.render(w, r, status, "account", "", v)
}

func (a *App) createAccount(w http.ResponseWriter, r *http.Request, s *session) {
	body := decisionBody(r, map[string]any{"kind": r.PostFormValue("kind"), "username": strings.TrimSpace(r.PostFormValue("username")),
		"display_name": strings.TrimSpace(r.PostFormValue("display_name")), "home_org": r.PostFormValue("home_org")})
	if p := r.PostFormValue("password"); p != "" {
		body["password"] = p
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/accounts", s.Token, body)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	var acc accountView
	_ = rep.decode(&acc)
	http.Redirect(w, r, "/admin/accounts/"+url.PathEscape(acc.ID), http.StatusSeeOther)
}

// accountAct is one administrative act on an account: a grant, a
// password reset (a generated one-time password is shown once), a
// signing certificate, a restriction, reinstatement or closing, an API
// key (its secret shown once).
func (a *App) accountAct(w http.ResponseWriter, r *http.Request, s *session) {
	id, act := r.PathValue("id"), r.PathValue("act")
	var path string
	body := decisionBody(r, map[string]any{})
	switch act {
	case "grants":
		path = "/grants"
		body["role"] = r.PostFormValue("role")
		if o := r.PostFormValue("org_id"); o != "" {
			body["org_id"] = o
		}
		if u := r.PostFormValue("valid_until"); u != "" {
			body["valid_until"] = u
		}
	case "password-reset":
		path = "/password-reset"
	case "certificates":
		path = "/certificates"
		body["pem"] = r.PostFormValue("pem")
	case "restrict", "reinstate", "close":
		path = "/" + act
		body["reason"] = strings.TrimSpace(r.PostFormValue("reason"))
	case "api-keys":
		path = "/api-keys"
	case "oidc-links":
		path = "/oidc-links"
		body["issuer"] = strings.TrimSpace(r.PostFormValue("issuer"))
		body["subject"] = strings.TrimSpace(r.PostFormValue("subject"))
	default:
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/accounts/"+url.PathEscape(id)+path, s.Token, body, "If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.refusedOnAccount(w, r, s, id, rep)
		return
	}
	if act == "password-reset" {
		var out struct {
			Password string `json:"password"`
		}
		_ = rep.decode(&out)
		// Shown once, in this answer only: never in a URL or a cookie.
		a.showAccount(w, r, s, id, out.Password, nil)
		return
	}
	if act == "api-keys" {
		var out struct {
			KeyID  string `json:"key_id"`
			Secret string `json:"secret"`
		}
		_ = rep.decode(&out)
		// As the one-time password: in this answer only.
		a.showAccount(w, r, s, id, "", func(d *accountData) { d.NewKey.ID, d.NewKey.Secret = out.KeyID, out.Secret })
		return
	}
	http.Redirect(w, r, "/admin/accounts/"+url.PathEscape(id)+"?saved=1", http.StatusSeeOther)
}

func parseETag(s string) (uint64, error) { return strconv.ParseUint(etagVersion(s), 10, 64) }
