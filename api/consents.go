package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/consent"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/ledger"
)

// Consent routes (Decree 27/2026; docs/privacy.md "Purpose and consent").
// The consents of a dossier are recorded by the managing org's HR (from the
// person's signed form) or by the person through their self grant, and
// withdrawn the same way; a withdrawal takes effect for the reads that
// follow it. The register is the controller's and the person's: others
// (an inspector) learn of a consent only by the read it allows, and the
// read log names the consent event.
//
// The register has its own version (the consent stream's): GET answers it
// as the ETag; a write may send it in If-Match (412 when stale). Without
// If-Match a write still appends at the version it loaded, so two writes
// never both go through on one state.

// recordConsentRequest is the body of POST /dossiers/{id}/consents.
type recordConsentRequest struct {
	ConsentID *uuid.UUID       `json:"consent_id"`
	Purposes  []policy.Purpose `json:"purposes"`
	Scope     consent.Scope    `json:"scope"`
	Recipient string           `json:"recipient"`
	// RecipientOrg or RecipientAccount name the recipient so that reads
	// by anyone else do not benefit from the consent.
	RecipientOrg     domain.OrgID          `json:"recipient_org"`
	RecipientAccount domain.AccountID      `json:"recipient_account"`
	Form             domain.SourceDocument `json:"form"`
	ValidFrom        domain.Date           `json:"valid_from"`
	ValidUntil       domain.Date           `json:"valid_until"`
	Reason           string                `json:"reason"`
}

// withdrawConsentRequest is the body of POST …/consents/{consent}/withdraw.
type withdrawConsentRequest struct {
	// SourceDocument is the person's written withdrawal, when there is one.
	SourceDocument *domain.SourceDocument `json:"source_document"`
	Reason         string                 `json:"reason"`
}

// ConsentsView is the consent register of a dossier.
type ConsentsView struct {
	DossierID domain.DossierID  `json:"dossier_id"`
	Version   uint64            `json:"version"`
	Items     []consent.Consent `json:"items"`
}

// optionalIfMatch is If-Match when sent (0 when not); malformed is 400.
func optionalIfMatch(c echo.Context) (uint64, error) {
	if strings.TrimSpace(c.Request().Header.Get("If-Match")) == "" {
		return 0, nil
	}
	return IfMatch(c)
}

// listConsents is GET /dossiers/{id}/consents: HR of the managing org, or
// the person.
func (s *Server) listConsents(c echo.Context) error {
	o, err := s.openDossier(c, forConsent, false)
	if err != nil {
		return err
	}
	cs, err := s.consents().Get(c.Request().Context(), o.d.ID())
	if err != nil {
		return err
	}
	if cs.Version() > 0 {
		SetETag(c, cs.Version())
	}
	items := cs.List()
	if items == nil {
		items = []consent.Consent{}
	}
	return c.JSON(http.StatusOK, ConsentsView{DossierID: o.d.ID(), Version: cs.Version(), Items: items})
}

// recordConsent is POST /dossiers/{id}/consents → 201 with the register.
func (s *Server) recordConsent(c echo.Context) error {
	o, err := s.openDossier(c, forConsent, false)
	if err != nil {
		return err
	}
	ifMatch, err := optionalIfMatch(c)
	if err != nil {
		return err
	}
	var req recordConsentRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	id := uuid.Must(uuid.NewV7())
	if req.ConsentID != nil {
		id = *req.ConsentID
	}
	caller := CallerOf(c)
	m := s.Meta(c)
	m.EffectiveDate, m.Source, m.Reason = caller.Today, req.Form, req.Reason
	if managing, ok := o.d.ManagingOrg(); ok && !o.access.self {
		m.Actor.ActingOrg = managing
	}
	r := consent.Recorded{ConsentID: id, DossierID: o.d.ID(), Purposes: req.Purposes, Scope: req.Scope,
		Recipient: req.Recipient, RecipientOrg: req.RecipientOrg, RecipientAccount: req.RecipientAccount, Form: req.Form, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil,
		BySubject: o.access.self}
	if r.ValidFrom.IsZero() {
		r.ValidFrom = caller.Today
	}
	ctx := c.Request().Context()
	if err := s.checkRecipient(ctx, r); err != nil {
		return err
	}
	if cs, err := s.consents().Get(ctx, o.d.ID()); err != nil {
		return err
	} else if slices.ContainsFunc(cs.List(), func(x consent.Consent) bool { return x.ConsentID == id }) {
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Detail: "this consent_id is already recorded",
			Errors: []FieldProblem{{Field: "/consent_id", Rule: "unique"}}}
	}
	if _, _, err := s.consents().Record(ctx, r, ifMatch, caller.Today, m); err != nil {
		return consentError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/dossiers/"+o.d.ID().String()+"/consents")
	return s.answerConsents(c, o.d.ID(), http.StatusCreated)
}

// checkRecipient refuses a recipient named by an id that names nothing:
// a consent to an org or account that does not exist would cover no
// reader, and the person would believe they had consented to someone.
func (s *Server) checkRecipient(ctx context.Context, r consent.Recorded) error {
	var err error
	field := ""
	switch {
	case !r.RecipientOrg.IsZero() && !r.RecipientAccount.IsZero():
		return nil // the domain names the conflict
	case !r.RecipientOrg.IsZero():
		field = "/recipient_org"
		_, err = s.deps.Orgs.Get(ctx, r.RecipientOrg)
	case !r.RecipientAccount.IsZero():
		field = "/recipient_account"
		_, err = s.deps.Accounts.Get(ctx, r.RecipientAccount)
	}
	if errors.Is(err, domain.ErrNotFound) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Detail: "the recipient named does not exist",
			Errors: []FieldProblem{{Field: field, Rule: "exists"}}}
	}
	return err
}

// withdrawConsent is POST /dossiers/{id}/consents/{consent}/withdraw.
func (s *Server) withdrawConsent(c echo.Context) error {
	o, err := s.openDossier(c, forConsent, false)
	if err != nil {
		return err
	}
	cid, err := pathUUID(c, "consent")
	if err != nil {
		return err
	}
	ifMatch, err := optionalIfMatch(c)
	if err != nil {
		return err
	}
	var req withdrawConsentRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	caller := CallerOf(c)
	m := s.Meta(c)
	m.EffectiveDate, m.Reason = caller.Today, req.Reason
	if req.SourceDocument != nil {
		if err := req.SourceDocument.Validate("source_document"); err != nil {
			return commandError(err)
		}
		m.Source = *req.SourceDocument
	}
	if managing, ok := o.d.ManagingOrg(); ok && !o.access.self {
		m.Actor.ActingOrg = managing
	}
	if _, err := s.consents().Withdraw(c.Request().Context(), o.d.ID(), cid, o.access.self, ifMatch, m); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such consent on this dossier"}
		}
		return consentError(err)
	}
	return s.answerConsents(c, o.d.ID(), http.StatusOK)
}

func (s *Server) answerConsents(c echo.Context, id domain.DossierID, status int) error {
	cs, err := s.consents().Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	SetETag(c, cs.Version())
	return c.JSON(status, ConsentsView{DossierID: id, Version: cs.Version(), Items: cs.List()})
}

// consentError maps the register's refusals: a stale If-Match is 412, an
// already withdrawn consent 409, the rest as any command.
func consentError(err error) error {
	if errors.Is(err, domain.ErrConflict) && !isVersionError(err) {
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Detail: "this consent is already withdrawn", Err: err}
	}
	return commandError(err)
}

func isVersionError(err error) bool {
	var vm *ledger.VersionMismatchError
	var ce *ledger.ConcurrencyError
	return errors.As(err, &vm) || errors.As(err, &ce)
}
