package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/internal/config"
)

const policyUsage = `usage:
  hoso policy check FILE                              validate a policy file (JSON, or .yaml/.yml); every
                                                      problem at once (exit 1 with problems)
  hoso policy show [--on YYYY-MM-DD] [--policy NAME|FILE]
                                                      the rules in force on a date (today by default) in the
                                                      deployment: HOSO_POLICY's (or --policy's) rules with the
                                                      national layer (Decree 27/2026)`

// runPolicy runs `hoso policy ARGS`. It reads no configuration at start (a
// broken HOSO_POLICY file is what `check` is for); `show` without --policy
// loads HOSO_POLICY itself and reports its problem.
func runPolicy(_ context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stderr, policyUsage)
		return 2
	}
	switch args[0] {
	case "check":
		if len(args) != 2 {
			fmt.Fprintln(env.Stderr, policyUsage)
			return 2
		}
		return policyCheck(args[1], env.Stdout, env.Stderr)
	case "show":
		on := domain.DateOf(time.Now())
		name, named := "", false
		rest := args[1:]
		for len(rest) > 0 {
			flag := rest[0]
			if len(rest) < 2 || (flag != "--on" && flag != "-on" && flag != "--policy" && flag != "-policy") {
				fmt.Fprintf(env.Stderr, "hoso policy show: unexpected %q\n%s\n", flag, policyUsage)
				return 2
			}
			switch flag {
			case "--on", "-on":
				d, err := domain.ParseDate(rest[1])
				if err != nil {
					fmt.Fprintf(env.Stderr, "hoso policy show: --on %q: want YYYY-MM-DD\n", rest[1])
					return 2
				}
				on = d
			default:
				name, named = rest[1], true
			}
			rest = rest[2:]
		}
		if !named {
			name = env.Config.PolicyName
			if env.Getenv != nil {
				name = env.Getenv("HOSO_POLICY")
			}
		}
		p, err := config.LoadPolicy(name)
		if err != nil {
			fmt.Fprintln(env.Stderr, "hoso policy show:", err)
			return 1
		}
		printRules(env.Stdout, policy.ForDeployment(p), on)
		return 0
	}
	fmt.Fprintf(env.Stderr, "hoso policy: unknown subcommand %q\n%s\n", args[0], policyUsage)
	return 2
}

// policyCheck validates one file (JSON, or YAML by its extension) with
// policy.Parse — the authority, which agrees with policy.Schema — and prints
// each problem on its own line.
func policyCheck(file string, stdout, stderr io.Writer) int {
	p, err := config.ReadPolicyFile(file)
	var v *domain.ValidationError
	switch {
	case errors.As(err, &v):
		for _, pr := range v.Problems {
			fmt.Fprintf(stdout, "%s: %s\n", file, pr.Error())
		}
		fmt.Fprintf(stdout, "%s: %d problem(s)\n", file, len(v.Problems))
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "hoso policy check:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok: %s (%s layer), %d deadlines, %d approval windows, %d reports\n",
		file, p.Name(), p.Layer(), len(p.Deadlines()), len(p.Windows()), len(p.Reports()))
	return 0
}

// printRules writes the rules of every layer in force on day on as a table.
func printRules(w io.Writer, p policy.Policy, on domain.Date) {
	var layers []string
	for _, l := range p.Layers() {
		layers = append(layers, l.Name())
	}
	fmt.Fprintf(w, "Rules in force on %s — %v\n", on, layers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tAMOUNT\tUNIT\tANCHOR\tARTICLE\tVALID FROM\tVALID UNTIL\tLAYER")
	end := func(d domain.Date) string {
		if d.IsZero() {
			return "-"
		}
		return d.String()
	}
	ds, ws, rs := p.InForce(on)
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Action, d.Amount, d.Unit, d.Anchor, d.Article, end(d.ValidFrom), end(d.ValidUntil), d.Layer)
	}
	for _, x := range ws {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Action, x.Last, x.Unit, "end_of_month", x.Article, end(x.ValidFrom), end(x.ValidUntil), x.Layer)
	}
	for _, r := range rs {
		due := fmt.Sprintf("due %02d-%02d", r.Month, r.Day)
		if r.YearOffset == 1 {
			due += " next year"
		}
		due += fmt.Sprintf(" (%s, %s)", r.Period, r.OwedBy)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Action, "-", "-", due, r.Article, end(r.ValidFrom), end(r.ValidUntil), r.Layer)
	}
	_ = tw.Flush()
	if len(ds)+len(ws)+len(rs) == 0 {
		fmt.Fprintln(w, "(no rule in force)")
	}
	printOptions(w, p)
}

// printOptions writes the policy's readings that are not deadlines: the
// options a province chooses where a regulation is ambiguous.
func printOptions(w io.Writer, p policy.Policy) {
	fmt.Fprintln(w, "Options:")
	fmt.Fprintf(w, "  transfer_on_request=%t\n", p.TransferOnRequest())
	sq := p.StaffingQuota()
	article := sq.Article
	if article == "" {
		article = "default: PT 5.2đ, BT 2.2b–c, 8.1 keep contracts apart from the quota"
	}
	fmt.Fprintf(w, "  staffing_quota contract_workers_in_quota=%t (%s)\n", sq.ContractWorkersInQuota, article)
}
