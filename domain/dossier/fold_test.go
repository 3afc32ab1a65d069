package dossier

import (
	"errors"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// checkFold folds h one event at a time with Fold into one dossier
// (replaying where Fold refuses: the creation, a correction) and wants
// what Replay gives after every event, everything a reader sees included.
func checkFold(t *testing.T, h []domain.Recorded) {
	t.Helper()
	var d *Dossier
	for k, r := range h {
		want := mustReplay(t, h[:k+1])
		_, corr := r.Event.(Corrected)
		switch err := func() error {
			if d == nil {
				return errors.New("no dossier yet")
			}
			return d.Fold(r)
		}(); {
		case k == 0 || corr:
			if err == nil {
				t.Fatalf("Fold accepted %s, which needs the history", r.Event.EventType())
			}
			d = want
		case err != nil:
			t.Fatalf("Fold refused %s at version %d: %v", r.Event.EventType(), r.Version, err)
		}
		if got, w := snapshot(t, d), snapshot(t, want); got != w {
			t.Fatalf("after %s at version %d, Fold gives\n%s\nReplay gives\n%s", r.Event.EventType(), r.Version, got, w)
		}
		for _, e := range h[:k+1] {
			if !d.HasEvent(e.ID) {
				t.Fatalf("after version %d the folded dossier lacks event %s", r.Version, e.ID)
			}
		}
	}
}

// TestFoldRefuses: the creation, a correction, no event, and a version not
// after the dossier's are refused as invalid, and leave the dossier as it
// was.
func TestFoldRefuses(t *testing.T) {
	t.Parallel()
	h := given(created(), SectionUpdated{Patch: Patch{Position: &Position{Current: "chuyen_vien_tong_hop"}}})
	row := RowAdded{Row: Row{Table: TableFamily, Family: &FamilyRow{ID: id(500), Side: FamilyOwn, Relation: "mẹ", Name: "Trần Thị Bình", BirthYear: 1965}}}
	for _, c := range []struct {
		name string
		r    domain.Recorded
	}{
		{"creation", domain.Recorded{ID: id(501), Version: 3, Event: created(), Meta: meta()}},
		{"correction", domain.Recorded{ID: id(502), Version: 3, Event: Corrected{Corrects: eventID(1)}, Meta: meta()}},
		{"no event", domain.Recorded{ID: id(503), Version: 3, Meta: meta()}},
		{"same version", domain.Recorded{ID: id(504), Version: 2, Event: row, Meta: meta()}},
		{"older version", domain.Recorded{ID: id(505), Version: 1, Event: row, Meta: meta()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := mustReplay(t, h)
			before := snapshot(t, d)
			if err := d.Fold(c.r); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("Fold: %v, want ErrInvalid", err)
			}
			if snapshot(t, d) != before || d.HasEvent(c.r.ID) {
				t.Error("a refused Fold changed the dossier")
			}
		})
	}
	d := mustReplay(t, h)
	if err := d.Fold(domain.Recorded{ID: id(506), Version: 3, Event: row, Meta: meta()}); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, d), snapshot(t, mustReplay(t, append(h, domain.Recorded{ID: id(506), Version: 3, Event: row, Meta: meta()}))); got != want {
		t.Errorf("Fold gives %s, Replay %s", got, want)
	}
}
