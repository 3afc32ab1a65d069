package projections

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Projection is one read model. The runner owns its transactions, checkpoint
// and tables' lifecycle; the projection only creates and writes its tables.
//
// Contract:
//   - Name is stable for the life of the deployment: it keys the checkpoint.
//   - Version is the schema version of the tables and of what Apply writes.
//     Bumping it means "the existing tables are wrong": the next Run builds a
//     new generation from the start of the log beside the old one, which keeps
//     serving (frozen) until the new one has caught up.
//   - Views lists the stable names readers query. Setup must create, for each,
//     the table t.Name(view), and may create indexes named t.Name(something);
//     nothing else (no sequences or types outside those tables), because a
//     generation is dropped by dropping its tables.
//   - Apply must be idempotent by event: applying an event a second time
//     changes nothing (insert ... ON CONFLICT DO NOTHING keyed by event id, or
//     a guard on the stream version). The runner itself never applies an event
//     twice to a generation, but projections may also be fed by at-least-once
//     transports, and idempotency is what makes that safe.
//   - Apply must be deterministic and must not call out of the transaction
//     (no HTTP, no clock reads that change the result): a batch can be rolled
//     back and applied again.
//   - Apply must not change the event it is given: the runner reads the log
//     once and hands the same events (their Data, RawMetadata and Meta) to
//     all its projections. Nor may it change what Decode or Recorded
//     return, which the runner's projections share too.
//   - Apply returns an error only when it cannot apply the event. A returned
//     error rolls back the whole batch; the runner retries, and after its
//     attempts stops the projection in state failed naming the event. An
//     event type the projection does not know is not an error: ignore it.
type Projection interface {
	Name() string
	Version() int
	Views() []string
	Setup(ctx context.Context, tx pgx.Tx, t Tables) error
	Apply(ctx context.Context, tx pgx.Tx, t Tables, ev eventstore.Event) error
}

// BatchApplier is implemented by projections that write a whole batch at
// once (for example with unnest arrays or COPY), which is several times
// faster than one statement per event during a rebuild. When a projection
// implements it, the runner calls ApplyBatch instead of Apply; Apply is still
// the contract's reference (tests, single-event retries may use either).
//
// ApplyBatch has Apply's contract for every event in events. To name the
// event at fault, return an *EventError; any other error makes the runner
// split the batch to find it.
type BatchApplier interface {
	ApplyBatch(ctx context.Context, tx pgx.Tx, t Tables, events []eventstore.Event) error
}

// RebuildGCPercent is the garbage collector's target (GOGC) for a process
// whose one job is a rebuild (`hoso projections rebuild`): folding millions
// of events allocates at a high rate, the collector took a fifth of the
// audit trail's rebuild at the default 100, and such a process can spend
// memory instead. A serving process keeps the default.
const RebuildGCPercent = 400

// QueryIndexer is implemented by projections whose tables carry indexes
// that serve queries only, never the projection's own writes. Setup leaves
// them out; the runner creates them right after Setup for a generation that
// is live from the start, and for a rebuilt generation once it has caught
// up, just before it is swapped in: building an index over a finished table
// is several times cheaper than maintaining it row by row through millions
// of events. Every statement must be idempotent (CREATE INDEX IF NOT
// EXISTS): a runner restarted mid-rebuild issues them again.
type QueryIndexer interface {
	QueryIndexes(t Tables) []string
}

// EventError attributes a failure to one event of a batch.
type EventError struct {
	Index int // into the batch passed to ApplyBatch
	Err   error
}

func (e *EventError) Error() string { return fmt.Sprintf("event %d of batch: %v", e.Index, e.Err) }
func (e *EventError) Unwrap() error { return e.Err }

// Tables names the physical tables of one generation of a projection.
type Tables struct {
	gen int
}

// NewTables names generation gen's tables. The runner hands Tables to
// projections; tests of a read model use NewTables to set up and fill a
// generation of their own.
func NewTables(gen int) Tables { return Tables{gen: gen} }

// Generation is the generation number (1 for a projection's first build).
func (t Tables) Generation() int { return t.gen }

// Name is the physical name of base in this generation: base_g<N>. base must
// be a lower-case SQL identifier; the result is safe to splice into SQL
// unquoted. Use it for tables and for index names, which PostgreSQL requires
// to be unique per schema.
func (t Tables) Name(base string) string {
	return base + "_g" + strconv.Itoa(t.gen)
}

var (
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	viewPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,50}$`)
)

// ErrInvalid reports a projection whose name or views break the rules above.
var ErrInvalid = errors.New("projections: invalid projection")

// ErrUnknown: no projection of that name is known (to the caller or to the database).
var ErrUnknown = errors.New("projections: unknown projection")

// ErrFailed: the projection stopped on a poison event; Status names it.
var ErrFailed = errors.New("projections: projection failed")

func validate(p Projection) error {
	if !namePattern.MatchString(p.Name()) {
		return fmt.Errorf("%w: name %q: want [a-z][a-z0-9_]*, at most 40 bytes", ErrInvalid, p.Name())
	}
	views := p.Views()
	if len(views) == 0 {
		return fmt.Errorf("%w: %s declares no views", ErrInvalid, p.Name())
	}
	seen := map[string]bool{}
	for _, v := range views {
		if !viewPattern.MatchString(v) {
			return fmt.Errorf("%w: %s: view %q: want [a-z][a-z0-9_]*, at most 51 bytes", ErrInvalid, p.Name(), v)
		}
		if seen[v] {
			return fmt.Errorf("%w: %s: view %q declared twice", ErrInvalid, p.Name(), v)
		}
		seen[v] = true
	}
	return nil
}
