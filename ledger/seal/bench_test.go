package seal_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// BenchmarkLoad is a dossier's history (46 events) loaded and decoded
// through the ledger, in clear and through the sealing store (keyring
// warm): the client's share of BenchmarkPrivacy's ledger-load, without
// PostgreSQL.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	id := domain.DossierID(uuid.MustParse("0190a000-0000-7000-8000-0000000000b1"))
	evs := events(id)
	history := []domain.Event{evs[0]}
	for range 15 {
		history = append(history, evs[1], evs[2], evs[3])
	}
	for _, side := range []struct {
		name  string
		store func(eventstore.Store) eventstore.Store
	}{
		{"clear", func(s eventstore.Store) eventstore.Store { return s }},
		{"sealed", func(s eventstore.Store) eventstore.Store { return newStore(s, seal.NewMemKeyStore(), kek(b, 3)) }},
	} {
		store := side.store(memstore.New(nil))
		l := ledger.Ledger{Store: store}
		if _, err := l.Append(ctx, id.StreamID(), eventstore.NoStream, meta(), history, nil); err != nil {
			b.Fatal(err)
		}
		b.Run(side.name, func(b *testing.B) {
			for b.Loop() {
				h, err := l.Load(ctx, id.StreamID(), dossier.Decode)
				if err != nil || len(h.Events) != len(history) {
					b.Fatal(err)
				}
			}
		})
	}
}
