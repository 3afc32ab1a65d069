package api

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
)

// Signing through a remote hash-signing service (VNPT SmartCA, Viettel
// MySign style), in two calls:
//
//	POST /approvals/{org}/{yyyy-mm}/signature/prepare[?level=…[&supplement=n]]
//	     {"certificate": PEM or base64 DER} or {"fingerprint_sha256": hex}
//	  → the SHA-256 of the CMS signed attributes to have signed, and a prepare id
//	POST /approvals/{org}/{yyyy-mm}/signature/complete[?level=…[&supplement=n]]
//	     {"prepare_id": …, "signature": base64}
//	  → 201 with the approval, as POST …/signature

type prepareRequest struct {
	Certificate string `json:"certificate,omitempty"`
	Fingerprint string `json:"fingerprint_sha256,omitempty"`
}

type prepareView struct {
	PrepareID          string `json:"prepare_id"`
	ManifestDigest     string `json:"manifest_sha256"`
	Fingerprint        string `json:"certificate_fingerprint_sha256"`
	HashAlgorithm      string `json:"hash_algorithm"`
	SignatureAlgorithm string `json:"signature_algorithm"`
	DigestHex          string `json:"digest_hex"`
	DigestBase64       string `json:"digest_base64"`
	SignedAttributes   string `json:"signed_attributes_base64"`
	SigningTime        string `json:"signing_time"`
	ExpiresAt          string `json:"expires_at"`
}

type completeRequest struct {
	PrepareID string `json:"prepare_id"`
	Signature string `json:"signature"`
}

// approvable resolves org-month, level and supplement for a caller who may
// approve the org.
func (h approvalHandlers) approvable(c echo.Context) (domain.OrgID, approval.Month, approval.Level, int, error) {
	return h.resolve(c, account.ActionApproveMonth)
}

// prepareSignature: POST /approvals/{org}/{month}/signature/prepare.
func (h approvalHandlers) prepareSignature(c echo.Context) error {
	o, m, level, n, err := h.approvable(c)
	if err != nil {
		return err
	}
	var req prepareRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var cert []byte
	if s := strings.TrimSpace(req.Certificate); s != "" {
		if strings.HasPrefix(s, "-----BEGIN") {
			cert = []byte(s)
		} else if cert, err = base64.StdEncoding.DecodeString(s); err != nil {
			return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Detail: "certificate: PEM or base64 DER",
				Errors: []FieldProblem{{Field: "/certificate", Rule: "format"}}}
		}
	}
	p, err := h.r.Approvals.Prepare(c.Request().Context(), o, m, level, n, cert, req.Fingerprint)
	if err != nil {
		return approvalError(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, prepareView{
		PrepareID: p.ID, ManifestDigest: p.ManifestDigest, Fingerprint: p.Fingerprint,
		HashAlgorithm: "SHA-256", SignatureAlgorithm: p.SignatureAlgorithm,
		DigestHex: hex.EncodeToString(p.Digest), DigestBase64: base64.StdEncoding.EncodeToString(p.Digest),
		SignedAttributes: base64.StdEncoding.EncodeToString(p.SignedAttributes),
		SigningTime:      p.SigningTime.Format(time.RFC3339), ExpiresAt: p.ExpiresAt.Format(time.RFC3339),
	})
}

// completeSignature: POST /approvals/{org}/{month}/signature/complete.
func (h approvalHandlers) completeSignature(c echo.Context) error {
	o, m, level, n, err := h.approvable(c)
	if err != nil {
		return err
	}
	var req completeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(req.Signature))
	if err != nil || len(sig) == 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Detail: "signature: the raw signature in base64",
			Errors: []FieldProblem{{Field: "/signature", Rule: "format"}}}
	}
	res, err := h.r.Approvals.Complete(c.Request().Context(), o, m, level, n, req.PrepareID, sig, h.s.Meta(c))
	if err != nil {
		return approvalError(err)
	}
	return c.JSON(http.StatusCreated, h.approvedView(res))
}
