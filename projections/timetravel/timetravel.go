package timetravel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Query picks the point in time. A nil field does not filter on its axis;
// both nil is the dossier as it is now.
type Query struct {
	// KnownAt keeps the events recorded at or before this instant: what the
	// ledger knew then (the API's as_of=).
	KnownAt *time.Time
	// EffectiveOn keeps the events in effect on or before this date (a
	// correction counts from the date of the event it corrects), as known
	// now or, with KnownAt, as known then (the API's effective_on=).
	EffectiveOn *domain.Date
}

// Load folds the dossier's stream as q asks. It returns an error wrapping
// domain.ErrNotFound when the dossier does not exist, or did not yet at that
// point (created after KnownAt, or effective after EffectiveOn), and
// domain.ErrInvalid for a stream that cannot be decoded.
func Load(ctx context.Context, store eventstore.Store, id domain.DossierID, q Query) (*dossier.Dossier, error) {
	h, err := ledger.Ledger{Store: store}.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		return nil, fmt.Errorf("timetravel: %w", err)
	}
	var d *dossier.Dossier
	switch {
	case q.KnownAt != nil && q.EffectiveOn != nil:
		d, err = dossier.ReplayAt(h.Events, *q.KnownAt, *q.EffectiveOn)
	case q.KnownAt != nil:
		d, err = dossier.ReplayKnownAt(h.Events, *q.KnownAt)
	case q.EffectiveOn != nil:
		d, err = dossier.ReplayEffectiveOn(h.Events, *q.EffectiveOn)
	default:
		d, err = dossier.Replay(h.Events)
	}
	if errors.Is(err, domain.ErrNotFound) {
		return nil, fmt.Errorf("timetravel: dossier %s at that point: %w", id, err)
	}
	if err != nil {
		return nil, fmt.Errorf("timetravel: dossier %s: %w", id, err)
	}
	return d, nil
}
