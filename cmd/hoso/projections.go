package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"github.com/hoso-ledger/hoso/projections"
)

const projectionsUsage = `usage: hoso projections status
       hoso projections rebuild [-fresh] NAME   build a new generation beside the live one, swap when caught up
       hoso projections retry NAME              resume a failed projection from its checkpoint`

// runProjections exits 0 on success, 1 when the operation failed (a poison
// event, an unknown name) and 2 for usage or connection problems.
func runProjections(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, projectionsUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("projections "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprintln(env.Stderr, projectionsUsage) }
	fresh := false
	if sub == "rebuild" {
		fs.BoolVar(&fresh, "fresh", false, "discard an interrupted rebuild instead of resuming it")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	wantArgs := map[string]int{"status": 0, "rebuild": 1, "retry": 1}
	n, ok := wantArgs[sub]
	if !ok || fs.NArg() != n {
		fs.Usage()
		return 2
	}

	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso projections:", err)
		return 2
	}
	defer pool.Close()
	// A rebuild reads the whole log: larger reads mean fewer round trips
	// (the store's default, 500, suits a live subscription).
	store, closeStore, err := service.OpenEventStore(pool, env.Config.EventStoreURL, esdbstore.Options{Logger: env.Log}, postgres.Options{BatchSize: 2000})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso projections:", err)
		return 2
	}
	defer closeStore()
	sealed, err := sealedStore(ctx, env, pool, store)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso projections:", err)
		return 2
	}
	store = sealed
	r := projections.NewRunner(pool, store, projections.Config{Logger: env.Log})
	all, err := projectionList(env, store, service.Privacy(sealed, env.Config.PersonalIDKey))
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso projections:", err)
		return 2
	}

	switch sub {
	case "status":
		st, err := r.Status(ctx, all...)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso projections:", err)
			return 2
		}
		printStatus(env.Stdout, st)
		return 0
	case "retry":
		name := fs.Arg(0)
		cleared, err := r.Retry(ctx, name)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso projections retry:", err)
			return 1
		}
		if cleared {
			fmt.Fprintf(env.Stdout, "%s: failed state cleared; its worker resumes from the checkpoint\n", name)
		} else {
			fmt.Fprintf(env.Stdout, "%s: not failed, nothing to retry\n", name)
		}
		return 0
	}

	name := fs.Arg(0)
	i := slices.IndexFunc(all, func(p projections.Projection) bool { return p.Name() == name })
	if i < 0 {
		names := make([]string, len(all))
		for j, p := range all {
			names[j] = p.Name()
		}
		fmt.Fprintf(env.Stderr, "hoso projections rebuild: unknown projection %q (known: %s)\n", name, strings.Join(names, ", "))
		return 1
	}
	p := all[i]
	var lastPrint time.Time
	progress := func(pr projections.Progress) {
		if time.Since(lastPrint) < time.Second {
			return
		}
		lastPrint = time.Now()
		rate := float64(pr.Applied) / max(pr.Elapsed.Seconds(), 1e-3)
		fmt.Fprintf(env.Stdout, "%s generation %d: %d events applied (%.0f/s), at %s, recorded %s\n",
			pr.Projection, pr.Generation, pr.Applied, rate, pr.Position, pr.LastRecordedAt.Format(time.RFC3339))
	}
	debug.SetGCPercent(projections.RebuildGCPercent)
	began := time.Now()
	err = r.Rebuild(ctx, p, projections.RebuildOptions{Fresh: fresh, Progress: progress})
	switch {
	case err == nil:
		fmt.Fprintf(env.Stdout, "%s: rebuilt and swapped in after %s\n", name, time.Since(began).Round(time.Millisecond))
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(env.Stderr, "hoso projections rebuild: interrupted; run it again to resume (or -fresh to start over)\n")
		return 1
	default:
		fmt.Fprintln(env.Stderr, "hoso projections rebuild:", err)
		return 1
	}
}

func printStatus(w io.Writer, st []projections.Status) {
	if len(st) == 0 {
		fmt.Fprintln(w, "no projections registered or recorded")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tGEN\tSTATE\tPOSITION\tHEAD\tLAG\tAPPLIED\tERROR")
	for _, s := range st {
		gen := fmt.Sprint(s.Generation)
		if s.Live {
			gen += "*"
		}
		state := string(s.State)
		if s.Generation == 0 {
			gen, state = "-", "never run"
		}
		head := "?"
		if s.HeadKnown {
			head = s.Head.String()
		}
		lag := "caught up"
		if s.Generation == 0 {
			lag = "-"
		} else if !s.CaughtUp {
			lag = "behind " + s.Lag.Round(time.Second).String()
		}
		errText := ""
		if s.State == projections.StateFailed {
			errText = fmt.Sprintf("event %s (%s at %s): %s", s.FailedEventID, s.FailedEventType, s.FailedPosition, s.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.Projection, gen, state, s.Position, head, lag, s.EventsApplied, errText)
	}
	tw.Flush()
	fmt.Fprintln(w, "(* live: the generation readers see)")
}

// projectionList is every read model of this deployment, built with its
// policy as config read it (a file, or a preset with the national layer); a
// bare Env (tests) names a preset at most.
func projectionList(env *Env, store eventstore.Store, pv seal.Privacy) ([]projections.Projection, error) {
	pol := env.Config.Policy
	if pol.Name() == "" {
		var err error
		if pol, err = service.Policy(env.Config.PolicyName); err != nil {
			return nil, err
		}
	}
	list := service.Projections
	if env.projections != nil {
		list = env.projections
	}
	return list(store, pol, pv)
}
