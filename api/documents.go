package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// Documents of a dossier (issue 16): the CV form as PDF and the signed
// export. Each is a logged read with exactly the JSON read's access rule
// and redaction, rendered whole into memory before the first byte is
// sent, so an error is always a problem+json and never a cut document.

// Media types of the documents.
const (
	mediaPDF = "application/pdf"
	mediaZip = "application/zip"
)

// getDossierCV is GET /dossiers/{id}/cv.pdf[?as_of=instant][&effective_on=date].
func (s *Server) getDossierCV(c echo.Context) error {
	asOf, effectiveOn, err := travelParams(c)
	if err != nil {
		return err
	}
	if s.deps.Documents == nil {
		return &Error{Status: http.StatusNotImplemented, Code: CodeNotImplemented, Detail: "documents are not wired in this process"}
	}
	o, err := s.openDossier(c, forRead, !asOf.IsZero() || !effectiveOn.IsZero())
	if err != nil {
		return err
	}
	d, err := dossierAt(o, asOf, effectiveOn)
	if err != nil {
		return err
	}
	v := viewOf(d, o.access)
	pdf, err := s.deps.Documents.CV(c.Request().Context(), export.Request{Dossier: d, Document: v.Document,
		Redacted: !o.access.sensitive, AsOf: asOf, EffectiveOn: effectiveOn})
	if err != nil {
		return err
	}
	SetETag(c, d.Version())
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="so-yeu-ly-lich-%s.pdf"`, d.ID()))
	return c.Blob(http.StatusOK, mediaPDF, pdf)
}

// exportDossier is GET /dossiers/{id}/export[?as_of=instant]: the signed
// package of the dossier as known at as_of (default: now). An instant
// after now is refused: the package states what the ledger knew then.
func (s *Server) exportDossier(c echo.Context) error {
	asOf, err := queryInstant(c, "as_of")
	if err != nil {
		return err
	}
	now := s.deps.now()
	if asOf.After(now) {
		return BadParameter("query:as_of", "future", "as_of is after now: an export states what the ledger knew at a past instant")
	}
	if asOf.IsZero() {
		asOf = now
	}
	docs := s.deps.Documents
	if docs == nil || docs.Seal == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Detail: "no seal is configured (HOSO_SEAL_CERT, HOSO_SEAL_KEY): exports cannot be signed"}
	}
	o, err := s.openDossier(c, forRead, true)
	if err != nil {
		return err
	}
	d, err := dossierAt(o, asOf, domain.Date{})
	if err != nil {
		return err
	}
	v := viewOf(d, o.access)
	v.AsOf = &asOf
	zip, err := docs.Package(c.Request().Context(), export.Request{Dossier: d, Document: v.Document, Redacted: !o.access.sensitive, AsOf: asOf},
		v, CallerOf(c).Account.Username())
	if errors.Is(err, export.ErrNoSeal) {
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Detail: err.Error()}
	}
	if err != nil {
		return err
	}
	SetETag(c, d.Version())
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="ho-so-%s-v%d.zip"`, d.ID(), d.Version()))
	return c.Blob(http.StatusOK, mediaZip, zip)
}

// OperatorView is the dossier as GET /dossiers/{id} shows it to a reader
// entitled to everything, as known at asOf: the dossier JSON of an export
// made by an operator (`hoso export`), who reads through the database and
// is not scoped by grants.
func OperatorView(d *dossier.Dossier, asOf time.Time) DossierView {
	v := viewOf(d, access{read: true, sensitive: true})
	v.AsOf = &asOf
	return v
}
