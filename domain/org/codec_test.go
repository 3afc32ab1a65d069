package org

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/golden and the fuzz seeds from the samples")

// samples holds one filled-in event per stored type; the golden files pin
// their JSON so a renamed field or tag fails here before it reaches history.
var samples = map[string]domain.Event{
	TypeCreated:               Created{Org: self, Name: "Sở Nội vụ tỉnh Đồng Tháp", Code: "000.00.31.H20", Kind: KindDepartment, Level: LevelProvince, Parent: p1},
	TypeRenamed:               Renamed{Name: "Sở Nội vụ tỉnh Đồng Tháp", Code: "000.00.31.H20"},
	TypeMoved:                 Moved{Parent: p2, Previous: p1},
	TypeMerged:                Merged{Successor: s1},
	TypeSplit:                 Split{Successors: []domain.OrgID{s1, s2}},
	TypeDissolved:             Dissolved{Successor: s1, ManagedDossiers: true},
	TypeHomeAffairsDesignated: HomeAffairsDesignated{HomeAffairs: s1},
	TypeReportSubmitted:       ReportSubmitted{Kind: "report_year", Period: "2026", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
	TypeStaffingQuotaAssigned: StaffingQuotaAssigned{Year: 2026, Counts: map[QuotaCategory]int{QuotaCongChuc: 42, QuotaVienChuc: 0, QuotaContractWorkers: 6}},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	if len(samples) != len(EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(EventTypes()))
	}
	for _, typ := range EventTypes() {
		e, ok := samples[typ]
		if !ok {
			t.Fatalf("no sample for %s", typ)
		}
		if e.EventType() != typ {
			t.Fatalf("sample for %s says %s", typ, e.EventType())
		}
		got, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", typ+".json")
		if *update {
			writeFile(t, path, got)
			compact, _ := json.Marshal(e)
			seed := "go test fuzz v1\nstring(" + strconv.Quote(typ) + ")\n[]byte(" + strconv.Quote(string(compact)) + ")\n"
			writeFile(t, filepath.Join("testdata", "fuzz", "FuzzDecode", typ), []byte(seed))
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s stored shape changed:\n got %s\nwant %s", typ, got, want)
		}
		back, err := Decode(typ, want)
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Errorf("Decode(%s, golden) = %#v, %v; want %#v", typ, back, err, e)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ typ, data string }{
		{"org.created.v9", `{}`},
		{"", `{}`},
		{TypeCreated, `{"org_id": 7}`},
		{TypeCreated, `{"org_id": "not-a-uuid"}`},
		{TypeSplit, `{"successors": "x"}`},
		{TypeMerged, `[`},
	} {
		if _, err := Decode(c.typ, []byte(c.data)); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Decode(%q, %q) err = %v, want ErrInvalid", c.typ, c.data, err)
		}
	}
}

// FuzzDecode: Decode never panics, refuses only with ErrInvalid, and what
// it accepts survives an encode/decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	for typ, e := range samples {
		b, _ := json.Marshal(e)
		f.Add(typ, b)
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		e, err := Decode(typ, data)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Decode err = %v, want ErrInvalid", err)
			}
			return
		}
		if e.EventType() != typ {
			t.Fatalf("Decode(%q) gave a %s", typ, e.EventType())
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(typ, b)
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip: %#v, %v; want %#v", again, err, e)
		}
	})
}
