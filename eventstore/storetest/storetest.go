package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
)

// Run checks that the stores newStore returns keep the eventstore.Store
// contract. Each call to newStore must return a fresh, empty store isolated
// from every other (subtests run in parallel).
func Run(t *testing.T, newStore func(t *testing.T) eventstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s eventstore.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"ExpectedVersion", testExpectedVersion},
		{"ReadStream", testReadStream},
		{"ReadStreams", testReadStreams},
		{"ReadAll", testReadAll},
		{"RaceOneStream", testRace},
		{"RaceAny", testRaceAny},
		{"IdempotentRetry", testIdempotent},
		{"InvalidInput", testInvalid},
		{"SubscribeConcurrentWriters", testSubscribeConcurrent},
		{"SubscribeEnds", testSubscribeEnds},
		{"AppendNewStreams", testAppendNewStreams},
		{"ReadStreamsMany", testReadStreamsMany},
		{"AppendStreams", testAppendStreams},
		{"AppendStreamsRace", testAppendStreamsRace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// timeout bounds every store call of the suite, so a hang fails a test
// instead of stalling the run.
const timeout = 2 * time.Minute

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// newEvent is a valid event with a fresh id and a small payload.
func newEvent(t testing.TB, typ string, data string) eventstore.EventData {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return eventstore.EventData{ID: id, Type: typ, Data: json.RawMessage(data), Meta: eventstore.Metadata{Actor: eventstore.Actor{AccountID: "acc-1"}}}
}

func numbered(t testing.TB, n int) []eventstore.EventData {
	t.Helper()
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = newEvent(t, "test.numbered.v1", fmt.Sprintf(`{"n":%d}`, i))
	}
	return out
}

func mustAppend(t testing.TB, ctx context.Context, s eventstore.Store, stream string, exp eventstore.Expected, events ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctx, stream, exp, events...)
	if err != nil {
		t.Fatalf("Append(%s, %s, %d events): %v", stream, exp, len(events), err)
	}
	return res
}

func mustReadStream(t testing.TB, ctx context.Context, s eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	events, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil {
		t.Fatalf("ReadStream(%s): %v", stream, err)
	}
	return events
}

// readAllAtLeast reads the whole log from from until it holds at least n
// events: the stable prefix may trail the last commit briefly.
func readAllAtLeast(t testing.TB, ctx context.Context, s eventstore.Store, from eventstore.Position, n int) []eventstore.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		events, err := s.ReadAll(ctx, from, 0)
		if err != nil {
			t.Fatalf("ReadAll(%s): %v", from, err)
		}
		if len(events) >= n {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadAll(%s) = %d events after 30s, want at least %d", from, len(events), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkChain verifies a whole stream as read: dense versions from 1, each
// hash recomputed from the content, each PrevHash the previous hash,
// positions increasing.
func checkChain(t testing.TB, events []eventstore.Event) {
	t.Helper()
	var prev eventstore.Hash
	for i, e := range events {
		if e.Version != uint64(i+1) {
			t.Errorf("event %d: Version = %d, want %d", i, e.Version, i+1)
		}
		if e.PrevHash != prev {
			t.Errorf("%s@%d: PrevHash = %s, want %s", e.StreamID, e.Version, e.PrevHash, prev)
		}
		if got := e.ComputeHash(); e.Hash != got {
			t.Errorf("%s@%d: Hash = %s, recomputed %s", e.StreamID, e.Version, e.Hash, got)
		}
		if i > 0 && !e.Position.After(events[i-1].Position) {
			t.Errorf("%s@%d: Position %s not after %s", e.StreamID, e.Version, e.Position, events[i-1].Position)
		}
		prev = e.Hash
	}
}

// sameEvent compares every field of two stored events.
func sameEvent(a, b eventstore.Event) bool {
	if !a.Meta.RecordedAt.Equal(b.Meta.RecordedAt) {
		return false
	}
	a.Meta.RecordedAt, b.Meta.RecordedAt = time.Time{}, time.Time{}
	return a.ID == b.ID && a.StreamID == b.StreamID && a.Version == b.Version && a.Position == b.Position &&
		a.Type == b.Type && bytes.Equal(a.Data, b.Data) && bytes.Equal(a.RawMetadata, b.RawMetadata) &&
		reflect.DeepEqual(a.Meta, b.Meta) && a.PrevHash == b.PrevHash && a.Hash == b.Hash
}

func testRoundTrip(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	const stream = "dossier-roundtrip"
	full := newEvent(t, "dossier.created.v1", ` { "b" : 2.50, "a" : "Nguyễn Văn A", "c": [true, null] } `)
	full.Meta = eventstore.Metadata{
		Actor:         eventstore.Actor{AccountID: "acc-7", Name: "Trần Thị B", ActingOrg: "org-1", OnBehalfOf: "acc-9"},
		RecordedAt:    time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("ICT", 7*3600)),
		EffectiveDate: "2025-12-31",
		SourceDocument: &eventstore.SourceDocument{Kind: "quyết định", Number: "12/QĐ-UBND", Date: "2025-12-30",
			Issuer: "UBND tỉnh", SHA256: strings.Repeat("ab", 32)},
		Reason: "bổ nhiệm", RequestID: "req-1", CorrelationID: "cor-1", CausationID: "cau-1",
	}
	bare := newEvent(t, "dossier.renamed.v1", `{"name":"x"}`)

	before := time.Now().UTC().Truncate(time.Microsecond)
	res1 := mustAppend(t, ctx, s, stream, eventstore.NoStream, full, bare)
	after := time.Now().UTC()
	third := newEvent(t, "dossier.renamed.v1", `{"name":"y"}`)
	res2 := mustAppend(t, ctx, s, stream, eventstore.Exactly(2), third)

	got := mustReadStream(t, ctx, s, stream)
	if len(got) != 3 {
		t.Fatalf("ReadStream = %d events, want 3", len(got))
	}
	checkChain(t, got)
	if !got[0].PrevHash.IsZero() {
		t.Errorf("first event PrevHash = %s, want zero", got[0].PrevHash)
	}
	if want := (eventstore.AppendResult{FirstVersion: 1, LastVersion: 2, Position: got[1].Position}); res1 != want {
		t.Errorf("first Append = %+v, want %+v", res1, want)
	}
	if want := (eventstore.AppendResult{FirstVersion: 3, LastVersion: 3, Position: got[2].Position}); res2 != want {
		t.Errorf("second Append = %+v, want %+v", res2, want)
	}

	for i, sent := range []eventstore.EventData{full, bare, third} {
		e := got[i]
		if e.ID != sent.ID || e.StreamID != stream || e.Type != sent.Type {
			t.Errorf("event %d: id, stream, type = %s, %s, %s; want %s, %s, %s", i, e.ID, e.StreamID, e.Type, sent.ID, stream, sent.Type)
		}
		meta, err := eventstore.DecodeMetadata(e.RawMetadata)
		if err != nil || !meta.RecordedAt.Equal(e.Meta.RecordedAt) || meta.EffectiveDate != e.Meta.EffectiveDate ||
			!reflect.DeepEqual(meta.SourceDocument, e.Meta.SourceDocument) || meta.Actor != e.Meta.Actor {
			t.Errorf("event %d: Meta does not match RawMetadata %s", i, e.RawMetadata)
		}
		if e.Meta.RecordedAt.Location() != time.UTC {
			t.Errorf("event %d: RecordedAt in %v, want UTC", i, e.Meta.RecordedAt.Location())
		}
	}
	if want := `{"a":"Nguyễn Văn A","b":2.5,"c":[true,null]}`; string(got[0].Data) != want {
		t.Errorf("Data = %s, want canonical %s", got[0].Data, want)
	}
	m := got[0].Meta
	if wantAt := time.Date(2026, 1, 1, 20, 4, 5, 123456000, time.UTC); !m.RecordedAt.Equal(wantAt) {
		t.Errorf("caller's RecordedAt = %v, want %v (UTC, microseconds)", m.RecordedAt, wantAt)
	}
	wantMeta := full.Meta
	wantMeta.RecordedAt = m.RecordedAt
	if !reflect.DeepEqual(m, wantMeta) {
		t.Errorf("Meta = %+v, want %+v", m, wantMeta)
	}
	stamped := got[1].Meta.RecordedAt
	if stamped.Before(before) || stamped.After(after) || stamped.Nanosecond()%1000 != 0 {
		t.Errorf("stamped RecordedAt = %v, want in [%v, %v] at microsecond precision", stamped, before, after)
	}
	if want := stamped.In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly); got[1].Meta.EffectiveDate != want {
		t.Errorf("default EffectiveDate = %q, want %q (Vietnamese date of RecordedAt)", got[1].Meta.EffectiveDate, want)
	}

	all := readAllAtLeast(t, ctx, s, eventstore.Start, 3)
	if len(all) != 3 {
		t.Fatalf("ReadAll = %d events, want 3", len(all))
	}
	for i := range all {
		if !sameEvent(all[i], got[i]) {
			t.Errorf("ReadAll event %d = %+v, ReadStream gave %+v", i, all[i], got[i])
		}
	}
}

func testExpectedVersion(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	tests := []struct {
		name     string
		existing int // events in the stream beforehand
		expected eventstore.Expected
		ok       bool
	}{
		{"NoStream on new stream", 0, eventstore.NoStream, true},
		{"NoStream on existing stream", 2, eventstore.NoStream, false},
		{"Exactly(0) is NoStream", 0, eventstore.Exactly(0), true},
		{"Exactly head", 2, eventstore.Exactly(2), true},
		{"Exactly behind head", 2, eventstore.Exactly(1), false},
		{"Exactly past head", 2, eventstore.Exactly(3), false},
		{"Exactly on new stream", 0, eventstore.Exactly(1), false},
		{"Any on new stream", 0, eventstore.Any, true},
		{"Any on existing stream", 3, eventstore.Any, true},
	}
	for i, tt := range tests {
		stream := fmt.Sprintf("expected-%d", i)
		if tt.existing > 0 {
			mustAppend(t, ctx, s, stream, eventstore.NoStream, numbered(t, tt.existing)...)
		}
		res, err := s.Append(ctx, stream, tt.expected, numbered(t, 2)...)
		if tt.ok {
			want := eventstore.AppendResult{FirstVersion: uint64(tt.existing) + 1, LastVersion: uint64(tt.existing) + 2}
			if err != nil || res.FirstVersion != want.FirstVersion || res.LastVersion != want.LastVersion {
				t.Errorf("%s: Append = %+v, %v; want versions %d..%d", tt.name, res, err, want.FirstVersion, want.LastVersion)
			}
			continue
		}
		var ce *eventstore.ConflictError
		if !errors.Is(err, eventstore.ErrConflict) || !errors.As(err, &ce) {
			t.Errorf("%s: Append error = %v, want a *ConflictError", tt.name, err)
			continue
		}
		if want := (eventstore.ConflictError{Stream: stream, Expected: tt.expected, Actual: uint64(tt.existing)}); *ce != want {
			t.Errorf("%s: ConflictError = %+v, want %+v", tt.name, *ce, want)
		}
		if tt.existing > 0 {
			if n := len(mustReadStream(t, ctx, s, stream)); n != tt.existing {
				t.Errorf("%s: stream has %d events after a conflict, want %d", tt.name, n, tt.existing)
			}
		} else if _, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
			t.Errorf("%s: ReadStream after a conflict = %v, want ErrNotFound", tt.name, err)
		}
	}
}

func testReadStream(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	const stream = "reads"
	mustAppend(t, ctx, s, stream, eventstore.NoStream, numbered(t, 4)...)
	mustAppend(t, ctx, s, "reads-other", eventstore.NoStream, numbered(t, 2)...) // must not leak in
	mustAppend(t, ctx, s, stream, eventstore.Exactly(4), numbered(t, 6)...)

	fwd, bwd := eventstore.Forward, eventstore.Backward
	tests := []struct {
		opts eventstore.ReadOptions
		want []uint64
	}{
		{eventstore.ReadOptions{}, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{eventstore.ReadOptions{Direction: fwd, From: 3}, []uint64{3, 4, 5, 6, 7, 8, 9, 10}},
		{eventstore.ReadOptions{Direction: fwd, From: 3, Limit: 2}, []uint64{3, 4}},
		{eventstore.ReadOptions{Direction: fwd, Limit: 1}, []uint64{1}},
		{eventstore.ReadOptions{Direction: fwd, From: 10, Limit: 5}, []uint64{10}},
		{eventstore.ReadOptions{Direction: fwd, From: 11}, nil},
		{eventstore.ReadOptions{Direction: fwd, From: 11, Limit: 1}, nil},
		{eventstore.ReadOptions{Direction: fwd, From: 40}, nil},
		{eventstore.ReadOptions{Direction: fwd, From: 2, Limit: 1}, []uint64{2}},
		{eventstore.ReadOptions{Direction: bwd}, []uint64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{eventstore.ReadOptions{Direction: bwd, Limit: 3}, []uint64{10, 9, 8}},
		{eventstore.ReadOptions{Direction: bwd, From: 5, Limit: 2}, []uint64{5, 4}},
		{eventstore.ReadOptions{Direction: bwd, From: 2}, []uint64{2, 1}},
		{eventstore.ReadOptions{Direction: bwd, From: 20, Limit: 2}, []uint64{10, 9}},
	}
	for _, tt := range tests {
		events, err := s.ReadStream(ctx, stream, tt.opts)
		var got []uint64
		for _, e := range events {
			if e.StreamID != stream {
				t.Errorf("ReadStream(%+v) returned an event of %s", tt.opts, e.StreamID)
			}
			got = append(got, e.Version)
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ReadStream(%+v) = versions %v, %v; want %v", tt.opts, got, err, tt.want)
		}
	}
	checkChain(t, mustReadStream(t, ctx, s, stream))

	for _, opts := range []eventstore.ReadOptions{{}, {Direction: bwd}, {From: 1, Limit: 1}, {From: 2}, {From: 9, Limit: 3}} {
		if events, err := s.ReadStream(ctx, "reads-missing", opts); !errors.Is(err, eventstore.ErrNotFound) {
			t.Errorf("ReadStream(missing, %+v) = %d events, %v; want ErrNotFound", opts, len(events), err)
		}
	}
	if _, err := s.ReadStream(ctx, "", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("ReadStream(\"\") = %v, want ErrInvalid", err)
	}
}

// testReadStreams: several whole streams at once are exactly what
// ReadStream returns for each; missing streams are absent, repeats read
// once, a bad name reads nothing.
func testReadStreams(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	sizes := map[string]int{"many-a": 3, "many-b": 1, "many-c": 5}
	for _, round := range []int{0, 1} {
		for _, name := range []string{"many-a", "many-b", "many-c"} {
			n := sizes[name]
			half := n / 2
			if round == 0 && half > 0 {
				mustAppend(t, ctx, s, name, eventstore.NoStream, numbered(t, half)...)
			}
			if round == 1 {
				// Interleaved with the other streams' appends.
				mustAppend(t, ctx, s, name, eventstore.Exactly(uint64(half)), numbered(t, n-half)...)
			}
		}
	}
	mustAppend(t, ctx, s, "many-other", eventstore.NoStream, numbered(t, 2)...) // must not leak in
	got, err := s.ReadStreams(ctx, []string{"many-a", "many-missing", "many-c", "many-a", "many-b"})
	if err != nil {
		t.Fatalf("ReadStreams = %v", err)
	}
	if len(got) != 3 {
		t.Errorf("ReadStreams returned %d streams, want 3 (a missing stream is absent)", len(got))
	}
	for name, n := range sizes {
		want := mustReadStream(t, ctx, s, name)
		evs := got[name]
		if len(evs) != n || len(want) != n {
			t.Errorf("%s: %d events, ReadStream %d, want %d", name, len(evs), len(want), n)
			continue
		}
		for i := range evs {
			if !sameEvent(evs[i], want[i]) || evs[i].Version != uint64(i+1) || evs[i].Position != want[i].Position {
				t.Errorf("%s: event %d differs from ReadStream's", name, i)
			}
		}
		checkChain(t, evs)
	}
	if _, ok := got["many-missing"]; ok {
		t.Error("a missing stream is in the answer")
	}
	if empty, err := s.ReadStreams(ctx, nil); err != nil || len(empty) != 0 {
		t.Errorf("ReadStreams(nil) = %v, %v; want nothing", empty, err)
	}
	if _, err := s.ReadStreams(ctx, []string{"many-a", ""}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("ReadStreams with an empty name = %v, want ErrInvalid", err)
	}
}

func testReadAll(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	var appended []uuid.UUID
	add := func(stream string, exp eventstore.Expected, events ...eventstore.EventData) {
		mustAppend(t, ctx, s, stream, exp, events...)
		for _, e := range events {
			appended = append(appended, e.ID)
		}
	}
	if events, err := s.ReadAll(ctx, eventstore.Start, 10); err != nil || len(events) != 0 {
		t.Fatalf("ReadAll on an empty store = %d events, %v; want none", len(events), err)
	}
	add("all-a", eventstore.NoStream, numbered(t, 2)...)
	add("all-b", eventstore.NoStream, numbered(t, 1)...)
	add("all-a", eventstore.Exactly(2), numbered(t, 3)...)
	add("all-c", eventstore.Any, numbered(t, 1)...)
	add("all-b", eventstore.Any, numbered(t, 2)...)

	all := readAllAtLeast(t, ctx, s, eventstore.Start, len(appended))
	if len(all) != len(appended) {
		t.Fatalf("ReadAll(Start) = %d events, want %d", len(all), len(appended))
	}
	for i, e := range all {
		if e.ID != appended[i] {
			t.Errorf("ReadAll[%d] = %s, want %s (sequential appends keep their order)", i, e.ID, appended[i])
		}
		if i > 0 && !e.Position.After(all[i-1].Position) {
			t.Errorf("ReadAll[%d].Position = %s, not after %s", i, e.Position, all[i-1].Position)
		}
		if e.Position.IsStart() {
			t.Errorf("ReadAll[%d].Position is Start", i)
		}
	}
	ids := func(events []eventstore.Event) []uuid.UUID {
		var out []uuid.UUID
		for _, e := range events {
			out = append(out, e.ID)
		}
		return out
	}
	tests := []struct {
		from  int // index of the event to start after; -1 for Start
		limit int
		want  []uuid.UUID
	}{
		{-1, 0, appended},
		{-1, 4, appended[:4]},
		{-1, 1, appended[:1]},
		{3, 0, appended[4:]},
		{3, 2, appended[4:6]},
		{3, 100, appended[4:]},
		{len(all) - 2, 5, appended[len(all)-1:]},
		{len(all) - 1, 5, nil},
	}
	for _, tt := range tests {
		from := eventstore.Start
		if tt.from >= 0 {
			from = all[tt.from].Position
		}
		got, err := s.ReadAll(ctx, from, tt.limit)
		if err != nil || !reflect.DeepEqual(ids(got), tt.want) {
			t.Errorf("ReadAll(after event %d, %d) = %v, %v; want %v", tt.from, tt.limit, ids(got), err, tt.want)
		}
	}
	// Positions survive their text form, so checkpoints can be stored.
	for _, e := range all {
		p, err := eventstore.ParsePosition(e.Position.String())
		if err != nil || p != e.Position {
			t.Errorf("ParsePosition(%s) = %v, %v", e.Position, p, err)
		}
	}
}

// testRace runs rounds of 32 goroutines appending at the same expected
// version of one stream: exactly one wins each round, the others get a
// ConflictError naming the winner's version.
func testRace(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	const (
		stream     = "race"
		goroutines = 32
		rounds     = 4
	)
	winners := make([]uuid.UUID, 0, rounds)
	for round := range rounds {
		start := make(chan struct{})
		var wg sync.WaitGroup
		type outcome struct {
			id  uuid.UUID
			res eventstore.AppendResult
			err error
		}
		results := make([]outcome, goroutines)
		for g := range goroutines {
			wg.Go(func() {
				e := newEvent(t, "test.raced.v1", fmt.Sprintf(`{"g":%d}`, g))
				<-start
				res, err := s.Append(ctx, stream, eventstore.Exactly(uint64(round)), e)
				results[g] = outcome{e.ID, res, err}
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, r := range results {
			var ce *eventstore.ConflictError
			switch {
			case r.err == nil:
				won++
				winners = append(winners, r.id)
				if r.res.FirstVersion != uint64(round+1) || r.res.LastVersion != uint64(round+1) {
					t.Errorf("round %d: winner's result = %+v, want version %d", round, r.res, round+1)
				}
			case errors.As(r.err, &ce):
				if ce.Actual != uint64(round+1) {
					t.Errorf("round %d: ConflictError.Actual = %d, want %d", round, ce.Actual, round+1)
				}
			default:
				t.Errorf("round %d: Append error = %v, want nil or a ConflictError", round, r.err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d winners, want exactly 1", round, won)
		}
	}
	events := mustReadStream(t, ctx, s, stream)
	checkChain(t, events)
	if len(events) != rounds {
		t.Fatalf("stream has %d events, want %d", len(events), rounds)
	}
	for i, e := range events {
		if e.ID != winners[i] {
			t.Errorf("version %d is %s, want round %d's winner %s", i+1, e.ID, i, winners[i])
		}
	}
}

// testRaceAny: with Any, every one of 32 concurrent appends lands, each
// batch contiguous, the chain intact.
func testRaceAny(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	const (
		stream     = "race-any"
		goroutines = 32
	)
	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]eventstore.AppendResult, goroutines)
	batches := make([][]eventstore.EventData, goroutines)
	for g := range goroutines {
		batches[g] = numbered(t, 2)
		wg.Go(func() {
			<-start
			res, err := s.Append(ctx, stream, eventstore.Any, batches[g]...)
			if err != nil {
				t.Errorf("goroutine %d: Append(Any) = %v", g, err)
			}
			results[g] = res
		})
	}
	close(start)
	wg.Wait()
	events := mustReadStream(t, ctx, s, stream)
	checkChain(t, events)
	if len(events) != 2*goroutines {
		t.Fatalf("stream has %d events, want %d", len(events), 2*goroutines)
	}
	for g, res := range results {
		if res.LastVersion != res.FirstVersion+1 || res.LastVersion > uint64(len(events)) {
			t.Errorf("goroutine %d: result %+v", g, res)
			continue
		}
		for i, e := range batches[g] {
			if stored := events[res.FirstVersion-1+uint64(i)]; stored.ID != e.ID {
				t.Errorf("goroutine %d: version %d holds %s, want %s", g, stored.Version, stored.ID, e.ID)
			}
		}
		if events[res.LastVersion-1].Position != res.Position {
			t.Errorf("goroutine %d: result position %s, stored %s", g, res.Position, events[res.LastVersion-1].Position)
		}
	}
}

func testIdempotent(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	streamLen := func(stream string) int {
		t.Helper()
		events, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
		if errors.Is(err, eventstore.ErrNotFound) {
			return 0
		}
		if err != nil {
			t.Fatalf("ReadStream(%s): %v", stream, err)
		}
		return len(events)
	}

	t.Run("same batch again", func(t *testing.T) {
		batch := numbered(t, 2)
		first := mustAppend(t, ctx, s, "idem-1", eventstore.NoStream, batch...)
		for _, exp := range []eventstore.Expected{eventstore.NoStream, eventstore.Any, eventstore.Exactly(2), eventstore.Exactly(9)} {
			again, err := s.Append(ctx, "idem-1", exp, batch...)
			if err != nil || again != first {
				t.Errorf("retry with %s = %+v, %v; want %+v", exp, again, err, first)
			}
		}
		if n := streamLen("idem-1"); n != 2 {
			t.Errorf("stream has %d events after retries, want 2", n)
		}
	})
	t.Run("retry after the stream moved on", func(t *testing.T) {
		a := newEvent(t, "test.a.v1", `{}`)
		first := mustAppend(t, ctx, s, "idem-2", eventstore.NoStream, a)
		mustAppend(t, ctx, s, "idem-2", eventstore.Exactly(1), numbered(t, 3)...)
		again, err := s.Append(ctx, "idem-2", eventstore.NoStream, a)
		if err != nil || again != first {
			t.Errorf("late retry = %+v, %v; want %+v", again, err, first)
		}
		if n := streamLen("idem-2"); n != 4 {
			t.Errorf("stream has %d events, want 4", n)
		}
	})

	base := numbered(t, 2)
	mustAppend(t, ctx, s, "idem-3", eventstore.NoStream, base...)
	changed := func(f func(*eventstore.EventData)) eventstore.EventData {
		e := base[0]
		f(&e)
		return e
	}
	reuses := []struct {
		name   string
		stream string
		events []eventstore.EventData
		where  string // the IDReusedError's stream; "" when none is named
	}{
		{"other payload", "idem-3", []eventstore.EventData{changed(func(e *eventstore.EventData) { e.Data = json.RawMessage(`{"n":99}`) }), base[1]}, "idem-3"},
		{"other type", "idem-3", []eventstore.EventData{changed(func(e *eventstore.EventData) { e.Type = "test.other.v1" }), base[1]}, "idem-3"},
		{"other metadata", "idem-3", []eventstore.EventData{changed(func(e *eventstore.EventData) { e.Meta.Reason = "changed" }), base[1]}, "idem-3"},
		{"other stream", "idem-elsewhere", base, "idem-3"},
		{"reordered", "idem-3", []eventstore.EventData{base[1], base[0]}, "idem-3"},
		{"partial batch", "idem-3", []eventstore.EventData{base[0], newEvent(t, "test.new.v1", `{}`)}, ""},
		{"stored id after new", "idem-3", []eventstore.EventData{newEvent(t, "test.new.v1", `{}`), base[1]}, ""},
	}
	for _, tt := range reuses {
		t.Run(tt.name, func(t *testing.T) {
			before := streamLen(tt.stream)
			for _, exp := range []eventstore.Expected{eventstore.Any, eventstore.Exactly(uint64(before))} {
				_, err := s.Append(ctx, tt.stream, exp, tt.events...)
				if !errors.Is(err, eventstore.ErrIDReused) {
					t.Fatalf("Append(%s) = %v, want ErrIDReused", exp, err)
				}
				var re *eventstore.IDReusedError
				if tt.where != "" && (!errors.As(err, &re) || re.Stream != tt.where || re.Version == 0) {
					t.Errorf("Append(%s) = %v, want an *IDReusedError naming %s", exp, err, tt.where)
				}
			}
			if after := streamLen(tt.stream); after != before {
				t.Errorf("stream %s went from %d to %d events", tt.stream, before, after)
			}
		})
	}
}

func testInvalid(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	good := func() eventstore.EventData { return newEvent(t, "test.good.v1", `{"ok":true}`) }
	with := func(f func(*eventstore.EventData)) []eventstore.EventData {
		e := good()
		f(&e)
		return []eventstore.EventData{e}
	}
	big := `{"blob":"` + strings.Repeat("x", eventstore.MaxEventSize) + `"}`
	dup := good()
	tests := []struct {
		name   string
		stream string
		events []eventstore.EventData
		field  string // the ValidationError's field
	}{
		{"empty type", "bad", with(func(e *eventstore.EventData) { e.Type = "" }), "type"},
		{"type without version", "bad", with(func(e *eventstore.EventData) { e.Type = "dossier.created" }), "type"},
		{"upper-case type", "bad", with(func(e *eventstore.EventData) { e.Type = "Dossier.Created.v1" }), "type"},
		{"type with spaces", "bad", with(func(e *eventstore.EventData) { e.Type = "dossier created.v1" }), "type"},
		{"version zero", "bad", with(func(e *eventstore.EventData) { e.Type = "dossier.created.v0" }), "type"},
		{"invalid JSON", "bad", with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`{"a":`) }), "data"},
		{"array payload", "bad", with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`[1,2]`) }), "data"},
		{"string payload", "bad", with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`"x"`) }), "data"},
		{"null payload", "bad", with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`null`) }), "data"},
		{"empty payload", "bad", with(func(e *eventstore.EventData) { e.Data = nil }), "data"},
		{"invalid UTF-8", "bad", with(func(e *eventstore.EventData) { e.Data = json.RawMessage("{\"a\":\"\xff\xfe\"}") }), "data"},
		{"NUL character", "bad", with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`{"a":"x\u0000y"}`) }), "data"},
		{"over 1 MiB", "bad", with(func(e *eventstore.EventData) { e.Data = json.RawMessage(big) }), "size"},
		{"bad effective date", "bad", with(func(e *eventstore.EventData) { e.Meta.EffectiveDate = "2026-13-01" }), "metadata.effective_date"},
		{"empty stream id", "", []eventstore.EventData{good()}, "stream_id"},
		{"stream id with a space", "bad stream", []eventstore.EventData{good()}, "stream_id"},
		{"stream id too long", "s" + strings.Repeat("x", eventstore.MaxStreamIDLength), []eventstore.EventData{good()}, "stream_id"},
		{"no events", "bad", nil, "events"},
		{"second event bad", "bad", []eventstore.EventData{good(), with(func(e *eventstore.EventData) { e.Data = json.RawMessage(`[]`) })[0]}, "data"},
		{"id twice in one append", "bad", []eventstore.EventData{dup, dup}, "event_id"},
	}
	for _, tt := range tests {
		for _, exp := range []eventstore.Expected{eventstore.Any, eventstore.NoStream} {
			_, err := s.Append(ctx, tt.stream, exp, tt.events...)
			var ve *eventstore.ValidationError
			if !errors.Is(err, eventstore.ErrInvalid) {
				t.Errorf("%s: Append = %v, want ErrInvalid", tt.name, err)
				continue
			}
			if tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field) {
				t.Errorf("%s: Append = %v, want a ValidationError on %s", tt.name, err, tt.field)
			}
		}
	}
	// Nothing of the above was written anywhere.
	if _, err := s.ReadStream(ctx, "bad", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("ReadStream(bad) after invalid appends = %v, want ErrNotFound", err)
	}
	mustAppend(t, ctx, s, "bad-marker", eventstore.NoStream, good())
	all := readAllAtLeast(t, ctx, s, eventstore.Start, 1)
	if len(all) != 1 || all[0].StreamID != "bad-marker" {
		t.Errorf("log after invalid appends holds %d events, want only the marker", len(all))
	}
}

func testSubscribeEnds(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	mustAppend(t, ctx, s, "ends", eventstore.NoStream, numbered(t, 3)...)
	readAllAtLeast(t, ctx, s, eventstore.Start, 3)

	// within fails the test if f does not return in time: a subscription
	// that ignores its context would hang the suite otherwise.
	within := func(name string, f func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); f() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Subscribe did not end within 10s", name)
		}
	}

	within("cancel while live", func() {
		sub, cancel := context.WithCancel(ctx)
		defer cancel()
		n, errs := 0, 0
		for _, err := range s.Subscribe(sub, eventstore.Start) {
			if err != nil {
				errs++
				if !errors.Is(err, context.Canceled) {
					t.Errorf("cancel while live: error %v, want context.Canceled", err)
				}
				continue
			}
			if n++; n == 3 {
				time.AfterFunc(50*time.Millisecond, cancel)
			}
		}
		if n != 3 || errs != 1 {
			t.Errorf("cancel while live: %d events, %d errors; want 3 events then 1 error", n, errs)
		}
	})
	within("cancelled before start", func() {
		sub, cancel := context.WithCancel(ctx)
		cancel()
		for e, err := range s.Subscribe(sub, eventstore.Start) {
			if err == nil {
				continue // a backend may deliver what it already holds
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled before start: error %v (event %s), want context.Canceled", err, e.ID)
			}
		}
	})
	within("consumer stops", func() {
		n := 0
		for _, err := range s.Subscribe(ctx, eventstore.Start) {
			if err != nil {
				t.Errorf("consumer stops: %v", err)
			}
			n++
			break
		}
		if n != 1 {
			t.Errorf("consumer stops: %d events, want 1", n)
		}
	})
	within("deadline", func() {
		sub, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		var last error
		for _, err := range s.Subscribe(sub, eventstore.Start) {
			last = err
		}
		if !errors.Is(last, context.DeadlineExceeded) {
			t.Errorf("deadline: last error %v, want context.DeadlineExceeded", last)
		}
	})
}

func testSubscribeConcurrent(t *testing.T, s eventstore.Store) {
	// 16 writers interleave enough; 400 events each keeps the run inside its
	// deadline on the EventStoreDB protocol test server under -race on a
	// loaded 2-core machine (1,000 each timed out there).
	out := Scenario{Writers: 16, Events: 400}.Run(t, s)
	for _, sub := range []struct {
		name      string
		delivered []eventstore.Event
	}{{"live", out.Live}, {"restarted", out.Resumed}} {
		if problems := out.Check(sub.delivered); len(problems) > 0 {
			t.Errorf("%s subscription: %d of %d events delivered; problems:\n%s",
				sub.name, len(sub.delivered), len(out.Written), strings.Join(problems, "\n"))
		}
	}
}
