package seal

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

var fuzzPaths = [][]string{
	{"personal_id_number"},
	{"identity", "ethnicity"},
	{"patch", "health"},
	{"patch", "rows", "*", "family"},
}

// FuzzSealRoundTrip: whatever JSON object a payload is, sealing then
// opening it gives the same JSON value back, and opening bytes that were
// not sealed by the key fails without panicking.
func FuzzSealRoundTrip(f *testing.F) {
	for _, s := range []string{
		`{"personal_id_number":"079080999001","identity":{"birth_name":"A","ethnicity":"54"}}`,
		`{"patch":{"health":{"status":"x"},"rows":[{"table":"work_history"},{"table":"family","family":{"name":"B"}}]}}`,
		`{"patch":{"rows":[]}}`, `{"identity":null}`, `{}`, `{"patch":{"rows":{"0":{"family":1}}}}`,
	} {
		f.Add([]byte(s))
	}
	k, err := newDataKey(bytes.Repeat([]byte{9}, DataKeySize))
	if err != nil {
		f.Fatal(err)
	}
	t := newTrie(fuzzPaths)
	f.Fuzz(func(tt *testing.T, payload []byte) {
		var want map[string]any
		if json.Unmarshal(payload, &want) != nil || want == nil {
			return
		}
		if _, ok := want[SealedMember]; ok {
			return
		}
		sealed, did, err := sealMembers(k, []byte("aad"), payload, t)
		if err != nil {
			return // a payload with duplicate keys and the like: refused, not lost
		}
		opened := sealed
		if did {
			if opened, err = openMembers(k, []byte("aad"), sealed); err != nil {
				tt.Fatalf("open(seal(%s)): %v", payload, err)
			}
		}
		var got map[string]any
		if err := json.Unmarshal(opened, &got); err != nil || !reflect.DeepEqual(got, want) {
			tt.Fatalf("round trip of %s = %s (%v)", payload, opened, err)
		}
		if did {
			// The fast opening gives what decoding the whole payload gave.
			ref, err := openMembersByMap(k, []byte("aad"), sealed)
			if err != nil || !bytes.Equal(ref, opened) {
				tt.Fatalf("open(seal(%s)) = %s, the map decoder gives %s (%v)", payload, opened, ref, err)
			}
		}
		_, _ = openMembers(k, []byte("other aad"), sealed)
		_, _ = openMembers(k, []byte("aad"), payload)
		// Opening never panics on a payload that is not what sealing writes.
		_, _ = openMembers(k, []byte("aad"), append([]byte(`{"$sealed":"v1.AAAA",`), payload[min(1, len(payload)):]...))
	})
}

// FuzzSplitObject: the fast splitter agrees with encoding/json on the
// members of any object encoding/json accepts without duplicate keys.
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}], "d\"x":"\\"} `, `{"a":{"b":"]"},"c":null}`, `[1]`, `{"a"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := splitObject(b, nil)
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			return // splitObject may accept what the decoder refuses; it only cuts
		}
		if err != nil {
			t.Fatalf("splitObject(%s): %v", b, err)
		}
		if len(got) != len(want) {
			return // duplicate keys
		}
		for _, m := range got {
			var key string
			if err := json.Unmarshal(append(append([]byte{'"'}, m.key...), '"'), &key); err != nil {
				t.Fatalf("key %s: %v", m.key, err)
			}
			if w, ok := want[key]; !ok || !bytes.Equal(bytes.TrimSpace(w), m.value) {
				t.Fatalf("splitObject(%s): %s = %s, want %s", b, key, m.value, w)
			}
		}
	})
}

// BenchmarkOpen is the cost of opening one sealed dossier event against
// reading it as it is (the store's work before dossier.Decode).
func BenchmarkOpen(b *testing.B) {
	k, err := newDataKey(bytes.Repeat([]byte{9}, DataKeySize))
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"patch":{"health":{"status":"Viêm gan B","height_cm":170},"identity":{"birth_name":"Nguyễn Văn An","ethnicity":"01","religion":"none","gender":"male","date_of_birth":"1980-02-03","place_of_birth":{"place":"01001","detail":"thôn 1"}},"rows":[{"table":"family","family":{"id":"0190a000-0000-7000-8000-0000000000f1","name":"Lê Thị Hiền","relation":"mẹ","birth_year":1955}}]}}`)
	paths := [][]string{{"patch", "health"}, {"patch", "identity", "ethnicity"}, {"patch", "identity", "religion"}, {"patch", "rows", "*", "family"}}
	sealed, _, err := sealMembers(k, []byte("aad"), payload, newTrie(paths))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("seal", func(b *testing.B) {
		t := newTrie(paths)
		for b.Loop() {
			if _, _, err := sealMembers(k, []byte("aad"), payload, t); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			if _, err := openMembers(k, []byte("aad"), sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open-by-map", func(b *testing.B) {
		for b.Loop() {
			if _, err := openMembersByMap(k, []byte("aad"), sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-baseline", func(b *testing.B) {
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(payload, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
