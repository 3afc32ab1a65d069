package canonjson_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/hoso-ledger/hoso/internal/canonjson"
)

// samples are JSON texts of every shape the fast path meets, and the ones
// it declines; each must come out exactly as jcs writes it.
var samples = []string{
	`{}`, `[]`, `""`, `0`, `-1`, `true`, `null`, `[1,2,3]`,
	`{"b":1,"a":2}`,
	`{ "z" : [ 1 , { "y": null, "x": false } ] , "a" : "x" }`,
	`{"format":"hoso-approval-manifest/v1","count":2,"events":[{"event_id":"0192f0a0","stream_id":"dossier-1","flags":["carried_over"]}]}`,
	`{"note":"hoso.test/cmd\n42\nAAAA=\n\n— hoso.test/cmd abc=\n"}`,
	`{"s":"Nguyễn Văn An <b>&amp;</b> \"quoted\" back\\slash tab\t cr\r ff\f bs\b nul\u0000 \u001f del\u007f"}`,
	`{"s":"\u2028 and \u2029 and \/ slash"}`,
	`{"s":"\ud83d\ude00 emoji and 😀 raw"}`,
	// Keys ordered by UTF-16 code units: a supplementary character sorts
	// before U+E000–U+FFFF, unlike in UTF-8.
	`{"\ue000":1,"😀":2,"a":3,"é":4,"":5}`,
	`{"b":{"d":[{"f":1,"e":2}],"c":3},"a":[]}`,
	// Declined: numbers the fast path does not format, duplicates.
	`{"n":1.5,"m":1e21,"o":0.000001,"p":-0}`,
	`{"big":12345678901234567890}`,
	`{"a":1,"a":2}`,
	`{"n":1E2}`,
}

func TestMatchesJCS(t *testing.T) {
	t.Parallel()
	for _, s := range samples {
		want, wantErr := jcs.Transform([]byte(s))
		got, err := canonjson.Canonicalize([]byte(s))
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("Canonicalize(%s)\n = %s, %v\nwant %s, %v", s, got, err, want, wantErr)
		}
	}
}

// TestMarshalMatchesJCS: Marshal of Go values (HTML characters, U+2028,
// byte slices, times, maps with non-ASCII keys, nested structs in
// declaration order) is jcs over encoding/json's output.
func TestMarshalMatchesJCS(t *testing.T) {
	t.Parallel()
	type inner struct {
		Zeta  string            `json:"zeta"`
		Alpha []byte            `json:"alpha"`
		Map   map[string]int    `json:"map"`
		Raw   json.RawMessage   `json:"raw,omitempty"`
		When  time.Time         `json:"when"`
		Sub   []inner           `json:"sub,omitempty"`
		Tags  map[string]string `json:"tags,omitempty"`
	}
	v := inner{
		Zeta: "<script>&\u2028\u2029 Hồ sơ cán bộ\x01", Alpha: []byte{0, 1, 2, 250, 251, 252},
		Map:  map[string]int{"ư": 1, "u": 2, "\U0001F600": 3, "\uFB01": 4},
		Raw:  json.RawMessage(`{ "b" : 2, "a" : [ 1, 2 ] }`),
		When: time.Date(2026, 12, 7, 9, 30, 0, 123456789, time.FixedZone("ICT", 7*3600)),
		Sub:  []inner{{Zeta: "x", When: time.Unix(0, 0).UTC()}},
		Tags: map[string]string{"q\"uote": "a\\b"},
	}
	got, err := canonjson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want, err := jcs.Transform(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal =\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(string(got), "<script>&\u2028") {
		t.Errorf("HTML characters or U+2028 escaped: %s", got)
	}
}

// FuzzMatchesJCS: for any valid JSON, Canonicalize is jcs.Transform.
func FuzzMatchesJCS(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		want, wantErr := jcs.Transform(b)
		got, err := canonjson.Canonicalize(b)
		if (err != nil) != (wantErr != nil) || (err == nil && !bytes.Equal(got, want)) {
			t.Fatalf("Canonicalize(%q) = %q, %v; jcs %q, %v", b, got, err, want, wantErr)
		}
	})
}

func BenchmarkCanonicalize(b *testing.B) {
	type ev struct {
		ID   string `json:"event_id"`
		Data []byte `json:"data"`
		Hash string `json:"hash"`
		Note string `json:"note"`
	}
	evs := make([]ev, 10000)
	for i := range evs {
		evs[i] = ev{ID: "0192f0a0-0000-7000-8000-00000000000a", Data: bytes.Repeat([]byte("hồ sơ "), 100), Hash: strings.Repeat("ab", 32), Note: "a\nb"}
	}
	raw, _ := json.Marshal(map[string]any{"events": evs})
	b.SetBytes(int64(len(raw)))
	b.Run("canonjson", func(b *testing.B) {
		for b.Loop() {
			if _, err := canonjson.Canonicalize(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jcs", func(b *testing.B) {
		for b.Loop() {
			if _, err := jcs.Transform(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
