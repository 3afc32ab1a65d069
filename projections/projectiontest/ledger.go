package projectiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Ledger writes histories through the domain's commands into Store, as the
// application would, and fails its test on any error. It owns no clock and
// no envelope policy: every command takes its domain.Meta, so each test's
// scenario states who acted and when.
type Ledger struct {
	t     testing.TB
	ctx   context.Context
	Store eventstore.Store
	// Appended counts the events written through the ledger and Last is the
	// log position of the latest: readers of the log wait for them (Events,
	// a runner catching up).
	Appended int
	Last     eventstore.Position
	// Seq counts the decisions Decision made: their numbers, and a serial a
	// scenario may use for personal ID numbers.
	Seq int
	// cache, when set (KeepHistories), keeps each stream's history as
	// written through Append in memory, so generating a large log does not
	// re-read and decode it for every command.
	cache map[string][]domain.Recorded
}

// NewLedger is a Ledger on a fresh memstore: the projections read only
// envelopes, so the log's backend does not matter to them, while their read
// models are in PostgreSQL.
func NewLedger(t testing.TB) *Ledger { return NewLedgerOn(t, memstore.New(nil)) }

// NewLedgerOn is a Ledger on store.
func NewLedgerOn(t testing.TB, store eventstore.Store) *Ledger {
	return &Ledger{t: t, ctx: context.Background(), Store: store}
}

// KeepHistories makes History answer from memory: the events written
// through Append from now on (call it before writing any), numbered from 1
// per stream. Events written around Append (AppendJSON, the store itself)
// are not in it.
func (l *Ledger) KeepHistories() { l.cache = map[string][]domain.Recorded{} }

// Decision is the envelope of a decision of a's (Seq numbers it), effective
// and dated eff, recorded at recorded plus one second per decision so far:
// a scenario whose rules count days gives recorded as At(day), and the log's
// order is still the order of the commands.
func (l *Ledger) Decision(a domain.Actor, eff domain.Date, recorded time.Time) domain.Meta {
	l.Seq++
	return domain.Meta{
		Actor:         a,
		RecordedAt:    recorded.Add(time.Duration(l.Seq) * time.Second),
		EffectiveDate: eff,
		Source:        domain.SourceDocument{Kind: "decision", Number: fmt.Sprintf("%d/QĐ-UBND", l.Seq), Date: eff, Issuer: "UBND tỉnh"},
		Reason:        "theo quyết định",
	}
}

// Append writes events to stream with fresh UUIDv7 ids, and returns them.
func (l *Ledger) Append(stream string, expected eventstore.Expected, m domain.Meta, events []domain.Event) []uuid.UUID {
	l.t.Helper()
	ids := make([]uuid.UUID, len(events))
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	res, err := ledger.Ledger{Store: l.Store}.Append(l.ctx, stream, expected, m, events, ids)
	if err != nil {
		l.t.Fatalf("append to %s: %v", stream, err)
	}
	l.appended(res.Position, len(events))
	if l.cache != nil {
		for i, e := range events {
			l.cache[stream] = append(l.cache[stream], domain.Recorded{ID: ids[i], Version: uint64(len(l.cache[stream]) + 1), Event: e, Meta: m})
		}
	}
	return ids
}

func (l *Ledger) appended(p eventstore.Position, n int) {
	l.Appended += n
	if p.After(l.Last) {
		l.Last = p
	}
}

// AppendJSON writes one event of a type no domain package here decodes
// (approvals, reservations…) to stream, its payload data as JSON.
func (l *Ledger) AppendJSON(stream, typ string, data any, m domain.Meta) uuid.UUID {
	l.t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		l.t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	res, err := l.Store.Append(l.ctx, stream, eventstore.Any,
		eventstore.EventData{ID: id, Type: typ, Data: b, Meta: ledger.EnvelopeMetadata(m)})
	if err != nil {
		l.t.Fatalf("append %s to %s: %v", typ, stream, err)
	}
	l.appended(res.Position, 1)
	return id
}

// Load reads and decodes a whole stream from the store.
func (l *Ledger) Load(stream string, decode ledger.Decoder) ledger.History {
	l.t.Helper()
	h, err := ledger.Ledger{Store: l.Store}.Load(l.ctx, stream, decode)
	if err != nil {
		l.t.Fatalf("load %s: %v", stream, err)
	}
	return h
}

// History is the dossier's recorded history (empty: it does not exist),
// from the store or, after KeepHistories, from memory.
func (l *Ledger) History(id domain.DossierID) []domain.Recorded {
	l.t.Helper()
	if l.cache != nil {
		return l.cache[id.StreamID()]
	}
	h, err := ledger.Ledger{Store: l.Store}.Load(l.ctx, id.StreamID(), dossier.Decode)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		l.t.Fatalf("load dossier %s: %v", id, err)
	}
	return h.Events
}

// DossierDo runs decide on the dossier's current state (nil when it does
// not exist yet, for a creation) and appends the events it raises at the
// version it saw. It fails the test when decide refuses.
func (l *Ledger) DossierDo(id domain.DossierID, m domain.Meta, decide func(*dossier.Dossier) ([]domain.Event, error)) []uuid.UUID {
	l.t.Helper()
	ids, err := l.TryDossier(id, m, decide)
	if err != nil {
		l.t.Fatalf("dossier %s: %v", id, err)
	}
	return ids
}

// TryDossier is DossierDo returning decide's refusal instead of failing.
func (l *Ledger) TryDossier(id domain.DossierID, m domain.Meta, decide func(*dossier.Dossier) ([]domain.Event, error)) ([]uuid.UUID, error) {
	l.t.Helper()
	h := l.History(id)
	var d *dossier.Dossier
	expected := eventstore.NoStream
	if len(h) > 0 {
		var err error
		if d, err = dossier.Replay(h); err != nil {
			l.t.Fatalf("replay %s: %v", id, err)
		}
		expected = eventstore.Exactly(uint64(len(h)))
	}
	evs, err := decide(d)
	if err != nil {
		return nil, err
	}
	return l.Append(id.StreamID(), expected, m, evs), nil
}

// CreateDossier opens a dossier and returns the creation's event id.
func (l *Ledger) CreateDossier(c dossier.CreateDossier, m domain.Meta, cat dossier.Catalogue) uuid.UUID {
	l.t.Helper()
	ids, err := l.TryDossier(c.DossierID, m, func(*dossier.Dossier) ([]domain.Event, error) {
		return dossier.Create(c, m, cat)
	})
	if err != nil {
		l.t.Fatalf("create dossier of %s: %v", c.Identity.BirthName, err)
	}
	return ids[0]
}

// CreateOrg creates an org and returns the creation's event id.
func (l *Ledger) CreateOrg(id domain.OrgID, m domain.Meta, c org.CreateOrg) uuid.UUID {
	l.t.Helper()
	evs, err := org.Create(id, m, c)
	if err != nil {
		l.t.Fatalf("create org %s: %v", c.Name, err)
	}
	return l.Append(id.StreamID(), eventstore.NoStream, m, evs)[0]
}

// OrgDo runs decide on the org's current state and appends what it raises.
func (l *Ledger) OrgDo(id domain.OrgID, m domain.Meta, decide func(*org.Org) ([]domain.Event, error)) []uuid.UUID {
	l.t.Helper()
	h := l.Load(id.StreamID(), org.Decode)
	o, err := org.Replay(h.Events)
	if err != nil {
		l.t.Fatalf("replay org %s: %v", id, err)
	}
	evs, err := decide(o)
	if err != nil {
		l.t.Fatalf("org %s: %v", id, err)
	}
	return l.Append(id.StreamID(), eventstore.Exactly(h.Version), m, evs)
}

// CreateAccount creates an account and returns the creation's event id.
func (l *Ledger) CreateAccount(id domain.AccountID, m domain.Meta, c account.CreateAccount) uuid.UUID {
	l.t.Helper()
	evs, err := account.Create(id, m, c)
	if err != nil {
		l.t.Fatalf("create account %s: %v", c.Username, err)
	}
	return l.Append(id.StreamID(), eventstore.NoStream, m, evs)[0]
}

// Events reads the whole log, at least the Appended events written through
// the ledger. ReadAll returns only the log's stable prefix, which on
// PostgreSQL a long transaction anywhere in the cluster (a parallel test)
// holds back: wait for every event, with a deadline, rather than stopping at
// the first empty read.
func (l *Ledger) Events() []eventstore.Event {
	l.t.Helper()
	var out []eventstore.Event
	from := eventstore.Start
	deadline := time.Now().Add(time.Minute)
	for {
		evs, err := l.Store.ReadAll(l.ctx, from, 1000)
		if err != nil {
			l.t.Fatal(err)
		}
		if len(evs) > 0 {
			out = append(out, evs...)
			from = evs[len(evs)-1].Position
			continue
		}
		if len(out) >= l.Appended {
			return out
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("the log shows %d of %d events", len(out), l.Appended)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// AnyCode is a catalogue that knows every non-empty code: catalogue rules
// are the domain's tests' business, not the read models'.
type AnyCode struct{}

// Has reports whether code is set.
func (AnyCode) Has(kind, code string) bool { return code != "" }

// NewID is a fresh UUIDv7.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Day is a date literal.
func Day(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

// At is 9:00 in Vietnam on day, an office hour: a read model that takes the
// recorded date in Vietnam must not see it shift, as an instant near
// midnight UTC would.
func At(day domain.Date) time.Time { return day.StartInVietnam().Add(9 * time.Hour) }

// PersonalID is a valid 12-digit personal ID number for the gender and
// birth date (the century-and-gender digit and the birth year are checked
// by the domain), with serial as its last six digits.
func PersonalID(g dossier.Gender, dob domain.Date, serial int) string {
	code := 2 * (dob.Year()/100 - 19)
	if g == dossier.GenderFemale {
		code++
	}
	return fmt.Sprintf("025%d%02d%06d", code, dob.Year()%100, serial%1000000)
}
