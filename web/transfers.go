package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// complianceItem is one deadline of the compliance read model as the API
// answers it (GET /compliance/items, /compliance/overdue).
type complianceItem struct {
	ID          string `json:"id"`
	Dossier     string `json:"dossier_id"`
	Org         string `json:"org"`
	Counterpart string `json:"counterpart"`
	Action      string `json:"action"`
	Article     string `json:"article"`
	AnchorDate  string `json:"anchor_date"`
	Due         string `json:"due"`
	Unit        string `json:"unit"`
	TransferID  string `json:"transfer_id"`
	Outcome     string `json:"outcome"`
	ClosedOn    string `json:"closed_on"`
	Late        bool   `json:"late"`
	LateBy      int    `json:"late_by"`
	DaysOverdue int    `json:"days_overdue"`
}

var actionNames = map[string]string{
	"create_dossier": "Lập hồ sơ", "update_dossier": "Cập nhật hồ sơ", "transfer_internal": "Điều chuyển nội bộ",
	"transfer_between_orgs": "Chuyển hồ sơ giữa các cơ quan", "transfer_forward": "Chuyển tiếp hồ sơ",
	"transfer_in_from_outside": "Tiếp nhận hồ sơ từ ngoài tỉnh", "monthly_approval": "Phê duyệt hằng tháng",
}

var outcomeNames = map[string]string{
	"open": "Đang chờ", "done": "Đã thực hiện", "cancelled": "Đã huỷ", "rejected": "Bị từ chối", "imported": "Nhập từ dữ liệu cũ",
}

var unitNames = map[string]string{"working_days": "ngày làm việc", "days": "ngày", "calendar_days": "ngày"}

type complianceData struct {
	Items    []complianceItem
	Overdue  []complianceItem
	Outages  []outageNotice
	LateOnly bool
	OpenOnly bool
	OrgName  func(string) string
	Next     string
	Today    string
}

// compliancePage is my orgs' deadlines on the working-day calendar: what
// is overdue today, then every item (late ones only, open ones only).
func (a *App) compliancePage(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	d := complianceData{LateOnly: in.Get("late_only") == "on", OpenOnly: in.Get("open_only") == "on", Today: s.Me.Today}
	q := url.Values{"limit": {"200"}}
	if d.LateOnly {
		q.Set("late_only", "true")
	}
	if c := in.Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	rep := a.api.call(r, http.MethodGet, "/api/v1/compliance/items?"+q.Encode(), s.Token, nil)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	var items struct {
		Items []complianceItem `json:"items"`
		Next  string           `json:"next_cursor"`
	}
	_ = rep.decode(&items)
	for _, it := range items.Items {
		if !d.OpenOnly || it.Outcome == "open" {
			d.Items = append(d.Items, it)
		}
	}
	if items.Next != "" {
		nq := url.Values{"cursor": {items.Next}}
		for _, k := range []string{"late_only", "open_only"} {
			if v := in.Get(k); v != "" {
				nq.Set(k, v)
			}
		}
		d.Next = "/compliance?" + nq.Encode()
	}
	orep := a.api.call(r, http.MethodGet, "/api/v1/compliance/overdue", s.Token, nil)
	if orep.OK() {
		var od struct {
			Items []complianceItem `json:"items"`
		}
		_ = orep.decode(&od)
		d.Overdue = od.Items
	}
	// The outage notices to my orgs (BT 14.7), from GET /outages.
	if nrep := a.api.call(r, http.MethodGet, "/api/v1/outages", s.Token, nil); nrep.OK() {
		var on struct {
			Notices []outageNotice `json:"notices"`
		}
		_ = nrep.decode(&on)
		d.Outages = on.Notices
	}
	d.OrgName = orgNamer(a.orgs(r, s))
	a.render(w, r, http.StatusOK, "compliance", "", view{Title: "Tuân thủ thời hạn", S: s, Data: d})
}

// outageNotice is one org's outage notice (the API's OutageNoticeView).
type outageNotice struct {
	Org         string     `json:"org"`
	Function    string     `json:"function"`
	StartedAt   time.Time  `json:"started_at"`
	EndedAt     *time.Time `json:"ended_at"`
	WorkingDays int        `json:"working_days"`
	NotifiedAt  time.Time  `json:"notified_at"`
}

// transferView is the API's TransferView.
type transferView struct {
	ID          string `json:"id"`
	DossierID   string `json:"dossier_id"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	FromOrg     string `json:"from_org"`
	TargetOrg   string `json:"target_org"`
	InitiatedOn string `json:"initiated_on"`
	Source      struct {
		Number string `json:"number"`
		Date   string `json:"date"`
		Issuer string `json:"issuer"`
	} `json:"source_document"`
	FullName string `json:"full_name"`
	Class    string `json:"class"`
	Version  uint64 `json:"dossier_version"`
}

// pendingTransfer is one open transfer deadline of my orgs.
type pendingTransfer struct {
	Item      complianceItem
	Transfer  transferView
	Receiving bool // my org is the receiving side: receive or reject
	Sending   bool // my org sent it: cancel
}

var transferKindNames = map[string]string{
	"internal": "Nội bộ", "between_orgs": "Giữa các cơ quan", "out_of_province": "Ra ngoài tỉnh",
}

type transfersData struct {
	Pending []pendingTransfer
	OrgName func(string) string
	Today   string
	Lookup  string // the transfer number asked for
	NotSeen bool   // it is not one the caller may see
}

// transfersPage lists the transfers my orgs still owe an act on, with
// their deadlines (the compliance read model's open transfer items), and
// opens one transfer by its number: the receiving org learns it from the
// transfer decision, and the API has no list of incoming transfers yet.
// Receive and reject are offered when the receiving org is in my tree,
// cancel when the sending org is; the API decides again.
func (a *App) transfersPage(w http.ResponseWriter, r *http.Request, s *session) {
	rep := a.api.call(r, http.MethodGet, "/api/v1/compliance/items?limit=1000", s.Token, nil)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	var items struct {
		Items []complianceItem `json:"items"`
	}
	_ = rep.decode(&items)
	orgList := a.orgs(r, s)
	mine := map[string]bool{}
	for _, o := range orgList {
		mine[o.ID] = true
	}
	d := transfersData{Today: s.Me.Today, OrgName: orgNamer(orgList), Lookup: strings.TrimSpace(r.URL.Query().Get("id"))}
	seen := map[string]bool{}
	add := func(tid string, it complianceItem) bool {
		if seen[tid] {
			return true
		}
		trep := a.api.call(r, http.MethodGet, "/api/v1/transfers/"+url.PathEscape(tid), s.Token, nil)
		var tv transferView
		if !trep.OK() || trep.decode(&tv) != nil {
			return false
		}
		seen[tid] = true
		if tv.State != "pending" {
			return true
		}
		d.Pending = append(d.Pending, pendingTransfer{Item: it, Transfer: tv, Receiving: tv.TargetOrg != "" && mine[tv.TargetOrg], Sending: mine[tv.FromOrg]})
		return true
	}
	if d.Lookup != "" {
		d.NotSeen = !add(d.Lookup, complianceItem{})
	}
	for _, it := range items.Items {
		if it.Outcome == "open" && it.TransferID != "" && strings.HasPrefix(it.Action, "transfer") {
			add(it.TransferID, it)
		}
	}
	a.render(w, r, http.StatusOK, "transfers", "", view{Title: "Điều chuyển hồ sơ", S: s, Data: d})
}

// transferAct is receive, reject or cancel of one transfer.
func (a *App) transferAct(w http.ResponseWriter, r *http.Request, s *session) {
	id, act := r.PathValue("id"), r.PathValue("act")
	if act != "receive" && act != "reject" && act != "cancel" {
		a.failure(w, r, reply{Status: http.StatusNotFound})
		return
	}
	body := map[string]any{}
	if act == "receive" {
		body = decisionFrom(r).envelope(body)
	} else {
		body["reason"] = strings.TrimSpace(r.PostFormValue("reason"))
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/transfers/"+url.PathEscape(id)+"/"+act, s.Token, body,
		"If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	http.Redirect(w, r, "/transfers?done="+act, http.StatusSeeOther)
}

// sendTransfer starts a transfer of one dossier from its page.
func (a *App) sendTransfer(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	body := decisionFrom(r).envelope(map[string]any{"kind": r.PostFormValue("kind")})
	// The org tree the caller sees is its own subtree; another org
	// receiving the dossier gives its id, which the API checks.
	if t := strings.TrimSpace(r.PostFormValue("target_org_id")); t != "" {
		body["target_org"] = t
	} else if t := r.PostFormValue("target_org"); t != "" {
		body["target_org"] = t
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/dossiers/"+url.PathEscape(id)+"/transfers", s.Token, body,
		"If-Match", `"`+r.PostFormValue("version")+`"`)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	http.Redirect(w, r, "/transfers?done=send", http.StatusSeeOther)
}
