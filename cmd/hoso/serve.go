package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hoso-ledger/hoso/api"
)

func init() {
	register("serve", "run the HTTP API (HOSO_LISTEN, default 127.0.0.1:8080) with the projections", runServe)
}

func listenAddr(env *Env) string {
	if a := env.Getenv("HOSO_LISTEN"); a != "" {
		return a
	}
	return "127.0.0.1:8080"
}

func runServe(ctx context.Context, env *Env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(env.Stderr, "usage: hoso serve")
		return 2
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso serve:", err)
		return 1
	}
	defer pool.Close()
	srv := api.New(api.Config{Listen: listenAddr(env)}, env.Log, map[string]api.Check{
		"database": func(ctx context.Context) error { return pool.Ping(ctx) },
	}, nil)
	if err := srv.Open(); err != nil {
		fmt.Fprintln(env.Stderr, "hoso serve:", err)
		return 1
	}
	env.Log.Info("listening", "url", srv.URL())
	fmt.Fprintf(env.Stdout, "hoso is listening on %s\n", srv.URL())
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Close(shutdown); err != nil {
		fmt.Fprintln(env.Stderr, "hoso serve: shutdown:", err)
		return 1
	}
	return 0
}
