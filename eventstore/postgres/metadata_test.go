package postgres

import (
	"reflect"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/eventstore"
)

var metadataSeeds = []string{
	`{"actor":{"account_id":"acc-1"},"effective_date":"2026-01-01","recorded_at":"2026-01-01T00:00:00Z"}`,
	`{"actor":{"acting_org":"org-1","name":"Nguyễn Văn Ánh","on_behalf_of":"acc-9"},"causation_id":"c","correlation_id":"k","effective_date":"2025-12-31","reason":"bổ nhiệm","recorded_at":"2026-01-01T20:04:05.123456Z","request_id":"r","source_document":{"date":"2025-12-30","issuer":"UBND","kind":"quyết định","number":"12/QĐ","sha256":"abab"}}`,
	`{"actor":{},"effective_date":"","recorded_at":"0001-01-01T00:00:00Z"}`,
	`{"actor":{"name":"tab\tquote\" back\\"},"effective_date":"2026-01-01","recorded_at":"2026-01-01T00:00:00Z"}`,
	`{"actor":{},"recorded_at":"2026-01-01T07:00:00+07:00"}`,
	`{"actor":{},"source_document":null}`,
	`{"actor":{},"extra":1}`,
	`{"actor":{},"recorded_at":"yesterday"}`,
	`{"actor":{"name":"\u00e9"}}`,
	`{"actor":{}} trailing`,
	`[]`,
	"{\"actor\":{\"name\":\"\xff\"}}",
	`{"actor":{},"effective_date":"2010-03-01","imported_from":"PMIS 2026","recorded_at":"2026-12-01T00:00:00Z"}`,
}

// TestParseMetadataShape: the fast path takes what Prepare writes and leaves
// the rest to encoding/json.
func TestParseMetadataShape(t *testing.T) {
	for i, want := range []bool{true, true, true, false, false, false, false, false, false, false, false, false, true} {
		if _, ok := parseMetadata([]byte(metadataSeeds[i])); ok != want {
			t.Errorf("parseMetadata(%s) ok = %v, want %v", metadataSeeds[i], ok, want)
		}
	}
	// What Prepare writes takes the fast path.
	ps, err := eventstore.Prepare("s", []eventstore.EventData{{Type: "a.b.v1", Data: []byte(`{}`), Meta: eventstore.Metadata{
		Actor: eventstore.Actor{Name: "Lê Thị <B> & C"}, SourceDocument: &eventstore.SourceDocument{Kind: "k"}, Reason: "r", ImportedFrom: "PMIS"}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := parseMetadata(ps[0].RawMetadata); !ok || !m.RecordedAt.Equal(ps[0].Meta.RecordedAt) || m.ImportedFrom != "PMIS" {
		t.Errorf("parseMetadata(%s) = %+v, %v; want the fast path", ps[0].RawMetadata, m, ok)
	}
}

// FuzzParseMetadata: whenever the fast path accepts input, it decodes it
// exactly as eventstore.DecodeMetadata does.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range metadataSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, ok := parseMetadata(raw)
		if !ok {
			return
		}
		slow, err := eventstore.DecodeMetadata(raw)
		if err != nil {
			t.Fatalf("fast path accepted %q, DecodeMetadata refused it: %v", raw, err)
		}
		if !fast.RecordedAt.Equal(slow.RecordedAt) || fast.RecordedAt.Location() != slow.RecordedAt.Location() {
			t.Fatalf("%q: RecordedAt %v, DecodeMetadata %v", raw, fast.RecordedAt, slow.RecordedAt)
		}
		fast.RecordedAt, slow.RecordedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v, DecodeMetadata %+v", raw, fast, slow)
		}
	})
}
