package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/eventstore/verify"
	"github.com/hoso-ledger/hoso/internal/service"
)

// runVerify exits 0 with a one-line summary when the ledger is intact, 1
// with one line per problem (stream@version: kind: detail) when it is not,
// and 2 when it could not look (usage, connection or read errors): a script
// must be able to tell "tampered" from "could not check".
func runVerify(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	chainsOnly := fs.Bool("chains-only", false, "check the hash chains only, not the Merkle log")
	cpFile := fs.String("checkpoint", "", "also prove the log extends the signed checkpoint in `FILE`")
	cpKey := fs.String("checkpoint-key", "", "public checkpoint key `FILE` (default: derived from HOSO_CHECKPOINT_KEY)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: hoso verify [-chains-only] [-checkpoint FILE [-checkpoint-key FILE.pub]]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}

	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso verify:", err)
		return 2
	}
	defer pool.Close()

	// The Merkle leaves live in PostgreSQL whichever backend holds the
	// events (see package treelog), so the tree is always read from pool.
	store, closeStore, err := service.OpenEventStore(pool, env.Config.EventStoreURL, esdbstore.Options{Logger: env.Log}, postgres.Options{})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso verify:", err)
		return 2
	}
	defer closeStore()
	opts := verify.Options{}
	if !*chainsOnly {
		// Read-only: verify never sequences, so an auditor's read-only
		// login can run it; events not yet sequenced are counted.
		opts.Tree = treelog.New(pool, nil, treelog.Options{})
		opts.Inspect = servedManifests(pool)
	}
	report, err := verify.Verify(ctx, store, opts)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso verify:", err)
		return 2
	}
	var cpOK, cpProblem string
	if *cpFile != "" {
		if cpOK, cpProblem, err = verifyCheckpointFile(ctx, env, treelog.New(pool, nil, treelog.Options{}), *cpFile, *cpKey); err != nil {
			fmt.Fprintln(env.Stderr, "hoso verify:", err)
			return 2
		}
	}
	if report.OK() && cpProblem == "" {
		fmt.Fprintln(env.Stdout, report.Summary())
		if cpOK != "" {
			fmt.Fprintln(env.Stdout, cpOK)
		}
		return 0
	}
	for _, p := range report.Problems {
		fmt.Fprintln(env.Stdout, p)
	}
	if cpProblem != "" {
		fmt.Fprintln(env.Stdout, cpProblem)
	}
	fmt.Fprintln(env.Stderr, "hoso verify:", report.Summary())
	return 1
}

// servedManifests is verify's check of every served approval manifest: the
// bytes its event names by digest (kept in approval_manifests, outside the
// ledger) must be there and hash to it. A manifest an approver signed is
// evidence like the events.
func servedManifests(pool *pgxpool.Pool) func(context.Context, eventstore.Event) (string, error) {
	mf := approvals.NewManifests(pool)
	return func(ctx context.Context, e eventstore.Event) (string, error) {
		return mf.CheckServed(ctx, e.Type, e.Data)
	}
}
