package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/hoso-ledger/hoso/domain"
)

type auditData struct {
	Query   url.Values
	Orgs    []orgView
	OrgName func(string) string
	Entries []historyEntry
	Next    string
}

// dayBounds turns the form's from/to dates (yyyy-mm-dd, Vietnam) into the
// API's instants: from the start of the first day to the start of the day
// after the last.
func dayBounds(in url.Values, q url.Values) bool {
	for _, k := range []string{"from", "to"} {
		v := in.Get(k)
		if v == "" {
			continue
		}
		d, err := domain.ParseDate(v)
		if err != nil {
			return false
		}
		if k == "to" {
			d = d.AddDays(1)
		}
		q.Set(k, d.StartInVietnam().Format(time.RFC3339))
	}
	return true
}

// listQuery is the query a list page sends its API route: the filters
// named, the cursor, a page of 50 and the day bounds; false when a date is
// not one.
func listQuery(in url.Values, filters ...string) (url.Values, bool) {
	q := url.Values{"limit": {"50"}}
	for _, k := range append(filters, "cursor") {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	return q, dayBounds(in, q)
}

// nextLink is the page at path with the same filters and the next cursor;
// "" on the last page.
func nextLink(path string, in url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	nq := url.Values{}
	for k, v := range in {
		if k != "cursor" {
			nq[k] = v
		}
	}
	nq.Set("cursor", cursor)
	return path + "?" + nq.Encode()
}

// auditPage is the audit trail with its filters: actor, org, period, event
// type; each entry can be verified against the latest checkpoint.
func (a *App) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	q, ok := listQuery(in, "org", "actor", "type", "dossier", "correction", "corrects_approved")
	if !ok {
		a.render(w, r, http.StatusBadRequest, "error", "", view{Title: "Ngày không hợp lệ", S: s, Flash: "Khoảng thời gian không hợp lệ."})
		return
	}
	// The entries carry the dossiers' data: a reader outside personnel
	// work states the purpose (Decree 27/2026), asked for by the form.
	for k, v := range purposeQuery(in) {
		q[k] = v
	}
	rep := a.api.call(r, http.MethodGet, "/api/v1/audit?"+q.Encode(), s.Token, nil)
	if !rep.OK() {
		if !a.askPurpose(w, r, s, rep, in) {
			a.failure(w, r, rep)
		}
		return
	}
	var page struct {
		Items []historyEntry `json:"items"`
		Next  string         `json:"next_cursor"`
	}
	_ = rep.decode(&page)
	orgList := a.orgs(r, s)
	d := auditData{Query: in, Orgs: orgList, OrgName: orgNamer(orgList), Entries: page.Items, Next: nextLink("/audit", in, page.Next)}
	a.render(w, r, http.StatusOK, "audit", "", view{Title: "Nhật ký thay đổi", S: s, Data: d})
}

type readRow struct {
	ReadAt    time.Time `json:"read_at"`
	Username  string    `json:"username"`
	DossierID string    `json:"dossier_id"`
	Method    string    `json:"method"`
	Route     string    `json:"route"`
	Query     string    `json:"query"`
	Purpose   string    `json:"purpose"`
	Outcome   string    `json:"outcome"`
	Remote    string    `json:"remote_addr"`
	// The purpose stated under Decree 27/2026 and the consent relied on.
	PurposeCode string `json:"purpose_code"`
	PurposeRef  string `json:"purpose_reference"`
	Consent     string `json:"consent_event_id"`
}

var readOutcomeNames = map[string]string{"allowed": "Được xem", "refused": "Bị từ chối", "not_found": "Không tồn tại"}

type readsData struct {
	Query url.Values
	Rows  []readRow
	Next  string
}

// readsPage is the read log: who read which dossier, when, and refusals.
func (a *App) readsPage(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	q, ok := listQuery(in, "account", "dossier", "outcome", "purpose", "consent")
	if !ok {
		a.render(w, r, http.StatusBadRequest, "error", "", view{Title: "Ngày không hợp lệ", S: s, Flash: "Khoảng thời gian không hợp lệ."})
		return
	}
	rep := a.api.call(r, http.MethodGet, "/api/v1/audit/reads?"+q.Encode(), s.Token, nil)
	if !rep.OK() {
		a.failure(w, r, rep)
		return
	}
	var page struct {
		Items []readRow `json:"items"`
		Next  string    `json:"next_cursor"`
	}
	_ = rep.decode(&page)
	d := readsData{Query: in, Rows: page.Items, Next: nextLink("/audit/reads", in, page.Next)}
	a.render(w, r, http.StatusOK, "reads", "", view{Title: "Nhật ký truy cập", S: s, Data: d})
}

// verification is what the verify page checked, step by step.
type verification struct {
	EventID    string
	Checkpoint string // the signed note as served
	Size       uint64
	Root       string
	LeafIndex  uint64
	EventHash  string
	LeafHash   string
	Proof      []string
	LeafOK     bool // SHA-256(0x00 ‖ event hash) is the leaf the proof is for
	ProofOK    bool // the inclusion proof leads to the checkpoint's root
	Problem    string
}

// verifyPage checks one event against the latest checkpoint here, not by
// taking the server's word: the leaf hash is recomputed from the event
// hash (RFC 6962), and the inclusion proof is verified against the root
// the signed checkpoint names (transparency-dev/merkle's verifier). The
// note's signature is checked offline with the checkpoint key (`hoso
// verify`, `hoso audit verify`).
func (a *App) verifyPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := verification{EventID: strings.TrimSpace(r.URL.Query().Get("event"))}
	render := func() {
		a.render(w, r, http.StatusOK, "verify", "", view{Title: "Kiểm chứng sự kiện", S: s, Data: v})
	}
	crep := a.api.call(r, http.MethodGet, "/api/v1/checkpoints/latest", s.Token, nil)
	if !crep.OK() {
		v.Problem = "Chưa có điểm kiểm chứng (checkpoint): " + problemMessage(crep.problem())
		render()
		return
	}
	v.Checkpoint = string(crep.Body)
	lines := strings.Split(v.Checkpoint, "\n")
	if len(lines) < 3 {
		v.Problem = "Điểm kiểm chứng không đúng định dạng."
		render()
		return
	}
	size, err1 := strconv.ParseUint(lines[1], 10, 64)
	root, err2 := base64.StdEncoding.DecodeString(lines[2])
	if err1 != nil || err2 != nil {
		v.Problem = "Điểm kiểm chứng không đúng định dạng."
		render()
		return
	}
	v.Size, v.Root = size, hex.EncodeToString(root)
	prep := a.api.call(r, http.MethodGet, "/api/v1/proofs/inclusion?"+url.Values{"event": {v.EventID}, "size": {strconv.FormatUint(size, 10)}}.Encode(), s.Token, nil)
	if !prep.OK() {
		v.Problem = "Không lấy được bằng chứng: " + problemMessage(prep.problem()) + " " + prep.problem().Detail
		render()
		return
	}
	var p struct {
		LeafIndex uint64   `json:"leaf_index"`
		EventHash string   `json:"event_hash"`
		LeafHash  string   `json:"leaf_hash"`
		Proof     []string `json:"proof"`
	}
	_ = prep.decode(&p)
	v.LeafIndex, v.EventHash, v.LeafHash, v.Proof = p.LeafIndex, p.EventHash, p.LeafHash, p.Proof
	eh, err := hex.DecodeString(p.EventHash)
	if err != nil {
		v.Problem = "Mã băm sự kiện không hợp lệ."
		render()
		return
	}
	leaf := sha256.Sum256(append([]byte{0}, eh...))
	lh, _ := hex.DecodeString(p.LeafHash)
	v.LeafOK = bytes.Equal(leaf[:], lh)
	path := make([][]byte, 0, len(p.Proof))
	for _, h := range p.Proof {
		b, err := hex.DecodeString(h)
		if err != nil {
			v.Problem = "Bằng chứng không hợp lệ."
			render()
			return
		}
		path = append(path, b)
	}
	v.ProofOK = proof.VerifyInclusion(rfc6962.DefaultHasher, p.LeafIndex, size, leaf[:], path, root) == nil
	render()
}
