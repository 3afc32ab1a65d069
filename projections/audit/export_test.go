package audit

import (
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// SparseDiff is the diff the projection stores.
func SparseDiff(before, after dossier.Document) []dossier.FieldChange {
	out, err := diff(&before, &after, nil)
	if err != nil {
		panic(err)
	}
	return out
}

// DiffOf is the diff the projection stores for the document that event e
// turned before into after: only the sections e can touch are compared.
func DiffOf(before, after dossier.Document, e domain.Event) []dossier.FieldChange {
	out, err := diff(&before, &after, touchedBy(e))
	if err != nil {
		panic(err)
	}
	return out
}

// NewLagging returns the projection with snapshot rows written once they lag
// the trail by every events, and no cache between batches when cold, so
// tests reach the catch-up path.
func NewLagging(every int, cold bool) *Projection {
	p := New()
	p.every = uint64(every)
	if cold {
		p.limit = 0
	}
	return p
}
