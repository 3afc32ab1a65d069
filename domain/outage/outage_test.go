package outage

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/calendar"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

var (
	orgA = uuid.MustParse("01890000-0000-7000-8000-0000000000a1")
	orgB = uuid.MustParse("01890000-0000-7000-8000-0000000000b2")
	// Wednesday 29 April 2026, 10:00 in Vietnam: the 30 April and 1 May
	// holidays and a weekend follow.
	start = time.Date(2026, 4, 29, 3, 0, 0, 0, time.UTC)
)

func ict(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, domain.VietnamZone)
}

var samples = map[string]domain.Event{
	TypeNotified: Notified{OutageID: ID(FunctionAPI, start), Function: FunctionAPI, StartedAt: start,
		WorkingDays: 2, Orgs: []uuid.UUID{orgA, orgB}, Basis: Basis},
	TypeEnded: Ended{OutageID: ID(FunctionAPI, start), Function: FunctionAPI, StartedAt: start,
		EndedAt: ict(2026, 5, 6, 9).UTC(), WorkingDays: 2},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	if len(samples) != len(EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(EventTypes()))
	}
	for _, typ := range EventTypes() {
		got, err := json.MarshalIndent(samples[typ], "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", typ+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s stored shape changed:\n got %s\nwant %s", typ, got, want)
		}
		back, err := Decode(typ, want)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.MarshalIndent(back, "", "  ")
		if !bytes.Equal(append(again, '\n'), want) {
			t.Errorf("%s does not round-trip", typ)
		}
	}
}

func TestWorkingDays(t *testing.T) {
	t.Parallel()
	cal := calendar.Official()
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want       int
	}{
		{"empty", start, start, 0},
		{"backwards", start, start.Add(-time.Hour), 0},
		{"the rest of a working day", ict(2026, 5, 4, 10), ict(2026, 5, 5, 0), 0},
		{"one whole Monday", ict(2026, 5, 4, 0), ict(2026, 5, 5, 0), 1},
		{"from midnight to a second short", ict(2026, 5, 4, 0), ict(2026, 5, 5, 0).Add(-time.Second), 0},
		{"Friday 10:00 to Wednesday 00:00: Monday and Tuesday", ict(2026, 5, 8, 10), ict(2026, 5, 13, 0), 2},
		{"over the 30/4 and 1/5 holidays and a weekend: Monday only", start, ict(2026, 5, 5, 0), 1},
		{"over the holidays, to Wednesday 00:00", start, ict(2026, 5, 6, 0), 2},
		{"Hùng Kings (moved to Monday 27/4): Tue 28/4 only", ict(2026, 4, 24, 18), ict(2026, 4, 29, 0), 1},
		{"a weekend alone", ict(2026, 5, 9, 0), ict(2026, 5, 11, 0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := WorkingDays(cal, tc.start, tc.end)
			if err != nil || got != tc.want {
				t.Errorf("WorkingDays(%s, %s) = %d, %v; want %d", tc.start, tc.end, got, err, tc.want)
			}
		})
	}
}

func TestDerive(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	grace := 3 * time.Minute
	for _, tc := range []struct {
		name string
		seen []Seen
		now  time.Time
		want []Outage
	}{
		{"never reported: not deployed, not down", nil, at(100), nil},
		{"live", []Seen{{FunctionAPI, "p", true, at(0), at(99)}}, at(100), nil},
		{"silent past the grace: ongoing", []Seen{{FunctionAPI, "p", true, at(0), at(10)}}, at(100),
			[]Outage{{ID: ID(FunctionAPI, at(13)), Function: FunctionAPI, Start: at(13)}}},
		{"a gap between two stretches", []Seen{{FunctionAPI, "p", true, at(50), at(99)}, {FunctionAPI, "p", true, at(0), at(10)}}, at(100),
			[]Outage{{ID: ID(FunctionAPI, at(13)), Function: FunctionAPI, Start: at(13), End: at(50)}}},
		{"a late heartbeat inside the grace is no gap", []Seen{{FunctionAPI, "p", true, at(0), at(10)}, {FunctionAPI, "p", true, at(12), at(99)}}, at(100), nil},
		{"a second process covers the first's gap", []Seen{
			{FunctionAPI, "p", true, at(0), at(10)}, {FunctionAPI, "q", true, at(5), at(60)}, {FunctionAPI, "p", true, at(55), at(99)}}, at(100), nil},
		{"a down report ends the stretch before the grace", []Seen{
			{FunctionAPI, "p", true, at(0), at(10)}, {FunctionAPI, "p", false, at(11), at(20)}, {FunctionAPI, "p", true, at(21), at(99)}}, at(100),
			[]Outage{{ID: ID(FunctionAPI, at(11)), Function: FunctionAPI, Start: at(11), End: at(21)}}},
		{"another process's down report ends nothing", []Seen{
			{FunctionAPI, "p", true, at(0), at(99)}, {FunctionAPI, "q", false, at(11), at(20)}}, at(100), nil},
		{"functions apart", []Seen{{FunctionSync, "p", true, at(0), at(10)}, {FunctionAPI, "p", true, at(0), at(99)}, {FunctionProjections, "p", true, at(0), at(20)}}, at(100),
			[]Outage{
				{ID: ID(FunctionProjections, at(23)), Function: FunctionProjections, Start: at(23)},
				{ID: ID(FunctionSync, at(13)), Function: FunctionSync, Start: at(13)},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Derive(tc.seen, grace, tc.now)
			if len(got) != len(tc.want) {
				t.Fatalf("Derive = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("outage %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if ID(FunctionAPI, at(13)) == ID(FunctionSync, at(13)) || ID(FunctionAPI, at(13)) != ID(FunctionAPI, at(13).In(domain.VietnamZone)) {
		t.Error("an outage id must depend on the function and the instant, not the zone")
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	ongoing := Outage{ID: ID(FunctionAPI, start), Function: FunctionAPI, Start: start}
	over := ongoing
	over.End = ict(2026, 5, 6, 9).UTC()
	notice := Notified{OutageID: ongoing.ID, Function: FunctionAPI, StartedAt: start, WorkingDays: 2, Orgs: []uuid.UUID{orgA, orgB}, Basis: Basis}
	late := notice
	late.EndedAt = over.End
	end := Ended{OutageID: ongoing.ID, Function: FunctionAPI, StartedAt: start, EndedAt: over.End, WorkingDays: 2}
	orgs := []uuid.UUID{orgB, orgA, orgB}
	for _, tc := range []struct {
		name    string
		o       Outage
		history []domain.Event
		days    int
		want    []domain.Event
		err     error
	}{
		{"one working day: not yet", ongoing, nil, 1, nil, ErrNothingToDo},
		{"two working days: the notice, orgs sorted once", ongoing, nil, 2, []domain.Event{notice}, nil},
		{"noticed, still down: nothing", ongoing, []domain.Event{notice}, 5, nil, ErrNothingToDo},
		{"noticed, over: the end", over, []domain.Event{notice}, 2, []domain.Event{end}, nil},
		{"ended already: nothing", over, []domain.Event{notice, end}, 2, nil, ErrNothingToDo},
		{"over before anyone noticed: a notice carrying its end", over, nil, 2, []domain.Event{late}, nil},
		{"a notice after the fact needs no end", over, []domain.Event{late}, 2, nil, ErrNothingToDo},
		{"short and over: nothing ever", over, nil, 1, nil, ErrNothingToDo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decide(tc.o, tc.history, tc.days, orgs)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(tc.want)
			if !bytes.Equal(a, b) {
				t.Errorf("Decide =\n %s\nwant\n %s", a, b)
			}
		})
	}
	if _, err := Decide(ongoing, nil, 2, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a notice to nobody: err = %v, want invalid", err)
	}
}

// FuzzDerive: whatever the reports, the outages of a function do not
// overlap, each has a positive length (or is ongoing, and then last), and
// no up stretch of any process covers a moment inside one.
func FuzzDerive(f *testing.F) {
	f.Add([]byte{0, 1, 5, 1, 0, 9, 20, 3, 2, 1, 40, 2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		t0 := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
		var seen []Seen
		for i := 0; i+3 < len(b); i += 4 {
			since := t0.Add(time.Duration(b[i]) * time.Minute)
			seen = append(seen, Seen{Function: Functions[int(b[i+3])%2], Instance: string('p' + rune(b[i+1]%3)), Up: b[i+1]%4 != 3,
				Since: since, LastSeen: since.Add(time.Duration(b[i+2]) * time.Minute)})
		}
		grace := 3 * time.Minute
		now := t0.Add(300 * time.Minute)
		out := Derive(seen, grace, now)
		var prev Outage
		for i, o := range out {
			if !o.Ongoing() && !o.End.After(o.Start) {
				t.Fatalf("outage %d %+v has no length", i, o)
			}
			if i > 0 && prev.Function == o.Function && (prev.Ongoing() || o.Start.Before(prev.End)) {
				t.Fatalf("outages overlap: %+v then %+v", prev, o)
			}
			end := o.End
			if o.Ongoing() {
				end = now
			}
			mid := o.Start.Add(end.Sub(o.Start) / 2)
			for _, s := range seen {
				if s.Up && s.Function == o.Function && !s.Since.After(mid) && s.LastSeen.After(mid) {
					t.Fatalf("outage %+v, yet %+v reported up at %s", o, s, mid)
				}
			}
			prev = o
		}
	})
}
