package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// approvalStatus is the API's GET /approvals/{org}/{month}.
type approvalStatus struct {
	Level  string `json:"level"`
	Sealed bool   `json:"sealed"`
	Served []struct {
		Digest   string `json:"manifest_sha256"`
		TreeSize uint64 `json:"tree_size"`
		Items    int    `json:"items"`
	} `json:"served"`
	Approval *struct {
		Digest        string    `json:"manifest_sha256"`
		SignerSubject string    `json:"signer_subject"`
		SigningTime   time.Time `json:"signing_time"`
		Timing        string    `json:"timing"`
	} `json:"approval"`
}

type levelStatus struct {
	Level, Name string
	Supplement  int // n of a department supplement, 0 for the level itself
	Status      *approvalStatus
	Problem     string
}

type approvalOrg struct{ ID, Name string }

type approvalsData struct {
	Orgs         []approvalOrg
	Org, Month   string
	Levels       []levelStatus
	Manifest     *manifestView
	ManifestHash string
	Level        string
	Signed       bool
	// Remote is a prepared remote signature waiting for the service's
	// answer; Refusal the API's refusal of the last prepare or complete.
	Remote  *remoteSigning
	Refusal *refusal
	// Deliveries are the month's packages to the national database of
	// the org (as the unit or as the department).
	Deliveries      []delivery
	DeliveryProblem string
}

// manifestView is the readable list of what will be signed.
type manifestView struct {
	Count  int    `json:"count"`
	Format string `json:"format"`
	Level  string `json:"level"`
	Month  string `json:"month"`
	Events []struct {
		EventID       string    `json:"event_id"`
		StreamID      string    `json:"stream_id"`
		StreamVersion uint64    `json:"stream_version"`
		Type          string    `json:"type"`
		RecordedAt    time.Time `json:"recorded_at"`
		LeafIndex     uint64    `json:"leaf_index"`
		CarriedOver   bool      `json:"carried_over"`
	} `json:"events"`
	Approvals []json.RawMessage `json:"approvals"`
}

var levelNames = map[string]string{"unit": "Cấp 1 — đơn vị", "department": "Cấp 2 — Sở Nội vụ"}

var monthPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// approvalsPage shows, for an org and month I may approve, the status of
// both levels (and of the department's supplements) and of the national
// delivery; with ?manifest=level it fetches the manifest (the API records
// that it was served) and lists what will be signed.
func (a *App) approvalsPage(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	d, ok := a.approvals(w, r, s, in.Get("org"), in.Get("month"), in.Get("manifest"))
	if !ok {
		return
	}
	d.Signed = in.Get("signed") == "1"
	a.render(w, r, http.StatusOK, "approvals", "", view{Title: "Phê duyệt hằng tháng", S: s, Data: d})
}

// approvals gathers the page's data for org and month (defaults: my
// first org to approve, the month just ended); with level set it fetches
// that level's manifest. false: a refusal was already answered.
func (a *App) approvals(w http.ResponseWriter, r *http.Request, s *session, org, month, level string) (approvalsData, bool) {
	d := approvalsData{Org: org, Month: month, Level: level}
	for _, g := range s.Me.Grants {
		if g.Org != "" && contains(g.Allows, "approve_month") {
			d.Orgs = append(d.Orgs, approvalOrg{g.Org, g.OrgName})
		}
	}
	if d.Org == "" && len(d.Orgs) > 0 {
		d.Org = d.Orgs[0].ID
	}
	if !monthPattern.MatchString(d.Month) {
		// The month to approve is usually the one just ended.
		t := time.Now().In(domain.VietnamZone)
		d.Month = time.Date(t.Year(), t.Month()-1, 1, 0, 0, 0, 0, domain.VietnamZone).Format("2006-01")
	}
	if d.Org != "" {
		base := "/api/v1/approvals/" + url.PathEscape(d.Org) + "/" + d.Month
		for _, lv := range []string{"unit", "department"} {
			ls := levelStatus{Level: lv, Name: levelNames[lv]}
			rep := a.api.call(r, http.MethodGet, base+"?level="+lv, s.Token, nil)
			if rep.OK() {
				var st approvalStatus
				if rep.decode(&st) == nil {
					ls.Status = &st
				}
			} else {
				ls.Problem = problemMessage(rep.problem())
			}
			d.Levels = append(d.Levels, ls)
		}
		d.Levels = append(d.Levels, a.supplements(r, s, base)...)
		if d.Level == "unit" || d.Level == "department" {
			rep := a.api.call(r, http.MethodGet, base+"/manifest?level="+d.Level, s.Token, nil)
			if !rep.OK() {
				a.failure(w, r, rep)
				return d, false
			}
			var m manifestView
			if err := rep.decode(&m); err != nil {
				a.failure(w, r, reply{Status: http.StatusInternalServerError})
				return d, false
			}
			d.Manifest, d.ManifestHash = &m, rep.Header.Get("X-Manifest-SHA256")
		}
		d.Deliveries, d.DeliveryProblem = a.deliveries(r, s, d.Org, d.Month)
	}
	return d, true
}

// MonthVN is the month as Vietnamese write it, mm/yyyy.
func (d approvalsData) MonthVN() string {
	if y, m, ok := strings.Cut(d.Month, "-"); ok {
		return m + "/" + y
	}
	return d.Month
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// approvalManifest downloads the manifest's exact bytes, the file the
// approver signs with their own tool (a detached CMS signature, .p7s).
func (a *App) approvalManifest(w http.ResponseWriter, r *http.Request, s *session) {
	org, month, level := r.PathValue("org"), r.PathValue("month"), r.URL.Query().Get("level")
	rep := a.api.call(r, http.MethodGet, "/api/v1/approvals/"+url.PathEscape(org)+"/"+url.PathEscape(month)+"/manifest?level="+url.QueryEscape(level), s.Token, nil)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="manifest-`+month+"-"+level+`.json"`)
	_, _ = w.Write(rep.Body)
}

// approvalSign forwards an uploaded .p7s (DER or PEM) to the API.
func (a *App) approvalSign(w http.ResponseWriter, r *http.Request, s *session) {
	org, month, level := r.PathValue("org"), r.PathValue("month"), r.PostFormValue("level")
	f, _, err := r.FormFile("signature")
	if err != nil {
		a.render(w, r, http.StatusUnprocessableEntity, "error", "", view{Title: "Thiếu tệp chữ ký", S: s, Flash: "Hãy chọn tệp chữ ký số (.p7s)."})
		return
	}
	defer func() { _ = f.Close() }()
	sig, err := io.ReadAll(io.LimitReader(f, 300<<10))
	if err != nil {
		a.failure(w, r, reply{Status: http.StatusBadRequest})
		return
	}
	ct := "application/pkcs7-signature"
	if bytes.HasPrefix(bytes.TrimSpace(sig), []byte("-----BEGIN")) {
		ct = "application/x-pem-file"
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/approvals/"+url.PathEscape(org)+"/"+url.PathEscape(month)+"/signature?level="+url.QueryEscape(level),
		s.Token, bytes.NewReader(sig), "Content-Type", ct)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	http.Redirect(w, r, "/approvals?"+url.Values{"org": {org}, "month": {month}, "signed": {"1"}}.Encode(), http.StatusSeeOther)
}
