package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/api/readlog"
	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/ledger"
)

// sealOf is the seal exports are signed with: HOSO_SEAL_CERT and
// HOSO_SEAL_KEY; unset, the development seal under var/ on the private
// cluster (made on first use, like the checkpoint key); nil otherwise.
func sealOf(env *Env) (*export.Seal, error) {
	if env.Config.Seal != nil {
		return env.Config.Seal, nil
	}
	if env.Config.DatabaseURL != "" {
		return nil, nil
	}
	s, err := export.LoadOrCreateDevSeal(filepath.Join(env.RepoDir, "var"), time.Now())
	if err != nil {
		return nil, fmt.Errorf("the development seal: %w", err)
	}
	return s, nil
}

// documentFlags are the flags of `hoso cv` and `hoso export`.
type documentFlags struct {
	asOf        time.Time
	effectiveOn domain.Date
	out         string
	id          domain.DossierID
}

func parseDocumentFlags(env *Env, name, usage string, effective bool, args []string) (documentFlags, bool) {
	var df documentFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asOf := fs.String("as-of", "", "the dossier as the ledger knew it at this RFC 3339 `instant`")
	var eff *string
	if effective {
		eff = fs.String("effective-on", "", "the dossier as in effect on this `YYYY-MM-DD` date")
	}
	fs.StringVar(&df.out, "o", "", "write to `FILE` (default: standard output)")
	// The dossier id may come before or after the flags.
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			fmt.Fprintln(env.Stderr, usage)
			return df, false
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		fmt.Fprintln(env.Stderr, usage)
		return df, false
	}
	id, err := domain.ParseDossierID(rest[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "hoso %s: %s: not a dossier id\n", name, rest[0])
		return df, false
	}
	df.id = id
	if *asOf != "" {
		if df.asOf, err = time.Parse(time.RFC3339Nano, *asOf); err != nil {
			fmt.Fprintf(env.Stderr, "hoso %s: --as-of: %v\n", name, err)
			return df, false
		}
		df.asOf = df.asOf.UTC()
	}
	if eff != nil && *eff != "" {
		if df.effectiveOn, err = domain.ParseDate(*eff); err != nil {
			fmt.Fprintf(env.Stderr, "hoso %s: --effective-on: %v\n", name, err)
			return df, false
		}
	}
	return df, true
}

// documentReader opens the database and the reader the API uses, and
// returns a function that logs the operator's read in the read log (the
// operator reads the whole dossier: a database operator is not scoped).
func documentReader(ctx context.Context, env *Env, seal *export.Seal) (export.Reader, func(id domain.DossierID, route string) error, func(), error) {
	pool, err := openStore(ctx, env)
	if err != nil {
		return export.Reader{}, nil, nil, err
	}
	store := postgres.New(pool, postgres.Options{})
	// The CV reads the dossier opened; the package carries the events as
	// stored (sealed), which hash to their Merkle leaves.
	opened, err := sealedStore(ctx, env, pool, store)
	if err != nil {
		pool.Close()
		return export.Reader{}, nil, nil, err
	}
	tree := treelog.New(pool, store, treelog.Options{})
	r := export.Reader{Ledger: ledger.Ledger{Store: opened}, Store: store, Tree: tree, Catalog: catalog.Default(), Seal: seal}
	if k, err := checkpointKey(env); err == nil && k != nil {
		r.Checkpoints = checkpoint.New(pool, tree, *k, time.Now)
		r.VerifierKey = k.VerifierKey
	}
	user := operator(env)
	logRead := func(id domain.DossierID, route string) error {
		return pgadapter.NewReadLog(pool).Insert(ctx, []readlog.Entry{{ReadAt: time.Now().UTC(), Account: uuid.Nil, Username: user,
			Dossier: uuid.UUID(id), Method: "CLI", Route: route, Outcome: "allowed"}})
	}
	return r, logRead, pool.Close, nil
}

// operator names who runs the command, in the read log and packages:
// "cli:USER", or "cli".
func operator(env *Env) string {
	if u := env.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// load replays the dossier at the flags' point in time.
func (df documentFlags) load(ctx context.Context, r export.Reader) (export.Request, error) {
	h, err := r.History(ctx, df.id)
	if err != nil {
		return export.Request{}, err
	}
	d, err := export.At(h, df.asOf, df.effectiveOn)
	if errors.Is(err, domain.ErrNotFound) {
		return export.Request{}, errors.New("the dossier did not exist at that point in time")
	}
	if err != nil {
		return export.Request{}, err
	}
	return export.Request{Dossier: d, Document: d.Document(), AsOf: df.asOf, EffectiveOn: df.effectiveOn}, nil
}

func writeOut(env *Env, path string, b []byte) error {
	if path == "" || path == "-" {
		_, err := env.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// makeDocument opens the database, loads the dossier at the flags' point in
// time, logs the operator's read, makes the document and writes it: 0, 1
// when it failed (nothing written), 2 when the database could not be opened.
func makeDocument(ctx context.Context, env *Env, name string, df documentFlags, seal *export.Seal,
	render func(export.Reader, export.Request) ([]byte, error)) (export.Request, int) {
	r, logRead, closeDB, err := documentReader(ctx, env, seal)
	if err != nil {
		fmt.Fprintf(env.Stderr, "hoso %s: %v\n", name, err)
		return export.Request{}, 2
	}
	defer closeDB()
	q, err := df.load(ctx, r)
	if err == nil {
		err = logRead(df.id, "hoso "+name)
	}
	var doc []byte
	if err == nil {
		doc, err = render(r, q)
	}
	if err == nil {
		err = writeOut(env, df.out, doc)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "hoso %s: %v\n", name, err)
		return q, 1
	}
	return q, 0
}

// runCV is `hoso cv DOSSIER_ID [--as-of T] [--effective-on D] [-o FILE]`.
func runCV(ctx context.Context, env *Env, args []string) int {
	const usage = "usage: hoso cv DOSSIER_ID [--as-of INSTANT] [--effective-on YYYY-MM-DD] [-o FILE] > file.pdf"
	df, ok := parseDocumentFlags(env, "cv", usage, true, args)
	if !ok {
		return 2
	}
	seal, err := sealOf(env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso cv:", err)
		return 2
	}
	_, code := makeDocument(ctx, env, "cv", df, seal, func(r export.Reader, q export.Request) ([]byte, error) { return r.CV(ctx, q) })
	return code
}

// runExport is `hoso export DOSSIER_ID [--as-of T] -o FILE.zip`.
func runExport(ctx context.Context, env *Env, args []string) int {
	const usage = "usage: hoso export DOSSIER_ID [--as-of INSTANT] -o FILE.zip"
	df, ok := parseDocumentFlags(env, "export", usage, false, args)
	if !ok {
		return 2
	}
	seal, err := sealOf(env)
	if err == nil && seal == nil {
		err = export.ErrNoSeal
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso export:", err)
		return 2
	}
	now := time.Now().UTC()
	if df.asOf.IsZero() {
		df.asOf = now
	}
	if df.asOf.After(now) {
		fmt.Fprintln(env.Stderr, "hoso export: --as-of is after now")
		return 2
	}
	q, code := makeDocument(ctx, env, "export", df, seal, func(r export.Reader, q export.Request) ([]byte, error) {
		return r.Package(ctx, q, api.OperatorView(q.Dossier, q.AsOf), operator(env))
	})
	if code == 0 && df.out != "" && df.out != "-" {
		fmt.Fprintf(env.Stderr, "signed export of %s, version %d, as of %s → %s\n", df.id, q.Dossier.Version(),
			q.AsOf.In(domain.VietnamZone).Format("15:04:05 02/01/2006"), df.out)
	}
	return code
}
