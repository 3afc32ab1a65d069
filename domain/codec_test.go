package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// Renamed and Noted are the events of an imagined "thing" aggregate. Renamed
// is stored as "thing.renamed.v2"; its retired v1 held one "name" field
// that v2 split into given and family names, and v0 called that field
// "title".
type Renamed struct {
	Given  string `json:"given"`
	Family string `json:"family"`
}

type Noted struct {
	Note string `json:"note"`
}

func (Renamed) EventType() string { return "thing.renamed.v2" }
func (Noted) EventType() string   { return "thing.noted.v1" }

func upcastRenamedV1(data []byte) (string, []byte, error) {
	var v1 struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &v1); err != nil {
		return "", nil, err
	}
	family, given, _ := strings.Cut(v1.Name, " ")
	b, err := json.Marshal(Renamed{Given: given, Family: family})
	return "thing.renamed.v2", b, err
}

func upcastRenamedV0(data []byte) (string, []byte, error) {
	var v0 struct {
		Title string `json:"title"`
	}
	if err := json.Unmarshal(data, &v0); err != nil {
		return "", nil, err
	}
	b, err := json.Marshal(map[string]string{"name": v0.Title})
	return "thing.renamed.v1", b, err
}

func thingCodec() domain.Codec {
	return domain.NewCodec("thing", domain.Def[Renamed](), domain.Def[Noted]()).
		WithUpcaster("thing.renamed.v1", upcastRenamedV1).
		WithUpcaster("thing.renamed.v0", upcastRenamedV0)
}

func TestCodecDecodes(t *testing.T) {
	t.Parallel()
	c := thingCodec()
	for _, tc := range []struct {
		typ, data string
		want      domain.Event
	}{
		{"thing.renamed.v2", `{"given":"Văn An","family":"Nguyễn"}`, Renamed{Given: "Văn An", Family: "Nguyễn"}},
		{"thing.noted.v1", ` {"note":"x","added_later":true} `, Noted{Note: "x"}},
		{"thing.noted.v1", `{}`, Noted{}},
		// Retired versions come back as the current type, through one
		// upcaster or a chain of them.
		{"thing.renamed.v1", `{"name":"Nguyễn Văn An"}`, Renamed{Given: "Văn An", Family: "Nguyễn"}},
		{"thing.renamed.v0", `{"title":"Trần Thị Bình"}`, Renamed{Given: "Thị Bình", Family: "Trần"}},
	} {
		got, err := c.Decode(tc.typ, []byte(tc.data))
		if err != nil || got != tc.want {
			t.Errorf("Decode(%s, %s) = %#v, %v; want %#v", tc.typ, tc.data, got, err, tc.want)
		}
	}
	if got, want := c.EventTypes(), []string{"thing.noted.v1", "thing.renamed.v2"}; !slices.Equal(got, want) {
		t.Errorf("EventTypes() = %q, want %q (current types only, sorted)", got, want)
	}
}

func TestCodecRefuses(t *testing.T) {
	t.Parallel()
	failing := thingCodec().
		WithUpcaster("thing.noted.v0", func([]byte) (string, []byte, error) {
			return "", nil, errors.New("unreadable")
		}).
		WithUpcaster("thing.lost.v1", func(data []byte) (string, []byte, error) {
			return "thing.lost.v2", data, nil
		})
	for _, tc := range []struct {
		name, typ, data string
	}{
		{"unknown type", "thing.exploded.v1", `{}`},
		{"empty type", "", `{}`},
		{"malformed", "thing.noted.v1", `{"note":`},
		{"wrong field type", "thing.noted.v1", `{"note":42}`},
		{"null", "thing.noted.v1", `null`},
		{"array", "thing.noted.v1", `[]`},
		{"empty", "thing.noted.v1", ``},
		{"trailing garbage", "thing.noted.v1", `{"note":"x"} x`},
		{"upcaster fails", "thing.noted.v0", `{}`},
		{"upcast payload malformed", "thing.renamed.v1", `{"name":`},
		{"an upcaster of a chain fails", "thing.renamed.v0", `{"title":42}`},
		{"upcast to an unknown type", "thing.lost.v1", `{}`},
	} {
		if _, err := failing.Decode(tc.typ, []byte(tc.data)); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: Decode(%q, %q) err = %v, want ErrInvalid", tc.name, tc.typ, tc.data, err)
		}
	}
}

// TestCodecCycle: upcasters that lead back to where they started fail after
// MaxUpcasts steps instead of looping, and a chain exactly MaxUpcasts long
// still decodes.
func TestCodecCycle(t *testing.T) {
	t.Parallel()
	calls := 0
	hop := func(to string) domain.Upcaster {
		return func(data []byte) (string, []byte, error) {
			calls++
			return to, data, nil
		}
	}
	c := domain.NewCodec("thing", domain.Def[Noted]()).
		WithUpcaster("thing.noted.a", hop("thing.noted.b")).
		WithUpcaster("thing.noted.b", hop("thing.noted.a"))
	_, err := c.Decode("thing.noted.a", []byte(`{}`))
	if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "steps") {
		t.Fatalf("cycle: err = %v, want ErrInvalid naming the step bound", err)
	}
	if calls != domain.MaxUpcasts {
		t.Errorf("cycle ran %d upcasters, want %d", calls, domain.MaxUpcasts)
	}

	// v100 → v101 → … → v1: exactly MaxUpcasts steps decode; one more
	// step in front (v99 → v100) is over the bound.
	long := domain.NewCodec("thing", domain.Def[Noted]())
	for i := range domain.MaxUpcasts {
		to := fmt.Sprintf("thing.noted.v%d", 101+i)
		if i == domain.MaxUpcasts-1 {
			to = "thing.noted.v1"
		}
		long = long.WithUpcaster(fmt.Sprintf("thing.noted.v%d", 100+i), hop(to))
	}
	if got, err := long.Decode("thing.noted.v100", []byte(`{"note":"n"}`)); err != nil || got != (Noted{Note: "n"}) {
		t.Fatalf("chain of %d: %#v, %v; want the Noted", domain.MaxUpcasts, got, err)
	}
	long = long.WithUpcaster("thing.noted.v99", hop("thing.noted.v100"))
	if _, err := long.Decode("thing.noted.v99", []byte(`{}`)); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "steps") {
		t.Fatalf("chain of %d: err = %v, want the step bound", domain.MaxUpcasts+1, err)
	}
}

// TestCodecCopies: WithUpcaster and WithNullAsZero leave the codec they
// were called on as it was.
func TestCodecCopies(t *testing.T) {
	t.Parallel()
	base := domain.NewCodec("thing", domain.Def[Renamed](), domain.Def[Noted]())
	_ = base.WithUpcaster("thing.renamed.v1", upcastRenamedV1)
	lenient := base.WithNullAsZero()
	if _, err := base.Decode("thing.renamed.v1", []byte(`{"name":"A B"}`)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("base decodes v1 after a copy got its upcaster: err = %v", err)
	}
	if _, err := base.Decode("thing.noted.v1", []byte(`null`)); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("base accepts null: err = %v", err)
	}
	if got, err := lenient.Decode("thing.noted.v1", []byte(` null `)); err != nil || got != (Noted{}) {
		t.Errorf("WithNullAsZero: Decode(null) = %#v, %v; want the zero Noted", got, err)
	}
	for _, data := range []string{`[]`, `nul`, `"x"`, ``} {
		if _, err := lenient.Decode("thing.noted.v1", []byte(data)); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("WithNullAsZero: Decode(%q) err = %v, want ErrInvalid", data, err)
		}
	}
}

func TestCodecPanicsOnProgrammingErrors(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"a type declared twice":      func() { domain.NewCodec("thing", domain.Def[Noted](), domain.Def[Noted]()) },
		"an upcaster from a current": func() { domain.NewCodec("thing", domain.Def[Noted]()).WithUpcaster("thing.noted.v1", upcastRenamedV1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
