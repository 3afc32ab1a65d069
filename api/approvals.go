package api

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

// The approval, proof and checkpoint routes (see routes.go), behind the
// server's authentication:
//
//	GET  /approvals/{org}/{yyyy-mm}/manifest[?level=unit|department[&supplement=n]]
//	POST /approvals/{org}/{yyyy-mm}/signature[?level=…[&supplement=n]]   (detached CMS, DER or PEM)
//	GET  /approvals/{org}/{yyyy-mm}[?level=…[&supplement=n]]
//	GET  /proofs/inclusion?event={id}[&size={n}]
//	GET  /proofs/consistency?from={m}[&to={n}]
//	GET  /checkpoints/latest
//
// They take their dependencies from Deps (Approvals, Tree, Checkpoints).
type approvalHandlers struct {
	s *Server
	r approvalDeps
}

// approvalDeps are the approval routes' own dependencies, read from Deps
// once when the routes are mounted.
type approvalDeps struct {
	Approvals   *approvals.Service
	Tree        *treelog.Log // serves the proofs (read-only use: no store needed)
	Checkpoints *checkpoint.Log
}

// available refuses approvals where the service was built without them
// (internal/service builds them on both backends; on EventStoreDB through
// the store interface, approvals.Config.StoreOnly).
func (h approvalHandlers) available() error {
	if h.r.Approvals == nil {
		return &Error{Status: http.StatusNotImplemented, Code: CodeNotImplemented,
			Detail: "monthly approvals are not configured in this deployment"}
	}
	return nil
}

// Problem codes of this file beside approvals.Code*: the upload's media type.
const CodeSignatureMedia = "signature_media_type"

// approvalError gives an approvals.Error its own problem code; everything
// else goes to the server's one mapping.
func approvalError(err error) error {
	var e *approvals.Error
	if !errors.As(err, &e) {
		if errors.Is(err, treelog.ErrRange) {
			return &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: err.Error(), Err: err}
		}
		if errors.Is(err, treelog.ErrNotFound) {
			return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "the event is not in the Merkle log (yet)", Err: err}
		}
		return err
	}
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(e.Kind, domain.ErrForbidden):
		status = http.StatusForbidden
	case e.Code == approvals.CodeCertStatusUnavailable || e.Code == approvals.CodeTimestampUnavailable:
		// The CA's responder or the TSA is down: try again later.
		status = http.StatusServiceUnavailable
	case errors.Is(e.Kind, domain.ErrConflict):
		status = http.StatusConflict
	}
	return &Error{Status: status, Code: e.Code, Detail: e.Detail, Err: err}
}

// approvalLevel reads ?level=, unit when absent.
func approvalLevel(c echo.Context) (approval.Level, error) {
	level := approval.Level(c.QueryParam("level"))
	if level == "" {
		level = approval.LevelUnit
	}
	if !level.Valid() {
		return level, &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: "level: unit or department", Errors: []FieldProblem{{Field: "query:level", Rule: "enum"}}}
	}
	return level, nil
}

// approvalSupplement reads ?supplement=n (n ≥ 1: the nth supplementary
// department approval), 0 when absent.
func approvalSupplement(c echo.Context, level approval.Level) (int, error) {
	v := c.QueryParam("supplement")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 999 {
		return 0, &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: "supplement: 1, 2, …", Errors: []FieldProblem{{Field: "query:supplement", Rule: "format"}}}
	}
	if level != approval.LevelDepartment {
		return 0, &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: "supplement: only with level=department", Errors: []FieldProblem{{Field: "query:supplement", Rule: "level"}}}
	}
	return n, nil
}

func (h approvalHandlers) orgMonth(c echo.Context) (domain.OrgID, approval.Month, error) {
	o, err := domain.ParseOrgID(c.Param("org"))
	if err != nil {
		return o, approval.Month{}, &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: "org: not a UUID", Errors: []FieldProblem{{Field: "path:org", Rule: "format"}}}
	}
	m, err := approval.ParseMonth(c.Param("month"))
	if err != nil {
		return o, m, &Error{Status: http.StatusBadRequest, Code: CodeBadParameter, Detail: "month: YYYY-MM", Errors: []FieldProblem{{Field: "path:month", Rule: "format"}}}
	}
	return o, m, nil
}

// errCannotApprove is a plain 403, not a 404 as for dossiers: an org-month
// names no person, so refusing openly reveals nothing.
var errCannotApprove = &Error{Status: http.StatusForbidden, Code: CodeForbidden, Detail: "you hold no approver role over this org"}

// readable resolves the org-month, level and supplement of a read of
// approvals, which the org's approvers and auditors may make.
func (h approvalHandlers) readable(c echo.Context) (domain.OrgID, approval.Month, approval.Level, int, error) {
	return h.resolve(c, account.ActionApproveMonth, account.ActionReadAudit)
}

// resolve reads the org-month, level and supplement of an approval route
// whose caller may take one of actions on the org.
func (h approvalHandlers) resolve(c echo.Context, actions ...account.Action) (domain.OrgID, approval.Month, approval.Level, int, error) {
	o, m, err := h.orgMonth(c)
	if err != nil {
		return o, m, "", 0, err
	}
	caller := CallerOf(c)
	if caller == nil || !slices.ContainsFunc(actions, func(a account.Action) bool { return caller.Can(a, o) }) {
		return o, m, "", 0, errCannotApprove
	}
	level, err := approvalLevel(c)
	if err != nil {
		return o, m, "", 0, err
	}
	n, err := approvalSupplement(c, level)
	if err != nil {
		return o, m, "", 0, err
	}
	return o, m, level, n, h.available()
}

// manifest: GET /approvals/{org}/{month}/manifest → the RFC 8785 bytes to sign.
func (h approvalHandlers) manifest(c echo.Context) error {
	o, m, level, n, err := h.readable(c)
	if err != nil {
		return err
	}
	served, err := h.r.Approvals.SupplementManifest(c.Request().Context(), o, m, level, n, h.s.Meta(c))
	if err != nil {
		return approvalError(err)
	}
	hd := c.Response().Header()
	hd.Set("ETag", `"`+served.Digest+`"`)
	hd.Set("X-Manifest-SHA256", served.Digest)
	if served.Sealed {
		hd.Set("X-Approval-Sealed", "true")
	}
	hd.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, served.Bytes)
}

// signatureMedia are the accepted upload types: DER (as signing tools save
// .p7s files) or PEM text.
var signatureMedia = map[string]bool{
	"application/pkcs7-signature": true, "application/pkcs7-mime": true, "application/cms": true,
	"application/octet-stream": true, "application/x-pem-file": true, "text/plain": true,
}

type approvalView struct {
	Org               string  `json:"org_id"`
	Month             string  `json:"month"`
	Level             string  `json:"level"`
	ManifestDigest    string  `json:"manifest_sha256"`
	TreeSize          uint64  `json:"tree_size"`
	SignerAccount     string  `json:"signer_account_id"`
	SignerFingerprint string  `json:"signer_fingerprint_sha256"`
	SignerSubject     string  `json:"signer_subject"`
	SigningTime       string  `json:"signing_time"`
	Timing            string  `json:"timing"`
	WindowStart       string  `json:"window_start,omitempty"`
	WindowEnd         string  `json:"window_end,omitempty"`
	Version           uint64  `json:"version,omitempty"`
	Checkpoint        *string `json:"checkpoint,omitempty"` // the signed note taken at the approval
	Supplement        int     `json:"supplement,omitempty"` // n of a supplementary department approval
	// Issue 15: how it was signed, the CA's answer, the time stamp.
	SignedVia         string          `json:"signed_via,omitempty"`
	CertificateStatus *certStatusView `json:"certificate_status,omitempty"`
	Timestamp         *timestampView  `json:"timestamp,omitempty"`
}

type certStatusView struct {
	Method     string   `json:"method"`
	Responder  string   `json:"responder,omitempty"`
	Status     string   `json:"status"`
	ProducedAt string   `json:"produced_at,omitempty"`
	CheckedAt  string   `json:"checked_at"`
	Note       string   `json:"note,omitempty"`
	Response   []byte   `json:"response_der,omitempty"` // base64 in JSON
	CRL        *crlView `json:"crl,omitempty"`
}

type crlView struct {
	URL        string `json:"url"`
	Status     string `json:"status"`
	SHA256     string `json:"sha256,omitempty"`
	Number     string `json:"number,omitempty"`
	ThisUpdate string `json:"this_update,omitempty"`
	NextUpdate string `json:"next_update,omitempty"`
	DER        []byte `json:"crl_der,omitempty"` // base64 in JSON
	Detail     string `json:"detail,omitempty"`
}

type timestampView struct {
	Authority string `json:"authority"`
	GenTime   string `json:"gen_time"`
	Serial    string `json:"serial"`
	Token     []byte `json:"token_der"` // base64 in JSON
}

func approvalViewOf(s approval.Signed) approvalView {
	v := approvalView{Org: s.Org.String(), Month: s.Month.String(), Level: string(s.Level), ManifestDigest: s.ManifestDigest,
		TreeSize: s.TreeSize, SignerAccount: s.SignerAccount.String(), SignerFingerprint: s.SignerFingerprint,
		SignerSubject: s.SignerSubject, SigningTime: s.SigningTime.UTC().Format(time.RFC3339), Timing: string(s.Timing), Supplement: s.Supplement}
	if !s.WindowStart.IsZero() {
		v.WindowStart, v.WindowEnd = s.WindowStart.String(), s.WindowEnd.String()
	}
	v.SignedVia = s.Via
	if cs := s.CertificateStatus; cs != nil {
		v.CertificateStatus = &certStatusView{Method: cs.Method, Responder: cs.Responder, Status: cs.Status,
			CheckedAt: cs.CheckedAt.UTC().Format(time.RFC3339), Note: cs.Note, Response: cs.Response}
		if !cs.ProducedAt.IsZero() {
			v.CertificateStatus.ProducedAt = cs.ProducedAt.UTC().Format(time.RFC3339)
		}
		if c := cs.CRL; c != nil {
			v.CertificateStatus.CRL = &crlView{URL: c.URL, Status: c.Status, SHA256: c.SHA256, Number: c.Number, DER: c.DER, Detail: c.Detail}
			if !c.ThisUpdate.IsZero() {
				v.CertificateStatus.CRL.ThisUpdate, v.CertificateStatus.CRL.NextUpdate = c.ThisUpdate.UTC().Format(time.RFC3339), c.NextUpdate.UTC().Format(time.RFC3339)
			}
		}
	}
	if ts := s.Timestamp; ts != nil {
		v.Timestamp = &timestampView{Authority: ts.Authority, GenTime: ts.GenTime.UTC().Format(time.RFC3339), Serial: ts.Serial, Token: ts.Token}
	}
	return v
}

// signature: POST /approvals/{org}/{month}/signature → 201 with the approval.
func (h approvalHandlers) signature(c echo.Context) error {
	o, m, err := h.orgMonth(c)
	if err != nil {
		return err
	}
	caller := CallerOf(c)
	if caller == nil || !caller.Can(account.ActionApproveMonth, o) {
		return errCannotApprove
	}
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if mt, _, _ := signatureMediaType(ct); !signatureMedia[mt] {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeSignatureMedia,
			Detail: "send the detached CMS signature as application/pkcs7-signature (DER) or application/x-pem-file (PEM)"}
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, approvals.MaxSignatureSize+1))
	if err != nil {
		return err
	}
	if len(body) > approvals.MaxSignatureSize {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: "a signature is at most 256 KiB"}
	}
	level, err := approvalLevel(c)
	if err != nil {
		return err
	}
	n, err := approvalSupplement(c, level)
	if err != nil {
		return err
	}
	if err := h.available(); err != nil {
		return err
	}
	res, err := h.r.Approvals.SubmitSupplement(c.Request().Context(), o, m, level, n, body, h.s.Meta(c))
	if err != nil {
		return approvalError(err)
	}
	return c.JSON(http.StatusCreated, h.approvedView(res))
}

// approvedView is the 201 body of a recorded approval.
func (h approvalHandlers) approvedView(res approvals.Approved) approvalView {
	v := approvalViewOf(res.Signed)
	v.Version = res.Result.LastVersion
	if res.Checkpoint != nil {
		n := string(res.Checkpoint.Note)
		v.Checkpoint = &n
	}
	return v
}

type approvalStatus struct {
	Org        string        `json:"org_id"`
	Month      string        `json:"month"`
	Level      string        `json:"level"`
	Supplement int           `json:"supplement,omitempty"`
	Sealed     bool          `json:"sealed"`
	Served     []servedView  `json:"served"`
	Approval   *approvalView `json:"approval,omitempty"`
}

type servedView struct {
	Level    string `json:"level"`
	Digest   string `json:"manifest_sha256"`
	TreeSize uint64 `json:"tree_size"`
	Items    int    `json:"items"`
}

// status: GET /approvals/{org}/{month} → what was served and signed.
func (h approvalHandlers) status(c echo.Context) error {
	o, m, level, n, err := h.readable(c)
	if err != nil {
		return err
	}
	a, err := h.r.Approvals.SupplementApproval(c.Request().Context(), o, m, level, n)
	if err != nil {
		return approvalError(err)
	}
	out := approvalStatus{Org: o.String(), Month: m.String(), Level: string(level), Supplement: n, Sealed: a.Sealed(), Served: []servedView{}}
	for _, s := range a.Served() {
		out.Served = append(out.Served, servedView{Level: string(s.Level), Digest: s.Digest, TreeSize: s.TreeSize, Items: s.Items})
	}
	if s, ok := a.Signature(); ok {
		v := approvalViewOf(s)
		out.Approval = &v
	}
	return c.JSON(http.StatusOK, out)
}

// latestCheckpoint: GET /checkpoints/latest → the C2SP signed note, as text.
func (h approvalHandlers) latestCheckpoint(c echo.Context) error {
	if h.r.Checkpoints == nil {
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "checkpoints are not configured (HOSO_CHECKPOINT_KEY)"}
	}
	cp, err := h.r.Checkpoints.Latest(c.Request().Context())
	if errors.Is(err, checkpoint.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no checkpoint was taken yet"}
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Checkpoint-Size", checkpointSize(cp.Size))
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", cp.Note)
}
