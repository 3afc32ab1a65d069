package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/esdbstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger"
)

// bootstrapActor is the actor of the bootstrap's events: the ledger forbids
// an account to create or empower itself, and before the first
// administrator there is nobody else. Its name records the operating-system
// user who ran the command.
var bootstrapActor = domain.AccountID(uuid.MustParse("00000000-0000-7000-8000-00000000b007"))

// bootstrapLock serializes bootstraps on one database (a session advisory
// lock), so two operators running it at once cannot both succeed.
const bootstrapLock = 0x686f736f626f6f74 // "hosoboot"

func runAccounts(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "bootstrap-admin" {
		fmt.Fprintln(env.Stderr, "usage: hoso accounts bootstrap-admin [flags] USERNAME   (password on standard input)")
		return 2
	}
	return runBootstrapAdmin(ctx, env, args[1:])
}

// runBootstrapAdmin creates the first administrator of a deployment:
//
//   - the password is the first line of standard input (12 to 256
//     characters), so scripts pipe it and it never appears in ps or history;
//   - if the org tree has roots (active orgs without a parent), the
//     administrator gets the admin role over every one of them, with the
//     first as home org; on an empty ledger a root org is founded first,
//     named by --org-name/--org-code (default "Sở Nội vụ", "SNV"): roots
//     cannot be made through the API; --founded-on gives its historical
//     founding date (go-live: a department founded 1/4/2008 that starts
//     using hoso on 1/12/2026), recorded as imported history;
//   - it is refused (exit 1) once any account holds an admin grant in force
//     on an active account: from then on administrators are made through
//     the API, where the ledger records who made them.
//
// The events cite --decision (default "bootstrap-admin") as their source
// document; a deployment should pass the number of the real appointment.
func runBootstrapAdmin(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("hoso accounts bootstrap-admin", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	display := fs.String("display-name", "Quản trị hệ thống", "the administrator's display name")
	orgName := fs.String("org-name", "Sở Nội vụ", "name of the root org founded on an empty ledger")
	orgCode := fs.String("org-code", "SNV", "code of the root org founded on an empty ledger")
	orgKind := fs.String("org-kind", string(org.KindDepartment), "kind of the root org founded on an empty ledger")
	decisionNo := fs.String("decision", "bootstrap-admin", "number of the decision appointing the administrator")
	issuer := fs.String("issuer", "", "issuer of the decision (default: the root org's name)")
	foundedOn := fs.String("founded-on", "", "YYYY-MM-DD: the root org's historical founding date, not before 1945-09-02 (default: today); an earlier date is recorded as imported history")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: hoso accounts bootstrap-admin [flags] USERNAME   (password on standard input)")
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "hoso accounts bootstrap-admin: "+format+"\n", a...)
		return 1
	}
	username := account.NormalizeUsername(fs.Arg(0))
	password, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && password == "" {
		return fail("read the password from standard input: %v", err)
	}
	password = strings.TrimRight(password, "\r\n")
	hash, err := auth.HashPassword(password)
	if err != nil {
		return fail("%v", err)
	}

	pool, err := openStore(ctx, env)
	if err != nil {
		return fail("%v", err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fail("%v", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(bootstrapLock)); err != nil {
		return fail("%v", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(bootstrapLock))

	store, closeStore, err := service.OpenEventStore(pool, env.Config.EventStoreURL, esdbstore.Options{Logger: env.Log}, postgres.Options{})
	if err != nil {
		return fail("%v", err)
	}
	defer closeStore()
	ledger := ledger.Ledger{Store: store}
	now := time.Now().UTC()
	today := domain.DateOf(now)
	founded := today
	if *foundedOn != "" {
		if founded, err = domain.ParseDate(*foundedOn); err != nil {
			return fail("--founded-on: %v", err)
		}
	}

	admins, err := administrators(ctx, env, pool, ledger, today)
	if err != nil {
		return fail("%v", err)
	}
	if len(admins) > 0 {
		return fail("refused: an administrator exists already (%s); create further administrators through the API", strings.Join(admins, ", "))
	}
	roots, err := rootOrgs(ctx, env, pool, ledger, today)
	if err != nil {
		return fail("%v", err)
	}
	who := env.Getenv("USER")
	if who == "" {
		who = "unknown"
	}
	meta := func() domain.Meta {
		src := domain.SourceDocument{Kind: "decision", Number: *decisionNo, Date: today, Issuer: *issuer}
		if src.Issuer == "" {
			src.Issuer = *orgName
		}
		return domain.Meta{
			Actor:         domain.Actor{Account: bootstrapActor, Name: "hoso accounts bootstrap-admin (run by " + who + ")"},
			RecordedAt:    time.Now().UTC(),
			EffectiveDate: today,
			Source:        src,
			RequestID:     uuid.NewString(),
		}
	}
	orgs := app.Orgs{Ledger: ledger}
	if len(roots) == 0 {
		id := domain.OrgID(uuid.Must(uuid.NewV7()))
		kind := org.Kind(*orgKind)
		level := org.LevelProvince
		if kind == org.KindMinistry {
			level = org.LevelCentral
		}
		// Go-live (issue 14): the root may be founded on its historical
		// date, so careers and decisions from then on can be recorded; a
		// founding before today is history, imported by this command.
		fm := meta()
		fm.EffectiveDate, fm.Source.Date = founded, founded
		if founded.Before(today) {
			fm.ImportedFrom = "hoso accounts bootstrap-admin --founded-on"
		}
		if _, err := orgs.Create(ctx, id, org.CreateOrg{Name: *orgName, Code: *orgCode, Kind: kind, Level: level}, fm); err != nil {
			return fail("founding the root org: %v", err)
		}
		roots = []domain.OrgID{id}
		fmt.Fprintf(env.Stdout, "founded root org %s (%s)\n", id, *orgName)
	}

	accounts := app.Accounts{Ledger: ledger}
	id := domain.AccountID(uuid.Must(uuid.NewV7()))
	res, err := accounts.Create(ctx, id, account.CreateAccount{Kind: account.KindAdministrator, Username: username, DisplayName: *display, HomeOrg: roots[0]}, meta())
	if err != nil {
		return fail("creating the account: %v", err)
	}
	version := res.LastVersion
	for _, root := range roots {
		res, err := accounts.Grant(ctx, id, version, account.NewGrant{ID: uuid.Must(uuid.NewV7()), Role: account.RoleAdmin, Org: root}, meta())
		if err != nil {
			return fail("granting admin over %s: %v", root, err)
		}
		version = res.LastVersion
	}
	// The password is set by an administrator's act (the bootstrap), so the
	// ledger records it as a reset: the holder changes it at first login.
	if _, err := accounts.ResetPassword(ctx, id, version, meta()); err != nil {
		return fail("recording the password: %v", err)
	}
	if err := auth.NewStore(pgadapter.NewCredentials(pool), nil).SetPassword(ctx, uuid.UUID(id), username, hash); err != nil {
		return fail("storing the password: %v", err)
	}
	fmt.Fprintf(env.Stdout, "administrator %s (%s) created with the admin role over %d root org(s)\n", username, id, len(roots))
	return 0
}

// streamsOfType lists the streams holding an event of type t. On PostgreSQL
// it asks the events table, which shows every committed event at once; the
// store's ReadAll stops at the stable prefix and could miss an
// administrator created a moment ago by a racing bootstrap.
func streamsOfType(ctx context.Context, env *Env, pool *pgxpool.Pool, l ledger.Ledger, t string) ([]string, error) {
	var out []string
	if env.Config.EventStoreURL == "" {
		rows, err := pool.Query(ctx, `SELECT DISTINCT stream_id FROM events WHERE type = $1`, t)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, rows.Err()
	}
	for pos := eventstore.Start; ; {
		evs, err := l.Store.ReadAll(ctx, pos, 1000)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return out, nil
		}
		for _, ev := range evs {
			if ev.Type == t && !slices.Contains(out, ev.StreamID) {
				out = append(out, ev.StreamID)
			}
		}
		pos = evs[len(evs)-1].Position
	}
}

// administrators are the usernames of active accounts holding an admin
// grant in force today.
func administrators(ctx context.Context, env *Env, pool *pgxpool.Pool, l ledger.Ledger, today domain.Date) ([]string, error) {
	streams, err := streamsOfType(ctx, env, pool, l, account.TypeRoleGranted)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range streams {
		id, err := uuid.Parse(strings.TrimPrefix(s, "account-"))
		if err != nil {
			continue
		}
		a, err := app.LoadAccount(ctx, l, domain.AccountID(id))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", s, err)
		}
		if !a.ActiveOn(today) {
			continue
		}
		if slices.ContainsFunc(a.Grants(today), func(g account.Grant) bool { return g.Role == account.RoleAdmin }) {
			out = append(out, a.Username())
		}
	}
	return out, nil
}

// rootOrgs are the active orgs without a parent, oldest first.
func rootOrgs(ctx context.Context, env *Env, pool *pgxpool.Pool, l ledger.Ledger, today domain.Date) ([]domain.OrgID, error) {
	streams, err := streamsOfType(ctx, env, pool, l, org.TypeCreated)
	if err != nil {
		return nil, err
	}
	var out []domain.OrgID
	for _, s := range streams {
		id, err := uuid.Parse(strings.TrimPrefix(s, "org-"))
		if err != nil {
			continue
		}
		o, err := app.LoadOrg(ctx, l, domain.OrgID(id))
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", s, err)
		}
		if o.ActiveOn(today) && o.Parent().IsZero() {
			out = append(out, o.ID())
		}
	}
	// UUIDv7 ids sort by creation time.
	slices.SortFunc(out, func(a, b domain.OrgID) int { return slices.Compare(a[:], b[:]) })
	return out, nil
}
