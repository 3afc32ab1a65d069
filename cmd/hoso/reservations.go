package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger"
)

// operatorActor is the actor of the releases this command records: an
// operator at the console is not an API account; the event's actor name
// records the operating-system user who ran the command.
var operatorActor = domain.AccountID(uuid.MustParse("00000000-0000-7000-8000-0000000a11ce"))

const reservationsUsage = `usage: hoso reservations orphans [--grace 5m]
       hoso reservations release-orphans --reason TEXT [--grace 5m] [STREAM…]   (all listed orphans when no STREAM)`

// runReservations lists and releases orphan personal-ID reservations:
// claims whose dossier was never created (or whose correction was never
// appended), left by a crash between the claim and the dossier's write, or
// by releases before app.OrphanGrace existed. Listing reads the whole log;
// each release is a reservation.released.v1 event whose metadata says who
// ran it and why (--reason, required), made at exactly the version listed,
// so a claim renewed in between is left alone.
func runReservations(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || (args[0] != "orphans" && args[0] != "release-orphans") {
		fmt.Fprintln(env.Stderr, reservationsUsage)
		return 2
	}
	release := args[0] == "release-orphans"
	fs := flag.NewFlagSet("hoso reservations "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	grace := fs.Duration("grace", app.OrphanGrace, "a claim younger than this may be a write in flight: left alone")
	reason := fs.String("reason", "", "why the reservations are released (recorded in each event)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *grace < app.ClaimDeadline {
		fmt.Fprintf(env.Stderr, "--grace must be at least %s (the deadline of a write after its claim)\n", app.ClaimDeadline)
		return 2
	}
	if release && strings.TrimSpace(*reason) == "" {
		fmt.Fprintln(env.Stderr, "--reason is required: it is recorded with each release")
		return 2
	}
	fail := func(err error) int { fmt.Fprintln(env.Stderr, "hoso reservations:", err); return 1 }
	key := env.Config.PersonalIDKey // config.NeedPersonalIDKey: set
	pool, err := openStore(ctx, env)
	if err != nil {
		return fail(err)
	}
	defer pool.Close()
	store, closeStore, err := service.OpenEventStore(pool, env.Config.EventStoreURL, esdbstore.Options{Logger: env.Log}, postgres.Options{})
	if err != nil {
		return fail(err)
	}
	defer closeStore()
	if store, err = sealedStore(ctx, env, pool, store); err != nil {
		return fail(err)
	}
	dossiers := app.Dossiers{Ledger: ledger.Ledger{Store: store}, PersonalIDKey: key}
	now := time.Now().UTC()
	orphans, err := dossiers.ListOrphanReservations(ctx, now, *grace)
	if err != nil {
		return fail(err)
	}
	if !release {
		for _, o := range orphans {
			fmt.Fprintf(env.Stdout, "%s\theld by %s\tsince %s\n", o.Stream, o.Holder, o.Since.Format(time.RFC3339))
		}
		fmt.Fprintf(env.Stdout, "%d orphan reservation(s)\n", len(orphans))
		return 0
	}
	want := map[string]bool{}
	for _, s := range fs.Args() {
		want[s] = true
	}
	who := env.Getenv("USER")
	if who == "" {
		who = "unknown"
	}
	m := domain.Meta{
		Actor:         domain.Actor{Account: operatorActor, Name: "hoso reservations release-orphans (run by " + who + ")"},
		RecordedAt:    now,
		EffectiveDate: domain.DateOf(now),
		Reason:        *reason,
	}
	released := 0
	for _, o := range orphans {
		if len(want) > 0 && !want[o.Stream] {
			continue
		}
		delete(want, o.Stream)
		ok, err := dossiers.ReleaseOrphan(ctx, o.Stream, *grace, now, m)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", o.Stream, err))
		}
		if ok {
			released++
			fmt.Fprintf(env.Stdout, "released %s (held by %s)\n", o.Stream, o.Holder)
		}
	}
	for s := range want {
		fmt.Fprintf(env.Stderr, "%s is not an orphan reservation: left alone\n", s)
	}
	fmt.Fprintf(env.Stdout, "%d reservation(s) released\n", released)
	if len(want) > 0 {
		return 1
	}
	return 0
}
