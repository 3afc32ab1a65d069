package reservation

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
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

var update = flag.Bool("update", false, "rewrite testdata/golden and the fuzz seeds from the samples")

// samples holds one filled-in event per stored type; the golden files pin
// their JSON so a renamed field or tag fails here before it reaches history.
var samples = map[string]domain.Event{
	TypeClaimed:  Claimed{Holder: "dossier-0190a000-0000-7000-8000-000000000001"},
	TypeReleased: Released{Holder: "dossier-0190a000-0000-7000-8000-000000000001"},
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
		{"reservation.claimed.v9", `{}`},
		{"", `{}`},
		{"dossier.created.v1", `{}`},
		{TypeClaimed, `{"holder": 7}`},
		{TypeReleased, `[`},
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

func TestReplay(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	at := func(when time.Time, e domain.Event) domain.Recorded {
		return domain.Recorded{Event: e, Meta: domain.Meta{RecordedAt: when}}
	}
	tests := []struct {
		name   string
		events []domain.Recorded
		want   State
	}{
		{"never claimed", nil, State{}},
		{"claimed", []domain.Recorded{at(t1, Claimed{"dossier-a"})}, State{Holder: "dossier-a", Since: t1}},
		{"released by its holder", []domain.Recorded{at(t1, Claimed{"dossier-a"}), at(t2, Released{"dossier-a"})}, State{}},
		{"claimed again after a release", []domain.Recorded{at(t1, Claimed{"dossier-a"}), at(t1, Released{"dossier-a"}), at(t2, Claimed{"dossier-b"})}, State{Holder: "dossier-b", Since: t2}},
		// A release by a former holder that lost the race to a new claim
		// does not free the key.
		{"released by another", []domain.Recorded{at(t1, Claimed{"dossier-a"}), at(t2, Released{"dossier-b"})}, State{Holder: "dossier-a", Since: t1}},
		// A retried claim counts from its latest recording.
		{"claimed twice by one holder", []domain.Recorded{at(t1, Claimed{"dossier-a"}), at(t2, Claimed{"dossier-a"})}, State{Holder: "dossier-a", Since: t2}},
	}
	for _, tt := range tests {
		if got := Replay(tt.events); got != tt.want {
			t.Errorf("%s: Replay = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// Stream names are stored history: a changed digest would orphan every
// existing reservation and let a second dossier claim a number.
func TestStreamNamesNeverChange(t *testing.T) {
	t.Parallel()
	key := []byte("test-secret-for-personal-id-hmac")
	for _, c := range []struct{ got, want string }{
		{PersonalIDStream(key, "001090000001"), "pid-789359ede404bd1a412b3f3f44c663dade8f5e3cf45f87847235c83aba331780"},
		{PersonalIDDigest(key, "001090000001"), "789359ede404bd1a412b3f3f44c663dade8f5e3cf45f87847235c83aba331780"},
		{UsernameStream("pheduyet.soyte"), "username-pheduyet.soyte"},
	} {
		if c.got != c.want {
			t.Errorf("stream name = %s, want %s", c.got, c.want)
		}
	}
	if PersonalIDStream([]byte("another-deployment-secret-32byte"), "001090000001") == PersonalIDStream(key, "001090000001") {
		t.Error("two keys give the same stream")
	}
}

func TestOIDCSubjectStream(t *testing.T) {
	t.Parallel()
	a := OIDCSubjectStream("https://sso.example/realms/a", "42")
	tests := []struct {
		issuer, subject string
		same            bool
	}{
		{"https://sso.example/realms/a", "42", true},
		{"https://sso.example/realms/a/", "42", false},
		{"https://sso.example/realms/b", "42", false},
		{"https://sso.example/realms/a", "43", false},
	}
	for _, tt := range tests {
		if got := OIDCSubjectStream(tt.issuer, tt.subject); (got == a) != tt.same {
			t.Errorf("OIDCSubjectStream(%q, %q) = %s; same as the first = %v, want %v", tt.issuer, tt.subject, got, got == a, tt.same)
		}
	}
	if len(a) != len("oidc-")+64 {
		t.Errorf("OIDCSubjectStream = %q, want oidc- and 64 hex digits", a)
	}
}
