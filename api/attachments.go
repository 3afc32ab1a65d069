package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/vntext"
)

// maxAttachment bounds one uploaded scan: a multi-page decision scanned
// at office resolution fits; a video does not.
const maxAttachment = 20 << 20

// attachmentTypes are the media types accepted for scans (sniffed from the
// bytes, not trusted from the client).
var attachmentTypes = map[string]bool{
	"application/pdf": true,
	"image/jpeg":      true,
	"image/png":       true,
	"image/tiff":      true,
	"image/webp":      true,
}

// AttachmentView answers an upload.
type AttachmentView struct {
	SHA256    string       `json:"sha256"`
	MediaType string       `json:"media_type"`
	Size      int64        `json:"size"`
	URL       string       `json:"url"`
	Dossier   *DossierView `json:"dossier,omitempty"`
}

// uploadAttachment is POST /dossiers/{id}/attachments, multipart/form-data:
//
//	file              the scan (PDF, JPEG, PNG, TIFF or WebP; ≤ 20 MiB)
//	title             optional
//	document_kind     decision, contract, certificate, form…
//	document_number   "123/QĐ-UBND"
//	document_date     yyyy-mm-dd
//	document_issuer   "UBND tỉnh Phú Thọ"
//	effective_date    optional, yyyy-mm-dd (default today)
//	reason            optional
//
// The bytes are stored by SHA-256 and the dossier records a
// dossier.document_attached.v1 event naming them.
func (s *Server) uploadAttachment(c echo.Context) error {
	o, err := s.openDossier(c, forWrite, false)
	if err != nil {
		return err
	}
	ifMatch, err := IfMatch(c)
	if err != nil {
		return err
	}
	form, err := parseMultipart(c, maxAttachment, 1<<20, "a scan")
	if err != nil {
		return err
	}
	defer func() { _ = form.RemoveAll() }()
	var problems []FieldProblem
	field := func(name string) string { return formValue(form, name) }
	date := func(name string) domain.Date {
		v := field(name)
		if v == "" {
			return domain.Date{}
		}
		d, err := domain.ParseDate(v)
		if err != nil {
			problems = append(problems, FieldProblem{Field: "form:" + name, Rule: "format", Detail: "yyyy-mm-dd"})
		}
		return d
	}
	doc := domain.SourceDocument{Kind: field("document_kind"), Number: field("document_number"), Date: date("document_date"), Issuer: field("document_issuer")}
	env := envelopeFields{EffectiveDate: date("effective_date"), Reason: field("reason")}
	files := form.File["file"]
	if len(files) != 1 {
		problems = append(problems, FieldProblem{Field: "form:file", Rule: "required", Detail: "exactly one file part"})
	}
	if len(problems) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: problems}
	}
	f, err := files[0].Open()
	if err != nil {
		return err
	}
	content, err := io.ReadAll(io.LimitReader(f, maxAttachment+1))
	_ = f.Close()
	if err != nil {
		return err
	}
	if len(content) > maxAttachment {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: fmt.Sprintf("a scan is at most %d bytes", maxAttachment)}
	}
	if len(content) == 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: []FieldProblem{{Field: "form:file", Rule: "required", Detail: "the file is empty"}}}
	}
	media, _, _ := mime.ParseMediaType(http.DetectContentType(content))
	if strings.HasPrefix(string(content), "II*\x00") || strings.HasPrefix(string(content), "MM\x00*") {
		media = "image/tiff"
	}
	if !attachmentTypes[media] {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMedia, Detail: "scans are PDF, JPEG, PNG, TIFF or WebP",
			Errors: []FieldProblem{{Field: "form:file", Rule: "media_type", Detail: media}}}
	}
	sum := sha256.Sum256(content)
	doc.SHA256 = hex.EncodeToString(sum[:])
	// Validate before storing bytes: bad metadata leaves nothing behind.
	if err := doc.Validate("attachment/document"); err != nil {
		return commandError(err)
	}
	ctx := c.Request().Context()
	// The bytes go first: an append that follows a crash finds them, and
	// bytes that no event names are found again by the same upload. Which
	// dossiers cite them is the attachments projection's, from the event.
	if err := s.deps.Attachments.PutAttachment(ctx, Attachment{SHA256: doc.SHA256, MediaType: media, Content: content,
		UploadedAt: s.deps.now(), UploadedBy: CallerOf(c).ID()}); err != nil {
		return err
	}
	m := s.metaWith(c, env)
	if _, err := s.deps.Dossiers.Attach(ctx, o.d.ID(), ifMatch, dossier.Attachment{Document: doc, Title: field("title")}, m); err != nil {
		return commandError(err)
	}
	d, err := s.deps.Dossiers.Get(ctx, o.d.ID())
	if err != nil {
		return err
	}
	v := viewOf(d, accessTo(CallerOf(c), d, domain.OrgID{}))
	SetETag(c, d.Version())
	url := "/api/v1/attachments/" + doc.SHA256
	c.Response().Header().Set(echo.HeaderLocation, url)
	return c.JSON(http.StatusCreated, AttachmentView{SHA256: doc.SHA256, MediaType: media, Size: int64(len(content)), URL: url, Dossier: &v})
}

// parseMultipart reads a multipart/form-data body whose file is at most
// max bytes, keeping up to mem bytes in memory (the rest in temporary
// files, which the caller removes with form.RemoveAll); what names the
// file in the 413's detail ("a scan").
func parseMultipart(c echo.Context, max, mem int64, what string) (*multipart.Form, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != "multipart/form-data" {
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMedia, Detail: "send multipart/form-data with a file part",
			Errors: []FieldProblem{{Field: "header:Content-Type", Rule: "media_type"}}}
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, max+64<<10)
	if err := c.Request().ParseMultipartForm(mem); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge, Detail: fmt.Sprintf("%s is at most %d bytes", what, max)}
		}
		return nil, &Error{Status: http.StatusBadRequest, Code: CodeMalformedJSON, Detail: "the multipart body cannot be read", Err: err}
	}
	return c.Request().MultipartForm, nil
}

// formValue is a form field's first value, trimmed and NFC-normalized;
// "" when absent.
func formValue(form *multipart.Form, name string) string {
	vs := form.Value[name]
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vntext.NFC(vs[0]))
}

// downloadAttachment is GET /attachments/{sha256}: the scan, for a caller
// who may read a dossier it is attached to (the read is logged against
// that dossier). Anyone else gets 404, logged as a refused read of each
// dossier that cites it. Outside personnel work the download is gated by
// purpose like the dossier's own routes (purposeGate): a scan handed out
// is a copy, so a consent it relies on must be of scope copy. Of the
// dossiers that cite the scan, one the caller reads as personnel work is
// preferred (no purpose asked), else the first the caller may read.
func (s *Server) downloadAttachment(c echo.Context) error {
	sha := c.Param("sha256")
	if b, err := hex.DecodeString(sha); err != nil || len(b) != 32 || strings.ToLower(sha) != sha {
		return BadParameter("path:sha256", "format", "64 lower-case hex digits")
	}
	stated, err := statePurpose(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ids, err := s.deps.Attachments.AttachmentDossiers(ctx, sha)
	if err != nil {
		return err
	}
	caller := CallerOf(c)
	var reader *dossier.Dossier
	var readerAccess access
	for _, id := range ids {
		h, d, err := s.loadHistory(ctx, id)
		if err != nil {
			continue
		}
		a := accessTo(caller, d, s.archiveProvince(ctx, h, d))
		if a.read && (reader == nil || personnelWork(a) && !personnelWork(readerAccess)) {
			reader, readerAccess = d, a
		}
	}
	notFound := &Error{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such attachment"}
	if reader == nil {
		for _, id := range ids {
			if err := s.LogRead(c, id, ReadRefused); err != nil {
				return err
			}
		}
		return notFound
	}
	if err := s.purposeGate(c, reader, readerAccess, stated); err != nil {
		if isPurposeRefusal(err) {
			if lerr := s.LogRead(c, reader.ID(), ReadRefused); lerr != nil {
				return lerr
			}
		}
		return err
	}
	media, content, err := s.deps.Attachments.Attachment(ctx, sha)
	if errors.Is(err, domain.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	if err := s.LogRead(c, reader.ID(), ReadAllowed); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", `"`+sha+`"`)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+sha+`"`)
	return c.Blob(http.StatusOK, media, content)
}
