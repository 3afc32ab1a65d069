// Package outage is the rule of Bình Tân 04/2013/QĐ-UBND art. 14.7: when
// the dossier software has stopped for two consecutive working days, the
// orgs are notified. It derives outages from the health history every hoso
// process writes (intervals in which a function was seen up), counts the
// working days an outage covers on the civil-service calendar, and holds
// the two events of an outage's stream: the notice and the end.
//
// A function is one thing a user or an org relies on that a process
// provides and can lose on its own (Functions): the API, the read models,
// the Merkle sequencer, the national-database delivery. A function is
// available while at least one process reports it up; an outage is a
// period in which none does (no live heartbeat, or every report "down").
//
// Each outage is a stream of its own ("outage-<id>"), its id derived from
// the function and the start, so two detectors (or one restarted after a
// crash) name the same outage the same way and the store's expected
// version lets only one notice in.
package outage

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

// Stored names, fields only ever added (testdata/golden pins each shape).
const (
	TypeNotified = "system.outage_notified.v1"
	TypeEnded    = "system.outage_ended.v1"
)

// The functions whose availability is recorded (see the package comment).
const (
	FunctionAPI         = "api"         // the HTTP API and the web pages (hoso serve)
	FunctionProjections = "projections" // the read models kept up to date (the projections runner)
	FunctionSequencer   = "sequencer"   // the Merkle log and its checkpoints
	FunctionSync        = "sync"        // the delivery to the national database (relay and worker)
)

// Functions lists every function, in the order they are shown.
var Functions = []string{FunctionAPI, FunctionProjections, FunctionSequencer, FunctionSync}

// NoticeAfter is how many whole working days of outage call for the notice
// (BT 14.7: "ngừng hoạt động trong 2 ngày làm việc liên tiếp").
const NoticeAfter = 2

// Notified is the notice of an outage to the orgs concerned.
type Notified struct {
	OutageID  uuid.UUID `json:"outage_id"`
	Function  string    `json:"function"`
	StartedAt time.Time `json:"started_at"`
	// EndedAt is set when the outage was over before it was noticed (the
	// detector could not run meanwhile): a notice after the fact.
	EndedAt     time.Time   `json:"ended_at,omitzero"`
	WorkingDays int         `json:"working_days"`
	Orgs        []uuid.UUID `json:"orgs"`
	Basis       string      `json:"basis"`
}

// EventType returns TypeNotified.
func (Notified) EventType() string { return TypeNotified }

// Ended says a noticed outage is over: the function was seen up again.
type Ended struct {
	OutageID    uuid.UUID `json:"outage_id"`
	Function    string    `json:"function"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at"`
	WorkingDays int       `json:"working_days"`
}

// EventType returns TypeEnded.
func (Ended) EventType() string { return TypeEnded }

var codec = domain.NewCodec("outage", domain.Def[Notified](), domain.Def[Ended]())

// EventTypes lists every stored name Decode accepts, sorted.
func EventTypes() []string { return codec.EventTypes() }

// Decode is the decoder of outage streams (a ledger.Decoder).
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}

// Stream is the stream of outage id.
func Stream(id uuid.UUID) string { return "outage-" + id.String() }

// namespace scopes the derived outage ids.
var namespace = uuid.MustParse("6f1d3c2a-8b0e-5e7a-9c41-0d2b7e5a1f93")

// ID is the outage of function that started at start: the same inputs give
// the same id, on every detector, after every restart.
func ID(function string, start time.Time) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(function+"|"+start.UTC().Format(time.RFC3339Nano)))
}

// Seen is one stretch of reports of a function by one process (Instance):
// Up, or down (a failing probe, an unreachable database), from Since to
// LastSeen (its latest report).
type Seen struct {
	Function string
	Instance string
	Up       bool
	Since    time.Time
	LastSeen time.Time
}

// Outage is a period in which no process reported a function up. End is
// zero while it lasts.
type Outage struct {
	ID       uuid.UUID
	Function string
	Start    time.Time
	End      time.Time
}

// Ongoing reports whether the outage has not ended.
func (o Outage) Ongoing() bool { return o.End.IsZero() }

// Derive finds the outages in the history of reports: for each function,
// the gaps between the stretches in which some process reported it up. An
// up stretch counts until grace after its last report (a report every
// interval; grace covers a late one), or until the same process reported
// the function down, whichever is first. Before a function's first report
// it was not deployed, not down. A gap that reaches now is ongoing.
// Outages come sorted by function (in Functions order, others after) then
// start.
func Derive(seen []Seen, grace time.Duration, now time.Time) []Outage {
	type span struct{ from, to time.Time }
	by := map[string][]span{}
	perProcess := map[[2]string][]Seen{}
	for _, s := range seen {
		k := [2]string{s.Function, s.Instance}
		perProcess[k] = append(perProcess[k], s)
	}
	for k, ss := range perProcess {
		slices.SortFunc(ss, func(a, b Seen) int { return a.Since.Compare(b.Since) })
		for i, s := range ss {
			if !s.Up {
				continue
			}
			to := s.LastSeen.Add(grace)
			if i+1 < len(ss) && ss[i+1].Since.Before(to) {
				// Its own reports up to LastSeen stand whatever follows.
				to = later(ss[i+1].Since, s.LastSeen)
			}
			by[k[0]] = append(by[k[0]], span{s.Since, to})
		}
	}
	names := make([]string, 0, len(by))
	for f := range by {
		names = append(names, f)
	}
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(Functions, a), slices.Index(Functions, b)
		switch {
		case ia < 0 && ib < 0:
			return compareStrings(a, b)
		case ia < 0:
			return 1
		case ib < 0:
			return -1
		}
		return ia - ib
	})
	var out []Outage
	for _, f := range names {
		ss := by[f]
		slices.SortFunc(ss, func(a, b span) int { return a.from.Compare(b.from) })
		covered := ss[0].to
		for _, s := range ss[1:] {
			if s.from.After(covered) {
				out = append(out, Outage{ID: ID(f, covered), Function: f, Start: covered, End: s.from})
			}
			if s.to.After(covered) {
				covered = s.to
			}
		}
		if now.After(covered) {
			out = append(out, Outage{ID: ID(f, covered), Function: f, Start: covered})
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Calendar is the working-day calendar (domain/calendar's).
type Calendar interface {
	IsWorkingDay(d domain.Date) (bool, error)
}

// WorkingDays counts the whole working days (midnight to midnight in
// Vietnam) within [start, end): the days the software was stopped
// throughout. A day partly down does not count, so an outage from Friday
// 10:00 reaches two working days at Wednesday 00:00 (Monday and Tuesday),
// one over a holiday later still.
func WorkingDays(cal Calendar, start, end time.Time) (int, error) {
	if !end.After(start) {
		return 0, nil
	}
	d := domain.DateOf(start)
	if d.StartInVietnam().Before(start) {
		d = d.AddDays(1)
	}
	n := 0
	for ; !d.AddDays(1).StartInVietnam().After(end); d = d.AddDays(1) {
		ok, err := cal.IsWorkingDay(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Basis is the rule a notice cites.
const Basis = "Bình Tân 04/2013/QĐ-UBND art. 14.7: notice when the software has stopped for 2 consecutive working days"

// ErrNothingToDo says the history calls for no event now.
var ErrNothingToDo = errors.New("outage: nothing to record")

// Decide is what the ledger must record about o, given what its stream
// holds (history: its events, oldest first) and the working days it has
// covered until now (or its end). It returns the events to append, or
// ErrNothingToDo. A notice is appended once, when the outage reaches
// NoticeAfter working days (or, if it ended before anyone could notice,
// afterwards, with its end); the end is appended once, after a notice.
// An outage never noticed needs no end.
func Decide(o Outage, history []domain.Event, workingDays int, orgs []uuid.UUID) ([]domain.Event, error) {
	var notified, ended bool
	for _, e := range history {
		switch e.(type) {
		case Notified:
			notified = true
		case Ended:
			ended = true
		}
	}
	var out []domain.Event
	if !notified {
		if workingDays < NoticeAfter {
			return nil, ErrNothingToDo
		}
		if len(orgs) == 0 {
			return nil, fmt.Errorf("%w: no org to notify", domain.ErrInvalid)
		}
		sorted := slices.Clone(orgs)
		slices.SortFunc(sorted, func(a, b uuid.UUID) int { return compareStrings(a.String(), b.String()) })
		out = append(out, Notified{OutageID: o.ID, Function: o.Function, StartedAt: o.Start.UTC(), EndedAt: o.End.UTC(),
			WorkingDays: workingDays, Orgs: slices.Compact(sorted), Basis: Basis})
		if !o.Ongoing() {
			// A notice after the fact carries its end: no separate end.
			return out, nil
		}
	}
	if o.Ongoing() || ended || notified && endedIn(history) {
		if len(out) == 0 {
			return nil, ErrNothingToDo
		}
		return out, nil
	}
	return append(out, Ended{OutageID: o.ID, Function: o.Function, StartedAt: o.Start.UTC(), EndedAt: o.End.UTC(), WorkingDays: workingDays}), nil
}

// endedIn reports a notice that already carried the outage's end.
func endedIn(history []domain.Event) bool {
	for _, e := range history {
		if n, ok := e.(Notified); ok && !n.EndedAt.IsZero() {
			return true
		}
	}
	return false
}
