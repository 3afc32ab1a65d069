package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

// maxImportFile bounds an uploaded import file: a province's 50,000
// dossiers with their history fit in a workbook of a few tens of MiB.
const maxImportFile = 256 << 20

// ImportRequest is a bulk import to run (issue 17).
type ImportRequest struct {
	Org         domain.OrgID
	Decision    domain.SourceDocument
	Actor       domain.Actor
	DryRun      bool
	SkipInvalid bool
	// File is the uploaded file, saved in a temporary file whose name ends
	// in its kind (".xlsx", ".zip"); the import owns it and removes it.
	File string
}

// ImportStatus is an import's progress and outcome. It holds counts, row
// numbers, reasons and the file's SHA-256, never a cell's value.
type ImportStatus struct {
	ID         uuid.UUID
	Org        domain.OrgID
	FileSHA256 string
	DryRun     bool
	// State is running, done (written, or checked on a dry run), invalid
	// (problems and nothing written) or failed (Error says why; the same
	// file again resumes).
	State                     string
	Phase                     string // check, write
	RowsDone, RowsTotal       int
	Rows, InvalidRows         int
	Created, Existing, Events int
	Skipped                   int
	Problems                  []importfile.Problem
	Error                     string
	StartedAt, UpdatedAt      time.Time
	FinishedAt                *time.Time
}

// ErrImportNotFound is what Imports.Get returns for an unknown import.
var ErrImportNotFound = errors.New("api: no such import")

// Imports runs bulk imports beside the requests: Start answers at once and
// the import proceeds; Get reads its status.
type Imports interface {
	// Start records the import and runs it in the background.
	Start(ctx context.Context, r ImportRequest) (ImportStatus, error)
	// Get returns an import's status; ErrImportNotFound when none.
	Get(ctx context.Context, id uuid.UUID) (ImportStatus, error)
}

// ImportView is an import's status as the API shows it.
type ImportView struct {
	ID          string               `json:"id"`
	Org         string               `json:"org_id"`
	FileSHA256  string               `json:"file_sha256"`
	DryRun      bool                 `json:"dry_run"`
	State       string               `json:"state"`
	Phase       string               `json:"phase"`
	RowsDone    int                  `json:"rows_done"`
	RowsTotal   int                  `json:"rows_total"`
	Rows        int                  `json:"rows"`
	InvalidRows int                  `json:"invalid_rows"`
	Created     int                  `json:"dossiers_created"`
	Existing    int                  `json:"dossiers_existing"`
	Events      int                  `json:"events_appended"`
	Skipped     int                  `json:"rows_skipped"`
	Problems    int                  `json:"problems"`
	Error       string               `json:"error,omitempty"`
	StartedAt   time.Time            `json:"started_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
	FinishedAt  *time.Time           `json:"finished_at,omitempty"`
	Report      map[string]string    `json:"report"`
	First       []importfile.Problem `json:"first_problems"`
}

func viewImport(st ImportStatus) ImportView {
	path := importPath(st.ID)
	v := ImportView{ID: st.ID.String(), Org: st.Org.String(), FileSHA256: st.FileSHA256, DryRun: st.DryRun, State: st.State, Phase: st.Phase,
		RowsDone: st.RowsDone, RowsTotal: st.RowsTotal, Rows: st.Rows, InvalidRows: st.InvalidRows, Created: st.Created,
		Existing: st.Existing, Events: st.Events, Skipped: st.Skipped, Problems: len(st.Problems), Error: st.Error,
		StartedAt: st.StartedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC(),
		Report: map[string]string{"xlsx": path + "/report.xlsx", "json": path + "/report.json"},
		First:  st.Problems[:min(len(st.Problems), 20)]}
	if v.First == nil {
		v.First = []importfile.Problem{}
	}
	if st.FinishedAt != nil {
		t := st.FinishedAt.UTC()
		v.FinishedAt = &t
	}
	return v
}

func importPath(id uuid.UUID) string { return "/api/v1/imports/" + id.String() }

// startImport is POST /imports, multipart/form-data (HR of the org):
//
//	file              the workbook (.xlsx) or a zip of CSV files
//	org_id            the org whose dossiers the file holds
//	decision_number   "15/QĐ-UBND": the decision to move the org onto hoso
//	decision_date     yyyy-mm-dd
//	decision_issuer   "UBND tỉnh Phú Thọ"
//	dry_run           optional, true: check only
//	skip_invalid      optional, true: write the valid rows when some are invalid
//
// It answers 202 with the import's status and its address; the import
// checks every row, then writes (see app/imports).
func (s *Server) startImport(c echo.Context) error {
	form, err := parseMultipart(c, maxImportFile, 8<<20, "an import file")
	if err != nil {
		return err
	}
	defer func() { _ = form.RemoveAll() }()
	var problems []FieldProblem
	field := func(name string) string { return formValue(form, name) }
	flag := func(name string) bool {
		switch field(name) {
		case "", "false":
			return false
		case "true":
			return true
		}
		problems = append(problems, FieldProblem{Field: "form:" + name, Rule: "format", Detail: "true or false"})
		return false
	}
	org, err := domain.ParseOrgID(field("org_id"))
	if err != nil {
		problems = append(problems, FieldProblem{Field: "form:org_id", Rule: "required", Detail: "the org's id"})
	}
	doc := domain.SourceDocument{Kind: "decision", Number: field("decision_number"), Issuer: field("decision_issuer")}
	if d, err := domain.ParseDate(field("decision_date")); err != nil {
		problems = append(problems, FieldProblem{Field: "form:decision_date", Rule: "format", Detail: "yyyy-mm-dd"})
	} else {
		doc.Date = d
	}
	dry, skip := flag("dry_run"), flag("skip_invalid")
	files := form.File["file"]
	ext := ""
	if len(files) != 1 {
		problems = append(problems, FieldProblem{Field: "form:file", Rule: "required", Detail: "exactly one file part"})
	} else if ext = strings.ToLower(files[0].Filename[strings.LastIndexByte(files[0].Filename, '.')+1:]); ext != "xlsx" && ext != "zip" {
		problems = append(problems, FieldProblem{Field: "form:file", Rule: "media_type", Detail: "a workbook (.xlsx) or a zip of CSV files (.zip)"})
	}
	if len(problems) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Errors: problems}
	}
	if err := doc.Validate("form:decision"); err != nil {
		return commandError(err)
	}
	if !CallerOf(c).Can(account.ActionWriteDossier, org) {
		return &Error{Status: http.StatusForbidden, Code: CodeForbidden,
			Errors: []FieldProblem{{Field: "form:org_id", Rule: "scope", Detail: "you do not keep the dossiers of this org"}}}
	}
	path, err := saveUpload(files[0], ext)
	if err != nil {
		return err
	}
	m := s.Meta(c)
	m.Actor.ActingOrg = org
	st, err := s.deps.Imports.Start(c.Request().Context(), ImportRequest{Org: org, Decision: doc, Actor: m.Actor, DryRun: dry, SkipInvalid: skip, File: path})
	if err != nil {
		_ = os.Remove(path)
		return commandError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, importPath(st.ID))
	return c.JSON(http.StatusAccepted, viewImport(st))
}

// saveUpload copies the uploaded part into a temporary file of its own,
// which outlives the request (the multipart form's files do not). The
// import removes it when done.
func saveUpload(fh *multipart.FileHeader, ext string) (string, error) {
	in, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp("", "hoso-import-*."+ext)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		_ = os.Remove(out.Name())
		return "", err
	}
	if err := out.Close(); err != nil {
		_ = os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// importFor reads the import of the request's path, for a caller who keeps
// the dossiers of its org; anyone else gets 404.
func (s *Server) importFor(c echo.Context) (ImportStatus, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return ImportStatus{}, err
	}
	st, err := s.deps.Imports.Get(c.Request().Context(), id)
	if errors.Is(err, ErrImportNotFound) {
		return st, notFound
	}
	if err != nil {
		return st, err
	}
	if !CallerOf(c).Can(account.ActionWriteDossier, st.Org) {
		return st, notFound
	}
	return st, nil
}

// getImport is GET /imports/{id}: the import's progress and outcome.
func (s *Server) getImport(c echo.Context) error {
	st, err := s.importFor(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewImport(st))
}

// importReport is GET /imports/{id}/report.xlsx and report.json: the
// problems found, by sheet, row and cell, with their Vietnamese reasons
// (the cells' values are not kept by the server).
func (s *Server) importReport(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		st, err := s.importFor(c)
		if err != nil {
			return err
		}
		rep := &importfile.Report{FileSHA256: st.FileSHA256, Rows: st.Rows, InvalidRows: st.InvalidRows, Problems: st.Problems}
		if rep.Problems == nil {
			rep.Problems = []importfile.Problem{}
		}
		var buf bytes.Buffer
		if format == "json" {
			if err := rep.WriteJSON(&buf); err != nil {
				return err
			}
			return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
		}
		if err := rep.WriteXLSX(&buf); err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="bao-cao-loi-`+st.ID.String()+`.xlsx"`)
		return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
	}
}
