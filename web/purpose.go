package web

import (
	"net/http"
	"net/url"
	"strings"
)

// purposeNames name the purposes of a read (policy.Purposes) in Vietnamese.
var purposeNames = map[string]string{
	"personnel":  "Công tác cán bộ",
	"inspection": "Thanh tra, kiểm tra",
	"audit":      "Kiểm toán",
	"statistics": "Thống kê, nghiên cứu",
	"court":      "Yêu cầu của Tòa án, Viện kiểm sát",
	"police":     "Yêu cầu của cơ quan điều tra",
	"transfer":   "Cung cấp cho cơ quan khác",
	"other":      "Mục đích khác",
}

// purposeQuery is the purpose a page's query states, as the API's query
// parameters (purpose, purpose_ref); empty when none.
func purposeQuery(in url.Values) url.Values {
	q := url.Values{}
	if v := strings.TrimSpace(in.Get("purpose")); v != "" {
		q.Set("purpose", v)
		if ref := strings.TrimSpace(in.Get("purpose_ref")); ref != "" {
			q.Set("purpose_ref", ref)
		}
	}
	return q
}

// withPurpose is "?"+the page query's purpose (purposeQuery), or "" when
// none: for links that must carry it to the next read (a list's rows, a
// dossier's downloads), so a reader outside personnel work states it once.
func withPurpose(in url.Values) string {
	if q := purposeQuery(in); len(q) > 0 {
		return "?" + q.Encode()
	}
	return ""
}

type purposeData struct {
	Action  string // the page to read again, with the purpose
	Query   url.Values
	Message string
	Consent bool // refused for want of the person's consent
}

// askPurpose answers a read the API refused for want of a purpose (or of
// the person's consent for the purpose stated) with the form that states
// one, which sends the page's query again with it; false for any other
// refusal. An htmx fragment request (the search as you type) is sent to
// the whole page instead, where the form has room.
func (a *App) askPurpose(w http.ResponseWriter, r *http.Request, s *session, rep reply, in url.Values) bool {
	p := rep.problem()
	if p.Code != "purpose_required" && p.Code != "consent_required" {
		return false
	}
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", r.URL.RequestURI())
		w.WriteHeader(http.StatusOK)
		return true
	}
	d := purposeData{Action: r.URL.Path, Query: in, Consent: p.Code == "consent_required"}
	switch {
	case d.Consent:
		d.Message = "Mục đích này cần sự đồng ý của người có hồ sơ (Nghị định 27/2026), và chưa có sự đồng ý nào còn hiệu lực."
	case len(p.Errors) > 0 && p.Errors[0].Rule == "reference_required":
		d.Message = "Mục đích này cần số văn bản làm căn cứ (quyết định thanh tra, văn bản yêu cầu…)."
	default:
		d.Message = "Việc xem hồ sơ này không phải công tác cán bộ của cơ quan quản lý: hãy nêu mục đích và căn cứ (Nghị định 27/2026)."
	}
	a.render(w, r, p.Status, "purpose", "", view{Title: "Mục đích xem hồ sơ", S: s, Data: d})
	return true
}
