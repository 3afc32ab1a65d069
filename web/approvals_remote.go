package web

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// remoteSigning is the API's answer to a prepare (POST …/signature/prepare):
// what the remote signing service must sign, and the id that completes it.
type remoteSigning struct {
	Level              string `json:"-"`
	Supplement         string `json:"-"`
	PrepareID          string `json:"prepare_id"`
	ManifestDigest     string `json:"manifest_sha256"`
	Fingerprint        string `json:"certificate_fingerprint_sha256"`
	SignatureAlgorithm string `json:"signature_algorithm"`
	DigestHex          string `json:"digest_hex"`
	DigestBase64       string `json:"digest_base64"`
	ExpiresAt          string `json:"expires_at"`
}

// ExpiresVN is when the prepared signature expires, Vietnam time.
func (r remoteSigning) ExpiresVN() string {
	t, err := time.Parse(time.RFC3339, r.ExpiresAt)
	if err != nil {
		return r.ExpiresAt
	}
	return vnTime(t)
}

// refusal is the API's problem, with what it means for the approver.
type refusal struct {
	Code, Message, Detail string
}

// approvalMessages say in Vietnamese what the API's refusals of a
// signature mean (docs/approvals.md); an unknown code shows the generic
// message and the code.
var approvalMessages = map[string]string{
	"cms_malformed":                  "Tệp chữ ký không đúng định dạng CMS một người ký có kèm chứng thư.",
	"signature_mismatch":             "Chữ ký không khớp với danh sách đã lấy (hoặc với chứng thư số đã chọn).",
	"manifest_superseded":            "Đã có danh sách mới hơn: hãy lấy lại danh sách rồi ký lại.",
	"manifest_not_served":            "Chưa lấy danh sách sẽ ký của cấp này.",
	"manifest_stale":                 "Dữ liệu đã thay đổi kể từ khi lấy danh sách: hãy lấy lại danh sách.",
	"month_sealed":                   "Tháng này đã được ký ở cấp này.",
	"signing_time_implausible":       "Thời điểm ký không hợp lý so với đồng hồ hệ thống.",
	"certificate_expired":            "Chứng thư số đã hết hạn tại thời điểm ký.",
	"certificate_not_yet_valid":      "Chứng thư số chưa có hiệu lực tại thời điểm ký.",
	"certificate_untrusted":          "Chứng thư số không do tổ chức chứng thực được tin cậy cấp.",
	"certificate_key_usage":          "Chứng thư số không dùng để ký số.",
	"certificate_not_registered":     "Chứng thư số chưa được đăng ký cho tài khoản nào.",
	"certificate_revoked":            "Chứng thư số đã bị thu hồi trong hệ thống.",
	"certificate_revoked_by_ca":      "Tổ chức chứng thực cho biết chứng thư số đã bị thu hồi.",
	"certificate_status_unknown":     "Tổ chức chứng thực không biết chứng thư số này.",
	"certificate_status_unavailable": "Không hỏi được tình trạng chứng thư số: hãy thử lại sau.",
	"timestamp_unavailable":          "Không lấy được dấu thời gian: hãy thử lại sau.",
	"signer_not_approver":            "Người ký không có quyền phê duyệt cơ quan này.",
	"signer_signed_both_levels":      "Một người không được ký cả hai cấp.",
	"level_not_allowed":              "Cơ quan này không phê duyệt ở cấp này.",
	"no_unit_approvals":              "Chưa có đơn vị nào phê duyệt để ký cấp Sở Nội vụ.",
	"supplement_not_due":             "Chưa thể ký bổ sung khi bản phê duyệt trước chưa ký.",
	"prepare_expired":                "Đã quá 10 phút kể từ khi chuẩn bị: hãy chuẩn bị lại.",
	"validation_failed":              "Thông tin gửi lên chưa hợp lệ.",
}

func refusalOf(rep reply) *refusal {
	p := rep.problem()
	msg, ok := approvalMessages[p.Code]
	if !ok {
		msg = problemMessage(p)
	}
	detail := p.Detail
	for _, e := range p.Errors {
		detail = strings.TrimSpace(detail + " " + e.Field + ": " + e.Rule)
	}
	return &refusal{Code: p.Code, Message: msg, Detail: detail}
}

// approvalQuery is the level (and supplement) of an approval route.
func approvalQuery(level, supplement string) string {
	q := url.Values{"level": {level}}
	if supplement != "" {
		q.Set("supplement", supplement)
	}
	return q.Encode()
}

// approvalPrepare asks the API for the digest a remote signing service
// (VNPT SmartCA, Viettel MySign…) must sign, for the approver's
// certificate (PEM or base64 DER pasted, or its SHA-256 fingerprint). The
// page then shows the digest and waits for the service's signature.
func (a *App) approvalPrepare(w http.ResponseWriter, r *http.Request, s *session) {
	org, month := r.PathValue("org"), r.PathValue("month")
	level, supplement := r.PostFormValue("level"), strings.TrimSpace(r.PostFormValue("supplement"))
	body := map[string]any{}
	if c := strings.TrimSpace(r.PostFormValue("certificate")); c != "" {
		body["certificate"] = c
	}
	if f := strings.TrimSpace(r.PostFormValue("fingerprint")); f != "" {
		body["fingerprint_sha256"] = f
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/approvals/"+url.PathEscape(org)+"/"+url.PathEscape(month)+"/signature/prepare?"+approvalQuery(level, supplement),
		s.Token, body)
	d, ok := a.approvals(w, r, s, org, month, "")
	if !ok {
		return
	}
	status := http.StatusOK
	if rep.OK() {
		var p remoteSigning
		if err := rep.decode(&p); err != nil {
			a.failure(w, r, reply{Status: http.StatusInternalServerError})
			return
		}
		p.Level, p.Supplement = level, supplement
		d.Remote = &p
	} else {
		d.Refusal, status = refusalOf(rep), rep.Status
	}
	a.render(w, r, status, "approvals", "", view{Title: "Phê duyệt hằng tháng", S: s, Data: d})
}

// approvalComplete sends the remote service's raw signature (pasted in
// base64, or uploaded as the file it gave) with the prepare id; the API
// builds the CMS and records it exactly as an uploaded .p7s. A refusal
// shows on the page with the prepared digest, to try again until it
// expires.
func (a *App) approvalComplete(w http.ResponseWriter, r *http.Request, s *session) {
	org, month := r.PathValue("org"), r.PathValue("month")
	p := remoteSigning{Level: r.PostFormValue("level"), Supplement: strings.TrimSpace(r.PostFormValue("supplement")),
		PrepareID: r.PostFormValue("prepare_id"), DigestBase64: r.PostFormValue("digest_base64"), DigestHex: r.PostFormValue("digest_hex"),
		SignatureAlgorithm: r.PostFormValue("signature_algorithm"), ExpiresAt: r.PostFormValue("expires_at")}
	sig := strings.Join(strings.Fields(r.PostFormValue("signature")), "")
	if f, _, err := r.FormFile("signature_file"); err == nil {
		raw, rerr := io.ReadAll(io.LimitReader(f, 64<<10))
		_ = f.Close()
		if rerr != nil {
			a.failure(w, r, reply{Status: http.StatusBadRequest})
			return
		}
		if len(raw) > 0 {
			sig = base64.StdEncoding.EncodeToString(raw)
		}
	}
	rep := a.api.call(r, http.MethodPost, "/api/v1/approvals/"+url.PathEscape(org)+"/"+url.PathEscape(month)+"/signature/complete?"+approvalQuery(p.Level, p.Supplement),
		s.Token, map[string]any{"prepare_id": p.PrepareID, "signature": sig})
	if rep.OK() {
		http.Redirect(w, r, "/approvals?"+url.Values{"org": {org}, "month": {month}, "signed": {"1"}}.Encode(), http.StatusSeeOther)
		return
	}
	d, ok := a.approvals(w, r, s, org, month, "")
	if !ok {
		return
	}
	d.Remote, d.Refusal = &p, refusalOf(rep)
	a.render(w, r, rep.Status, "approvals", "", view{Title: "Phê duyệt hằng tháng", S: s, Data: d})
}

// supplements are the department's supplementary approvals of the month
// (level 2, supplement 1, 2, …) that exist: served or signed.
func (a *App) supplements(r *http.Request, s *session, base string) []levelStatus {
	var out []levelStatus
	for n := 1; n <= 12; n++ {
		rep := a.api.call(r, http.MethodGet, base+"?"+approvalQuery("department", strconv.Itoa(n)), s.Token, nil)
		var st approvalStatus
		if !rep.OK() || rep.decode(&st) != nil || !st.Sealed && len(st.Served) == 0 {
			break
		}
		out = append(out, levelStatus{Level: "department", Supplement: n, Name: "Cấp 2 — bổ sung lần " + strconv.Itoa(n), Status: &st})
	}
	return out
}

// delivery is one package to the national database (GET /sync/packages).
type delivery struct {
	ID            string     `json:"id"`
	Org           string     `json:"org_id"`
	Department    string     `json:"department_org_id"`
	Month         string     `json:"month"`
	Supplement    int        `json:"supplement"`
	ApprovedAt    time.Time  `json:"approved_at"`
	Due           string     `json:"due_date"`
	Article       string     `json:"article"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	SettledAt     *time.Time `json:"settled_at"`
	Status        int        `json:"rejection_status"`
	Reasons       []string   `json:"reasons"`
	Late          bool       `json:"late"`
	Overdue       bool       `json:"overdue"`
	OrgName       string     `json:"-"`
}

var deliveryStates = map[string]string{
	"queued": "Đang chờ gửi", "sent": "Đã gửi, chờ xác nhận", "acknowledged": "Đã được tiếp nhận", "rejected": "Bị từ chối",
}

// deliveries are org's packages of month, as the unit or the department;
// a refusal (the caller reads no compliance of the org) is said, not
// hidden.
func (a *App) deliveries(r *http.Request, s *session, org, month string) ([]delivery, string) {
	rep := a.api.call(r, http.MethodGet, "/api/v1/sync/packages?"+url.Values{"month": {month}}.Encode(), s.Token, nil)
	if !rep.OK() {
		return nil, problemMessage(rep.problem())
	}
	var out struct {
		Packages []delivery `json:"packages"`
	}
	if err := rep.decode(&out); err != nil {
		return nil, problemMessage(problem{Status: http.StatusInternalServerError})
	}
	names := map[string]string{}
	for _, o := range a.orgs(r, s) {
		names[o.ID] = o.Name
	}
	var mine []delivery
	for _, p := range out.Packages {
		if p.Org == org || p.Department == org {
			p.OrgName = names[p.Org]
			if p.OrgName == "" {
				p.OrgName = p.Org
			}
			mine = append(mine, p)
		}
	}
	return mine, ""
}
