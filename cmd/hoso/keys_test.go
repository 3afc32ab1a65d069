package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/postgres"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// TestKeysRotate: `hoso keys rotate` re-wraps every data key under the new
// KEK without touching an event; the new key alone then opens the ledger,
// and the old one alone is refused at start.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.New(t)
	oldKEK, _ := seal.GenerateKEK()
	newKEK, _ := seal.GenerateKEK()
	raw := postgres.New(pool, postgres.Options{})
	sealed, err := service.SealStore(ctx, pool, raw, mustKEK(t, oldKEK))
	if err != nil {
		t.Fatal(err)
	}
	org := domain.OrgID(uuid.Must(uuid.NewV7()))
	var ids []domain.DossierID
	for range 3 {
		id := domain.DossierID(uuid.Must(uuid.NewV7()))
		ids = append(ids, id)
		e := dossier.Created{DossierID: id, Class: dossier.ClassCongChuc, ManagingOrg: org, EmployingUnit: org, PersonalIDNumber: "079080123456",
			Identity: dossier.Identity{BirthName: "Trần Văn Khóa", Gender: dossier.GenderMale, Ethnicity: "01"}}
		m := domain.Meta{EffectiveDate: domain.MustDate(2026, 6, 1)}
		if _, err := (ledger.Ledger{Store: sealed}).Append(ctx, id.StreamID(), eventstore.NoStream, m, []domain.Event{e}, nil); err != nil {
			t.Fatal(err)
		}
	}
	readAll := func() []eventstore.Event {
		var out []eventstore.Event
		for _, id := range ids {
			evs, err := raw.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, evs...)
		}
		return out
	}
	before := readAll()

	keys := func(kek string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		getenv := func(k string) string {
			switch k {
			case "HOSO_DATABASE_URL":
				return url
			case "HOSO_KEK":
				return kek
			}
			return ""
		}
		code := run(ctx, append([]string{"keys"}, args...), getenv, strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := keys(newKEK, "rotate"); code != 1 || !strings.Contains(out, "is not configured") {
		t.Errorf("rotate without the old key = %d %s; want 1 and the missing key named", code, out)
	}
	code, out := keys(newKEK+","+oldKEK, "rotate")
	if code != 0 || !strings.Contains(out, "3 data keys re-wrapped") {
		t.Fatalf("rotate = %d %s", code, out)
	}
	if code, out := keys(newKEK, "status"); code != 0 || !strings.Contains(out, "wraps 3 data keys") || strings.Contains(out, "not current") {
		t.Errorf("status after = %d %s", code, out)
	}
	after := readAll()
	if len(after) != len(before) {
		t.Fatalf("after the rotation: %d events; want %d", len(after), len(before))
	}
	for i := range before {
		if before[i].ID != after[i].ID || !bytes.Equal(before[i].Data, after[i].Data) || before[i].Hash != after[i].Hash {
			t.Errorf("the rotation changed event %s", before[i].ID)
		}
	}
	withNew, err := service.SealStore(ctx, pool, raw, mustKEK(t, newKEK))
	if err != nil {
		t.Fatalf("the new KEK alone: %v", err)
	}
	for _, id := range ids {
		h, err := (ledger.Ledger{Store: withNew}).Load(ctx, id.StreamID(), dossier.Decode)
		if err != nil || h.Events[0].Event.(dossier.Created).PersonalIDNumber != "079080123456" {
			t.Errorf("reading %s under the new KEK: %v", id, err)
		}
	}
	if _, err := service.SealStore(ctx, pool, raw, mustKEK(t, oldKEK)); err == nil || !strings.Contains(err.Error(), "HOSO_KEK does not open") {
		t.Errorf("the old KEK alone at start = %v, want a clear refusal", err)
	}
}
