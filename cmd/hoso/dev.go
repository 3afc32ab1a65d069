package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/service"
)

// runDev is `make run`: with no configuration it starts the private
// PostgreSQL cluster under var/, loads a small demo province once, and
// serves the API printing where and as whom to log in.
func runDev(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	n := fs.Int("dossiers", 300, "size of the demo province loaded on first start")
	seed := fs.Int64("seed", 1, "the demo's seed")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "usage: hoso dev [--dossiers N] [--seed S]")
		return 2
	}
	cfg, err := serviceConfig(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso dev:", err)
		return 2
	}
	if env.Config.EventStoreURL != "" {
		fmt.Fprintln(env.Stderr, "hoso dev: the demo loads into PostgreSQL; unset HOSO_EVENTSTORE_URL or use `hoso serve`")
		return 2
	}
	if cfg.CheckpointKey == nil {
		// Another database than the private cluster, and no key: make run
		// still signs, with the key of its own under var/.
		k, err := devCheckpointKey(env)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso dev:", err)
			return 1
		}
		cfg.CheckpointKey = &k
	}
	fmt.Fprintf(env.Stdout, "Loading the demo province (%d dossiers, seed %d; once)…\n", *n, *seed)
	sum, err := loadDemo(ctx, env, demo.Config{Dossiers: *n, Seed: *seed, Workers: 4, PersonalIDKey: cfg.PersonalIDKey})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso dev: demo:", err)
		return 1
	}
	if sum.AlreadyPresent {
		fmt.Fprintf(env.Stdout, "The demo province is already loaded (%d dossiers).\n", sum.Dossiers)
	} else {
		fmt.Fprintf(env.Stdout, "Demo province written: %d events, %d dossiers in %d orgs.\n", sum.Events, sum.Dossiers, sum.Orgs)
	}
	svc, err := service.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso dev:", err)
		return 1
	}
	defer svc.Close()
	err = svc.Run(ctx, func(url string) {
		printWelcome(env.Stdout, url, *seed)
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso dev:", err)
		return 1
	}
	return 0
}

// printWelcome tells a new user where the API is and how to log in as each
// role, with a first request to try.
func printWelcome(w io.Writer, url string, seed int64) {
	fmt.Fprintf(w, "\nhoso is listening on %s (Ctrl-C stops it; the database stays under var/)\n", url)
	fmt.Fprintln(w, "\nDemo logins, one per role (public passwords: never use the demo on a real ledger):")
	accts := demo.Accounts(seed)
	sort.SliceStable(accts, func(i, j int) bool { return accts[i].Role < accts[j].Role })
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tUSERNAME\tPASSWORD\tNAME")
	for _, a := range accts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Role, a.Username, a.Password, a.DisplayName)
	}
	tw.Flush()
	hr := accts[0]
	for _, a := range accts {
		if a.Username == "tccb.soyte" {
			hr = a
		}
	}
	fmt.Fprintf(w, "\nTry:\n  TOKEN=$(curl -s %s/api/v1/auth/login -H 'Content-Type: application/json' \\\n"+
		"      -d '{\"username\":\"%s\",\"password\":\"%s\"}' | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')\n"+
		"  curl -s '%s/api/v1/dossiers?q=nguyen' -H \"Authorization: Bearer $TOKEN\"\n", url, hr.Username, hr.Password, url)
	fmt.Fprintln(w, strings.Repeat("─", 60))
}
