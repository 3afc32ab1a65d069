package approval_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
)

var (
	orgA   = domain.OrgID(uuid.MustParse("0192f0a0-0000-7000-8000-00000000000a"))
	signer = domain.AccountID(uuid.MustParse("0192f0a0-0000-7000-8000-0000000000c1"))
	nov    = mustMonth("2026-11")
	at     = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
)

func mustMonth(s string) approval.Month {
	m, err := approval.ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

func manifest(body string, level approval.Level, items int) approval.Manifest {
	sum := sha256.Sum256([]byte(body))
	return approval.Manifest{Level: level, Digest: hex.EncodeToString(sum[:]), TreeSize: 42, Items: items, Bytes: []byte(body)}
}

func sig(digest string) approval.Signature {
	return approval.Signature{
		ManifestDigest: digest, Level: approval.LevelUnit, CMS: []byte{0x30, 0x80},
		SignerFingerprint: hex.EncodeToString(make([]byte, 32)), SignerAccount: signer,
		SignerSubject: "CN=Nguyễn Văn An", SigningTime: at, Timing: approval.InWindow,
	}
}

// given replays events through the codec, as the store would hand them back.
func given(t *testing.T, events ...domain.Event) *approval.Approval {
	t.Helper()
	var h []domain.Recorded
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		d, err := approval.Decode(e.EventType(), b)
		if err != nil {
			t.Fatal(err)
		}
		h = append(h, domain.Recorded{ID: uuid.Must(uuid.NewV7()), Version: uint64(i + 1), Event: d})
	}
	a, err := approval.Replay(orgA, nov, approval.LevelUnit, h)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMonth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, prev, next string }{
		{"2026-11", "2026-11", "2026-10", "2026-12"},
		{"2027-01", "2027-01", "2026-12", "2027-02"},
	} {
		m, err := approval.ParseMonth(tc.in)
		if err != nil {
			t.Fatalf("ParseMonth(%q) = %v", tc.in, err)
		}
		if m.String() != tc.want || m.Prev().String() != tc.prev || m.Next().String() != tc.next {
			t.Errorf("ParseMonth(%q) = %s (prev %s, next %s), want %s %s %s", tc.in, m, m.Prev(), m.Next(), tc.want, tc.prev, tc.next)
		}
	}
	for _, bad := range []string{"", "2026-13", "2026-1", "26-11", "2026/11", "abcd-ef"} {
		if _, err := approval.ParseMonth(bad); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParseMonth(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	// 17:30 UTC on 30 November is already 1 December in Hà Nội.
	if got := approval.MonthOf(time.Date(2026, 11, 30, 17, 30, 0, 0, time.UTC)); got.String() != "2026-12" {
		t.Errorf("MonthOf(30/11 17:30Z) = %s, want 2026-12", got)
	}
	if got := approval.StreamID(orgA, nov, approval.LevelUnit); got != "approval-"+orgA.String()+"-2026-11" {
		t.Errorf("StreamID(unit) = %s", got)
	}
	if got := approval.StreamID(orgA, nov, approval.LevelDepartment); got != "approval-"+orgA.String()+"-2026-11-department" {
		t.Errorf("StreamID(department) = %s", got)
	}
}

func TestServeAndSign(t *testing.T) {
	t.Parallel()
	m1 := manifest(`{"a":1}`, approval.LevelUnit, 3)
	m2 := manifest(`{"a":2}`, approval.LevelUnit, 4)
	meta := domain.Meta{RecordedAt: at}
	served1 := func(m approval.Manifest) approval.ManifestServed {
		return approval.ManifestServed{Org: orgA, Month: nov, Level: m.Level, Digest: m.Digest, TreeSize: m.TreeSize, Items: m.Items, Manifest: m.Bytes}
	}
	sealed := approval.Signed{Org: orgA, Month: nov, Level: approval.LevelUnit, ManifestDigest: m1.Digest, CMS: []byte{1},
		SignerFingerprint: sig("").SignerFingerprint, SignerAccount: signer, SigningTime: at, Timing: approval.InWindow}

	tests := []struct {
		name     string
		given    []domain.Event
		when     func(*approval.Approval) ([]domain.Event, error)
		wantRule string // "" with wantN events
		wantN    int
	}{
		{"first manifest is recorded", nil, func(a *approval.Approval) ([]domain.Event, error) { return a.Serve(meta, m1) }, "", 1},
		{"same manifest again records nothing", []domain.Event{served1(m1)}, func(a *approval.Approval) ([]domain.Event, error) { return a.Serve(meta, m1) }, "", 0},
		{"a changed manifest is recorded", []domain.Event{served1(m1)}, func(a *approval.Approval) ([]domain.Event, error) { return a.Serve(meta, m2) }, "", 1},
		{"serving before the month begins", nil, func(a *approval.Approval) ([]domain.Event, error) {
			return a.Serve(domain.Meta{RecordedAt: nov.Start().Add(-time.Second)}, m1)
		}, approval.RuleMonthNotBegun, 0},
		{"a department manifest in a unit's stream", nil, func(a *approval.Approval) ([]domain.Event, error) {
			return a.Serve(meta, manifest(`{}`, approval.LevelDepartment, 2))
		}, approval.RuleLevelMismatch, 0},
		{"sign the served manifest", []domain.Event{served1(m1)}, func(a *approval.Approval) ([]domain.Event, error) { return a.Sign(meta, sig(m1.Digest)) }, "", 1},
		{"sign a manifest never served", []domain.Event{served1(m1)}, func(a *approval.Approval) ([]domain.Event, error) { return a.Sign(meta, sig(m2.Digest)) }, approval.RuleNotServed, 0},
		{"sign a superseded manifest", []domain.Event{served1(m1), served1(m2)}, func(a *approval.Approval) ([]domain.Event, error) { return a.Sign(meta, sig(m1.Digest)) }, approval.RuleSuperseded, 0},
		{"sign at the wrong level", []domain.Event{served1(m1)}, func(a *approval.Approval) ([]domain.Event, error) {
			s := sig(m1.Digest)
			s.Level = approval.LevelDepartment
			return a.Sign(meta, s)
		}, approval.RuleLevelMismatch, 0},
		{"second approval of a sealed month", []domain.Event{served1(m1), sealed}, func(a *approval.Approval) ([]domain.Event, error) { return a.Sign(meta, sig(m1.Digest)) }, approval.RuleSealed, 0},
		{"no new manifest for a sealed month", []domain.Event{served1(m1), sealed}, func(a *approval.Approval) ([]domain.Event, error) { return a.Serve(meta, m2) }, approval.RuleSealed, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := given(t, tc.given...)
			evs, err := tc.when(a)
			if tc.wantRule != "" {
				var se *domain.StateError
				if !errors.As(err, &se) || se.Rule != tc.wantRule || !errors.Is(err, domain.ErrConflict) {
					t.Fatalf("err = %v, want StateError %s", err, tc.wantRule)
				}
				return
			}
			if err != nil || len(evs) != tc.wantN {
				t.Fatalf("= %d events, %v; want %d events", len(evs), err, tc.wantN)
			}
		})
	}
}

func TestDepartmentNeedsUnitApprovals(t *testing.T) {
	t.Parallel()
	a, err := approval.New(orgA, nov, approval.LevelDepartment)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Serve(domain.Meta{RecordedAt: at}, manifest(`{}`, approval.LevelDepartment, 0))
	var se *domain.StateError
	if !errors.As(err, &se) || se.Rule != approval.RuleNoUnits {
		t.Fatalf("Serve(department, no units) = %v, want %s", err, approval.RuleNoUnits)
	}
	if evs, err := a.Serve(domain.Meta{RecordedAt: at}, manifest(`{"u":2}`, approval.LevelDepartment, 2)); err != nil || len(evs) != 1 {
		t.Fatalf("Serve(department, 2 units) = %v, %v", evs, err)
	}
}

func TestSignValidation(t *testing.T) {
	t.Parallel()
	a := given(t)
	_, err := a.Sign(domain.Meta{}, approval.Signature{})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) < 6 {
		t.Fatalf("Sign(empty) = %v, want every field named", err)
	}
}

func TestReplayRefusesOtherMonth(t *testing.T) {
	t.Parallel()
	other := approval.ManifestServed{Org: orgA, Month: nov.Next(), Level: approval.LevelUnit}
	if _, err := approval.Replay(orgA, nov, approval.LevelUnit, []domain.Recorded{{Version: 1, Event: other}}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Replay(another month's event) = %v, want ErrInvalid", err)
	}
}

// TestGolden pins each stored shape: a field renamed or retyped breaks it.
func TestGolden(t *testing.T) {
	t.Parallel()
	m1 := manifest(`{"a":1}`, approval.LevelUnit, 3)
	events := map[string]domain.Event{
		approval.TypeManifestServed: approval.ManifestServed{Org: orgA, Month: nov, Level: approval.LevelUnit, Digest: m1.Digest, Size: int64(len(m1.Bytes)), TreeSize: 42, Items: 3},
		approval.TypeSigned: approval.Signed{Org: orgA, Month: nov, Level: approval.LevelUnit, ManifestDigest: m1.Digest, TreeSize: 42,
			CMS: []byte{0x30, 0x82}, SignerFingerprint: sig("").SignerFingerprint, SignerAccount: signer, SignerSubject: "CN=Nguyễn Văn An",
			SigningTime: at, Timing: approval.InWindow, WindowStart: domain.MustDate(2026, 11, 26), WindowEnd: domain.MustDate(2026, 11, 30)},
	}
	for typ, e := range events {
		got, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", typ+".json")
		if os.Getenv("UPDATE_GOLDEN") != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != string(want) {
			t.Errorf("%s encodes as\n%s\nwant\n%s", typ, got, want)
		}
		back, err := approval.Decode(typ, want)
		if err != nil || back.EventType() != typ {
			t.Errorf("Decode(%s golden) = %v, %v", typ, back, err)
		}
	}
}

// TestServedV1StillReads: a v1 served manifest (bytes inline), as stored
// before the bytes moved out of the event, decodes to the current type
// with its bytes; serving now writes v2 without them.
func TestServedV1StillReads(t *testing.T) {
	t.Parallel()
	old, err := os.ReadFile(filepath.Join("testdata", "golden", approval.TypeManifestServedV1+".json"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := approval.Decode(approval.TypeManifestServedV1, old)
	if err != nil {
		t.Fatalf("Decode(v1) = %v", err)
	}
	ms, ok := e.(approval.ManifestServed)
	if !ok || !ms.Inline() || ms.Items != 3 || ms.TreeSize != 42 || ms.Size != 0 {
		t.Fatalf("Decode(v1) = %#v, want the inline manifest", e)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, ms.Manifest); err != nil || compact.String() != `{"a":1}` {
		t.Fatalf("v1 manifest bytes = %s, %v", ms.Manifest, err)
	}
	if !approval.IsManifestServed(approval.TypeManifestServedV1) || !approval.IsManifestServed(approval.TypeManifestServed) || approval.IsManifestServed(approval.TypeSigned) {
		t.Error("IsManifestServed names the wrong types")
	}
	a, err := approval.New(orgA, nov, approval.LevelUnit)
	if err != nil {
		t.Fatal(err)
	}
	m := manifest(`{"b":2}`, approval.LevelUnit, 1)
	evs, err := a.Serve(domain.Meta{RecordedAt: at}, m)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Serve = %v, %v", evs, err)
	}
	if got := evs[0].(approval.ManifestServed); got.Inline() || got.Size != int64(len(m.Bytes)) || got.EventType() != approval.TypeManifestServed {
		t.Errorf("Serve wrote %#v, want v2 with the size and no bytes", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(approval.TypeSigned, []byte(`{"month":"2026-11","cms":"MIA="}`))
	f.Add(approval.TypeManifestServed, []byte(`{"month":"2026-13"}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		e, err := approval.Decode(typ, data)
		if typ == approval.TypeManifestServedV1 {
			typ = approval.TypeManifestServed // upcast
		}
		if err == nil && e.EventType() != typ {
			t.Fatalf("Decode(%q) gave %s", typ, e.EventType())
		}
	})
}

// TestSupplementStream: a supplementary department approval has its own
// stream and refuses the events of the approval it follows (or of another
// supplement), so a signature is never reopened.
func TestSupplementStream(t *testing.T) {
	t.Parallel()
	if got, want := approval.SupplementStreamID(orgA, nov, 2), "approval-"+orgA.String()+"-2026-11-department-2"; got != want {
		t.Errorf("SupplementStreamID = %s, want %s", got, want)
	}
	if _, err := approval.NewSupplement(orgA, nov, 0); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("NewSupplement(0) = %v, want ErrInvalid", err)
	}
	ev := func(n int) []domain.Recorded {
		return []domain.Recorded{{Version: 1, Event: approval.ManifestServed{Org: orgA, Month: nov, Level: approval.LevelDepartment, Supplement: n}}}
	}
	if _, err := approval.ReplaySupplement(orgA, nov, 1, ev(0)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("supplement 1 replaying the approval's own event: %v, want ErrInvalid", err)
	}
	if _, err := approval.Replay(orgA, nov, approval.LevelDepartment, ev(1)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("the approval replaying a supplement's event: %v, want ErrInvalid", err)
	}
	a, err := approval.ReplaySupplement(orgA, nov, 1, ev(1))
	if err != nil || a.Supplement() != 1 || a.StreamID() != approval.SupplementStreamID(orgA, nov, 1) {
		t.Fatalf("ReplaySupplement = %v, %v", a, err)
	}
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	evs, err := a.Serve(domain.Meta{RecordedAt: at}, approval.Manifest{Level: approval.LevelDepartment, Digest: strings.Repeat("a", 64), Items: 1, Bytes: []byte(`{}`)})
	if err != nil || len(evs) != 1 || evs[0].(approval.ManifestServed).Supplement != 1 {
		t.Errorf("Serve on supplement 1 = %v, %v; want a served manifest numbered 1", evs, err)
	}
}
