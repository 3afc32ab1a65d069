package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

// checkpointVerifier is the public key checkpoints are checked with: the
// file given (a ".pub" in note format), else the one derived from the
// private key HOSO_CHECKPOINT_KEY names.
func checkpointVerifier(env *Env, pubFile string) (note.Verifier, error) {
	if pubFile != "" {
		return checkpoint.LoadVerifier(pubFile)
	}
	k, err := checkpointKey(env)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, errors.New("no checkpoint key: pass --checkpoint-key FILE.pub or set HOSO_CHECKPOINT_KEY")
	}
	return k.Verifier, nil
}

// runCheckpoint takes a checkpoint (after sequencing what is committed),
// stores it, and writes the signed note: what an auditor keeps to check
// later with `hoso verify --checkpoint`.
func runCheckpoint(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("checkpoint", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", "", "write the signed note to `FILE` instead of standard output")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "usage: hoso checkpoint [--out FILE]   (needs HOSO_CHECKPOINT_KEY, except on the private cluster)")
		return 2
	}
	key, err := checkpointKey(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso checkpoint:", err)
		return 2
	}
	if key == nil {
		fmt.Fprintln(env.Stderr, "hoso checkpoint: HOSO_CHECKPOINT_KEY is not set")
		return 2
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso checkpoint:", err)
		return 2
	}
	defer pool.Close()
	tree := treelog.New(pool, postgres.New(pool, postgres.Options{}), treelog.Options{})
	if _, err := tree.SequenceOnce(ctx); err != nil {
		fmt.Fprintln(env.Stderr, "hoso checkpoint:", err)
		return 1
	}
	cp, err := checkpoint.New(pool, tree, *key, nil).Take(ctx, checkpoint.ReasonManual)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso checkpoint:", err)
		return 1
	}
	if *out == "" {
		_, _ = env.Stdout.Write(cp.Note)
		return 0
	}
	if err := os.WriteFile(*out, cp.Note, 0o644); err != nil {
		fmt.Fprintln(env.Stderr, "hoso checkpoint:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "checkpoint: size %d, root %s → %s\n", cp.Size, cp.Root, *out)
	return 0
}

// verifyCheckpointFile proves the log extends the saved note; it returns
// the problem line ("" when it does) or an error when it could not look.
func verifyCheckpointFile(ctx context.Context, env *Env, tree *treelog.Log, file, pubFile string) (ok string, problem string, err error) {
	msg, err := os.ReadFile(file)
	if err != nil {
		return "", "", err
	}
	v, err := checkpointVerifier(env, pubFile)
	if err != nil {
		return "", "", err
	}
	res, err := checkpoint.Verify(ctx, tree, msg, v)
	switch {
	case errors.Is(err, checkpoint.ErrTruncated):
		return "", fmt.Sprintf("(checkpoint %s): truncated: %v — rows were deleted or an older backup was restored", file, err), nil
	case errors.Is(err, checkpoint.ErrForked):
		return "", fmt.Sprintf("(checkpoint %s): forked: %v — history was rewritten, or a backup restored and written over", file, err), nil
	case errors.Is(err, checkpoint.ErrBadNote):
		return "", fmt.Sprintf("(checkpoint %s): bad note: %v", file, err), nil
	case err != nil:
		return "", "", err
	}
	return fmt.Sprintf("the log (size %d) extends checkpoint %s (size %d)", res.CurrentSize, file, res.Saved.Size), "", nil
}

// checkpointKey is the key checkpoints are signed with: the file
// HOSO_CHECKPOINT_KEY names; unset, the development key on the private
// cluster (as the personal-id key); nil otherwise, and the service then
// runs without checkpoints.
func checkpointKey(env *Env) (*checkpoint.Key, error) {
	if env.Config.CheckpointKey != nil {
		return env.Config.CheckpointKey, nil
	}
	if env.Config.DatabaseURL != "" {
		return nil, nil
	}
	k, err := devCheckpointKey(env)
	if err != nil {
		return nil, fmt.Errorf("the development checkpoint key: %w", err)
	}
	return &k, nil
}

// devCheckpointKey is the development cluster's checkpoint key under var/,
// made on first use: `hoso dev` (make run) signs with it, and the operator
// tools find it there when they work on the same private cluster.
func devCheckpointKey(env *Env) (checkpoint.Key, error) {
	return checkpoint.LoadOrCreateKey(filepath.Join(env.RepoDir, "var", "checkpoint.key"), "hoso.dev/ledger")
}
