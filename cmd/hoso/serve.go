package main

import (
	"context"
	"fmt"

	"github.com/hoso-ledger/hoso/internal/service"
)

// serviceConfig is the service's configuration from the environment read
// at start: the private cluster when HOSO_DATABASE_URL is unset (started
// here), and its development checkpoint key when HOSO_CHECKPOINT_KEY is.
func serviceConfig(ctx context.Context, env *Env) (service.Config, error) {
	url, err := databaseURL(ctx, env)
	if err != nil {
		return service.Config{}, err
	}
	cpKey, err := checkpointKey(env)
	if err != nil {
		return service.Config{}, err
	}
	cfg := service.ConfigFrom(env.Config)
	cfg.DatabaseURL, cfg.CheckpointKey, cfg.Logger = url, cpKey, env.Log
	if cfg.Seal, err = sealOf(env); err != nil {
		return service.Config{}, err
	}
	if err := withSync(env, &cfg); err != nil {
		return service.Config{}, err
	}
	if cfg.KEK, err = kek(env); err != nil {
		return service.Config{}, err
	}
	return cfg, nil
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
	if cfg.Seal == nil {
		env.Log.Warn("HOSO_SEAL_CERT and HOSO_SEAL_KEY are not set: dossier exports cannot be signed (503)")
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
