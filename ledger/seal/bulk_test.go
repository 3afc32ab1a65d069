package seal_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/ledger"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// A bulk creation seals exactly as Append does: the stored bytes of a
// dossier written by AppendNewStreams are those one Append writes (the
// nonce is synthetic, so sealing is deterministic), streams outside the
// prefix pass in clear, and the events open on every read.
func TestAppendNewStreamsSeals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keys := seal.NewMemKeyStore()
	w := kek(t, 1)
	bulkInner, oneInner := memstore.New(nil), memstore.New(nil)
	bulk, one := newStore(bulkInner, keys, w), newStore(oneInner, keys, w)

	id := domain.DossierID(uuid.MustParse("0190a000-0000-7000-8000-0000000000b1"))
	want := events(id)
	ids := make([]uuid.UUID, len(want))
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	data, err := ledger.EventData(want, meta(), ids)
	if err != nil {
		t.Fatal(err)
	}
	claim := []eventstore.EventData{{ID: uuid.Must(uuid.NewV7()), Type: "test.claimed.v1", Data: []byte(`{"holder":"` + secrets[0] + `"}`)}}
	if _, err := eventstore.AppendNewStreams(ctx, bulk, []eventstore.NewStream{
		{Stream: "pid-x", Events: claim}, {Stream: id.StreamID(), Events: data},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Append(ctx, id.StreamID(), eventstore.NoStream, data...); err != nil {
		t.Fatal(err)
	}
	got, err := bulkInner.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := oneInner.ReadStream(ctx, id.StreamID(), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		for _, v := range secrets {
			if bytes.Contains(got[i].Data, []byte(v)) {
				t.Errorf("stored %s holds %q in clear", got[i].Type, v)
			}
		}
		if got[i].Hash != ref[i].Hash || !bytes.Equal(got[i].Data, ref[i].Data) {
			t.Errorf("%s: bulk stored other bytes than Append", got[i].Type)
		}
	}
	pid, err := bulkInner.ReadStream(ctx, "pid-x", eventstore.ReadOptions{})
	if err != nil || !bytes.Equal(pid[0].Data, claim[0].Data) {
		t.Errorf("a stream outside the prefix was changed: %v", err)
	}
	h, err := ledger.Ledger{Store: bulk}.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range h.Events {
		if !reflect.DeepEqual(r.Event, want[i]) {
			t.Errorf("event %d read back = %#v, want %#v", i, r.Event, want[i])
		}
	}
}
