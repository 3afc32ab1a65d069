package imports

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/internal/importfile"
	"github.com/hoso-ledger/hoso/ledger"
)

// Options are one import's parameters.
type Options struct {
	// Org is the managing org (and employing unit) of every dossier the
	// file creates; it must exist and serve on the decision's date.
	Org domain.OrgID
	// Decision is the decision to move the org's dossiers onto the ledger:
	// the creations' source document and effective date, and the source of
	// every row that names no document of its own.
	Decision domain.SourceDocument
	// Actor is who imports (an HR officer of Org, or the operator at the
	// console acting for it).
	Actor domain.Actor
	// DryRun checks every row and writes nothing.
	DryRun bool
	// SkipInvalid writes the valid rows when some are invalid; without it a
	// file with any problem writes nothing.
	SkipInvalid bool
	// KeepValues keeps the cells of rows with problems in the report, for
	// a local error report (never for one that is stored).
	KeepValues bool
	// Workers is how many writes run at once (default 4).
	Workers int
	// BatchSize is how many new people one write creates, with all their
	// rows (default 250; 1 writes person by person).
	BatchSize int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Progress, when set, is called as rows are checked and written.
	Progress func(Progress)
}

// Progress is how far an import is.
type Progress struct {
	Phase    string // "check" or "write"
	Sheet    string // the sheet being read
	Rows     int    // rows done in this phase
	Total    int    // rows to do in this phase (0 while checking: unknown)
	Dossiers int    // dossiers created so far
	Events   int    // events appended so far
}

// Result is what an import did.
type Result struct {
	Report *importfile.Report
	// Written is false when nothing was written: a dry run, or problems
	// without SkipInvalid.
	Written bool
	// Created counts dossiers this run created; Existing those an earlier
	// run of the same file had created; Events the events this run appended.
	Created, Existing, Events int
	// Skipped counts rows left out: invalid, or of a person whose identity
	// row is invalid or whose number another dossier holds.
	Skipped int
}

// Importer runs imports through the dossier use cases: every event it
// appends is decided by the domain, as the same command through the API
// would have been.
type Importer struct {
	Dossiers app.Dossiers
}

// ErrInvalidOptions wraps a refusal of the options (no org, no decision).
var ErrInvalidOptions = errors.New("imports: invalid options")

func (im Importer) prepare(ctx context.Context, src importfile.Source, o *Options) (*file, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers < 1 {
		o.Workers = 4
	}
	if o.BatchSize < 1 {
		o.BatchSize = 250
	}
	if o.Org.IsZero() {
		return nil, fmt.Errorf("%w: the org is required", ErrInvalidOptions)
	}
	if err := o.Decision.Validate("decision"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if _, err := app.LoadOrg(ctx, im.Dossiers.Ledger, o.Org); err != nil {
		return nil, fmt.Errorf("%w: org %s: %w", ErrInvalidOptions, o.Org, err)
	}
	sha := src.SHA256()
	f := &file{sha: sha, ns: uuid.NewSHA1(importNamespace, []byte(sha)), org: o.Org, decision: o.Decision, actor: o.Actor}
	now := o.Now().UTC()
	f.now = domain.DateOf(now)
	f.meta = func(sheet string, row int, eff domain.Date, src domain.SourceDocument) domain.Meta {
		return domain.Meta{Actor: o.Actor, RecordedAt: o.Now().UTC(), EffectiveDate: eff, Source: src,
			ImportedFrom: importedFrom(sha, sheet, row), CorrelationID: "import-" + sha[:16]}
	}
	return f, nil
}

// state is what the check learns and the write needs: which persons and
// rows to leave out. It holds numbers and row numbers, never other values.
type state struct {
	persons map[string]int          // personal ID number → its identity row
	skipPID map[string]bool         // persons left out
	badRows map[string]map[int]bool // sheet → rows left out
	total   int                     // rows to write
	lookups []lookup                // identity rows to look up in the ledger
}

// Check reads every row of the file, parses it, has the domain validate
// it as the command it would be, and looks every personal ID number up in
// the ledger. It writes nothing.
func (im Importer) Check(ctx context.Context, src importfile.Source, o Options) (*importfile.Report, error) {
	f, err := im.prepare(ctx, src, &o)
	if err != nil {
		return nil, err
	}
	rep, _, err := im.check(ctx, src, f, o)
	return rep, err
}

func (im Importer) check(ctx context.Context, src importfile.Source, f *file, o Options) (*importfile.Report, *state, error) {
	rep := &importfile.Report{FileSHA256: f.sha}
	if o.KeepValues {
		rep.Values = map[string][]string{}
	}
	st := &state{persons: map[string]int{}, skipPID: map[string]bool{}, badRows: map[string]map[int]bool{}}
	// Every row is validated against a stand-in dossier of the org: the
	// domain's checks of a row do not depend on the person's other rows.
	template, err := standIn(f)
	if err != nil {
		return nil, nil, err
	}
	cat := im.Dossiers.Catalogue
	done := 0
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, readAhead)
	var reading sync.WaitGroup
	reading.Add(1)
	go func() {
		defer reading.Done()
		readSheets(ctx, src, batches)
	}()
	defer func() {
		// Stop the reader and let it go before the file is read again.
		cancel()
		for range batches {
		}
		reading.Wait()
	}()
	sheets := 0
	for b := range batches {
		sheet := importfile.Sheets[b.sheet]
		for _, rec := range b.recs {
			rep.Rows++
			done++
			if o.Progress != nil && done%1000 == 0 {
				o.Progress(Progress{Phase: "check", Sheet: sheet.Key, Rows: done})
			}
			c := &cells{sheet: sheet, rec: rec}
			pid := c.get(importfile.ColPersonalID)
			if sheet.Key == "identity" {
				im.checkPerson(ctx, f, c, st, template)
			} else {
				s := f.parseStep(c)
				switch _, ok := st.persons[pid]; {
				case pid == "":
					c.add(importfile.ColPersonalID, "required", reason("required", ""))
				case !ok:
					c.add(importfile.ColPersonalID, "unknown_person", "không có người nào mang số định danh này ở trang Lý lịch")
				case st.skipPID[pid]:
					// The person is left out for the problem of their
					// identity row (reported there).
					st.bad(sheet.Key, rec.Row)
					continue
				default:
					if len(c.problems) == 0 {
						if _, err := s.decide(template, cat); err != nil {
							c.domainProblems(err)
						}
					}
				}
			}
			if len(c.problems) > 0 {
				st.bad(sheet.Key, rec.Row)
				rep.Problems = append(rep.Problems, c.problems...)
				if rep.Values != nil {
					rep.Values[importfile.ValuesKey(sheet.Key, rec.Row)] = rec.Values
				}
				// A person whose identity row is bad is left out with all
				// their rows; a repeated number's first row stands.
				if sheet.Key == "identity" && pid != "" && st.persons[pid] == rec.Row {
					st.skipPID[pid] = true
				}
				continue
			}
			st.total++
		}
		if !b.last {
			continue
		}
		sheets++
		var he *importfile.HeaderError
		if errors.As(b.err, &he) {
			rep.Problems = append(rep.Problems, headerProblems(he)...)
			st.skipSheet(sheet.Key)
			continue
		}
		if b.err != nil {
			return nil, nil, b.err
		}
		if sheet.Key == "identity" {
			if err := im.lookUp(ctx, st, rep, o.Workers); err != nil {
				return nil, nil, err
			}
		}
	}
	if sheets < len(importfile.Sheets) {
		// The reader stopped early: only a cancellation does that.
		return nil, nil, context.Cause(ctx)
	}
	for _, rows := range st.badRows {
		rep.InvalidRows += len(rows)
	}
	rep.Sort()
	return rep, st, nil
}

// batch is a run of records of one sheet (Sheets[sheet]) read ahead of
// the check; the sheet's last batch carries how its read ended.
type batch struct {
	sheet int
	recs  []importfile.Record
	last  bool
	err   error
}

const (
	batchRows = 256
	readAhead = 8 // batches read ahead: memory stays bounded
)

// readSheets reads every sheet in order into out, then closes it: the
// workbook's parsing runs on its own core beside the checks, which take
// the rows as they come. It stops at a cancellation, or after the batch
// of a sheet whose read failed other than on its header.
func readSheets(ctx context.Context, src importfile.Source, out chan<- batch) {
	defer close(out)
	send := func(b batch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for i, sheet := range importfile.Sheets {
		recs := make([]importfile.Record, 0, batchRows)
		err := src.Each(sheet, func(r importfile.Record) error {
			if recs = append(recs, r); len(recs) == batchRows {
				if !send(batch{sheet: i, recs: recs}) {
					return context.Cause(ctx)
				}
				recs = make([]importfile.Record, 0, batchRows)
			}
			return nil
		})
		if ctx.Err() != nil || !send(batch{sheet: i, recs: recs, last: true, err: err}) {
			return
		}
		var he *importfile.HeaderError
		if err != nil && !errors.As(err, &he) {
			return
		}
	}
}

func (st *state) bad(sheet string, row int) {
	if st.badRows[sheet] == nil {
		st.badRows[sheet] = map[int]bool{}
	}
	st.badRows[sheet][row] = true
}

// skipSheet marks a sheet whose header is unreadable: row 0 stands for all.
func (st *state) skipSheet(sheet string) { st.bad(sheet, 0) }

func (st *state) skipped(sheet string, row int) bool {
	return st.badRows[sheet][0] || st.badRows[sheet][row]
}

func headerProblems(he *importfile.HeaderError) []importfile.Problem {
	var out []importfile.Problem
	for _, k := range he.Missing {
		out = append(out, importfile.Problem{Sheet: he.Sheet.Key, Row: 1, Column: k, Code: "missing_column", Reason: "thiếu cột bắt buộc"})
	}
	for _, h := range he.Unknown {
		out = append(out, importfile.Problem{Sheet: he.Sheet.Key, Row: 1, Code: "unknown_column", Reason: "tiêu đề cột không có trong mẫu: " + h})
	}
	for _, h := range he.Repeated {
		out = append(out, importfile.Problem{Sheet: he.Sheet.Key, Row: 1, Code: "repeated_column", Reason: "tiêu đề cột lặp lại: " + h})
	}
	return out
}

// checkPerson checks an identity row: its fields (the domain's creation
// and section update), its number's uniqueness in the file, and in the
// ledger (a number another dossier holds is a conflict, never a second
// dossier; one this file's earlier run created is not).
func (im Importer) checkPerson(ctx context.Context, f *file, c *cells, st *state, template *dossier.Dossier) {
	p := f.parsePerson(c)
	pid := p.create.PersonalIDNumber
	if first, dup := st.persons[pid]; dup && pid != "" {
		c.add(importfile.ColPersonalID, "duplicate_in_file", fmt.Sprintf("số định danh trùng với dòng %d của trang này", first))
		return
	}
	if pid != "" {
		st.persons[pid] = c.rec.Row
	}
	if _, err := dossier.Create(p.create, p.meta, im.Dossiers.Catalogue); err != nil {
		c.domainProblems(err)
	}
	if p.sections != nil {
		if _, err := p.sections.decide(template, im.Dossiers.Catalogue); err != nil {
			c.domainProblems(err)
		}
	}
	if len(c.problems) > 0 || pid == "" {
		return
	}
	st.lookups = append(st.lookups, lookup{pid: pid, row: c.rec.Row, cell: c.rec.Cell(c.sheet, importfile.ColPersonalID), id: p.create.DossierID})
}

// lookup is a valid identity row's number, to look up in the ledger.
type lookup struct {
	pid, cell string
	row       int
	id        domain.DossierID
}

// lookUp looks the identity rows' numbers up in the ledger, a chunk of
// them per read of their reservation streams: a number another dossier
// holds is a conflict, never a second dossier; one this file's earlier run
// created is not.
func (im Importer) lookUp(ctx context.Context, st *state, rep *importfile.Report, workers int) error {
	const chunk = 1000
	held := make([]map[string]domain.DossierID, (len(st.lookups)+chunk-1)/chunk)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for c := range held {
		g.Go(func() error {
			ls := st.lookups[c*chunk : min((c+1)*chunk, len(st.lookups))]
			numbers := make([]string, len(ls))
			for i, l := range ls {
				numbers[i] = l.pid
			}
			var err error
			held[c], err = im.Dossiers.DossiersOfPersonalIDs(gctx, numbers)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("imports: looking the personal ID numbers up: %w", err)
	}
	for i, l := range st.lookups {
		holder, ok := held[i/chunk][l.pid]
		if !ok || holder == l.id {
			continue
		}
		rep.Problems = append(rep.Problems, importfile.Problem{Sheet: "identity", Row: l.row, Column: importfile.ColPersonalID, Cell: l.cell,
			Code: app.RulePersonalIDTaken, Reason: "số định danh đã thuộc một hồ sơ khác trong sổ: không lập hồ sơ thứ hai"})
		st.bad("identity", l.row)
		st.skipPID[l.pid] = true
		st.total--
	}
	st.lookups = nil
	return nil
}

// standIn is a dossier of the org that exists only in memory, to let the
// domain validate rows before any dossier is written.
func standIn(f *file) (*dossier.Dossier, error) {
	m := f.meta("identity", 0, f.decision.Date, f.decision)
	created := dossier.Created{DossierID: domain.DossierID(f.ns), Class: dossier.ClassCongChuc, ManagingOrg: f.org, EmployingUnit: f.org,
		Identity: dossier.Identity{BirthName: "-", Gender: dossier.GenderMale, DateOfBirth: domain.MustDate(1950, 1, 1)}}
	return dossier.Replay([]domain.Recorded{{ID: f.ns, Version: 1, Event: created, Meta: m}})
}

// Run checks the file (see Check) and, unless it is a dry run or has
// problems without SkipInvalid, writes it: one dossier per valid person,
// then each history sheet's rows as the events they would have been, each
// with its own effective date and imported_from. It is idempotent and
// resumable: ids derive from the file's SHA-256 and the row, so a run after
// a crash, or a repeated run, appends only what is missing.
func (im Importer) Run(ctx context.Context, src importfile.Source, o Options) (Result, error) {
	f, err := im.prepare(ctx, src, &o)
	if err != nil {
		return Result{}, err
	}
	if !o.DryRun {
		// The write reads the file again: parsed once, replayed after.
		sp := importfile.Spool(src, "")
		defer sp.Close()
		src = sp
	}
	rep, st, err := im.check(ctx, src, f, o)
	if err != nil {
		return Result{}, err
	}
	res := Result{Report: rep, Skipped: rep.InvalidRows}
	if o.DryRun || len(rep.Problems) > 0 && !o.SkipInvalid {
		return res, nil
	}
	w := &writer{im: im, f: f, st: st, o: o, start: time.Now()}
	if err := w.run(ctx, src); err != nil {
		return w.result(res), err
	}
	res = w.result(res)
	res.Written = true
	return res, nil
}

// writer is one run's write phase.
type writer struct {
	im    Importer
	f     *file
	st    *state
	o     Options
	start time.Time

	mu                     sync.Mutex
	conflicts              []importfile.Problem
	rows                   atomic.Int64
	created, existing, evs atomic.Int64
}

func (w *writer) result(r Result) Result {
	r.Created, r.Existing, r.Events = int(w.created.Load()), int(w.existing.Load()), int(w.evs.Load())
	if len(w.conflicts) > 0 {
		// A person the bulk write set aside is decided again on the one
		// by one path: a row refused then is reported once.
		seen := map[importfile.Problem]bool{}
		for _, p := range w.conflicts {
			if !seen[p] {
				seen[p] = true
				r.Report.Problems = append(r.Report.Problems, p)
				r.Skipped++
			}
		}
		r.Report.Sort()
	}
	return r
}

func (w *writer) progress(sheet string) {
	if w.o.Progress != nil {
		w.o.Progress(Progress{Phase: "write", Sheet: sheet, Rows: int(w.rows.Load()), Total: w.st.total,
			Dossiers: int(w.created.Load()), Events: int(w.evs.Load())})
	}
}

// job is the work on one dossier, written as one append after its
// creation: a person with their rows of every sheet, or (for files whose
// sheets are not in the same person order) a run of one person's
// consecutive rows of one sheet.
type job struct {
	person *person
	steps  []step
	rows   int // file rows the job stands for
}

// run writes in two passes. The first reads the identity sheet and, beside
// it, every other sheet in step: as long as the sheets list people in the
// same order (as HR systems export them), each person is one job — the
// creation and then all their rows in one append. A sheet whose next row
// names a person already passed is out of that order: the first pass
// stops reading it there, and the second pass writes the rest of it sheet
// by sheet. What either pass finds already written (a repeated or resumed
// run) it leaves out.
func (w *writer) run(ctx context.Context, src importfile.Source) error {
	var left map[string]int
	err := w.pool(ctx, "identity", func(ctx context.Context, jobs chan<- job) error {
		var err error
		left, err = w.merge(ctx, src, jobs)
		return err
	})
	if err != nil {
		return err
	}
	for _, sheet := range importfile.Sheets[1:] {
		from, ok := left[sheet.Key]
		if !ok {
			continue
		}
		err := w.pool(ctx, sheet.Key, func(ctx context.Context, jobs chan<- job) error {
			return w.feed(ctx, src, sheet, from, jobs)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pool runs feed's jobs on the workers. The first pass's jobs (new
// people) go in batches of BatchSize, one bulk write each (doBatch); the
// second pass's one by one.
func (w *writer) pool(ctx context.Context, sheet string, feed func(context.Context, chan<- job) error) error {
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job, 2*w.o.Workers)
	size := 1
	if sheet == "identity" {
		size = w.o.BatchSize
	}
	batches := make(chan []job, w.o.Workers)
	for range w.o.Workers {
		g.Go(func() error {
			for b := range batches {
				if err := w.doBatch(gctx, b); err != nil {
					return err
				}
				for _, j := range b {
					w.rows.Add(int64(j.rows))
				}
				w.progress(sheet)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(batches)
		var b []job
		for j := range jobs {
			if b = append(b, j); len(b) == size {
				select {
				case batches <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
				b = nil
			}
		}
		if len(b) > 0 {
			select {
			case batches <- b:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		defer close(jobs)
		return feed(gctx, jobs)
	})
	err := g.Wait()
	w.progress(sheet)
	return err
}

func send(ctx context.Context, jobs chan<- job, j job) error {
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// valid reports whether a row is to be written: not invalid, not of a
// person left out.
func (w *writer) valid(sheet importfile.Sheet, rec importfile.Record) bool {
	return !w.st.skipped(sheet.Key, rec.Row) && !w.skippedPerson(rec.Get(sheet, importfile.ColPersonalID))
}

// cursor reads one history sheet in step with the identity sheet.
type cursor struct {
	sheet importfile.Sheet
	next  func() (importfile.Record, bool)
	stop  func()
	head  *importfile.Record // the next valid row; nil at the end
	left  int                // the first row left to the second pass; 0 for none
}

func (c *cursor) advance(w *writer) {
	c.head = nil
	for {
		rec, ok := c.next()
		if !ok {
			return
		}
		if w.valid(c.sheet, rec) {
			c.head = &rec
			return
		}
	}
}

// merge is the first pass; it returns, for each sheet it left unfinished,
// the row the second pass starts from.
func (w *writer) merge(ctx context.Context, src importfile.Source, jobs chan<- job) (map[string]int, error) {
	var failed error
	var cursors []*cursor
	for _, sheet := range importfile.Sheets[1:] {
		if w.st.skipped(sheet.Key, 0) {
			continue
		}
		next, stop := iter.Pull(func(yield func(importfile.Record) bool) {
			err := src.Each(sheet, func(r importfile.Record) error {
				if !yield(r) {
					return errStopped
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStopped) {
				failed = err
			}
		})
		c := &cursor{sheet: sheet, next: next, stop: stop}
		defer stop()
		c.advance(w)
		cursors = append(cursors, c)
	}
	passed := map[string]bool{}
	identity := importfile.Sheets[0]
	err := src.Each(identity, func(rec importfile.Record) error {
		if !w.valid(identity, rec) {
			return nil
		}
		p := w.f.parsePerson(&cells{sheet: identity, rec: rec})
		pid := p.create.PersonalIDNumber
		passed[pid] = true
		j := job{person: &p, rows: 1}
		if p.sections != nil {
			j.steps = append(j.steps, *p.sections)
		}
		for _, c := range cursors {
			for c.left == 0 && c.head != nil {
				rpid := c.head.Get(c.sheet, importfile.ColPersonalID)
				if rpid != pid {
					if passed[rpid] { // out of the identity sheet's order
						c.left = c.head.Row
					}
					break // or a later person's row: wait for them
				}
				j.steps = append(j.steps, w.f.parseStep(&cells{sheet: c.sheet, rec: *c.head}))
				j.rows++
				c.advance(w)
			}
		}
		return send(ctx, jobs, j)
	})
	if err == nil {
		err = failed
	}
	if err != nil {
		return nil, err
	}
	left := map[string]int{}
	for _, c := range cursors {
		if c.left == 0 && c.head != nil {
			c.left = c.head.Row
		}
		if c.left != 0 {
			left[c.sheet.Key] = c.left
		}
	}
	return left, nil
}

var errStopped = errors.New("imports: stopped")

// feed is the second pass over one sheet, from row from: its valid rows as
// jobs, a person's consecutive rows together.
func (w *writer) feed(ctx context.Context, src importfile.Source, sheet importfile.Sheet, from int, jobs chan<- job) error {
	var cur job
	err := src.Each(sheet, func(rec importfile.Record) error {
		if rec.Row < from || !w.valid(sheet, rec) {
			return nil
		}
		s := w.f.parseStep(&cells{sheet: sheet, rec: rec})
		if len(cur.steps) > 0 && cur.steps[0].pid != s.pid {
			if err := send(ctx, jobs, cur); err != nil {
				return err
			}
			cur = job{}
		}
		cur.steps = append(cur.steps, s)
		cur.rows++
		return nil
	})
	if err != nil || len(cur.steps) == 0 {
		return err
	}
	return send(ctx, jobs, cur)
}

// doBatch writes a batch of jobs: the new people among them in one bulk
// write (app.Dossiers.CreateMany: their dossiers, rows and number claims
// together), then, one by one, the jobs that are not new people and the
// people it left out (a dossier an earlier run created, a number with a
// reservation already), whose single path finds what exists.
func (w *writer) doBatch(ctx context.Context, b []job) error {
	var (
		news   []app.NewDossier
		counts []int
		of     []int // news[k] is b[of[k]]
	)
	slow := make([]bool, len(b))
	for i, j := range b {
		p := j.person
		if p == nil {
			slow[i] = true
			continue
		}
		k := len(news)
		counts = append(counts, 0)
		of = append(of, i)
		news = append(news, app.NewDossier{Command: p.create, Meta: p.meta, Then: func(h []domain.Recorded) ([]eventstore.EventData, error) {
			data, err := w.decide(h, j.steps)
			counts[k] = len(data)
			return data, err
		}})
	}
	if len(news) > 0 {
		left, err := w.im.Dossiers.CreateMany(ctx, news)
		if err != nil {
			return fmt.Errorf("imports: creating %d dossiers from identity row %d on: %w", len(news), b[of[0]].person.row, err)
		}
		wasLeft := make([]bool, len(news))
		for _, k := range left {
			wasLeft[k] = true
			slow[of[k]] = true
		}
		for k := range news {
			if !wasLeft[k] {
				w.created.Add(1)
				w.evs.Add(int64(1 + counts[k]))
			}
		}
	}
	for i, j := range b {
		if slow[i] {
			if err := w.do(ctx, j); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) do(ctx context.Context, j job) error {
	if p := j.person; p != nil {
		// A new person is one append: the creation and every row.
		var n int
		_, err := w.im.Dossiers.CreateWith(ctx, p.create, p.meta, func(h []domain.Recorded) ([]eventstore.EventData, error) {
			data, err := w.decide(h, j.steps)
			n = len(data)
			return data, err
		})
		var se *domain.StateError
		var taken *app.PersonalIDTakenError
		switch {
		case err == nil:
			w.created.Add(1)
			w.evs.Add(int64(1 + n))
			return nil
		case errors.As(err, &se) && se.Rule == app.RuleDossierExists:
			w.existing.Add(1) // an earlier run created it: add what it lacks
		case errors.As(err, &taken):
			// Another dossier took the number since the check: a
			// conflict, reported; the person's rows are left out.
			w.conflict("identity", p)
			return nil
		default:
			return fmt.Errorf("imports: creating the dossier of identity row %d: %w", p.row, err)
		}
	}
	if len(j.steps) == 0 {
		return nil
	}
	return w.apply(ctx, DossierID(w.f.sha, j.steps[0].pid), j.steps)
}

func (w *writer) conflict(sheet string, p *person) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st.skipPID[p.create.PersonalIDNumber] = true
	w.conflicts = append(w.conflicts, importfile.Problem{Sheet: sheet, Row: p.row, Column: importfile.ColPersonalID,
		Code: app.RulePersonalIDTaken, Reason: "số định danh đã thuộc một hồ sơ khác trong sổ: không lập hồ sơ thứ hai"})
}

// apply appends a person's steps in one append: each decided by the
// domain on the dossier as it stands (with the steps before it), each with
// its own envelope and derived id; steps whose event is already in the
// stream (an earlier run wrote them) are left out. A lost race re-decides.
func (w *writer) apply(ctx context.Context, id domain.DossierID, steps []step) error {
	stream := id.StreamID()
	for range 5 {
		h, err := w.im.Dossiers.Ledger.Load(ctx, stream, dossier.Decode)
		if errors.Is(err, domain.ErrNotFound) && w.skippedPerson(steps[0].pid) {
			return nil // its creation was refused as a conflict meanwhile
		}
		if err != nil {
			return err
		}
		data, err := w.decide(h.Events, steps)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			return nil
		}
		_, err = w.im.Dossiers.Ledger.Store.Append(ctx, stream, eventstore.Exactly(h.Version), data...)
		if errors.Is(err, eventstore.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		w.evs.Add(int64(len(data)))
		return nil
	}
	return fmt.Errorf("imports: %s: %w: too many concurrent changes", stream, domain.ErrConflict)
}

// refused reports a row the domain refused at write time.
func (w *writer) refused(s step, err error) {
	sheet, _ := importfile.SheetByKey(s.sheet)
	c := &cells{sheet: sheet, rec: importfile.Record{Row: s.row}}
	c.domainProblems(err)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conflicts = append(w.conflicts, c.problems...)
}

// decide runs steps on the dossier whose history is recs, each on the
// dossier as it stands after the ones before, leaving out those whose
// event the history already holds; it returns their encoded events.
func (w *writer) decide(recs []domain.Recorded, steps []step) ([]eventstore.EventData, error) {
	d, err := dossier.Replay(recs)
	if err != nil {
		return nil, err
	}
	var data []eventstore.EventData
	for _, s := range steps {
		if d.HasEvent(s.id) {
			continue
		}
		evs, err := s.decide(d, w.im.Dossiers.Catalogue)
		if err != nil {
			// Valid alone, refused beside the person's other rows (the
			// same scan twice): reported and left out, like a conflict.
			w.refused(s, err)
			continue
		}
		ed, err := ledger.EventData(evs, s.meta, []uuid.UUID{s.id})
		if err != nil {
			return nil, err
		}
		data = append(data, ed...)
		if err := d.Fold(domain.Recorded{ID: s.id, Version: d.Version() + 1, Event: evs[0], Meta: s.meta}); err != nil {
			return nil, err
		}
	}
	return data, nil
}

func (w *writer) skippedPerson(pid string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st.skipPID[pid]
}
