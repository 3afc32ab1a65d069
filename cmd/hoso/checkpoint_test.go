package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/devdb"
)

// TestCheckpointUsesTheDevKey: after `make run` (which keeps its checkpoint
// key under var/), `hoso checkpoint` and `hoso verify --checkpoint` on the
// same private cluster find that key without HOSO_CHECKPOINT_KEY, as the
// README promises. It starts a private cluster of its own (initdb, a few
// seconds), because "no HOSO_DATABASE_URL" is the case under test.
func TestCheckpointUsesTheDevKey(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	cluster, err := devdb.Open(filepath.Join(repo, "var"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := cluster.Stop(ctx); err != nil {
			t.Errorf("stopping the private cluster: %v", err)
		}
		_ = os.RemoveAll(cluster.Dir) // outside repo when the cluster runs as nobody
	})
	// What `hoso dev` (make run) leaves behind.
	devKey, err := devCheckpointKey(&Env{RepoDir: repo})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := func(stdout io.Writer) *Env {
		var stderr bytes.Buffer
		return &Env{RepoDir: repo, Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""),
			Stdout: stdout, Stderr: &stderr, Log: slog.New(slog.DiscardHandler)}
	}
	var note bytes.Buffer
	e := env(&note)
	if code := runCheckpoint(ctx, e, nil); code != 0 {
		t.Fatalf("hoso checkpoint without HOSO_CHECKPOINT_KEY after make run: exit %d: %s", code, e.Stderr)
	}
	if _, err := checkpoint.Open(note.Bytes(), devKey.Verifier); err != nil {
		t.Fatalf("the checkpoint is not signed with the dev key: %v", err)
	}
	file := filepath.Join(repo, "cp.note")
	if err := os.WriteFile(file, note.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	e = env(&out)
	if code := runVerify(ctx, e, []string{"-checkpoint", file}); code != 0 {
		t.Fatalf("hoso verify -checkpoint without a key after make run: exit %d: %s%s", code, &out, e.Stderr)
	}
	if !strings.Contains(out.String(), "extends checkpoint") {
		t.Errorf("hoso verify -checkpoint: %q, want the log to extend the checkpoint", out.String())
	}
}
