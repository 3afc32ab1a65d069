package nationalsync_test

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
	"github.com/hoso-ledger/hoso/domain/nationalsync"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

var (
	unit = domain.OrgID(uuid.MustParse("0192f0a0-0000-7000-8000-00000000000a"))
	doh  = domain.OrgID(uuid.MustParse("0192f0a0-0000-7000-8000-00000000000d"))
	pkg  = nationalsync.PackageID(unit, "2026-11", 0, "aa", "bb")
	at   = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
)

var samples = map[string]domain.Event{
	nationalsync.TypeQueued: nationalsync.Queued{Package: pkg, Org: unit, Month: "2026-11", Department: doh, Supplement: 1,
		UnitDigest: "aa", DepartmentDigest: "bb", UnitApproval: uuid.MustParse("0192f0a0-0000-7000-8000-0000000000e1"),
		DepartmentApproval: uuid.MustParse("0192f0a0-0000-7000-8000-0000000000e2"), ApprovedAt: at, Due: domain.MustDate(2026, 11, 30), Article: "NĐ 27/2026"},
	nationalsync.TypeSent: nationalsync.Sent{Package: pkg, Digest: "cc", Endpoint: "https://csdl.example/packages", Attempt: 2},
	nationalsync.TypeAcknowledged: nationalsync.Acknowledged{Package: pkg, Digest: "cc", Receipt: []byte(`{"receipt":1}`),
		Arrivals: []domain.DossierID{domain.DossierID(uuid.MustParse("0192f0a0-0000-7000-8000-0000000000f1"))}},
	nationalsync.TypeRejected: nationalsync.Rejected{Package: pkg, Digest: "cc", Status: 422, Reasons: []string{"signature: không hợp lệ"}},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	if len(samples) != len(nationalsync.EventTypes()) {
		t.Fatalf("%d samples for %d types", len(samples), len(nationalsync.EventTypes()))
	}
	for typ, e := range samples {
		got, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", typ+".json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: stored shape changed:\n%s\nwant\n%s", typ, got, want)
		}
		back, err := nationalsync.Decode(typ, want)
		if err != nil || back.EventType() != typ {
			t.Errorf("Decode(%s golden) = %v, %v", typ, back, err)
		}
	}
}

func rec(v uint64, e domain.Event, t time.Time) domain.Recorded {
	return domain.Recorded{Version: v, Event: e, Meta: domain.Meta{RecordedAt: t}}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	q, s := samples[nationalsync.TypeQueued], samples[nationalsync.TypeSent]
	ack, rej := samples[nationalsync.TypeAcknowledged], samples[nationalsync.TypeRejected]
	for _, tc := range []struct {
		name     string
		events   []domain.Event
		state    nationalsync.State
		attempts int
		invalid  bool
	}{
		{"queued", []domain.Event{q}, nationalsync.StateQueued, 0, false},
		{"sent twice", []domain.Event{q, s, s}, nationalsync.StateSent, 2, false},
		{"acknowledged", []domain.Event{q, s, ack}, nationalsync.StateAcknowledged, 1, false},
		{"acknowledged twice stays acknowledged", []domain.Event{q, s, ack, s, ack}, nationalsync.StateAcknowledged, 2, false},
		{"rejected", []domain.Event{q, s, rej}, nationalsync.StateRejected, 1, false},
		{"a late answer changes nothing", []domain.Event{q, s, rej, ack}, nationalsync.StateRejected, 1, false},
		{"sent before queued", []domain.Event{s}, "", 0, true},
		{"queued twice", []domain.Event{q, q}, "", 0, true},
		{"empty", nil, "", 0, true},
	} {
		var h []domain.Recorded
		for i, e := range tc.events {
			h = append(h, rec(uint64(i+1), e, at.Add(time.Duration(i)*time.Minute)))
		}
		p, err := nationalsync.Replay(h)
		if tc.invalid {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("%s: Replay = %v, want ErrInvalid", tc.name, err)
			}
			continue
		}
		if err != nil || p.State != tc.state || p.Attempts != tc.attempts {
			t.Errorf("%s: Replay = %s after %d attempts, %v; want %s after %d", tc.name, p.State, p.Attempts, err, tc.state, tc.attempts)
		}
	}
}

func TestPackageIDIsStable(t *testing.T) {
	t.Parallel()
	a := nationalsync.PackageID(unit, "2026-11", 0, "aa", "bb")
	if a != pkg || nationalsync.PackageID(unit, "2026-11", 1, "aa", "bb") == a || nationalsync.PackageID(doh, "2026-11", 0, "aa", "bb") == a ||
		nationalsync.PackageID(unit, "2026-11", 0, "aa", "bc") == a {
		t.Error("PackageID does not depend on exactly what it covers")
	}
}
