package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hoso-ledger/hoso/internal/service"
)

// serviceConfig is the service's configuration from the environment read
// at start: the private cluster when HOSO_DATABASE_URL is unset (started
// here), and its development checkpoint key when HOSO_CHECKPOINT_KEY is.
// Every problem is reported at once (errors.Join, one per line), like
// config.Load's; the private cluster is started only when there is none,
// so a refused start leaves nothing running.
func serviceConfig(ctx context.Context, env *Env) (service.Config, error) {
	var errs []error
	cpKey, err := checkpointKey(env)
	errs = append(errs, err)
	cfg := service.ConfigFrom(env.Config)
	cfg.CheckpointKey, cfg.Logger = cpKey, env.Log
	cfg.Seal, err = sealOf(env)
	errs = append(errs, err, withSync(env, &cfg))
	cfg.KEK, err = kek(env)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return service.Config{}, err
	}
	if cfg.DatabaseURL, err = databaseURL(ctx, env); err != nil {
		return service.Config{}, err
	}
	return cfg, nil
}

// printProblems writes each of err's lines as its own "hoso CMD: …" line.
func printProblems(w io.Writer, cmd string, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "hoso %s: %s\n", cmd, line)
	}
}

func runServe(ctx context.Context, env *Env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(env.Stderr, "usage: hoso serve")
		return 2
	}
	cfg, err := serviceConfig(ctx, env)
	if err != nil {
		printProblems(env.Stderr, "serve", err)
		return 2
	}
	if cfg.CheckpointKey == nil {
		env.Log.Warn("HOSO_CHECKPOINT_KEY is not set: no signed checkpoints of the log will be taken")
	}
	if cfg.Seal == nil {
		env.Log.Warn("HOSO_SEAL_CERT and HOSO_SEAL_KEY are not set: dossier exports cannot be signed (503)")
	}
	if cfg.TrustRoots == nil {
		env.Log.Warn("HOSO_SIGNING_TRUST_ROOTS is not set: every approval signature will be refused as untrusted")
	}
	svc, err := service.Open(ctx, cfg)
	if err != nil {
		// Open checks the keys against the database (a wrong or missing
		// KEK stops it here, before anything is written).
		printProblems(env.Stderr, "serve", err)
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
