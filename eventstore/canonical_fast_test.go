package eventstore

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

var canonicalSeeds = []string{
	`{}`, `[]`, `{"a":[]}`, `{"a":{}}`, ` { "b" : 1 , "a" : [ 1 , 2 , { } ] } `,
	`{"ho_ten":"Nguyễn Thị Thu Hương","bac":3,"he_so_luong":4.34,"trinh_do":{"ngoai_ngu":"Tiếng Anh B2","chuyen_mon":"Thạc sĩ"},"ok":true,"x":null,"f":false}`,
	`{"n":0}`, `{"n":-0}`, `{"n":-7}`, `{"n":123456789012345}`, `{"n":1234567890123456}`, `{"n":9007199254740993}`,
	`{"n":1e3}`, `{"n":1E-7}`, `{"n":1.50}`, `{"n":-0.0}`, `{"n":[0,-1,10,1e400]}`,
	`{"a":1,"a":2}`, `{"b":1,"a":2,"b":3}`, `{"é":1,"e":2}`, `{"\u00e9":1}`, `{"a":"x\"y"}`, `{"a":"\/"}`,
	`{"z":{"y":{"x":[{"c":1,"b":2,"a":3}]}}}`, `{"ab":1,"a":2,"b":3,"":4}`,
	`{"a":"\u2028<>&"}`, `{"a":"😀","b":"\ud83d\ude00"}`, `{"a":tru}`, `{"a":1,}`, `{"a" 1}`, `{"a":[1,]}`,
}

// FuzzCanonicalFast holds the fast canonicalizer to gowebpki/jcs: whatever
// it accepts, it must write byte for byte as jcs does.
func FuzzCanonicalFast(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !utf8.Valid(raw) || !json.Valid(raw) {
			return // canonicalObject refuses these before either runs
		}
		fast, ok := canonicalFast(raw)
		if !ok {
			return
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatalf("canonicalFast(%q) = %q, but jcs refuses it: %v", raw, fast, err)
		}
		if !bytes.Equal(fast, want) {
			t.Fatalf("canonicalFast(%q) = %q, jcs %q", raw, fast, want)
		}
	})
}

// TestCanonicalFastTakesCommonPayloads: the fast path is the one appends
// take, so a change that made it decline ordinary payloads would silently
// cost the CPU it saves; and it declines what only jcs may decide.
func TestCanonicalFastTakesCommonPayloads(t *testing.T) {
	for _, s := range []string{
		canonicalSeeds[5], `{}`, ` { "b" : 1 , "a" : [ 1 , 2 , { } ] } `, `{"z":{"y":{"x":[{"c":1,"b":2,"a":3}]}}}`,
		`{"n":-7,"m":0,"l":123456789012345}`, "{\"a\":\"\u2028<>&\"}", `{"n":[1.5,1e3,-0,1234567890123456,1E-7]}`,
	} {
		if _, ok := canonicalFast([]byte(s)); !ok {
			t.Errorf("canonicalFast(%s) declined", s)
		}
	}
	for _, s := range []string{
		`{"a":1,"a":2}`, `{"b":1,"a":2,"b":3}`, `{"é":1}`, `{"a":"x\"y"}`, `{"n":1e400}`,
	} {
		if out, ok := canonicalFast([]byte(s)); ok {
			t.Errorf("canonicalFast(%s) = %s, want it left to jcs", s, out)
		}
	}
}

// metadataSlow is canonicalMetadata's definition: encoding/json, then jcs.
func metadataSlow(m Metadata) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return canonicalObjectSlow(b)
}

func canonicalObjectSlow(raw []byte) ([]byte, error) { return jcs.Transform(raw) }

// FuzzCanonicalMetadataFast holds the direct metadata writer to
// encoding/json followed by jcs, field by field.
func FuzzCanonicalMetadataFast(f *testing.F) {
	f.Add("0192f1de-7c1a-7b3e-9a55-3c2d1e0f4a6b", "Lê Văn Hùng", "org-so-noi-vu", "", "quyet_dinh", "1234/QĐ-SNV", "Sở Nội vụ", "", "req-1", int64(1751356800123456789), true, "2025-07-01")
	f.Add("", "", "", "", "", "", "", "", "", int64(0), false, "")
	f.Add("a\"b", "c\\d", "e\x01f", "\u2028", "<>&", "\xff", "x", "y", "z", int64(-62135596800000000000/1000), true, "x")
	f.Fuzz(func(t *testing.T, account, name, org, behalf, kind, number, issuer, reason, request string, nanos int64, doc bool, day string) {
		m := Metadata{
			Actor:         Actor{AccountID: account, Name: name, ActingOrg: org, OnBehalfOf: behalf},
			RecordedAt:    time.Unix(0, nanos).UTC(),
			EffectiveDate: day, Reason: reason, RequestID: request, CorrelationID: name, CausationID: org,
			ImportedFrom: number,
		}
		if doc {
			m.SourceDocument = &SourceDocument{Kind: kind, Number: number, Date: day, Issuer: issuer, SHA256: reason}
		}
		fast, ok := canonicalMetadataFast(m)
		if !ok {
			return
		}
		want, err := metadataSlow(m)
		if err != nil {
			t.Fatalf("canonicalMetadataFast(%+v) = %q, but the definition fails: %v", m, fast, err)
		}
		if !bytes.Equal(fast, want) {
			t.Fatalf("canonicalMetadataFast(%+v) = %q, want %q", m, fast, want)
		}
	})
}

func TestCanonicalMetadataFastTakesCommonMetadata(t *testing.T) {
	m := Metadata{
		Actor:          Actor{AccountID: "0192f1de-7c1a-7b3e-9a55-3c2d1e0f4a6b", Name: "Lê Văn Hùng", ActingOrg: "org-so-noi-vu"},
		RecordedAt:     time.Date(2025, 7, 1, 8, 0, 0, 123456000, time.UTC),
		EffectiveDate:  "2025-07-01",
		SourceDocument: &SourceDocument{Kind: "quyet_dinh", Number: "1234/QĐ-SNV", Date: "2025-06-20", Issuer: "Sở Nội vụ tỉnh Thái Bình"},
		RequestID:      "req-01J9Z3", CorrelationID: "corr-01J9Z3",
		ImportedFrom: "PMIS Sở Nội vụ, export of 30/11/2026",
	}
	fast, ok := canonicalMetadataFast(m)
	if !ok {
		t.Fatal("declined ordinary metadata")
	}
	if want, err := metadataSlow(m); err != nil || !bytes.Equal(fast, want) {
		t.Fatalf("got %s, want %s (%v)", fast, want, err)
	}
	m.Reason = `a "quoted" reason`
	if _, ok := canonicalMetadataFast(m); ok {
		t.Error("took a string with quotes, which it cannot write as is")
	}
	m.Reason = ""
	m.RecordedAt = m.RecordedAt.In(time.FixedZone("ICT", 7*3600))
	if _, ok := canonicalMetadataFast(m); ok {
		t.Error("took a time that is not UTC")
	}
}
