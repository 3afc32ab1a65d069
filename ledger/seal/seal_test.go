package seal_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// The values a reader of the raw store must never find.
var secrets = []string{"079203999001", "Chứng tim bẩm sinh XK", "Đảng bộ Sở Y tế XK", "Phạm Thị Mẹ XK", "Hòa Hảo XK", "Ê Đê XK"}

func kek(t testing.TB, b byte) *seal.LocalKEK {
	t.Helper()
	k, err := seal.NewLocalKEK(bytes.Repeat([]byte{b}, seal.KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func meta() domain.Meta {
	return domain.Meta{RecordedAt: time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC), EffectiveDate: domain.MustDate(2026, 3, 1),
		Source: domain.SourceDocument{Kind: "decision", Number: "1/QĐ", Date: domain.MustDate(2026, 3, 1), Issuer: "UBND"}}
}

func events(id domain.DossierID) []domain.Event {
	org := domain.OrgID(uuid.MustParse("0190a000-0000-7000-8000-000000000002"))
	return []domain.Event{
		dossier.Created{DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org, PersonalIDNumber: secrets[0],
			Identity: dossier.Identity{BirthName: "Nguyễn Văn An", Gender: dossier.GenderMale, Ethnicity: secrets[5], Religion: secrets[4]}},
		dossier.SectionUpdated{Patch: dossier.Patch{
			Health:      &dossier.Health{Status: secrets[1], HeightCM: 170},
			Position:    &dossier.Position{Current: "Chuyên viên", Party: secrets[2]},
			PartyUnions: &dossier.PartyUnions{PartyCell: secrets[2]},
			Rows: []dossier.Row{
				{Table: dossier.TableWorkHistory, WorkHistory: &dossier.WorkHistoryRow{ID: uuid.MustParse("0190a000-0000-7000-8000-00000000000a"), Org: "Sở Y tế"}},
				{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: uuid.MustParse("0190a000-0000-7000-8000-00000000000b"), Relation: "mẹ", Name: secrets[3]}},
			}}},
		dossier.RowAdded{Row: dossier.Row{Table: dossier.TableFamily, Family: &dossier.FamilyRow{ID: uuid.MustParse("0190a000-0000-7000-8000-00000000000c"), Relation: "bố", Name: secrets[3]}}},
		dossier.StatusChanged{Status: dossier.StatusRetired},
	}
}

func newStore(inner eventstore.Store, keys seal.KeyStore, w seal.KeyWrapper) *seal.Store {
	return seal.NewStore(inner, seal.NewKeyring(keys, w, 0), dossier.SensitivePayloadPaths, "dossier-")
}

func TestSealedAtRestOpenedOnRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := memstore.New(nil)
	keys := seal.NewMemKeyStore()
	s := newStore(inner, keys, kek(t, 1))
	id := domain.DossierID(uuid.MustParse("0190a000-0000-7000-8000-000000000099"))
	want := events(id)
	ids := make([]uuid.UUID, len(want))
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	l := ledger.Ledger{Store: s}
	res, err := l.Append(ctx, id.StreamID(), eventstore.NoStream, meta(), want, ids)
	if err != nil {
		t.Fatal(err)
	}

	raw, err := inner.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range raw {
		for _, v := range secrets {
			if bytes.Contains(ev.Data, []byte(v)) {
				t.Errorf("stored %s holds %q in clear: %s", ev.Type, v, ev.Data)
			}
		}
		if ev.ComputeHash() != ev.Hash {
			t.Errorf("%s: the stored hash does not cover the stored (sealed) bytes", ev.Type)
		}
		if sealed := seal.IsSealed(ev.Data); sealed != (dossier.SensitivePayloadPaths(ev.Type) != nil) {
			t.Errorf("%s: sealed = %v", ev.Type, sealed)
		}
	}

	h, err := l.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range h.Events {
		if !reflect.DeepEqual(r.Event, want[i]) {
			t.Errorf("event %d read back = %#v, want %#v", i, r.Event, want[i])
		}
	}
	all, err := s.ReadAll(ctx, eventstore.Start, 100)
	if err != nil || len(all) != len(want) {
		t.Fatalf("ReadAll = %d events, %v", len(all), err)
	}
	for ev, err := range s.Subscribe(ctx, eventstore.Start) {
		if err != nil {
			t.Fatal(err)
		}
		if seal.IsSealed(ev.Data) {
			t.Errorf("Subscribe gave %s sealed", ev.Type)
		}
		if ev.Version == uint64(len(want)) {
			break
		}
	}

	// A retry of the same events is the same bytes: the store's
	// idempotency holds (no ErrIDReused).
	again, err := l.Append(ctx, id.StreamID(), eventstore.NoStream, meta(), want, ids)
	if err != nil || again.LastVersion != res.LastVersion {
		t.Errorf("retry = %+v, %v; want the original result %+v", again, err, res)
	}
}

func TestWrongKEK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := memstore.New(nil)
	keys := seal.NewMemKeyStore()
	id := domain.DossierID(uuid.Must(uuid.NewV7()))
	evs := events(id)
	if _, err := (ledger.Ledger{Store: newStore(inner, keys, kek(t, 1))}).Append(ctx, id.StreamID(), eventstore.NoStream, meta(), evs[:1], nil); err != nil {
		t.Fatal(err)
	}
	wrong := ledger.Ledger{Store: newStore(inner, keys, kek(t, 2))}
	if _, err := wrong.Load(ctx, id.StreamID(), dossier.Decode); !errors.Is(err, seal.ErrKey) {
		t.Errorf("Load under the wrong KEK = %v, want ErrKey", err)
	}
	_, err := wrong.Append(ctx, id.StreamID(), eventstore.Exactly(1), meta(), evs[1:2], nil)
	if !errors.Is(err, seal.ErrKey) {
		t.Errorf("Append under the wrong KEK = %v, want ErrKey", err)
	}
	raw, _ := inner.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if len(raw) != 1 {
		t.Errorf("after a failed unwrap the stream has %d events, want 1 (nothing appended)", len(raw))
	}
	// The old KEK listed after the new one still opens, so a rotation can
	// be done while serving.
	both, err := seal.NewLocalKEK(bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (ledger.Ledger{Store: newStore(inner, keys, both)}).Load(ctx, id.StreamID(), dossier.Decode); err != nil {
		t.Errorf("Load with the old KEK second: %v", err)
	}
}

// Events stored before sealing began stay as they are and read as before.
func TestPlaintextHistoryStillReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := memstore.New(nil)
	id := domain.DossierID(uuid.Must(uuid.NewV7()))
	evs := events(id)
	if _, err := (ledger.Ledger{Store: inner}).Append(ctx, id.StreamID(), eventstore.NoStream, meta(), evs[:2], nil); err != nil {
		t.Fatal(err)
	}
	l := ledger.Ledger{Store: newStore(inner, seal.NewMemKeyStore(), kek(t, 1))}
	if _, err := l.Append(ctx, id.StreamID(), eventstore.Exactly(2), meta(), evs[2:], nil); err != nil {
		t.Fatal(err)
	}
	h, err := l.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Events[0].Event, evs[0]) || !reflect.DeepEqual(h.Events[2].Event, evs[2]) {
		t.Errorf("mixed history read back wrong: %#v", h.Events)
	}
	raw, _ := inner.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if seal.IsSealed(raw[0].Data) || !seal.IsSealed(raw[2].Data) {
		t.Errorf("old event sealed = %v, new = %v; want false, true", seal.IsSealed(raw[0].Data), seal.IsSealed(raw[2].Data))
	}
}

func TestParseLocalKEK(t *testing.T) {
	t.Parallel()
	good, _ := seal.GenerateKEK()
	tests := []struct {
		in string
		ok bool
	}{
		{good, true},
		{good + "," + good, true},
		{"", false},
		{"not base64!", false},
		{"AAAA", false},
		{good + ",", false},
	}
	for _, tt := range tests {
		_, err := seal.ParseLocalKEK(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseLocalKEK(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}
