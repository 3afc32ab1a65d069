package api_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/internal/certtest"
)

type auditCorrection struct {
	EventID          string `json:"event_id"`
	DossierID        string `json:"dossier_id"`
	IsCorrection     bool   `json:"is_correction"`
	Corrects         string `json:"corrects"`
	CorrectsApproved bool   `json:"corrects_approved"`
	Corrected        *struct {
		EventID        string `json:"event_id"`
		Type           string `json:"type"`
		SourceDocument *struct {
			Number string `json:"number"`
		} `json:"source_document"`
		ManagingOrg string `json:"managing_org"`
	} `json:"corrected"`
	CorrectedApproval *struct {
		OrgID             string `json:"org_id"`
		Month             string `json:"month"`
		Level             string `json:"level"`
		SignedEventID     string `json:"signed_event_id"`
		SignerAccountID   string `json:"signer_account_id"`
		SignerFingerprint string `json:"signer_fingerprint_sha256"`
		ManifestSHA256    string `json:"manifest_sha256"`
		URL               string `json:"url"`
	} `json:"corrected_approval"`
}

// TestAuditShowsCorrectionsOfSignedData: the cross-dossier audit trail
// answers "who changed what, on which document, and who had signed it
// off": a correction of an event a signed monthly approval covered is
// flagged, with the event it corrects and the approval (signer,
// manifest); a correction recorded before the month was signed (signed
// off together with what it corrects) and one of a fact recorded after
// the signature are not. The dossier's own history agrees. Filters:
// correction= and corrects_approved=, bad values refused.
func TestAuditShowsCorrectionsOfSignedData(t *testing.T) {
	t.Parallel()
	root := certtest.NewCA(t, "Hoso Audit Test Root")
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	a := startApprovals(t, roots)
	ctx := context.Background()

	unit := a.Org("Sở Giáo dục", "000.00.07.T01", a.Root)
	signedOff := a.Dossier(unit, "Trần Văn Đã Ký")
	early := a.Dossier(unit, "Phạm Thị Sửa Sớm")
	approverID := a.Account("giamdoc.gd", "GiamDoc@Test2026", account.KindOrg, account.RoleApprover, unit)
	a.Account("canbo.gd", "CanBo@Test2026", account.KindOrg, account.RoleHROfficer, unit)
	a.Account("thanhtra.gd", "ThanhTra@Test2026", account.KindOrg, account.RoleInspector, a.Root)
	now := time.Now()
	cert := root.Issue(t, "Giám đốc Sở Giáo dục", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), certtest.SigningUsage)
	if _, err := a.Svc.Deps.Accounts.RegisterCertificate(ctx, approverID, 0, cert.PEM, a.Meta()); err != nil {
		t.Fatal(err)
	}
	approver, clerk, inspector := a.Login("giamdoc.gd", "GiamDoc@Test2026"), a.Login("canbo.gd", "CanBo@Test2026"), a.Login("thanhtra.gd", "ThanhTra@Test2026")
	n := 0
	doc := func() map[string]any {
		n++
		return map[string]any{"kind": "decision", "number": fmt.Sprintf("%d/QĐ-SGD", n), "date": "2025-06-02", "issuer": "Sở Giáo dục"}
	}
	latest := func(id fmt.Stringer) string {
		a.WaitCaughtUp()
		var h struct {
			Items []struct {
				EventID string `json:"event_id"`
			} `json:"items"`
		}
		r := a.Do(http.MethodGet, "/api/v1/dossiers/"+id.String()+"/history", clerk, nil)
		r.JSON(&h)
		if len(h.Items) == 0 {
			t.Fatalf("history of %s: %s", id, r.Body)
		}
		return h.Items[len(h.Items)-1].EventID
	}
	correct := func(id fmt.Stringer, target, etag string) string {
		r := a.Do(http.MethodPost, "/api/v1/dossiers/"+id.String()+"/corrections", clerk, map[string]any{
			"corrects": target, "patch": map[string]any{"position": map[string]any{"current": "Trưởng phòng", "appointed_on": "2025-06-01"}},
			"reason": "nhập nhầm so với quyết định", "source_document": doc()}, "If-Match", etag)
		if r.Status != http.StatusCreated {
			t.Fatalf("correction: %d %s", r.Status, r.Body)
		}
		return r.Header.Get("ETag")
	}

	// Before the month is signed: a correction, signed off with what it corrects.
	earlyTarget := latest(early)
	correct(early, earlyTarget, `"1"`)
	a.WaitCaughtUp()
	month := approval.MonthOf(now)
	base := fmt.Sprintf("/approvals/%s/%s", unit, month)
	r := a.do(t, "GET", base+"/manifest", approver, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("manifest: %d %s", r.status, r.body)
	}
	manifest := r.body
	if r := a.do(t, "POST", base+"/signature", approver, "application/pkcs7-signature", cert.SignGo(t, manifest)); r.status != http.StatusCreated {
		t.Fatalf("signature: %d %s", r.status, r.body)
	}
	// After: a correction of signed data, then a fact recorded after the
	// signature and its correction.
	signedTarget := latest(signedOff)
	etag := correct(signedOff, signedTarget, `"1"`)
	up := a.Do(http.MethodPatch, "/api/v1/dossiers/"+signedOff.String(), clerk, map[string]any{
		"patch": map[string]any{"position": map[string]any{"current": "Phó trưởng phòng"}}, "source_document": doc()}, "If-Match", etag)
	if up.Status != http.StatusOK {
		t.Fatalf("update after the signature: %d %s", up.Status, up.Body)
	}
	lateTarget := latest(signedOff)
	correct(signedOff, lateTarget, up.Header.Get("ETag"))
	a.WaitCaughtUp()

	list := func(query string) ([]auditCorrection, int) {
		var page struct {
			Items []auditCorrection `json:"items"`
		}
		// The entries carry the dossiers' data: the inspector states why.
		r := a.Do(http.MethodGet, "/api/v1/audit?org="+unit.String()+query, inspector, nil, "Hoso-Purpose", `inspection; ref="15/QĐ-TTr"`)
		r.JSON(&page)
		return page.Items, r.Status
	}
	byTarget := func(items []auditCorrection) map[string]bool {
		out := map[string]bool{}
		for _, it := range items {
			out[it.Corrects] = it.CorrectsApproved
		}
		return out
	}
	for _, tc := range []struct {
		name, query string
		status      int
		want        map[string]bool // corrected event → flagged
	}{
		{"every correction", "&correction=true", 200, map[string]bool{earlyTarget: false, signedTarget: true, lateTarget: false}},
		{"corrections of signed data", "&corrects_approved=true", 200, map[string]bool{signedTarget: true}},
		{"the other corrections", "&correction=true&corrects_approved=false", 200, map[string]bool{earlyTarget: false, lateTarget: false}},
		{"by type, flagged too", "&type=dossier.corrected.v1", 200, map[string]bool{earlyTarget: false, signedTarget: true, lateTarget: false}},
		{"no corrections", "&correction=false&type=dossier.corrected.v1", 200, map[string]bool{}},
		{"contradiction", "&correction=false&corrects_approved=true", 400, nil},
		{"not a boolean", "&correction=maybe", 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, status := list(tc.query)
			if status != tc.status {
				t.Fatalf("%d, want %d", status, tc.status)
			}
			if tc.want == nil {
				return
			}
			if got := byTarget(items); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("corrections (target → flagged) = %v, want %v", got, tc.want)
			}
		})
	}

	// The flagged one names what it corrects and who signed that off.
	items, _ := list("&corrects_approved=true")
	if len(items) != 1 {
		t.Fatalf("corrections of signed data: %+v", items)
	}
	got := items[0]
	ap, c := got.CorrectedApproval, got.Corrected
	if c == nil || c.EventID != signedTarget || c.Type != "dossier.created.v1" || c.ManagingOrg != unit.String() || got.DossierID != signedOff.String() {
		t.Errorf("the corrected event: %+v", c)
	}
	if ap == nil || ap.OrgID != unit.String() || ap.Month != month.String() || ap.Level != "unit" || ap.SignerAccountID != approverID.String() ||
		ap.SignerFingerprint != cert.Fingerprint() || ap.ManifestSHA256 != approvals.Digest(manifest) || ap.SignedEventID == "" ||
		ap.URL != "/api/v1"+base {
		t.Errorf("the approval it corrects: %+v", ap)
	}
	for _, it := range list0(list("&correction=true")) {
		if it.Corrected == nil || it.Corrected.SourceDocument == nil {
			t.Errorf("correction %s without its corrected event's document: %+v", it.EventID, it.Corrected)
		}
		if (it.CorrectedApproval != nil) != it.CorrectsApproved {
			t.Errorf("correction %s: flagged %v with approval %+v", it.EventID, it.CorrectsApproved, it.CorrectedApproval)
		}
	}

	// The dossiers' own histories agree.
	for _, id := range []fmt.Stringer{early, signedOff} {
		var h struct {
			Items []auditCorrection `json:"items"`
		}
		a.Do(http.MethodGet, "/api/v1/dossiers/"+id.String()+"/history", clerk, nil).JSON(&h)
		for _, it := range h.Items {
			if it.IsCorrection && it.CorrectsApproved != (it.Corrects == signedTarget) {
				t.Errorf("history of %s: correction of %s flagged %v", id, it.Corrects, it.CorrectsApproved)
			}
		}
	}
}

func list0(items []auditCorrection, _ int) []auditCorrection { return items }
