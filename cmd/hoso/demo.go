package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/ledger"
)

// demoPool is the migrated ledger database with asynchronous commit: the
// demo is a bulk load of tens of thousands of one-event transactions, and
// waiting for each WAL flush halves its speed. It is safe here because a
// server crash loses only the last commits (never half of one) and the
// demo resumes from what is stored; nothing else uses this pool.
func demoPool(ctx context.Context, env *Env, workers int) (*pgxpool.Pool, error) {
	return workersPool(ctx, env, workers, true)
}

// workersPool is the migrated ledger database with room for workers
// writers, committing asynchronously only when async says so.
func workersPool(ctx context.Context, env *Env, workers int, async bool) (*pgxpool.Pool, error) {
	migrated, err := openStore(ctx, env)
	if err != nil {
		return nil, err
	}
	cfg := migrated.Config()
	migrated.Close()
	if async {
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	}
	cfg.MaxConns = max(cfg.MaxConns, int32(workers)+2)
	return pgxpool.NewWithConfig(ctx, cfg)
}

func runDemo(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	n := fs.Int("dossiers", 200, "how many people to generate")
	seed := fs.Int64("seed", 1, "the seed that picks people and careers")
	workers := fs.Int("workers", 6, "dossiers written at once")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: hoso demo [--dossiers N] [--seed S] [--workers W]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var problems []string
	if fs.NArg() != 0 {
		problems = append(problems, "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	if *n < 1 || *n > 1_000_000 {
		problems = append(problems, "--dossiers must be between 1 and 1000000")
	}
	if *workers < 1 || *workers > 64 {
		problems = append(problems, "--workers must be between 1 and 64")
	}
	key := env.Config.PersonalIDKey // config.NeedPersonalIDKey: set
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, "hoso demo:", p)
		}
		return 2
	}

	sum, err := loadDemo(ctx, env, demo.Config{Dossiers: *n, Seed: *seed, Workers: *workers, PersonalIDKey: key})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso demo:", err)
		fmt.Fprintln(env.Stderr, "hoso demo: run the same command again to resume")
		return 1
	}
	w := env.Stdout
	if sum.AlreadyPresent {
		fmt.Fprintf(w, "The demo for seed %d is already in the ledger (%d dossiers); nothing written.\n", *seed, sum.Dossiers)
	} else {
		secs := sum.Elapsed.Seconds()
		fmt.Fprintf(w, "Demo province for seed %d written in %s: %d events (%.0f/s).\n", *seed, sum.Elapsed.Round(time.Millisecond), sum.Events, float64(sum.Events)/max(secs, 0.001))
		fmt.Fprintf(w, "  %d orgs, %d dossiers (%d archived, %d transferred, %d corrected), %d reassigned by the merger of %s\n",
			sum.Orgs, sum.Dossiers, sum.Archived, sum.Transfers, sum.Corrections, sum.Reassigned, strings.Join(sum.Merged, " and "))
	}
	printDemoAccounts(w, *seed)
	return 0
}

func printDemoAccounts(w io.Writer, seed int64) {
	fmt.Fprintln(w, "\nDemo accounts (public passwords: never use the demo on a real ledger):")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  USERNAME\tPASSWORD\tROLE\tNAME")
	for _, a := range demo.Accounts(seed) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Username, a.Password, a.Role, a.DisplayName)
	}
	tw.Flush()
}

// loadDemo writes the demo province (or finds it already written) and sets
// the demo accounts' passwords in the credential store, so they can log in.
func loadDemo(ctx context.Context, env *Env, cfg demo.Config) (demo.Summary, error) {
	pool, err := demoPool(ctx, env, max(cfg.Workers, 1))
	if err != nil {
		return demo.Summary{}, err
	}
	defer pool.Close()
	store, err := sealedStore(ctx, env, pool, postgres.New(pool, postgres.Options{}))
	if err != nil {
		return demo.Summary{}, err
	}
	ledger := ledger.Ledger{Store: store}
	last := time.Now()
	cfg.Progress = func(phase string, done, total int) {
		if done == total || time.Since(last) > 5*time.Second {
			last = time.Now()
			env.Log.Info("demo progress", "phase", phase, "dossiers", done, "of", total)
		}
	}
	sum, err := demo.Run(ctx, ledger, cfg)
	if err != nil {
		return sum, err
	}
	creds := auth.NewStore(pgadapter.NewCredentials(pool), nil)
	for _, a := range demo.Accounts(cfg.Seed) {
		hash, err := auth.HashPassword(a.Password)
		if err != nil {
			return sum, err
		}
		if err := creds.SetPassword(ctx, uuid.UUID(a.ID), a.Username, hash); err != nil {
			return sum, fmt.Errorf("demo password of %s: %w", a.Username, err)
		}
	}
	return sum, nil
}
