package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"unicode"

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
	proxies, err := trustedProxies(env.Getenv("HOSO_TRUSTED_PROXIES"))
	if err != nil {
		return service.Config{}, err
	}
	cfg := service.Config{
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
	}
	cfg.TrustedProxies = proxies
	cfg.MetricsListen = env.Getenv("HOSO_METRICS_LISTEN")
	return cfg, nil
}

// trustedProxies parses HOSO_TRUSTED_PROXIES: CIDRs or single addresses,
// separated by commas or spaces. Every bad entry is named at once.
func trustedProxies(v string) ([]*net.IPNet, error) {
	var (
		out []*net.IPNet
		bad []string
	)
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if !strings.Contains(f, "/") {
			if ip := net.ParseIP(f); ip != nil {
				bits := 128
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
				continue
			}
		} else if _, n, err := net.ParseCIDR(f); err == nil {
			out = append(out, n)
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", f))
	}
	if bad != nil {
		return nil, fmt.Errorf("HOSO_TRUSTED_PROXIES: %s: want CIDRs (10.0.0.0/8) or addresses", strings.Join(bad, ", "))
	}
	return out, nil
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
