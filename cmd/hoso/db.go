package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/internal/devdb"
	"github.com/hoso-ledger/hoso/migrations"
)

// databaseURL is HOSO_DATABASE_URL, or the private development cluster's
// database when it is unset (started on demand).
func databaseURL(ctx context.Context, env *Env) (string, error) {
	if env.Config.DatabaseURL != "" {
		return env.Config.DatabaseURL, nil
	}
	c, err := devdb.Open(filepath.Join(env.RepoDir, "var"))
	if err != nil {
		return "", err
	}
	if err := c.Ensure(ctx, "hoso"); err != nil {
		return "", err
	}
	return c.URL("hoso"), nil
}

// openStore connects to the ledger database and applies pending migrations,
// so every subcommand sees the current schema.
func openStore(ctx context.Context, env *Env) (*pgxpool.Pool, error) {
	url, err := databaseURL(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := migrations.Apply(ctx, url); err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting: %w", err)
	}
	return pool, nil
}

func runMigrate(ctx context.Context, env *Env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(env.Stderr, "usage: hoso migrate")
		return 2
	}
	url, err := databaseURL(ctx, env)
	if err == nil {
		err = migrations.Apply(ctx, url)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso migrate:", err)
		return 1
	}
	fmt.Fprintln(env.Stdout, "migrations applied")
	return 0
}

// runDevDB lets the Makefile and scripts reach the development cluster
// without knowing where it lives.
func runDevDB(ctx context.Context, env *Env, args []string) int {
	c, err := devdb.Open(filepath.Join(env.RepoDir, "var"))
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso devdb:", err)
		return 1
	}
	sub := "url"
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "url", "start":
		db := "hoso"
		if len(args) > 1 {
			db = args[1]
		}
		if err := c.Ensure(ctx, db); err != nil {
			fmt.Fprintln(env.Stderr, "hoso devdb:", err)
			return 1
		}
		fmt.Fprintln(env.Stdout, c.URL(db))
	case "stop":
		if err := c.Stop(ctx); err != nil {
			fmt.Fprintln(env.Stderr, "hoso devdb:", err)
			return 1
		}
	default:
		fmt.Fprintln(env.Stderr, "usage: hoso devdb url [DATABASE] | start [DATABASE] | stop")
		return 2
	}
	return 0
}
