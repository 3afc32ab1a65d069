package breach

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

var (
	now      = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	dossierA = uuid.MustParse("01890000-0000-7000-8000-00000000000a")
	dossierB = uuid.MustParse("01890000-0000-7000-8000-00000000000b")
	orgX     = uuid.MustParse("01890000-0000-7000-8000-0000000000ff")
	breachID = uuid.MustParse("01890000-0000-7000-8000-000000000b01")
)

var samples = map[string]domain.Event{
	TypeSuspected: Suspected{BreachID: breachID, What: "Máy tính xách tay chứa bản sao hồ sơ bị mất",
		DetectedAt: now.Add(-2 * time.Hour), Dossiers: []uuid.UUID{dossierA, dossierB}, Orgs: []uuid.UUID{orgX}},
}

func TestGolden(t *testing.T) {
	t.Parallel()
	if len(samples) != len(EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(EventTypes()))
	}
	for _, typ := range EventTypes() {
		got, err := json.MarshalIndent(samples[typ], "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "golden", typ+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s stored shape changed:\n got %s\nwant %s", typ, got, want)
		}
		back, err := Decode(typ, want)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := json.MarshalIndent(back, "", "  ")
		if !bytes.Equal(append(again, '\n'), want) {
			t.Errorf("%s does not decode to itself", typ)
		}
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	ok := Record{What: "Tài khoản quản trị bị lộ mật khẩu", DetectedAt: now.Add(-time.Hour), Dossiers: []uuid.UUID{dossierB, dossierA, dossierB}}
	cases := []struct {
		name   string
		edit   func(r *Record)
		fields []string // the fields named, in order; none when accepted
	}{
		{"accepted", func(*Record) {}, nil},
		{"orgs only", func(r *Record) { r.Dossiers, r.Orgs = nil, []uuid.UUID{orgX} }, nil},
		{"no what", func(r *Record) { r.What = "  " }, []string{"what"}},
		{"control character", func(r *Record) { r.What = "lộ\x1b[31m" }, []string{"what"}},
		{"too long", func(r *Record) { r.What = strings.Repeat("ả", MaxWhat+1) }, []string{"what"}},
		{"no time", func(r *Record) { r.DetectedAt = time.Time{} }, []string{"detected_at"}},
		{"in the future", func(r *Record) { r.DetectedAt = now.Add(time.Hour) }, []string{"detected_at"}},
		{"nothing affected", func(r *Record) { r.Dossiers = nil }, []string{"dossiers"}},
		{"a nil id", func(r *Record) { r.Orgs = []uuid.UUID{uuid.Nil} }, []string{"orgs/0"}},
		{"everything wrong", func(r *Record) { r.What, r.DetectedAt, r.Dossiers = "", time.Time{}, nil }, []string{"what", "detected_at", "dossiers"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := ok
			r.Dossiers = append([]uuid.UUID(nil), ok.Dossiers...)
			c.edit(&r)
			ev, err := Decide(breachID, r, now)
			if c.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				if ev.BreachID != breachID || ev.What == "" || !ev.DetectedAt.Equal(r.DetectedAt) {
					t.Errorf("event %+v", ev)
				}
				for i := 1; i < len(ev.Dossiers); i++ {
					if ev.Dossiers[i-1].String() >= ev.Dossiers[i].String() {
						t.Errorf("dossiers not sorted without repeats: %v", ev.Dossiers)
					}
				}
				return
			}
			var v *domain.ValidationError
			if !errors.As(err, &v) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("err = %v, want a validation error", err)
			}
			var got []string
			for _, p := range v.Problems {
				got = append(got, p.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("fields %v, want %v", got, c.fields)
			}
		})
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	s := Suspected{DetectedAt: time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC)}
	cases := []struct {
		p    Policy
		want []string // "to@due"
	}{
		{DefaultPolicy, []string{"authority@2026-12-07T16:30:00Z", "org@2026-12-07T16:30:00Z"}},
		{Policy{AuthorityHours: 72, OrgHours: 24}, []string{"org@2026-12-05T16:30:00Z", "authority@2026-12-07T16:30:00Z"}},
	}
	for _, c := range cases {
		var got []string
		for _, d := range Deadlines(s, c.p) {
			got = append(got, d.To+"@"+d.Due.Format(time.RFC3339))
			if d.Basis == "" {
				t.Errorf("deadline %s has no basis", d.To)
			}
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("policy %+v: %v, want %v", c.p, got, c.want)
		}
	}
}
