package main

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/hoso-ledger/hoso/app/approvals"

	"github.com/hoso-ledger/hoso/internal/service"
)

func init() {
	register("serve", "run the HTTP API (HOSO_LISTEN, default 127.0.0.1:8080) with the projections (HOSO_PROJECTIONS=off to run them elsewhere)", runServe)
}

func listenAddr(env *Env) string {
	if a := env.Getenv("HOSO_LISTEN"); a != "" {
		return a
	}
	return "127.0.0.1:8080"
}

// serviceConfig reads the environment every process of the service shares.
func serviceConfig(ctx context.Context, env *Env) (service.Config, error) {
	url, err := databaseURL(ctx, env)
	if err != nil {
		return service.Config{}, err
	}
	key, err := personalIDKey(env)
	if err != nil {
		return service.Config{}, err
	}
	cpKey, err := checkpointKey(env)
	if err != nil {
		return service.Config{}, err
	}
	var roots *x509.CertPool
	if path := env.Getenv("HOSO_SIGNING_TRUST_ROOTS"); path != "" {
		if roots, err = approvals.LoadTrustRoots(path); err != nil {
			return service.Config{}, fmt.Errorf("HOSO_SIGNING_TRUST_ROOTS: %w", err)
		}
	}
	var asyncReadLog bool
	switch v := env.Getenv("HOSO_READ_LOG"); v {
	case "", "durable":
	case "async":
		asyncReadLog = true
	default:
		return service.Config{}, fmt.Errorf("HOSO_READ_LOG is %q: want durable (the default) or async", v)
	}
	return service.Config{
		AsyncReadLog:  asyncReadLog,
		CheckpointKey: cpKey,
		TrustRoots:    roots,
		DatabaseURL:   url,
		EventStoreURL: env.EventStoreURL,
		Listen:        listenAddr(env),
		PolicyName:    env.Getenv("HOSO_POLICY"),
		PersonalIDKey: key,
		Logger:        env.Log,
		NoProjections: env.Getenv("HOSO_PROJECTIONS") == "off",
	}, nil
}

func runServe(ctx context.Context, env *Env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(env.Stderr, "usage: hoso serve")
		return 2
	}
	cfg, err := serviceConfig(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso serve:", err)
		return 2
	}
	if cfg.CheckpointKey == nil {
		env.Log.Warn("HOSO_CHECKPOINT_KEY is not set: no signed checkpoints of the log will be taken")
	}
	if cfg.TrustRoots == nil {
		env.Log.Warn("HOSO_SIGNING_TRUST_ROOTS is not set: every approval signature will be refused as untrusted")
	}
	svc, err := service.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso serve:", err)
		return 1
	}
	defer svc.Close()
	err = svc.Run(ctx, func(url string) {
		env.Log.Info("listening", "url", url)
		fmt.Fprintf(env.Stdout, "hoso is listening on %s\n", url)
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso serve:", err)
		return 1
	}
	return 0
}
