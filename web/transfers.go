package web

import (
	"net/http"
	"net/url"
	"slices"
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
	ID            string `json:"id"`
	DossierID     string `json:"dossier_id"`
	Kind          string `json:"kind"`
	State         string `json:"state"`
	FromOrg       string `json:"from_org"`
	TargetOrg     string `json:"target_org"`
	FromOrgName   string `json:"from_org_name"`
	TargetOrgName string `json:"target_org_name"`
	InitiatedOn   string `json:"initiated_on"`
	Source        struct {
		Number string `json:"number"`
		Date   string `json:"date"`
		Issuer string `json:"issuer"`
	} `json:"source_document"`
	FullName    string `json:"full_name"`
	DateOfBirth string `json:"date_of_birth"`
	Class       string `json:"class"`
	Version     uint64 `json:"dossier_version"`
}

// pendingTransfer is one transfer with my org's deadline on it.
type pendingTransfer struct {
	Item      complianceItem // my org's deadline; zero when the policy sets none
	Late      bool           // the deadline has passed (today or when it was closed)
	Transfer  transferView
	Receiving bool // my org answers it: receive or reject
	Sending   bool // my org sent it: cancel
}

var transferKindNames = map[string]string{
	"internal": "Nội bộ", "between_orgs": "Giữa các cơ quan", "out_of_province": "Ra ngoài tỉnh",
}

var transferStateNames = map[string]string{
	"pending": "Đang chờ", "received": "Đã tiếp nhận", "rejected": "Bị từ chối", "cancelled": "Đã huỷ",
}

type transfersData struct {
	Incoming []pendingTransfer // pending, my org receives
	Outgoing []pendingTransfer // pending, my org sent
	Closed   []pendingTransfer // the latest closed ones, either way
	Today    string
	Lookup   string // the transfer number asked for
	Found    *pendingTransfer
	NotSeen  bool // it is not one the caller may see
	Done     string
}

// transfersPage is my orgs' transfers (GET /api/v1/transfers): the inbox
// of pending incoming transfers to receive or reject, the pending ones
// my orgs sent (to cancel), and the latest closed ones; each with my
// org's deadline from the compliance read model (working days on the
// calendar, late ones marked). A transfer can also be opened by the
// number on its decision. What is offered follows the side my org is
// on; the API decides again.
func (a *App) transfersPage(w http.ResponseWriter, r *http.Request, s *session) {
	// The lists show the people transferred: a reader outside personnel
	// work states the purpose (Decree 27/2026), asked for by the form.
	in := r.URL.Query()
	purpose := ""
	if q := purposeQuery(in); len(q) > 0 {
		purpose = "&" + q.Encode()
	}
	list := func(query string) ([]transferView, bool) {
		rep := a.api.call(r, http.MethodGet, "/api/v1/transfers?"+query+purpose, s.Token, nil)
		if !rep.OK() {
			if !a.askPurpose(w, r, s, rep, in) {
				a.failure(w, r, rep)
			}
			return nil, false
		}
		var out struct {
			Items []transferView `json:"items"`
		}
		_ = rep.decode(&out)
		return out.Items, true
	}
	incoming, ok := list("direction=incoming&state=pending&limit=200")
	if !ok {
		return
	}
	outgoing, ok := list("direction=outgoing&state=pending&limit=200")
	if !ok {
		return
	}
	closed, ok := list("state=received,rejected,cancelled&limit=20")
	if !ok {
		return
	}
	deadlines := a.transferDeadlines(r, s)
	orgList := a.orgs(r, s)
	writes := writableOrgs(s, orgList)
	d := transfersData{Today: s.Me.Today, Lookup: strings.TrimSpace(r.URL.Query().Get("id")), Done: r.URL.Query().Get("done")}
	with := func(t transferView, org string) pendingTransfer {
		p := pendingTransfer{Transfer: t}
		// Only my side's duty: the other org's deadline is not mine to
		// keep (under some policies the receiving org owes none).
		for _, it := range deadlines[t.ID] {
			if it.Org == org {
				p.Item = it
			}
		}
		p.Late = p.Item.Late || p.Item.Outcome == "open" && p.Item.Due != "" && p.Item.Due < d.Today
		return p
	}
	// What is offered follows the side my org is on and whether I keep
	// that org's dossiers (an inspector reads the inbox, acts on nothing).
	for _, t := range incoming {
		p := with(t, t.TargetOrg)
		p.Receiving = writes[t.TargetOrg]
		d.Incoming = append(d.Incoming, p)
	}
	for _, t := range outgoing {
		p := with(t, t.FromOrg)
		// Out of the province the sending org records the other
		// province's answer.
		p.Sending = writes[t.FromOrg]
		p.Receiving = p.Sending && t.Kind == "out_of_province"
		d.Outgoing = append(d.Outgoing, p)
	}
	for _, t := range closed {
		d.Closed = append(d.Closed, pendingTransfer{Transfer: t})
	}
	if d.Lookup != "" {
		// One transfer names its person as the lists do: the same purpose.
		trep := a.api.call(r, http.MethodGet, "/api/v1/transfers/"+url.PathEscape(d.Lookup)+withPurpose(in), s.Token, nil)
		if !trep.OK() && a.askPurpose(w, r, s, trep, in) {
			return
		}
		var tv transferView
		if trep.OK() && trep.decode(&tv) == nil {
			p := with(tv, tv.TargetOrg)
			p.Receiving = tv.State == "pending" && (writes[tv.TargetOrg] || tv.Kind == "out_of_province" && writes[tv.FromOrg])
			p.Sending = tv.State == "pending" && writes[tv.FromOrg]
			d.Found = &p
			// Shown once, at the top: its forms' ids must be unique.
			drop := func(ps []pendingTransfer) []pendingTransfer {
				return slices.DeleteFunc(ps, func(q pendingTransfer) bool { return q.Transfer.ID == tv.ID })
			}
			d.Incoming, d.Outgoing, d.Closed = drop(d.Incoming), drop(d.Outgoing), drop(d.Closed)
		} else {
			d.NotSeen = true
		}
	}
	a.render(w, r, http.StatusOK, "transfers", "", view{Title: "Điều chuyển hồ sơ", S: s, Data: d})
}

// writableOrgs are the orgs of list in whose subtree I keep dossiers
// (write_dossier), found by walking each org's parents up to a grant.
func writableOrgs(s *session, list []orgView) map[string]bool {
	roots := map[string]bool{}
	for _, g := range s.Me.Grants {
		if g.Org != "" && slices.Contains(g.Allows, "write_dossier") {
			roots[g.Org] = true
		}
	}
	parent := make(map[string]string, len(list))
	for _, o := range list {
		parent[o.ID] = o.Parent
	}
	out := map[string]bool{}
	for _, o := range list {
		for id, hops := o.ID, 0; id != "" && hops <= len(list); id, hops = parent[id], hops+1 {
			if roots[id] {
				out[o.ID] = true
				break
			}
		}
	}
	for id := range roots {
		out[id] = true
	}
	return out
}

// transferDeadlines is my orgs' transfer deadlines (the compliance read
// model's items), by transfer. A failure leaves the page without
// deadlines rather than without transfers.
func (a *App) transferDeadlines(r *http.Request, s *session) map[string][]complianceItem {
	out := map[string][]complianceItem{}
	rep := a.api.call(r, http.MethodGet, "/api/v1/compliance/items?limit=1000&action=transfer_internal,transfer_between_orgs,transfer_forward", s.Token, nil)
	if !rep.OK() {
		return out
	}
	var items struct {
		Items []complianceItem `json:"items"`
	}
	_ = rep.decode(&items)
	for _, it := range items.Items {
		if it.TransferID != "" && strings.HasPrefix(it.Action, "transfer") {
			out[it.TransferID] = append(out[it.TransferID], it)
		}
	}
	return out
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
