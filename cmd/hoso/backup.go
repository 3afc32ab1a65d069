package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/backup"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/projections"
)

const backupUsage = "usage: hoso backup -o FILE   (signed with HOSO_CHECKPOINT_KEY's key)"

// runBackup writes a signed, compressed backup of the ledger: 0 written,
// 1 failed, 2 usage or configuration.
func runBackup(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("o", "", "write the backup to `FILE` (written beside it, then renamed)")
	fs.Usage = func() { fmt.Fprintln(env.Stderr, backupUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 || *out == "" {
		fs.Usage()
		return 2
	}
	if env.Config.EventStoreURL != "" {
		// The events would be on the EventStoreDB server, not in the tables
		// this backup copies: a backup without them must not look complete.
		fmt.Fprintln(env.Stderr, "hoso backup: the ledger is on EventStoreDB (HOSO_EVENTSTORE_URL): back it up with EventStoreDB's own tools; hoso backup covers the PostgreSQL event store")
		return 2
	}
	key, err := checkpointKey(env)
	if err == nil && key == nil {
		err = errors.New("HOSO_CHECKPOINT_KEY is not set: the backup is signed with the checkpoint key")
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso backup:", err)
		return 2
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso backup:", err)
		return 2
	}
	defer pool.Close()
	// Sequence what is committed first, so the manifest's root covers it.
	tree := treelog.New(pool, postgres.New(pool, postgres.Options{}), treelog.Options{})
	if _, err := tree.SequenceOnce(ctx); err != nil {
		fmt.Fprintln(env.Stderr, "hoso backup:", err)
		return 1
	}
	var schema int64
	if err := pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&schema); err != nil {
		fmt.Fprintln(env.Stderr, "hoso backup:", err)
		return 1
	}
	dir := filepath.Dir(*out)
	tmp, err := os.CreateTemp(dir, ".hoso-backup-*.partial")
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso backup:", err)
		return 1
	}
	defer os.Remove(tmp.Name())
	src := backup.Source{
		Pool: pool, SchemaVersion: schema, Signer: key.Signer,
		Root: func(ctx context.Context, size uint64) ([32]byte, error) {
			h, err := tree.Root(ctx, size)
			return [32]byte(h), err
		},
	}
	m, err := backup.Write(ctx, src, tmp, dir)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Renamed only once complete: a crash never leaves a half backup
		// under the name a schedule or an operator looks for.
		err = os.Rename(tmp.Name(), *out)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso backup:", err)
		return 1
	}
	var rows int64
	for _, p := range m.Parts {
		rows += p.Rows
	}
	fmt.Fprintf(env.Stdout, "backup %s: %d tables, %d rows, Merkle log size %d root %s, signed by %s\n",
		*out, len(m.Parts), rows, m.LogSize, m.LogRoot, key.Verifier.Name())
	return 0
}

const restoreUsage = "usage: hoso restore [--not-older-than CHECKPOINT_FILE] [--checkpoint-key FILE.pub] FILE"

// runRestore exits 0 when the backup verified, was restored into the empty
// database, the read models were rebuilt and verify found the ledger
// intact; 1 when the backup was refused or any of that failed; 2 on usage.
func runRestore(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	notOlder := fs.String("not-older-than", "", "refuse a backup whose log does not extend the signed checkpoint in `FILE`")
	pubFile := fs.String("checkpoint-key", "", "public checkpoint key `FILE` (default: derived from HOSO_CHECKPOINT_KEY)")
	fs.Usage = func() { fmt.Fprintln(env.Stderr, restoreUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	file := fs.Arg(0)
	fail := func(code int, err error) int {
		fmt.Fprintln(env.Stderr, "hoso restore:", err)
		return code
	}
	if env.Config.EventStoreURL != "" {
		return fail(2, errors.New("the ledger is on EventStoreDB (HOSO_EVENTSTORE_URL): a hoso backup restores into the PostgreSQL event store only"))
	}
	v, err := checkpointVerifier(env, *pubFile)
	if err != nil {
		return fail(2, err)
	}
	// Everything that can be checked without a database is, before one is
	// opened: a refused backup writes nothing.
	m, err := backup.Verify(file, v)
	if err != nil {
		return fail(1, err)
	}
	var saved []byte
	if *notOlder != "" {
		if saved, err = os.ReadFile(*notOlder); err != nil {
			return fail(2, err)
		}
		cp, err := checkpoint.Open(saved, v)
		if err != nil {
			return fail(1, fmt.Errorf("%w: the checkpoint %s: %v", backup.ErrInvalid, *notOlder, err))
		}
		if err := backup.NotOlderThan(m, cp.Size, [32]byte(cp.Root)); err != nil {
			return fail(1, err)
		}
	}
	fmt.Fprintf(env.Stdout, "backup verified: signed by %s on %s, Merkle log size %d\n", v.Name(), m.CreatedAt.Format(time.RFC3339), m.LogSize)

	pool, err := openStore(ctx, env)
	if err != nil {
		return fail(2, err)
	}
	defer pool.Close()
	if err := backup.Restore(ctx, pool, file, m); err != nil {
		return fail(1, err)
	}
	for _, p := range m.Parts {
		fmt.Fprintf(env.Stdout, "restored %s: %d rows\n", p.Table, p.Rows)
	}

	store, closeStore, err := service.OpenEventStore(pool, env.Config.EventStoreURL, esdbstore.Options{Logger: env.Log}, postgres.Options{BatchSize: 2000})
	if err != nil {
		return fail(2, err)
	}
	defer closeStore()
	// The read models are rebuilt sealed, as the service keeps them; the
	// KEK must open the restored data keys.
	sealed, err := sealedStore(ctx, env, pool, store)
	if err != nil {
		return fail(2, err)
	}
	all, err := projectionList(env, sealed, service.Privacy(sealed, env.Config.PersonalIDKey))
	if err != nil {
		return fail(2, err)
	}
	r := projections.NewRunner(pool, sealed, projections.Config{Logger: env.Log})
	for _, p := range all {
		if err := r.Rebuild(ctx, p, projections.RebuildOptions{Fresh: true}); err != nil {
			return fail(1, fmt.Errorf("rebuilding read model %s: %w", p.Name(), err))
		}
	}
	fmt.Fprintf(env.Stdout, "read models rebuilt: %d\n", len(all))
	return restoredVerify(ctx, env, pool, store, m, saved, v)
}

// restoredVerify is `hoso verify` on the restored database, plus the proof
// that its Merkle log is the manifest's and extends the checkpoints given.
func restoredVerify(ctx context.Context, env *Env, pool *pgxpool.Pool, store eventstore.Store, m backup.Manifest, saved []byte, v note.Verifier) int {
	tree := treelog.New(pool, nil, treelog.Options{})
	var problems []string
	if m.LogSize > 0 {
		root, err := tree.Root(ctx, m.LogSize)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso restore:", err)
			return 1
		}
		if got := hex.EncodeToString(root[:]); got != m.LogRoot {
			problems = append(problems, fmt.Sprintf("the restored Merkle root at size %d is %s, the manifest says %s", m.LogSize, got, m.LogRoot))
		}
	}
	for _, c := range []struct{ what, note string }{{"the backup's latest checkpoint", m.Checkpoint}, {"the checkpoint given", string(saved)}} {
		if c.note == "" {
			continue
		}
		if _, err := checkpoint.Verify(ctx, tree, []byte(c.note), v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c.what, err))
		}
	}
	report, err := verify.Verify(ctx, store, verify.Options{Tree: tree, Inspect: servedManifests(pool)})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso restore: verify:", err)
		return 1
	}
	for _, p := range report.Problems {
		problems = append(problems, p.String())
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stdout, p)
		}
		fmt.Fprintln(env.Stderr, "hoso restore: the restored ledger does not verify; drop this database:", report.Summary())
		return 1
	}
	fmt.Fprintln(env.Stdout, "verify:", report.Summary())
	return 0
}
