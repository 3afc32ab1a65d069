// Command hoso runs the personnel-dossier ledger: the HTTP service, its
// projections, migrations, verification and the operator tools.
//
// Configuration is read once, here, from HOSO_* variables and flags, and passed
// down as plain values; no other package reads the environment.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"github.com/hoso-ledger/hoso/projections"
)

// Env is what every subcommand gets: the configuration read once from the
// environment, the standard streams and a logger.
type Env struct {
	// Config is every HOSO_* variable, parsed (internal/config).
	Config config.Config
	// RepoDir is where var/ lives for the development cluster (the working directory).
	RepoDir string
	// Getenv reads the variables that are not hoso's configuration (USER,
	// who an operator tool records as acting).
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Log    *slog.Logger

	// projections lists the read models `hoso projections` knows:
	// service.Projections when nil (tests add one of their own).
	projections func(eventstore.Store, policy.Policy, seal.Privacy) ([]projections.Projection, error)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env *Env, args []string) int
	// need is what the command cannot run without (config.Load checks it
	// with every other problem, at start).
	need config.Need
	// noConfig: the command reads no HOSO_* variable, so a bad one does
	// not stop it.
	noConfig bool
}

// commands is every subcommand, in the order `hoso help` lists them; each
// lives in its own file beside this one.
var commands = []command{
	{name: "serve", summary: "run the HTTP API (HOSO_LISTEN, default 127.0.0.1:8080) with the projections (HOSO_PROJECTIONS=off to run them elsewhere)", run: runServe, need: config.NeedPersonalIDKey | config.NeedKEK},
	{name: "dev", summary: "the service on its default local setup with a demo province: what `make run` starts", run: runDev, need: config.NeedPersonalIDKey | config.NeedKEK},
	{name: "migrate", summary: "apply pending database migrations", run: runMigrate},
	{name: "demo", summary: "generate a synthetic province through the services (idempotent): [--dossiers N] [--seed S] [--workers W]", run: runDemo, need: config.NeedPersonalIDKey | config.NeedKEK},
	{name: "projections", summary: "read models: status | rebuild [-fresh] NAME | retry NAME", run: runProjections, need: config.NeedPersonalIDKey | config.NeedKEK},
	{name: "verify", summary: "recompute every stream's hash chain and the Merkle root; name each problem", run: runVerify},
	{name: "checkpoint", summary: "sign a checkpoint of the Merkle log now and print it (or --out FILE)", run: runCheckpoint},
	{name: "audit", summary: "offline audit bundle of a monthly approval: export --org ID --month YYYY-MM --out FILE | verify FILE (a bundle or a dossier export .zip)", run: runAudit},
	{name: "accounts", summary: "account tools: bootstrap-admin USERNAME (password on standard input)", run: runAccounts},
	{name: "reservations", summary: "personal-ID reservations: orphans (list), release-orphans --reason TEXT [STREAM…]", run: runReservations, need: config.NeedPersonalIDKey | config.NeedKEK},
	{name: "keys", summary: "the dossiers' data keys (docs/privacy.md): status | rotate (re-wrap them under HOSO_KEK's first key; no event changes)", run: runKeys, need: config.NeedKEK},
	{name: "outages", summary: "hoso's availability and the outage notices (BT 14.7): [list [--json]] | check | watch", run: runOutages},
	{name: "processes", summary: "long work beside the requests (org successions): status [ID]", run: runProcesses},
	{name: "import", summary: "bulk import of an existing province's dossiers with their history: template | FILE --org ID --decision \"số, dd/mm/yyyy, cơ quan\" [--dry-run] [--skip-invalid] | sample --people N --out FILE", run: runImport, need: config.NeedPersonalIDKey | config.NeedKEK},
	{name: "backup", summary: "write a signed, compressed backup of the ledger: -o FILE", run: runBackup},
	{name: "restore", summary: "verify a backup and restore it into an empty database, rebuild the read models, verify: [--not-older-than CHECKPOINT] FILE", run: runRestore, need: config.NeedPersonalIDKey | config.NeedKEK},
	{name: "calendar", summary: "working-day calendar, lunar dates and deadlines", noConfig: true,
		run: func(_ context.Context, env *Env, args []string) int { return runCalendar(args, env.Stdout, env.Stderr) }},
	{name: "policy", summary: "jurisdiction policies: check FILE | show [--on YYYY-MM-DD] [--policy NAME|FILE]", run: runPolicy, noConfig: true},
	{name: "sync", summary: "deliveries to the national database: status [--org ID] [--month YYYY-MM] [--problems]", run: runSync},
	{name: "receiver", summary: "the reference national-database receiver: --dir DIR --sync-key PUB --checkpoint-key PUB --roots PEM --key FILE", run: runReceiver, noConfig: true},
	{name: "devdb", summary: "the private development PostgreSQL: url [DB] | start | stop", run: runDevDB, noConfig: true},
	{name: "cv", summary: "the CV form (sơ yếu lý lịch) of a dossier as PDF: DOSSIER_ID [--as-of T] [--effective-on D] [-o FILE] > file.pdf", run: runCV, need: config.NeedKEK},
	{name: "export", summary: "the signed export of a dossier (zip, CMS by the org's seal): DOSSIER_ID [--as-of T] -o FILE.zip", run: runExport, need: config.NeedKEK},
	{name: "version", summary: "the build: module version, VCS revision and Go version", run: runVersion, noConfig: true},
	{name: "sign", summary: "sign a monthly approval's manifest with a PKCS#11 token: --in FILE --out FILE | --url BASE --org ID --month YYYY-MM", run: runSign},
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	wd, _ := os.Getwd()
	env := &Env{
		RepoDir: wd,
		Getenv:  getenv,
		Stdin:   stdin,
		Stdout:  stdout,
		Stderr:  stderr,
		Log:     slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	// Help asked for is an answer (standard output, 0); no command at all is
	// misuse (standard error, 2), so a script missing its subcommand fails.
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	cmd, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "hoso: unknown command %q (run 'hoso help')\n", args[0])
		return 2
	}
	cfg, cfgErr := config.Load(getenv, cmd.need)
	env.Config = cfg
	// A command's own -h is help asked for too: the usage the command prints
	// for misuse goes to standard output, with status 0. Every command stops
	// at such a first argument before doing any work (or reading the
	// configuration): its flag set answers flag.ErrHelp, or it refuses the
	// argument.
	if len(args) > 1 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help") {
		help := *env
		help.Stderr = stdout
		if code := cmd.run(ctx, &help, args[1:]); code != 2 {
			return code
		}
		return 0
	}
	// Every problem of the configuration at once, before any work.
	if cfgErr != nil && !cmd.noConfig {
		for _, line := range strings.Split(cfgErr.Error(), "\n") {
			fmt.Fprintf(stderr, "hoso %s: %s\n", cmd.name, line)
		}
		return 2
	}
	return cmd.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hoso COMMAND [ARGS]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The HTTP load benchmark is a command of its own, hoso-loadgen (cmd/hoso-loadgen).")
}
