package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// orgDetail is GET /api/v1/orgs/{id} as the org's page shows it.
type orgDetail struct {
	orgView
	Kind        string   `json:"kind"`
	Level       string   `json:"level"`
	Successors  []string `json:"successors"`
	CreatedOn   string   `json:"created_on"`
	ClosedOn    string   `json:"closed_on"`
	HomeAffairs string   `json:"home_affairs"`
	Version     uint64   `json:"version"`
	Names       []struct {
		From, Name, Code string
	} `json:"names"`
	Quotas []struct {
		Year     int            `json:"year"`
		From     string         `json:"from"`
		Counts   map[string]int `json:"counts"`
		Decision struct {
			Number string `json:"number"`
			Date   string `json:"date"`
			Issuer string `json:"issuer"`
		} `json:"decision"`
	} `json:"staffing_quotas"`
}

// quotaCategories are the staffing quota's categories, in the order of
// the decisions (PT 5.2đ): the biên chế proper, then labour contracts.
var quotaCategories = []struct{ Key, Name string }{
	{"can_bo", "Cán bộ"}, {"cong_chuc", "Công chức"}, {"vien_chuc", "Viên chức"}, {"nguoi_lao_dong", "Người lao động (hợp đồng)"},
}

var orgStatusNames = map[string]string{"active": "Đang hoạt động", "merged": "Đã sáp nhập", "split": "Đã chia tách", "dissolved": "Đã giải thể"}

type orgData struct {
	Org     orgDetail
	Orgs    []orgView // the active orgs the administrator sees: parents, successors
	OrgName func(string) string
	Kinds   map[string]string
	Levels  map[string]string
	States  map[string]string
	// ProcessStates name a process's state (processStateNames).
	ProcessStates map[string]string
	Categories    []struct{ Key, Name string }
	Today         string
	Year          int
	// Process moves the dossiers of an ended org to its successors; nil
	// while the org is active or when nothing moves.
	Process *processView
}

// orgPage is one org with every act on it: rename, move, designate the
// province's Department of Home Affairs, staffing quotas, and merge,
// split or dissolve (whose moves of dossiers the process page follows).
func (a *App) orgPage(w http.ResponseWriter, r *http.Request, s *session) {
	a.showOrg(w, r, s, r.PathValue("id"), nil)
}

// showOrg renders the org's page; refused, when set, is the API's refusal
// of an act on it, shown above the page as it now stands.
func (a *App) showOrg(w http.ResponseWriter, r *http.Request, s *session, id string, refused *problem) {
	rep := a.api.call(r, http.MethodGet, "/api/v1/orgs/"+url.PathEscape(id), s.Token, nil)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	var o orgDetail
	_ = rep.decode(&o)
	if o.Version == 0 {
		o.Version, _ = parseETag(rep.Header.Get("ETag"))
	}
	all := a.orgs(r, s)
	var others []orgView
	for _, x := range all {
		if x.ID != o.ID && x.Status == "active" {
			others = append(others, x)
		}
	}
	d := orgData{Org: o, Orgs: others, OrgName: orgNamer(all), Kinds: orgKindNames, Levels: orgLevelNames, States: orgStatusNames,
		Categories: quotaCategories, Today: s.Me.Today, Year: time.Now().Year(), ProcessStates: processStateNames}
	if t, err := time.Parse(time.DateOnly, s.Me.Today); err == nil {
		d.Year = t.Year()
	}
	if o.Status != "active" {
		d.Process = a.endProcess(r, s, o.ID)
	}
	v := view{Title: o.Name, S: s, Data: d}
	status := http.StatusOK
	switch {
	case refused != nil:
		status, v.Flash, v.Problem = adminRefusal(*refused)
	case r.URL.Query().Get("saved") == "1":
		v.Flash = "Đã lưu."
	}
	a.render(w, r, status, "org", "", v)
}

// orgAct is one act on an org through its API route. A merge, a split or
// a dissolution with a successor answers 202 with the process that moves
// the dossiers: the browser goes to that process's page.
func (a *App) orgAct(w http.ResponseWriter, r *http.Request, s *session) {
	id, act := r.PathValue("id"), r.PathValue("act")
	body := decisionBody(r, map[string]any{})
	switch act {
	case "move":
		body["parent"] = r.PostFormValue("parent")
	case "home-affairs":
		body["home_affairs"] = r.PostFormValue("home_affairs")
	case "merge":
		body["successor"] = r.PostFormValue("successor")
	case "split":
		_ = r.ParseForm()
		succ := []string{}
		for _, v := range r.PostForm["successors"] {
			if v = strings.TrimSpace(v); v != "" {
				succ = append(succ, v)
			}
		}
		body["successors"] = succ
	case "dissolve":
		if v := r.PostFormValue("successor"); v != "" {
			body["successor"] = v
		}
	case "staffing-quotas":
		body["year"] = formNumber(r.PostFormValue("year"))
		counts := map[string]any{}
		for _, c := range quotaCategories {
			if v := strings.TrimSpace(r.PostFormValue("count_" + c.Key)); v != "" {
				counts[c.Key] = formNumber(v)
			}
		}
		body["counts"] = counts
	default:
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/orgs/"+url.PathEscape(id)+"/"+act, s.Token, body, "If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.refusedOnOrg(w, r, s, id, rep)
		return
	}
	if rep.Status == http.StatusAccepted {
		var out struct {
			Process struct {
				ID string `json:"id"`
			} `json:"process"`
		}
		_ = rep.decode(&out)
		http.Redirect(w, r, "/admin/processes/"+url.PathEscape(out.Process.ID), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/orgs/"+url.PathEscape(id)+"?saved=1", http.StatusSeeOther)
}

// endProcess finds the process that moves an ended org's dossiers: its id
// is the id of the decision event (org.merged, org.split, org.dissolved),
// which the audit trail lists; the API has no list of processes by org.
// nil when the caller does not audit the org or nothing moves.
func (a *App) endProcess(r *http.Request, s *session, org string) *processView {
	q := url.Values{"org": {org}, "type": {"org.merged.v1,org.split.v1,org.dissolved.v1"}, "limit": {"5"}}
	rep := a.api.call(r, http.MethodGet, "/api/v1/audit?"+q.Encode(), s.Token, nil)
	var page struct {
		Items []historyEntry `json:"items"`
	}
	if !rep.OK() || rep.decode(&page) != nil {
		return nil
	}
	for _, it := range page.Items {
		rep := a.api.call(r, http.MethodGet, "/api/v1/processes/"+url.PathEscape(it.EventID), s.Token, nil)
		var p processView
		if rep.OK() && rep.decode(&p) == nil && p.Org == org {
			return &p
		}
	}
	return nil
}

// refusedOnOrg shows the API's refusal of an act on the org on the org's
// page, as it now stands; what the caller may not see stays the API's 404.
func (a *App) refusedOnOrg(w http.ResponseWriter, r *http.Request, s *session, id string, rep reply) {
	if rep.Status == http.StatusNotFound || rep.Status == http.StatusUnauthorized {
		a.failure(w, r, rep)
		return
	}
	p := rep.problem()
	a.showOrg(w, r, s, id, &p)
}

// formNumber is a form's integer, or the text as typed when it is none:
// the API then refuses it, naming the field, and the page shows that.
func formNumber(v string) any {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return n
	}
	return v
}

// processView is GET /api/v1/processes/{id}.
type processView struct {
	ID         string         `json:"id"`
	Org        string         `json:"org_id"`
	Successors []string       `json:"successors"`
	Decision   string         `json:"decision"`
	State      string         `json:"state"`
	Total      *int           `json:"total"`
	Moved      int            `json:"moved"`
	Skipped    map[string]int `json:"skipped"`
	Failed     int            `json:"failed"`
	Pending    int            `json:"pending"`
	Failures   []struct {
		Dossier  string `json:"dossier_id"`
		Attempts int    `json:"attempts"`
		Error    string `json:"error"`
		Retrying bool   `json:"retrying"`
	} `json:"failures"`
	StartedAt  time.Time  `json:"started_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// TotalN is the number of dossiers to move, 0 until they are listed.
func (p processView) TotalN() int {
	if p.Total == nil {
		return 0
	}
	return *p.Total
}

// Percent is the share of the dossiers dealt with (moved, skipped or
// failed), 0 while they are not yet listed.
func (p processView) Percent() int {
	if p.Total == nil || *p.Total == 0 {
		if p.State == "done" {
			return 100
		}
		return 0
	}
	done := p.Moved + p.Failed
	for _, n := range p.Skipped {
		done += n
	}
	return min(100, done*100 / *p.Total)
}

var processDecisionNames = map[string]string{"merge": "Sáp nhập", "split": "Chia tách", "dissolution": "Giải thể"}
var processStateNames = map[string]string{"running": "Đang chuyển hồ sơ", "done": "Đã xong", "failed": "Có hồ sơ không chuyển được"}

// processPage follows the process that moves an ended org's dossiers to
// its successors: while it runs, htmx asks again every second for the
// progress fragment, which stops asking once the process has ended.
func (a *App) processPage(w http.ResponseWriter, r *http.Request, s *session) {
	rep := a.api.call(r, http.MethodGet, "/api/v1/processes/"+url.PathEscape(r.PathValue("id")), s.Token, nil)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	var p processView
	_ = rep.decode(&p)
	all := a.orgs(r, s)
	d := map[string]any{"P": p, "OrgName": orgNamer(all), "Decisions": processDecisionNames, "States": processStateNames}
	v := view{Title: "Tiến độ chuyển hồ sơ", S: s, Data: d}
	if r.Header.Get("HX-Request") != "" && r.Header.Get("HX-Target") == "progress" {
		a.render(w, r, http.StatusOK, "process", "progress", v)
		return
	}
	a.render(w, r, http.StatusOK, "process", "", v)
}
