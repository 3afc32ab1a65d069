package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// noted is a minimal event so these tests exercise the plumbing, not a real
// aggregate's rules.
type noted struct {
	Text string `json:"text"`
}

func (noted) EventType() string { return "test.noted.v1" }

func decodeNoted(typ string, data []byte) (domain.Event, error) {
	if typ != "test.noted.v1" {
		return nil, domain.Invalid("type", "unknown", typ)
	}
	var n noted
	err := json.Unmarshal(data, &n)
	return n, err
}

func meta() domain.Meta {
	return domain.Meta{
		Actor:         domain.Actor{Account: domain.AccountID(uuid.MustParse("0190a000-0000-7000-8000-000000000001")), Name: "Trần Thị Bình", ActingOrg: domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000002"))},
		RecordedAt:    time.Date(2026, 3, 5, 2, 0, 0, 123456000, time.UTC),
		EffectiveDate: domain.MustDate(2026, 3, 1),
		Source:        domain.SourceDocument{Kind: "decision", Number: "123/QĐ-UBND", Date: domain.MustDate(2026, 2, 28), Issuer: "UBND tỉnh Phú Thọ"},
		Reason:        "bổ sung",
		RequestID:     "req-1",
		ImportedFrom:  "PMIS Sở Nội vụ",
	}
}

func TestMetaRoundTripsThroughTheEnvelope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := ledger.Ledger{Store: memstore.New(nil)}
	m := meta()
	if _, err := l.Append(ctx, "test-1", eventstore.NoStream, m, []domain.Event{noted{"một"}}, nil); err != nil {
		t.Fatal(err)
	}
	h, err := l.Load(ctx, "test-1", decodeNoted)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 1 || len(h.Events) != 1 {
		t.Fatalf("Load = version %d, %d events; want 1, 1", h.Version, len(h.Events))
	}
	got := h.Events[0]
	if got.Event != (noted{"một"}) {
		t.Errorf("event = %#v", got.Event)
	}
	if got.Meta != m {
		t.Errorf("meta round trip:\n got %+v\nwant %+v", got.Meta, m)
	}
}

func TestExecute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	add := func(text string) func(ledger.History) ([]domain.Event, error) {
		return func(ledger.History) ([]domain.Event, error) { return []domain.Event{noted{text}}, nil }
	}
	tests := []struct {
		name    string
		ifMatch uint64
		decide  func(ledger.History) ([]domain.Event, error)
		wantErr error
		wantVer uint64
	}{
		{"no If-Match", 0, add("b"), nil, 2},
		{"matching If-Match", 1, add("b"), nil, 2},
		{"stale If-Match", 5, add("b"), domain.ErrConflict, 1},
		{"refused by the domain", 1, func(ledger.History) ([]domain.Event, error) { return nil, domain.Invalid("text", "required", "") }, domain.ErrInvalid, 1},
		{"nothing to do", 1, func(ledger.History) ([]domain.Event, error) { return nil, nil }, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := ledger.Ledger{Store: memstore.New(nil)}
			if _, err := l.Append(ctx, "test-x", eventstore.NoStream, meta(), []domain.Event{noted{"a"}}, nil); err != nil {
				t.Fatal(err)
			}
			_, err := l.Execute(ctx, "test-x", decodeNoted, tt.ifMatch, meta(), tt.decide)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Execute err = %v, want %v", err, tt.wantErr)
			}
			h, _ := l.Load(ctx, "test-x", decodeNoted)
			if h.Version != tt.wantVer {
				t.Errorf("version after = %d, want %d", h.Version, tt.wantVer)
			}
		})
	}
}

func TestLoadMissingStreamIsNotFound(t *testing.T) {
	t.Parallel()
	l := ledger.Ledger{Store: memstore.New(nil)}
	if _, err := l.Load(context.Background(), "test-none", decodeNoted); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Load(missing) err = %v, want ErrNotFound", err)
	}
}

func TestConcurrentAppendIsAConflictOfBothKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := ledger.Ledger{Store: memstore.New(nil)}
	if _, err := l.Append(ctx, "test-c", eventstore.NoStream, meta(), []domain.Event{noted{"a"}}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := l.Append(ctx, "test-c", eventstore.NoStream, meta(), []domain.Event{noted{"b"}}, nil)
	if !errors.Is(err, domain.ErrConflict) || !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("err = %v, want domain.ErrConflict and eventstore.ErrConflict", err)
	}
}

func TestDerivedIDsMakeProcessStepsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := ledger.Ledger{Store: memstore.New(nil)}
	cause := uuid.MustParse("0190a000-0000-7000-8000-0000000000aa")
	ids := []uuid.UUID{ledger.DerivedID(cause, "dossier-1")}
	for range 2 { // the second run is a crash-resume: same ids, nothing new
		if _, err := l.Append(ctx, "test-p", eventstore.Any, meta(), []domain.Event{noted{"moved"}}, ids); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := l.Load(ctx, "test-p", decodeNoted)
	if h.Version != 1 {
		t.Fatalf("version = %d after a resumed step, want 1", h.Version)
	}
}

func TestEnvelopeTextIsNFC(t *testing.T) {
	t.Parallel()
	m := meta()
	m.Actor.Name = "Nguye\u0302\u0303n Va\u0306n An"
	m.Reason = "su\u031b\u0309a"
	m.Source.Issuer = "UBND ti\u0309nh"
	md := ledger.EnvelopeMetadata(m)
	if md.Actor.Name != "Nguyễn Văn An" || md.Reason != "sửa" || md.SourceDocument.Issuer != "UBND tỉnh" {
		t.Fatalf("envelope text not NFC: %q %q %q", md.Actor.Name, md.Reason, md.SourceDocument.Issuer)
	}
}
