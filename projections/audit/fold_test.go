package audit_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/projections/audit"
)

// TestFastPathHolds checks, on every state every dossier of the world went
// through, that the snapshot restates faithfully (so the projection folds
// from it instead of the history) and that the section-wise diff the trail
// stores is dossier.Diff's.
func TestFastPathHolds(t *testing.T) {
	t.Parallel()
	w := buildWorld(t)
	for _, id := range []domain.DossierID{w.an, w.binh, w.chi} {
		h := w.load(id.StreamID(), dossier.Decode).Events
		var prev dossier.Document
		for n := 1; n <= len(h); n++ {
			d, err := dossier.Replay(h[:n])
			if err != nil {
				t.Fatal(err)
			}
			doc := d.Document()
			if !audit.VerifyRestate(doc) {
				t.Errorf("%s after version %d (%s): the snapshot does not restate", id, n, h[n-1].Event.EventType())
			}
			if n > 1 {
				got, want := audit.SparseDiff(prev, doc), dossier.Diff(prev, doc)
				if want == nil {
					want = []dossier.FieldChange{}
				}
				if !reflect.DeepEqual(got, want) {
					g, _ := json.Marshal(got)
					x, _ := json.Marshal(want)
					t.Errorf("%s version %d: diff = %s, want %s", id, n, g, x)
				}
			}
			prev = doc
		}
	}
}
