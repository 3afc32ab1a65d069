package pgadapter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/app/imports"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/internal/importfile"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// heldImport runs an import that ends only when told, to look at it while
// it runs.
type heldImport struct {
	started chan struct{}
	finish  chan struct{}
}

func (h heldImport) Run(ctx context.Context, src importfile.Source, opts imports.Options) (imports.Result, error) {
	close(h.started)
	<-h.finish
	return imports.Result{Report: &importfile.Report{}}, nil
}

// templateFile writes the import template, a readable workbook, for Start.
func templateFile(t *testing.T) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "mau.xlsx")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := importfile.WriteTemplate(f, catalog.Default()); err != nil {
		t.Fatal(err)
	}
	return name
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestImportOfADeadProcessIsInterrupted: an import stays running while its
// process holds it, even when read from another process; once the process
// is gone (its lock connection closed, as a kill -9 closes it), the next
// read records it failed as interrupted, saying how to resume, and a late
// outcome from a process that was only cut off still wins.
func TestImportOfADeadProcessIsInterrupted(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	held := heldImport{started: make(chan struct{}), finish: make(chan struct{})}
	running := NewImports(pool, imports.Importer{}, nil, nil)
	running.importer = held
	other := NewImports(pool, imports.Importer{}, nil, nil) // another process's view of the same table

	st, err := running.Start(ctx, api.ImportRequest{Org: domain.OrgID(uuid.New()), Actor: domain.Actor{Account: domain.AccountID(uuid.New())}, File: templateFile(t)})
	if err != nil {
		t.Fatal(err)
	}
	<-held.started
	for _, r := range []*Imports{running, other} {
		if got, err := r.Get(ctx, st.ID); err != nil || got.State != "running" {
			t.Fatalf("while held: %+v, %v; want running", got, err)
		}
	}

	// A row left by a process that died: running, and nobody holds it.
	dead := uuid.Must(uuid.NewV7())
	if _, err := pool.Exec(ctx, `INSERT INTO imports (id, org_id, actor_id, file_sha256, dry_run, skip_invalid, started_at, updated_at)
		VALUES ($1, $2, $3, 'abc', false, false, now(), now())`, dead, uuid.New(), uuid.New()); err != nil {
		t.Fatal(err)
	}
	got, err := other.Get(ctx, dead)
	if err != nil || got.State != "failed" || !strings.Contains(got.Error, "upload the same file again") || got.FinishedAt == nil {
		t.Fatalf("orphan: %+v, %v; want failed, interrupted, finished", got, err)
	}
	if again, err := other.Get(ctx, dead); err != nil || again.State != "failed" || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("orphan read again: %+v, %v; want the same outcome, not a second one", again, err)
	}
	if got, err := other.Get(ctx, uuid.New()); err != api.ErrImportNotFound {
		t.Fatalf("unknown import: %+v, %v", got, err)
	}

	// The running process loses its lock connection (as if its host were
	// cut off): readers take the import for interrupted...
	var cut bool
	if err := pool.QueryRow(ctx, `SELECT bool_or(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2
		AND classid = hashtext($1)::oid AND objid = hashtext(current_schema() || $2)::oid`, importLockClass, lockKey(st.ID)).Scan(&cut); err != nil || !cut {
		t.Fatalf("cutting the import's lock connection: %v, %v", cut, err)
	}
	waitFor(t, func() bool { got, err := other.Get(ctx, st.ID); return err == nil && got.State == "failed" })
	// ...but it was alive after all, and its outcome is the truth.
	close(held.finish)
	running.Wait()
	if got, err := other.Get(ctx, st.ID); err != nil || got.State != "done" || got.FinishedAt == nil || got.Error != "" {
		t.Fatalf("after it ended: %+v, %v; want done", got, err)
	}
}
