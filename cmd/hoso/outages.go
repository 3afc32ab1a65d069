package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/processes/outage"
)

const outagesUsage = `usage: hoso outages [list] [--json]  each function's state and every outage on record (BT 14.7)
       hoso outages check           one pass of the detector: record the notices and ends due, mail the notices (HOSO_SMTP_*)
       hoso outages watch           the detector alone, every minute until stopped (hoso serve runs one too)`

// runOutages exits 0 on success, 1 when a check failed in part (a notice
// or an e-mail; the next pass retries) and 2 for usage or connection
// problems.
func runOutages(ctx context.Context, env *Env, args []string) int {
	verb := "list"
	if len(args) > 0 && (args[0] == "list" || args[0] == "check" || args[0] == "watch") {
		verb, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("outages "+verb, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprintln(env.Stderr, outagesUsage) }
	asJSON := false
	if verb == "list" {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	pool, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso outages:", err)
		return 2
	}
	defer pool.Close()
	store, closeStore, err := service.OpenEventStore(pool, env.Config.EventStoreURL, esdbstore.Options{Logger: env.Log}, postgres.Options{})
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso outages:", err)
		return 2
	}
	defer closeStore()
	oc := service.ConfigFrom(env.Config).Outage
	d := service.NewDetector(pool, store, oc, nil, env.Log)
	switch verb {
	case "watch":
		if oc.Mailer == nil {
			env.Log.Warn("HOSO_SMTP_URL is not set: notices are recorded, not mailed")
		}
		fmt.Fprintln(env.Stdout, "hoso outages: watching (BT 14.7: notice after 2 working days)")
		if err := d.Run(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintln(env.Stderr, "hoso outages:", err)
			return 1
		}
		return 0
	case "check":
		found, err := d.Check(ctx)
		printOutages(env.Stdout, nil, found)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso outages check:", err)
			return 1
		}
		return 0
	}
	fns, err := outage.Current(ctx, pool, d.Grace, time.Now())
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso outages:", err)
		return 2
	}
	found, err := d.Look(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso outages:", err)
		return 2
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if found == nil {
			found = []outage.Status{}
		}
		if fns == nil {
			fns = []outage.FunctionState{}
		}
		_ = enc.Encode(map[string]any{"functions": fns, "outages": found})
		return 0
	}
	printOutages(env.Stdout, fns, found)
	return 0
}

func printOutages(w io.Writer, fns []outage.FunctionState, found []outage.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return domain.DateOf(t).Vietnamese() + " " + t.In(domain.VietnamZone).Format("15:04:05")
	}
	if fns != nil {
		fmt.Fprintln(tw, "FUNCTION\tSTATE\tLAST UP (ICT)\tDETAIL")
		for _, f := range fns {
			state := "down"
			if f.Up {
				state = "up"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Function, state, at(f.LastUp), f.Detail)
		}
		fmt.Fprintln(tw)
	}
	if len(found) == 0 {
		fmt.Fprintln(tw, "no outages on record")
		_ = tw.Flush()
		return
	}
	fmt.Fprintln(tw, "OUTAGE\tFUNCTION\tFROM (ICT)\tTO (ICT)\tWORKING DAYS\tNOTIFIED\tEND RECORDED\tNOW")
	for _, o := range found {
		to := "ongoing"
		if !o.Ongoing() {
			to = at(o.End)
		}
		now := ""
		if len(o.Appended) > 0 {
			now = fmt.Sprint(o.Appended)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%v\t%v\t%s\n", o.ID, o.Function, at(o.Start), to, o.WorkingDays, o.Notified, o.Ended, now)
	}
	_ = tw.Flush()
}
