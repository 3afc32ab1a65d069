package pgadapter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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
	"github.com/hoso-ledger/hoso/internal/pgerr"
)

// Imports is api.Imports on PostgreSQL: the status of each import in the
// imports table (counts, row numbers, reasons, the file's SHA-256 — never
// a cell's value), the import itself run by app/imports in a goroutine.
type Imports struct {
	pool     *pgxpool.Pool
	importer importRunner
	now      func() time.Time
	log      *slog.Logger
	// wg tracks the running imports, for Wait.
	wg sync.WaitGroup
}

// importRunner is what runs an import: imports.Importer, or in this
// package's tests one that holds an import open until told.
type importRunner interface {
	Run(ctx context.Context, src importfile.Source, opts imports.Options) (imports.Result, error)
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
// request that started it ends at once.
//
// While it runs, the process holds a session advisory lock named after the
// import on a connection of its own. A process that dies mid-import (kill
// -9, a crash, a lost host) loses the connection and so the lock, and Get
// then reports the import failed as interrupted instead of leaving it
// "running" for ever. The server does not keep the uploaded file (it holds
// personal data), so it cannot resume by itself: the same file uploaded
// again resumes the work (the import is idempotent), under a new id.
func (s *Imports) Start(ctx context.Context, r api.ImportRequest) (api.ImportStatus, error) {
	src, err := importfile.Open(r.File)
	if err != nil {
		return api.ImportStatus{}, domain.Invalid("form:file", "format", "not a readable workbook or zip of CSV files")
	}
	now := s.now().UTC()
	st := api.ImportStatus{ID: uuid.Must(uuid.NewV7()), Org: r.Org, FileSHA256: src.SHA256(), DryRun: r.DryRun, State: "running", Phase: "check",
		StartedAt: now, UpdatedAt: now}
	// The lock is taken before the row exists, so that no reader ever sees
	// a running import that nobody holds.
	release, err := s.hold(ctx, st.ID)
	if err != nil {
		src.Close()
		return api.ImportStatus{}, err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO imports (id, org_id, actor_id, file_sha256, dry_run, skip_invalid, started_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, st.ID, uuid.UUID(r.Org), uuid.UUID(r.Actor.Account), st.FileSHA256, r.DryRun, r.SkipInvalid, now)
	if err != nil {
		release()
		src.Close()
		return api.ImportStatus{}, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer os.Remove(r.File)
		defer src.Close()
		// Released only after the outcome is recorded: a reader that finds
		// the lock free finds the row final or the process gone.
		defer release()
		s.run(st.ID, src, r)
	}()
	return st, nil
}

// interruptedReason is what an import whose process died says.
const interruptedReason = "interrupted: the server that ran this import stopped before it ended; upload the same file again to resume (nothing written is written twice)"

// databaseLostReason is what an import says whose database went away
// under it (crashed, restarted, unreachable): the same resumption as a
// dead process, but the cause is the database's, not the server's.
const databaseLostReason = "interrupted: the database went away before this import ended; upload the same file again to resume (nothing written is written twice)"

// databaseLost reports whether an import failed because its database went
// away. A session cut mid-COPY reaches the importer as a bare early EOF,
// which pgerr.Unavailable leaves alone (a decoder may return one for bad
// data); the import read and checked its whole file before writing, so
// here it can only be the connection.
func databaseLost(err error) bool {
	return pgerr.Unavailable(err) || errors.Is(err, io.ErrUnexpectedEOF)
}

// outcomeRetry bounds how long an import's outcome is retried while the
// database is unreachable: past it the row stays running, and Get, finding
// the lock gone with the session, settles it as interrupted.
const outcomeRetry = 30 * time.Second

// importLockClass is the first key of every import's advisory lock; the
// second is hashtext of the schema and the import's id (lockKey).
const importLockClass = "hoso.import"

func lockKey(id uuid.UUID) string { return "/" + id.String() }

// hold takes import id's advisory lock on a connection outside the pool
// (an import may run for minutes; it must not hold one of the requests'
// connections), and returns what releases it.
func (s *Imports) hold(ctx context.Context, id uuid.UUID) (release func(), err error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1), hashtext(current_schema() || $2))`, importLockClass, lockKey(id)); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return func() { conn.Close(context.WithoutCancel(ctx)) }, nil
}

// settleOrphan records import id as failed (interrupted) when it is still
// running and no session holds its lock: the process that ran it is gone.
// It reports whether it did.
func (s *Imports) settleOrphan(ctx context.Context, id uuid.UUID) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE imports SET state = 'failed', error = $2, updated_at = $3, finished_at = $3
		WHERE id = $1 AND state = 'running' AND NOT EXISTS (
			SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
			   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			   AND classid = hashtext($4)::oid AND objid = hashtext(current_schema() || $5)::oid)`,
		id, interruptedReason, s.now().UTC(), importLockClass, lockKey(id))
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() > 0 {
		s.log.Warn("import interrupted: its process is gone", "import", id)
	}
	return tag.RowsAffected() > 0, nil
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
	case databaseLost(err):
		state, msg = "failed", databaseLostReason+" ("+err.Error()+")"
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
	// The database that failed the import may be starting again: the
	// outcome waits for it a while rather than leave a cause to guess.
	wait := 100 * time.Millisecond
	for deadline := time.Now().Add(outcomeRetry); ; wait = min(2*wait, 2*time.Second) {
		_, err = s.pool.Exec(ctx, `UPDATE imports SET state = $2, phase = $3, rows_read = $4, invalid_rows = $5, created = $6, existing = $7,
			events = $8, skipped = $9, problems = $10, error = NULLIF($11, ''), rows_done = CASE WHEN $12 THEN rows_total ELSE rows_done END,
			updated_at = $13, finished_at = $13 WHERE id = $1`,
			id, state, phase, rep.Rows, rep.InvalidRows, res.Created, res.Existing, res.Events, res.Skipped, problems, msg, res.Written, s.now().UTC())
		if !pgerr.Unavailable(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(wait)
	}
	if err != nil {
		s.log.Error("import outcome not recorded", "import", id, "state", state, "err", err)
	}
	s.log.Info("import ended", "import", id, "state", state, "rows", rep.Rows, "invalid_rows", rep.InvalidRows, "created", res.Created, "events", res.Events)
}

// Get implements api.Imports. A running import whose process is gone is
// recorded failed as interrupted first (see Start).
func (s *Imports) Get(ctx context.Context, id uuid.UUID) (api.ImportStatus, error) {
	if _, err := s.settleOrphan(ctx, id); err != nil {
		return api.ImportStatus{}, err
	}
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
