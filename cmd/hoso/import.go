package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/term"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/imports"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/importfile"
	"github.com/hoso-ledger/hoso/ledger"
)

// importOperator is the actor of what `hoso import` writes from the
// console (not an API account); the actor's name records the
// operating-system user, the acting org the org imported into.
var importOperator = domain.AccountID(uuid.MustParse("00000000-0000-7000-8000-0000000d05e1"))

const importUsage = `usage: hoso import template > mau.xlsx
       hoso import FILE --org ORG_ID --decision "số/ký hiệu, dd/mm/yyyy, cơ quan" [--dry-run] [--skip-invalid] [--report PREFIX] [--workers N] [--batch N]
       hoso import sample --people N [--seed S] [--offset K] --out FILE.xlsx|DIR   (a realistic file from the demo generator)
FILE is a workbook (.xlsx), a zip of CSV files, or a folder of CSV files (UTF-8, one per sheet).`

func runImport(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, importUsage)
		return 2
	}
	switch args[0] {
	case "template":
		if len(args) != 1 {
			fmt.Fprintln(env.Stderr, importUsage)
			return 2
		}
		if err := importfile.WriteTemplate(env.Stdout, catalog.Default()); err != nil {
			fmt.Fprintln(env.Stderr, "hoso import template:", err)
			return 1
		}
		return 0
	case "sample":
		return runImportSample(env, args[1:])
	}
	return runImportFile(ctx, env, args)
}

func runImportSample(env *Env, args []string) int {
	fs := flag.NewFlagSet("import sample", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	people := fs.Int("people", 100, "how many people")
	seed := fs.Int64("seed", 1, "the demo seed")
	offset := fs.Int("offset", 0, "shift of the personal ID numbers (another file of other people)")
	out := fs.String("out", "", "the .xlsx file or the folder of CSV files to write")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() != 0 || *people < 1 {
		fmt.Fprintln(env.Stderr, importUsage)
		return 2
	}
	cfg := demo.ImportConfig{Seed: *seed, People: *people, Offset: *offset}
	var err error
	if strings.HasSuffix(strings.ToLower(*out), ".xlsx") {
		var f *os.File
		if f, err = os.Create(*out); err == nil {
			err = errors.Join(demo.WriteImportWorkbook(f, cfg), f.Close())
		}
	} else if err = os.MkdirAll(*out, 0o755); err == nil {
		err = demo.WriteImportCSV(*out, cfg)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso import sample:", err)
		return 1
	}
	return 0
}

func runImportFile(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	org := fs.String("org", "", "the managing org of the imported dossiers (its id)")
	decision := fs.String("decision", "", `the decision behind the import: "số/ký hiệu, dd/mm/yyyy, cơ quan ban hành"`)
	dry := fs.Bool("dry-run", false, "check every row and write nothing")
	skip := fs.Bool("skip-invalid", false, "write the valid rows even when some are invalid")
	report := fs.String("report", "", "where the error report goes: PREFIX.xlsx and PREFIX.json (default: beside FILE)")
	workers := fs.Int("workers", 8, "writes run at once")
	batch := fs.Int("batch", 250, "new people created per write (1: person by person)")
	fs.Usage = func() { fmt.Fprintln(env.Stderr, importUsage); fs.PrintDefaults() }
	// FILE may come before or after the flags.
	var file string
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		file = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
	}
	var problems []string
	if file == "" {
		problems = append(problems, "FILE is required")
	}
	if fs.NArg() > 0 {
		problems = append(problems, "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	orgID, err := domain.ParseOrgID(*org)
	if err != nil {
		problems = append(problems, "--org must be an org id")
	}
	dec, err := imports.ParseDecision(*decision)
	if err != nil {
		problems = append(problems, `--decision must read "số/ký hiệu, dd/mm/yyyy, cơ quan ban hành": `+err.Error())
	}
	if *workers < 1 || *workers > 64 {
		problems = append(problems, "--workers must be between 1 and 64")
	}
	if *batch < 1 || *batch > 5000 {
		problems = append(problems, "--batch must be between 1 and 5000")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, "hoso import:", p)
		}
		return 2
	}
	src, err := importfile.Open(file)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso import:", err)
		return 1
	}
	defer src.Close()
	// Durable commits, unlike the demo's: an import's writes are a
	// province's records, and what it reports written must survive a crash
	// of the server. A write is a batch of people, so the WAL flush is
	// paid once per batch, not per event.
	pool, err := workersPool(ctx, env, *workers, false)
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso import:", err)
		return 1
	}
	defer pool.Close()
	// Imported dossiers are sealed at rest like every other (docs/privacy.md).
	sealed, err := sealedStore(ctx, env, pool, postgres.New(pool, postgres.Options{}))
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso import:", err)
		return 1
	}
	l := ledger.Ledger{Store: sealed}
	im := imports.Importer{Dossiers: app.Dossiers{Ledger: l, Catalogue: catalog.Default(), PersonalIDKey: env.Config.PersonalIDKey}}
	bar := newProgressBar(env)
	who := env.Getenv("USER")
	res, err := im.Run(ctx, src, imports.Options{
		Org: orgID, Decision: dec, DryRun: *dry, SkipInvalid: *skip, KeepValues: true, Workers: *workers, BatchSize: *batch,
		Actor:    domain.Actor{Account: importOperator, Name: "hoso import (run by " + who + ")", ActingOrg: orgID},
		Progress: bar.update,
	})
	bar.done()
	if err != nil {
		fmt.Fprintln(env.Stderr, "hoso import:", err)
		if res.Report != nil {
			fmt.Fprintln(env.Stderr, "hoso import: run the same command again to resume: what is written stays, and is not written twice")
		}
		return 1
	}
	rep := res.Report
	fmt.Fprintf(env.Stdout, "File SHA-256 %s: %d rows, %d invalid (%d problems).\n", rep.FileSHA256, rep.Rows, rep.InvalidRows, len(rep.Problems))
	if len(rep.Problems) > 0 {
		prefix := *report
		if prefix == "" {
			prefix = strings.TrimSuffix(strings.TrimSuffix(file, string(filepath.Separator)), filepath.Ext(file)) + "-bao-cao-loi"
		}
		if err := writeReports(rep, prefix); err != nil {
			fmt.Fprintln(env.Stderr, "hoso import: writing the report:", err)
			return 1
		}
		fmt.Fprintf(env.Stdout, "Error report: %s.xlsx and %s.json\n", prefix, prefix)
	}
	switch {
	case *dry:
		fmt.Fprintln(env.Stdout, "Dry run: nothing written.")
	case !res.Written:
		fmt.Fprintln(env.Stdout, "Nothing written: fix the rows in the report, or run with --skip-invalid to import the valid ones.")
		return 1
	default:
		fmt.Fprintf(env.Stdout, "Written: %d dossiers created, %d already there from an earlier run of this file, %d events appended, %d rows left out.\n",
			res.Created, res.Existing, res.Events, res.Skipped)
	}
	return 0
}

func writeReports(rep *importfile.Report, prefix string) error {
	write := func(name string, fn func(io.Writer) error) error {
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		return errors.Join(fn(f), f.Close())
	}
	return errors.Join(write(prefix+".xlsx", rep.WriteXLSX), write(prefix+".json", rep.WriteJSON))
}

// progressBar shows an import's progress: a bar redrawn in place on a
// terminal (rows/s and the time left), a log line every few seconds
// otherwise.
type progressBar struct {
	mu       sync.Mutex // workers report at once
	env      *Env
	tty      bool
	start    time.Time
	last     time.Time
	phase    string
	drawn    bool
	lastSeen imports.Progress
}

func newProgressBar(env *Env) *progressBar {
	b := &progressBar{env: env, start: time.Now()}
	if f, ok := env.Stderr.(*os.File); ok {
		b.tty = term.IsTerminal(int(f.Fd()))
	}
	return b
}

func (b *progressBar) update(p imports.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p.Phase != b.phase {
		b.phase, b.start = p.Phase, time.Now()
	}
	b.lastSeen = p
	now := time.Now()
	if b.tty && now.Sub(b.last) < 200*time.Millisecond || !b.tty && now.Sub(b.last) < 5*time.Second {
		return
	}
	b.last = now
	rate := float64(p.Rows) / max(now.Sub(b.start).Seconds(), 0.001)
	if !b.tty {
		b.env.Log.Info("import progress", "phase", p.Phase, "sheet", p.Sheet, "rows", p.Rows, "of", p.Total,
			"rows_per_s", int(rate), "dossiers", p.Dossiers, "events", p.Events)
		return
	}
	fmt.Fprint(b.env.Stderr, "\r"+progressLine(p, rate))
	b.drawn = true
}

// progressLine is the bar's text: "write [=====>    ] 45% 12345/27000
// rows 850 rows/s, 0:17 left".
func progressLine(p imports.Progress, rate float64) string {
	if p.Total == 0 {
		return fmt.Sprintf("%-5s %s: %d rows checked, %.0f rows/s   ", p.Phase, p.Sheet, p.Rows, rate)
	}
	const width = 30
	frac := min(float64(p.Rows)/float64(p.Total), 1)
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n < width {
		bar = bar[:n] + ">" + bar[n+1:]
	}
	left := time.Duration(float64(p.Total-p.Rows)/max(rate, 0.001)) * time.Second
	return fmt.Sprintf("%-5s [%s] %3.0f%% %d/%d rows %.0f rows/s, %s left · %d dossiers, %d events   ",
		p.Phase, bar, 100*frac, p.Rows, p.Total, rate, left.Round(time.Second), p.Dossiers, p.Events)
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.env.Stderr)
	}
}
