package demo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/org"
	"github.com/hoso-ledger/hoso/domain/reservation"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/ledger"
)

var key = []byte("demo-test-personal-id-secret-32b")

// readAll is the whole log.
func readAll(t *testing.T, s eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	from := eventstore.Start
	for {
		evs, err := s.ReadAll(context.Background(), from, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		from = evs[len(evs)-1].Position
	}
}

// checkProvince asserts what any demo of n dossiers must hold, reading the
// ledger only: every event decodes, every stream replays and its hash
// chain verifies, n dossiers exist with distinct personal ID numbers, some
// are archived, the district committees merged and their active dossiers
// moved, and the recorded_at of each dossier's events never goes back.
func checkProvince(t *testing.T, s eventstore.Store, n int, sum demo.Summary) {
	t.Helper()
	ctx := context.Background()
	l := ledger.Ledger{Store: s}
	streams := map[string][]eventstore.Event{}
	for _, e := range readAll(t, s) {
		streams[e.StreamID] = append(streams[e.StreamID], e)
	}
	dossiers, archived, merged, reassigned, corrected, transferred := 0, 0, 0, 0, 0, 0
	pids := map[string]string{}
	for stream, evs := range streams {
		for i, e := range evs {
			if e.Hash != e.ComputeHash() || (i > 0 && e.PrevHash != evs[i-1].Hash) {
				t.Fatalf("%s@%d: hash chain broken", stream, e.Version)
			}
		}
		switch prefix, _, _ := strings.Cut(stream, "-"); prefix {
		case "dossier":
			dossiers++
			h, err := l.Load(ctx, stream, dossier.Decode)
			if err != nil {
				t.Fatal(err)
			}
			d, err := dossier.Replay(h.Events)
			if err != nil {
				t.Fatalf("%s: replay: %v", stream, err)
			}
			if other, dup := pids[d.PersonalIDNumber()]; dup {
				t.Fatalf("personal ID of %s is also %s's", stream, other)
			}
			pids[d.PersonalIDNumber()] = stream
			if d.Archived() {
				archived++
			}
			for i, r := range h.Events {
				switch r.Event.(type) {
				case dossier.ManagingOrgChanged:
					reassigned++
				case dossier.Corrected:
					corrected++
				case dossier.TransferReceived:
					transferred++
				}
				if i > 0 && r.Meta.RecordedAt.Before(h.Events[i-1].Meta.RecordedAt) {
					t.Fatalf("%s@%d: recorded_at goes back in time", stream, r.Version)
				}
			}
			if h.Events[0].Meta.RecordedAt.Year() == h.Events[len(h.Events)-1].Meta.RecordedAt.Year() && len(h.Events) > 30 {
				t.Errorf("%s: %d events all recorded in one year", stream, len(h.Events))
			}
		case "org":
			h, err := l.Load(ctx, stream, org.Decode)
			if err != nil {
				t.Fatal(err)
			}
			o, err := org.Replay(h.Events)
			if err != nil {
				t.Fatal(err)
			}
			if o.Status() == org.StatusMerged {
				merged++
			}
		case "account":
			h, err := l.Load(ctx, stream, account.Decode)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := account.Replay(h.Events); err != nil {
				t.Fatal(err)
			}
		case "pid", "username":
			if _, err := l.Load(ctx, stream, reservation.Decode); err != nil {
				t.Fatal(err)
			}
		}
	}
	if dossiers != n || len(pids) != n {
		t.Errorf("%d dossiers with %d personal IDs, want %d", dossiers, len(pids), n)
	}
	if archived == 0 || archived != sum.Archived {
		t.Errorf("%d archived dossiers, summary says %d; want some", archived, sum.Archived)
	}
	if merged != 2 || reassigned == 0 || reassigned != sum.Reassigned {
		t.Errorf("%d orgs merged, %d dossiers reassigned (summary %d); want 2 and some", merged, reassigned, sum.Reassigned)
	}
	if sum.Transfers == 0 || sum.Corrections == 0 || corrected != sum.Corrections || transferred != sum.Transfers {
		t.Errorf("%d corrections and %d transfers in the ledger, summary %+v: want some, as summarized", corrected, transferred, sum)
	}
}

func generate(t *testing.T, s eventstore.Store, n int) demo.Summary {
	t.Helper()
	sum, err := demo.Run(context.Background(), ledger.Ledger{Store: s}, demo.Config{Dossiers: n, Seed: 7, PersonalIDKey: key, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if sum.AlreadyPresent || sum.Dossiers != n {
		t.Fatalf("first run summary %+v", sum)
	}
	checkProvince(t, s, n, sum)
	// Running again writes nothing and reports the first run.
	before := len(readAll(t, s))
	again, err := demo.Run(context.Background(), ledger.Ledger{Store: s}, demo.Config{Dossiers: n, Seed: 7, PersonalIDKey: key})
	if err != nil || !again.AlreadyPresent || again.Dossiers != n {
		t.Fatalf("second run: %+v, %v; want the first run's summary", again, err)
	}
	if after := len(readAll(t, s)); after != before {
		t.Fatalf("second run wrote %d events", after-before)
	}
	return sum
}

func TestDemoOnMemstore(t *testing.T) {
	t.Parallel()
	sum := generate(t, memstore.New(nil), 50)
	if sum.Events < 50*15 {
		t.Errorf("only %d events for 50 careers", sum.Events)
	}
}

func TestDemoOnPostgres(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	generate(t, postgres.New(pool, postgres.Options{}), 40)
}

// TestDemoIsDeterministic: two ledgers from one seed hold the same people
// and careers, on both time axes (the event ids differ: they are minted as
// written, and so do the payloads that quote them).
func TestDemoIsDeterministic(t *testing.T) {
	t.Parallel()
	digest := func() map[string]int {
		s := memstore.New(nil)
		if _, err := demo.Run(context.Background(), ledger.Ledger{Store: s}, demo.Config{Dossiers: 20, Seed: 3, PersonalIDKey: key}); err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, e := range readAll(t, s) {
			if !strings.HasPrefix(e.StreamID, "dossier-") {
				continue
			}
			data := string(e.Data)
			if e.Type == dossier.TypeCorrected || e.Type == dossier.TypeManagingOrgChanged {
				data = "" // they name other events by their minted ids
			}
			out[e.StreamID+" "+e.Type+" "+e.Meta.EffectiveDate+" "+e.Meta.RecordedAt.String()+" "+data]++
		}
		return out
	}
	a, b := digest(), digest()
	if len(a) != len(b) {
		t.Fatalf("%d vs %d distinct dossier events", len(a), len(b))
	}
	for k, n := range a {
		if b[k] != n {
			t.Fatalf("event %q not reproduced", k[:80])
		}
	}
}

// TestDemoResumesAfterAnInterruption stops a run partway (the context is
// cancelled from the progress hook) and checks the rerun completes the
// same province without writing any step twice.
func TestDemoResumesAfterAnInterruption(t *testing.T) {
	t.Parallel()
	s := memstore.New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := demo.Config{Dossiers: 30, Seed: 11, PersonalIDKey: key, Workers: 3, Progress: func(phase string, done, total int) {
		if strings.Contains(phase, "after") && done == 10 {
			cancel()
		}
	}}
	if _, err := demo.Run(ctx, ledger.Ledger{Store: s}, cfg); err == nil {
		t.Fatal("interrupted run: no error")
	}
	cfg.Progress = nil
	sum, err := demo.Run(context.Background(), ledger.Ledger{Store: s}, cfg)
	if err != nil || !sum.Resumed {
		t.Fatalf("resumed run: %+v, %v", sum, err)
	}
	checkProvince(t, s, 30, sum)

	// The same plan on a fresh ledger writes the same number of dossier events.
	fresh := memstore.New(nil)
	if _, err := demo.Run(context.Background(), ledger.Ledger{Store: fresh}, demo.Config{Dossiers: 30, Seed: 11, PersonalIDKey: key}); err != nil {
		t.Fatal(err)
	}
	count := func(s eventstore.Store) (n int) {
		for _, e := range readAll(t, s) {
			if strings.HasPrefix(e.StreamID, "dossier-") {
				n++
			}
		}
		return n
	}
	if a, b := count(s), count(fresh); a != b {
		t.Fatalf("resumed ledger has %d dossier events, a fresh one %d", a, b)
	}
}

func TestAccountsAreStable(t *testing.T) {
	t.Parallel()
	a, b := demo.Accounts(5), demo.Accounts(5)
	roles := map[account.Role]bool{}
	for i := range a {
		if a[i] != b[i] || a[i].Password == "" || a[i].ID == (domain.AccountID{}) {
			t.Fatalf("account %d: %+v vs %+v", i, a[i], b[i])
		}
		roles[a[i].Role] = true
	}
	for _, r := range []account.Role{account.RoleAdmin, account.RoleHROfficer, account.RoleApprover, account.RoleInspector, account.RoleAuditor, account.RoleSelf} {
		if !roles[r] {
			t.Errorf("no demo account with role %s", r)
		}
	}
}
