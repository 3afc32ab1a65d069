package approvals

import (
	"errors"

	"github.com/hoso-ledger/hoso/domain"
)

// Stable codes of the refusals; the API shows them as problem+json codes.
const (
	CodeCMSMalformed       = "cms_malformed"
	CodeSignatureMismatch  = "signature_mismatch"
	CodeSigningTime        = "signing_time_implausible"
	CodeCertExpired        = "certificate_expired"
	CodeCertNotYetValid    = "certificate_not_yet_valid"
	CodeCertUntrusted      = "certificate_untrusted"
	CodeCertKeyUsage       = "certificate_key_usage"
	CodeCertNotRegistered  = "certificate_not_registered"
	CodeCertRevoked        = "certificate_revoked"
	CodeSignerNotApprover  = "signer_not_approver"
	CodeManifestNotServed  = "manifest_not_served"
	CodeManifestSuperseded = "manifest_superseded"
	CodeManifestStale      = "manifest_stale"
	CodeMonthSealed        = "month_sealed"
	CodeMonthNotBegun      = "month_not_begun"
	CodeLevelNotAllowed    = "level_not_allowed"
	CodeNoUnitApprovals    = "no_unit_approvals"
	CodeManifestTampered   = "manifest_tampered"
	CodeLevelMismatch      = "level_mismatch"
	// CodeSignedBothLevels: the signer (account or certificate subject)
	// signed a unit approval that this level-2 approval would cover.
	CodeSignedBothLevels = "signer_signed_both_levels"
	// CodeSupplementNotDue: a supplementary department approval before the
	// approval it follows is sealed.
	CodeSupplementNotDue = "supplement_not_due"
)

// Error is a refused approval or manifest request. Kind is one of the
// domain's kinds (ErrInvalid: the upload is wrong; ErrForbidden: the signer
// may not approve; ErrConflict: the month's state does not allow it), which
// Unwrap returns, so errors.Is works with both Kind and Code sentinels.
type Error struct {
	Code   string
	Kind   error
	Detail string
	Err    error // the cause, if any
}

func (e *Error) Error() string {
	msg := "approvals: " + e.Code
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap reaches the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

func refuse(code string, kind error, detail string, cause error) *Error {
	return &Error{Code: code, Kind: kind, Detail: detail, Err: cause}
}

// CodeOf returns the code of an *Error in err's chain, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// fromState turns an approval aggregate's StateError into an *Error with
// the same rule as code.
func fromState(err error) error {
	var se *domain.StateError
	if errors.As(err, &se) {
		return refuse(se.Rule, domain.ErrConflict, se.Detail, nil)
	}
	return err
}
