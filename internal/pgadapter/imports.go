package pgadapter

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/app/imports"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

// Imports is api.Imports on PostgreSQL: the status of each import in the
// imports table (counts, row numbers, reasons, the file's SHA-256 — never
// a cell's value), the import itself run by app/imports in a goroutine.
type Imports struct {
	pool     *pgxpool.Pool
	importer imports.Importer
	now      func() time.Time
	log      *slog.Logger
	// wg tracks the running imports, for Wait.
	wg sync.WaitGroup
}

// NewImports returns the imports of pool, run by importer.
func NewImports(pool *pgxpool.Pool, importer imports.Importer, now func() time.Time, log *slog.Logger) *Imports {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Imports{pool: pool, importer: importer, now: now, log: log}
}

// Start implements api.Imports. The import runs on its own context: the
// request that started it ends at once. A process that stops mid-import
// leaves its row running; the same file uploaded again resumes the work
// (the import is idempotent), under a new id.
func (s *Imports) Start(ctx context.Context, r api.ImportRequest) (api.ImportStatus, error) {
	src, err := importfile.Open(r.File)
	if err != nil {
		return api.ImportStatus{}, domain.Invalid("form:file", "format", "not a readable workbook or zip of CSV files")
	}
	now := s.now().UTC()
	st := api.ImportStatus{ID: uuid.Must(uuid.NewV7()), Org: r.Org, FileSHA256: src.SHA256(), DryRun: r.DryRun, State: "running", Phase: "check",
		StartedAt: now, UpdatedAt: now}
	_, err = s.pool.Exec(ctx, `INSERT INTO imports (id, org_id, actor_id, file_sha256, dry_run, skip_invalid, started_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, st.ID, uuid.UUID(r.Org), uuid.UUID(r.Actor.Account), st.FileSHA256, r.DryRun, r.SkipInvalid, now)
	if err != nil {
		src.Close()
		return api.ImportStatus{}, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer os.Remove(r.File)
		defer src.Close()
		s.run(st.ID, src, r)
	}()
	return st, nil
}

// Wait blocks until every import started so far has ended (tests, shutdown).
func (s *Imports) Wait() { s.wg.Wait() }

func (s *Imports) run(id uuid.UUID, src importfile.Source, r api.ImportRequest) {
	ctx := context.Background()
	var last time.Time
	progress := func(p imports.Progress) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		if _, err := s.pool.Exec(ctx, `UPDATE imports SET phase = $2, rows_done = $3, rows_total = $4, created = $5, events = $6, updated_at = $7 WHERE id = $1`,
			id, p.Phase, p.Rows, p.Total, p.Dossiers, p.Events, s.now().UTC()); err != nil {
			s.log.Warn("import progress not recorded", "import", id, "err", err)
		}
	}
	var mu sync.Mutex // workers report at once
	res, err := s.importer.Run(ctx, src, imports.Options{Org: r.Org, Decision: r.Decision, Actor: r.Actor, DryRun: r.DryRun,
		SkipInvalid: r.SkipInvalid, Now: s.now, Progress: func(p imports.Progress) { mu.Lock(); defer mu.Unlock(); progress(p) }})
	state, msg := "done", ""
	switch {
	case err != nil:
		state, msg = "failed", err.Error()
	case len(res.Report.Problems) > 0 && !res.Written && !r.DryRun:
		state = "invalid"
	}
	rep := res.Report
	if rep == nil {
		rep = &importfile.Report{}
	}
	problems, jerr := json.Marshal(rep.Problems)
	if jerr != nil || rep.Problems == nil {
		problems = []byte("[]")
	}
	phase := "check"
	if res.Written {
		phase = "write"
	}
	_, err = s.pool.Exec(ctx, `UPDATE imports SET state = $2, phase = $3, rows_read = $4, invalid_rows = $5, created = $6, existing = $7,
		events = $8, skipped = $9, problems = $10, error = NULLIF($11, ''), rows_done = CASE WHEN $12 THEN rows_total ELSE rows_done END,
		updated_at = $13, finished_at = $13 WHERE id = $1`,
		id, state, phase, rep.Rows, rep.InvalidRows, res.Created, res.Existing, res.Events, res.Skipped, problems, msg, res.Written, s.now().UTC())
	if err != nil {
		s.log.Error("import outcome not recorded", "import", id, "state", state, "err", err)
	}
	s.log.Info("import ended", "import", id, "state", state, "rows", rep.Rows, "invalid_rows", rep.InvalidRows, "created", res.Created, "events", res.Events)
}

// Get implements api.Imports.
func (s *Imports) Get(ctx context.Context, id uuid.UUID) (api.ImportStatus, error) {
	var st api.ImportStatus
	var org uuid.UUID
	var problems []byte
	var msg *string
	err := s.pool.QueryRow(ctx, `SELECT id, org_id, file_sha256, dry_run, state, phase, rows_done, rows_total, rows_read, invalid_rows,
		created, existing, events, skipped, problems, error, started_at, updated_at, finished_at FROM imports WHERE id = $1`, id).Scan(
		&st.ID, &org, &st.FileSHA256, &st.DryRun, &st.State, &st.Phase, &st.RowsDone, &st.RowsTotal, &st.Rows, &st.InvalidRows,
		&st.Created, &st.Existing, &st.Events, &st.Skipped, &problems, &msg, &st.StartedAt, &st.UpdatedAt, &st.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, api.ErrImportNotFound
	}
	if err != nil {
		return st, err
	}
	st.Org = domain.OrgID(org)
	if msg != nil {
		st.Error = *msg
	}
	return st, json.Unmarshal(problems, &st.Problems)
}
