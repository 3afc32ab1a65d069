package dossier

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// FuzzDecode checks that Decode never panics, fails only with ErrInvalid,
// reads back what it writes (marshal∘decode is a fixed point), and that any
// event it accepts folds onto a dossier without panicking. Seeds: the
// golden samples here plus testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for name, ev := range samples() {
		data, err := json.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, data)
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		ev, err := Decode(typ, data)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Decode error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if ev.EventType() != typ {
			t.Fatalf("Decode(%q) gave a %q", typ, ev.EventType())
		}
		once, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("re-encoding a decoded %s: %v", typ, err)
		}
		back, err := Decode(typ, once)
		if err != nil {
			t.Fatalf("Decode of our own encoding %s: %v", once, err)
		}
		twice, err := json.Marshal(back)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("not a fixed point:\n%s\n%s (%v)", once, twice, err)
		}
		h := given(created(), ev)
		if _, isCreated := ev.(Created); isCreated {
			h = given(ev)
		}
		if d, err := Replay(h); err == nil {
			_ = d.Document()
			Diff(mustReplay(t, given(created())).Document(), d.Document())
		}
	})
}
