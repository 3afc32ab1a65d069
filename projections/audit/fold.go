package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// dossierState is one row of the snapshot side table, in memory for the
// length of a batch (its document is also cached between batches, see
// Projection.cache).
type dossierState struct {
	id      domain.DossierID
	version uint64           // stream version of the last event folded in; 0: no row yet
	doc     dossier.Document // the document as of version

	// history is the dossier's whole recorded history, loaded only when a
	// step cannot be taken from the snapshot alone (a correction); events
	// of the batch are appended as they are folded. haveHistory says it is
	// complete.
	history     []domain.Recorded
	haveHistory bool
	dirty       bool
}

// catchUp folds into the snapshot the events the trail holds beyond it
// (the snapshot table lags; see snapshotEvery). The history is loaded then.
func (st *loadedState) catchUp() error {
	if st.version >= st.trail {
		return nil
	}
	if !st.haveHistory {
		return fmt.Errorf("audit: dossier %s: history not loaded to catch up from version %d to %d", st.id, st.version, st.trail)
	}
	i := 0
	for i < len(st.history) && st.history[i].Version <= st.version {
		i++
	}
	tail := slices.Clone(st.history[i:])
	st.history = st.history[:i]
	for _, r := range tail {
		if st.version > 0 && r.Version > st.version+1 {
			st.version = r.Version - 1 // events of types this release does not know changed nothing it knows
		}
		if _, err := st.step(r); err != nil {
			return err
		}
	}
	st.version = st.trail
	return nil
}

// stepResult is what folding one event produced.
type stepResult struct {
	before, after dossier.Document
	created       bool
}

// step folds r (the next event of the dossier's stream) into st and
// returns the document before and after: one event onto the document with
// dossier.Next, or, for a correction, the history with dossier.Replay.
func (st *dossierState) step(r domain.Recorded) (stepResult, error) {
	if st.version == 0 {
		if _, ok := r.Event.(dossier.Created); !ok || r.Version != 1 {
			return stepResult{}, fmt.Errorf("audit: dossier %s: first event is %s at version %d, not %s at version 1",
				st.id, r.Event.EventType(), r.Version, dossier.TypeCreated)
		}
		d, err := dossier.Replay([]domain.Recorded{r})
		if err != nil {
			return stepResult{}, err
		}
		// A dossier created in this batch has its whole history in memory.
		st.history, st.haveHistory = []domain.Recorded{r}, true
		st.doc, st.version, st.dirty = d.Document(), r.Version, true
		return stepResult{after: st.doc, created: true}, nil
	}
	if r.Version != st.version+1 {
		return stepResult{}, fmt.Errorf("audit: dossier %s: event at version %d after version %d: a gap in the stream", st.id, r.Version, st.version)
	}
	before := st.doc
	if after, ok := dossier.Next(before, r); ok {
		if st.haveHistory {
			st.history = append(st.history, r)
		}
		st.doc, st.version, st.dirty = after, r.Version, true
		return stepResult{before: before, after: after}, nil
	}
	// A correction: its effect depends on the history.
	if !st.haveHistory {
		return stepResult{}, fmt.Errorf("audit: dossier %s: history not loaded for %s", st.id, r.Event.EventType())
	}
	d, err := dossier.Replay(append(st.history, r))
	if err != nil {
		return stepResult{}, fmt.Errorf("audit: folding %s into dossier %s: %w", r.Event.EventType(), st.id, err)
	}
	st.history = append(st.history, r)
	after := d.Document()
	st.doc, st.version, st.dirty = after, r.Version, true
	return stepResult{before: before, after: after}, nil
}

// diff lists the field-level changes from before to after exactly as
// dossier.Diff does (same JSON-pointer paths, same JSON values, sorted by
// path), but only over the top-level sections that differ: most events
// touch one section of a large document, and dossier.Diff, which marshals
// and re-parses two whole documents, was half the CPU of a rebuild.
// Sections equal by reflect.DeepEqual have equal JSON and so contribute no
// change to dossier.Diff either; inside a changed section the comparison is
// dossier.Diff's. TestFastPathHolds holds the two equal on every state of
// the test histories, so a change to dossier.Diff's format shows there.
//
// touched, when not nil, lists the sections (by sectionNames) the event
// can have changed (see touchedBy); the others are not compared.
//
// The documents are taken by pointer: reflect makes what it is given
// escape, and two documents copied to the heap on every event were the
// largest allocation of the trail's fold.
func diff(before, after *dossier.Document, touched []bool) ([]dossier.FieldChange, error) {
	out := []dossier.FieldChange{}
	// Sections are compared through pointers: DeepEqual compares what they
	// point at, and boxing each section by value copied it first.
	bv, av := reflect.ValueOf(before).Elem(), reflect.ValueOf(after).Elem()
	for i, name := range sectionNames {
		if name == "" || (touched != nil && !touched[i]) {
			continue
		}
		fx, fy := bv.Field(i), av.Field(i)
		if reflect.DeepEqual(fx.Addr().Interface(), fy.Addr().Interface()) {
			continue
		}
		if fx.Kind() == reflect.Slice && !fx.IsNil() && !fy.IsNil() {
			if err := diffRows("/"+dossier.EscapePointer(name), fx, fy, &out); err != nil {
				return nil, err
			}
			continue
		}
		a, err := jsonValue(fx.Interface())
		if err != nil {
			return nil, err
		}
		b, err := jsonValue(fy.Interface())
		if err != nil {
			return nil, err
		}
		dossier.DiffValues("/"+dossier.EscapePointer(name), a, b, &out)
	}
	slices.SortStableFunc(out, func(a, b dossier.FieldChange) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// diffRows is dossier.DiffValues of two tables (non-nil slices: JSON arrays) taken
// row by row: a JSON array is its elements' JSON in order, so comparing
// element i of both is what DiffValues does, and rows equal by
// reflect.DeepEqual have equal JSON and no change. Only the rows that
// differ are encoded: an event adds or changes one row of a table that
// grows over a career, and encoding the whole table twice per event was
// most of a rebuild's CPU.
func diffRows(path string, before, after reflect.Value, out *[]dossier.FieldChange) error {
	for i := range max(before.Len(), after.Len()) {
		p := path + "/" + strconv.Itoa(i)
		switch {
		case i < before.Len() && i < after.Len():
			x, y := before.Index(i), after.Index(i)
			if reflect.DeepEqual(x.Addr().Interface(), y.Addr().Interface()) {
				continue
			}
			a, err := jsonValue(x.Interface())
			if err != nil {
				return err
			}
			b, err := jsonValue(y.Interface())
			if err != nil {
				return err
			}
			dossier.DiffValues(p, a, b, out)
		case i < before.Len():
			a, err := jsonValue(before.Index(i).Interface())
			if err != nil {
				return err
			}
			*out = append(*out, dossier.FieldChange{Path: p, Before: a, After: nil})
		default:
			b, err := jsonValue(after.Index(i).Interface())
			if err != nil {
				return err
			}
			*out = append(*out, dossier.FieldChange{Path: p, Before: nil, After: b})
		}
	}
	return nil
}

// sectionNames are the JSON names of dossier.Document's fields, by index
// ("" for a field JSON leaves out).
var sectionNames = func() []string {
	t := reflect.TypeFor[dossier.Document]()
	names := make([]string, t.NumField())
	for i := range names {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
		case name == "":
			names[i] = f.Name
		default:
			names[i] = name
		}
	}
	return names
}()

// sectionIndex is the index in sectionNames of each JSON section name.
var sectionIndex = func() map[string]int {
	m := make(map[string]int, len(sectionNames))
	for i, n := range sectionNames {
		if n != "" {
			m[n] = i
		}
	}
	return m
}()

// touchedBy marks, by sectionNames, the sections dossier.Touches names
// for e; nil for "any" (or a name this reader does not know).
func touchedBy(e domain.Event) []bool {
	names, all := dossier.Touches(e)
	if all {
		return nil
	}
	t := make([]bool, len(sectionNames))
	for _, name := range names {
		i, ok := sectionIndex[name]
		if !ok {
			return nil
		}
		t[i] = true
	}
	return t
}

// jsonValue is v's JSON form as generic values, numbers kept exact.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: encoding a section: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("audit: encoding a section: %w", err)
	}
	return out, nil
}

// creationDiff lists every field a creation set: the changes from an empty
// document, with no "before" (nothing existed).
func creationDiff(after dossier.Document) []dossier.FieldChange {
	out := dossier.Diff(dossier.Document{}, after)
	for i := range out {
		out[i].Before = nil
	}
	return slices.DeleteFunc(out, func(c dossier.FieldChange) bool { return empty(c.After) })
}

// empty reports whether a JSON value carries nothing: null, [] or {}.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// corrects is the id of the event r corrects, or uuid.Nil.
func corrects(r domain.Recorded) uuid.UUID {
	if c, ok := r.Event.(dossier.Corrected); ok {
		return c.Corrects
	}
	return uuid.Nil
}
