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
	"sort"
	"syscall"
)

// Env is what every subcommand gets: configuration read once from the
// environment, the standard streams and a logger.
type Env struct {
	// DatabaseURL is HOSO_DATABASE_URL; empty means "the private development
	// cluster under var/", which the subcommand starts through devCluster.
	DatabaseURL string
	// EventStoreURL is HOSO_EVENTSTORE_URL: empty for PostgreSQL (the default),
	// esdb://… for EventStoreDB.
	EventStoreURL string
	// RepoDir is where var/ lives for the development cluster (the working directory).
	RepoDir string
	Getenv  func(string) string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Log     *slog.Logger
}

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

// commands is filled by the init functions of the files beside this one, so
// each subcommand lives in its own file.
var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *Env, args []string) int) {
	commands[name] = command{summary: summary, run: run}
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
		DatabaseURL:   getenv("HOSO_DATABASE_URL"),
		EventStoreURL: getenv("HOSO_EVENTSTORE_URL"),
		RepoDir:       wd,
		Getenv:        getenv,
		Stdin:         stdin,
		Stdout:        stdout,
		Stderr:        stderr,
		Log:           slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
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
	if args[0] == "calendar" {
		return runCalendar(args[1:], stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hoso: unknown command %q (run 'hoso help')\n", args[0])
		return 2
	}
	// A command's own -h is help asked for too: the usage the command prints
	// for misuse goes to standard output, with status 0. Every command stops
	// at such a first argument before doing any work: its flag set answers
	// flag.ErrHelp, or it refuses the argument.
	if len(args) > 1 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help") {
		help := *env
		help.Stderr = stdout
		if code := cmd.run(ctx, &help, args[1:]); code != 2 {
			return code
		}
		return 0
	}
	return cmd.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hoso COMMAND [ARGS]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands)+1)
	for n := range commands {
		names = append(names, n)
	}
	names = append(names, "calendar")
	sort.Strings(names)
	for _, n := range names {
		s := "working-day calendar, lunar dates and deadlines"
		if c, ok := commands[n]; ok {
			s = c.summary
		}
		fmt.Fprintf(w, "  %-12s %s\n", n, s)
	}
}
