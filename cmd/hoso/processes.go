package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/processes"
)

const processesUsage = `usage: hoso processes status      every process, newest first
       hoso processes status ID   one process, with its failed steps`

// runProcesses exits 0 on success, 1 for an unknown process and 2 for
// usage or connection problems. It only reads: a running `hoso serve` does
// the work, and its restart retries failed steps.
func runProcesses(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(env.Stderr, processesUsage)
		return 2
	}
	fs := flag.NewFlagSet("processes status", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprintln(env.Stderr, processesUsage) }
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	var id uuid.UUID
	if fs.NArg() == 1 {
		var err error
		if id, err = uuid.Parse(fs.Arg(0)); err != nil {
			fmt.Fprintf(env.Stderr, "hoso processes status: %q is not a process id (a UUID)\n", fs.Arg(0))
			return 2
		}
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso processes:", err)
		return 2
	}
	defer pool.Close()
	store := processes.NewStore(pool)
	if id == uuid.Nil {
		all, err := store.List(ctx, 0)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso processes:", err)
			return 2
		}
		printProcesses(env.Stdout, all)
		return 0
	}
	st, err := store.Get(ctx, id)
	if errors.Is(err, processes.ErrNotFound) {
		fmt.Fprintf(env.Stderr, "hoso processes status: no process %s\n", id)
		return 1
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso processes:", err)
		return 2
	}
	printProcess(env.Stdout, st)
	return 0
}

func printProcesses(w io.Writer, all []processes.Status) {
	if len(all) == 0 {
		fmt.Fprintln(w, "no processes")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tORG\tSTATE\tTOTAL\tMOVED\tSKIPPED\tFAILED\tPENDING\tSTARTED\tUPDATED")
	for _, st := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", st.ID, st.Kind+"/"+st.Detail, st.Org, st.State,
			total(st), st.Moved, skipped(st), st.Failed, st.Pending, st.StartedAt.UTC().Format(time.RFC3339), st.UpdatedAt.UTC().Format(time.RFC3339))
	}
	tw.Flush()
}

func printProcess(w io.Writer, st processes.Status) {
	succ := make([]string, len(st.Successors))
	for i, o := range st.Successors {
		succ[i] = o.String()
	}
	fmt.Fprintf(w, "process    %s\n", st.ID)
	fmt.Fprintf(w, "kind       %s (%s)\n", st.Kind, st.Detail)
	fmt.Fprintf(w, "org        %s → %s\n", st.Org, strings.Join(succ, ", "))
	fmt.Fprintf(w, "state      %s\n", st.State)
	fmt.Fprintf(w, "total      %s\n", total(st))
	fmt.Fprintf(w, "moved      %d\n", st.Moved)
	fmt.Fprintf(w, "skipped    %d", skipped(st))
	for _, rule := range slices.Sorted(maps.Keys(st.Skipped)) {
		fmt.Fprintf(w, " %s=%d", rule, st.Skipped[rule])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "failed     %d\n", st.Failed)
	fmt.Fprintf(w, "pending    %d\n", st.Pending)
	fmt.Fprintf(w, "started    %s\n", st.StartedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "updated    %s\n", st.UpdatedAt.UTC().Format(time.RFC3339))
	if st.FinishedAt != nil {
		fmt.Fprintf(w, "finished   %s\n", st.FinishedAt.UTC().Format(time.RFC3339))
	}
	for _, f := range st.Failures {
		when := "gave up"
		if f.Retrying {
			when = "retry at " + f.NextAttemptAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "failure    dossier %s: %d attempts, %s: %s\n", f.Dossier, f.Attempts, when, f.Error)
	}
}

func total(st processes.Status) string {
	if !st.Listed {
		return "-"
	}
	return fmt.Sprint(st.Total)
}

func skipped(st processes.Status) int {
	n := 0
	for _, k := range st.Skipped {
		n += k
	}
	return n
}
