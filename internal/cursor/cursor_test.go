package cursor_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/hoso-ledger/hoso/internal/cursor"
)

type key struct {
	Name string `json:"n,omitempty"`
	ID   int64  `json:"i"`
}

func TestRoundTrip(t *testing.T) {
	for _, k := range []key{{ID: 1}, {Name: "Nguyễn Văn A", ID: 1 << 62}, {Name: `"|/+=`, ID: -3}} {
		s := cursor.Encode("test.list", k)
		var got key
		if err := cursor.Decode(s, "test.list", &got); err != nil || got != k {
			t.Errorf("Decode(Encode(%+v)) = %+v, %v; want %+v", k, got, err, k)
		}
		if _, err := base64.RawURLEncoding.DecodeString(s); err != nil {
			t.Errorf("Encode(%+v) = %q is not unpadded base64url: %v", k, s, err)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, s := range map[string]string{
		"empty":           "",
		"not base64":      "not a cursor!",
		"padded":          b64(`{"v":1,"k":"test.list","p":{"i":1}}`) + "==",
		"not JSON":        b64("c1|2026-01-01|x"),
		"another list":    cursor.Encode("other.list", key{ID: 1}),
		"another version": b64(`{"v":2,"k":"test.list","p":{"i":1}}`),
		"no version":      b64(`{"k":"test.list","p":{"i":1}}`),
		"no key":          b64(`{"v":1,"k":"test.list"}`),
		"unknown field":   b64(`{"v":1,"k":"test.list","p":{"i":1,"x":2}}`),
		"wrong type":      b64(`{"v":1,"k":"test.list","p":{"i":"1"}}`),
		"trailing data":   b64(`{"v":1,"k":"test.list","p":{"i":1}} {}`),
		"envelope field":  b64(`{"v":1,"k":"test.list","p":{"i":1},"z":0}`),
	} {
		var k key
		if err := cursor.Decode(s, "test.list", &k); !errors.Is(err, cursor.ErrInvalid) {
			t.Errorf("%s: Decode(%q) = %v, want ErrInvalid", name, s, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(cursor.Encode("test.list", key{Name: "a", ID: 7}))
	f.Add("")
	f.Add("eyJzIjowfQ")
	f.Fuzz(func(t *testing.T, s string) {
		var k key
		if err := cursor.Decode(s, "test.list", &k); err != nil {
			if !errors.Is(err, cursor.ErrInvalid) {
				t.Fatalf("Decode(%q) = %v, not ErrInvalid", s, err)
			}
			return
		}
		var again key
		if err := cursor.Decode(cursor.Encode("test.list", k), "test.list", &again); err != nil || again != k {
			t.Fatalf("re-encoding %+v: %+v, %v", k, again, err)
		}
	})
}

func ExampleEncode() {
	type afterID struct {
		ID int64 `json:"i"`
	}
	next := cursor.Encode("reads", afterID{ID: 42})
	var k afterID
	if err := cursor.Decode(next, "reads", &k); err != nil {
		panic(err)
	}
	fmt.Println(k.ID)
	// Output: 42
}
