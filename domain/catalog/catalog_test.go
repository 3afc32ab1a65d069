package catalog

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seeds")

// The dossier package declares this interface; Catalog must satisfy it.
var _ interface{ Has(kind, code string) bool } = (*Catalog)(nil)

func TestDefaultHasEveryKind(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, k := range Kinds() {
		if len(c.Entries(k)) == 0 || c.KindVersion(k) == "" || c.Source(k) == "" {
			t.Errorf("%s: %d entries, version %q, source %q", k, len(c.Entries(k)), c.KindVersion(k), c.Source(k))
		}
	}
	if Default() != c {
		t.Error("Default must load once and return the same catalogue")
	}
	if v := c.Version(); !strings.Contains(v, "ethnicity@1979.03.02") || strings.Count(v, "@") != len(Kinds()) {
		t.Errorf("Version() = %q", v)
	}
}

// TestEmbeddedFilesAreNFC: the stored bytes are already canonical, so a
// diff of a data file shows real changes only.
func TestEmbeddedFilesAreNFC(t *testing.T) {
	t.Parallel()
	err := fs.WalkDir(embedded, "data", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(path)
		if err != nil {
			return err
		}
		if !norm.NFC.IsNormal(b) {
			t.Errorf("%s is not NFC", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEthnicities(t *testing.T) {
	t.Parallel()
	c := Default()
	es := c.Entries(KindEthnicity)
	if len(es) != 54 {
		t.Fatalf("%d ethnic groups, want 54", len(es))
	}
	for i, e := range es {
		if want := fmt.Sprintf("%02d", i+1); e.Code != want {
			t.Errorf("entry %d code %q, want %q", i, e.Code, want)
		}
	}
	for code, name := range map[string]string{"01": "Kinh", "02": "Tày", "04": "Hoa", "05": "Khmer", "06": "Mường", "08": "Mông", "17": "Chăm", "53": "Ơ Đu", "54": "Rơ Măm"} {
		if e, ok := c.Lookup(KindEthnicity, code); !ok || e.Name != name {
			t.Errorf("Lookup(ethnicity, %s) = %q, %v; want %q", code, e.Name, ok, name)
		}
	}
}

func TestProvincesAcrossThe2025Reform(t *testing.T) {
	t.Parallel()
	c := Default()
	var cur, old int
	reform := domain.MustDate(2025, 7, 1)
	for _, e := range c.Entries(KindPlace) {
		switch {
		case e.Group == "ward":
			if p, ok := c.Lookup(KindPlace, e.Parent); !ok || p.Code != "pre2025-01" || !e.Retired() {
				t.Errorf("ward %+v: want a retired ward of old Hà Nội", e)
			}
		case strings.HasPrefix(e.Code, "pre2025-"):
			old++
			r, ok := c.Resolve(KindPlace, e.Code)
			if !ok || r.Successor != "" || !r.InForceOn(reform) || e.InForceOn(reform) || !e.Retired() {
				t.Errorf("%s %s resolves to %+v, %v; want a province in force from 2025-07-01", e.Code, e.Name, r, ok)
			}
		default:
			cur++
			if e.Retired() || e.ValidFrom != reform || !regexp.MustCompile(`^\d\d$`).MatchString(e.Code) {
				t.Errorf("current province %+v", e)
			}
		}
	}
	if cur != 34 || old != 63 {
		t.Fatalf("%d provinces now and %d before, want 34 and 63", cur, old)
	}
	tests := []struct{ old, name, now, nowName string }{
		{"pre2025-82", "Tỉnh Tiền Giang", "82", "Tỉnh Đồng Tháp"},
		{"pre2025-87", "Tỉnh Đồng Tháp", "82", "Tỉnh Đồng Tháp"},
		{"pre2025-52", "Tỉnh Bình Định", "52", "Tỉnh Gia Lai"},
		{"pre2025-64", "Tỉnh Gia Lai", "52", "Tỉnh Gia Lai"},
		{"pre2025-25", "Tỉnh Phú Thọ", "25", "Tỉnh Phú Thọ"},
		{"pre2025-26", "Tỉnh Vĩnh Phúc", "25", "Tỉnh Phú Thọ"},
		{"pre2025-17", "Tỉnh Hòa Bình", "25", "Tỉnh Phú Thọ"},
		{"pre2025-74", "Tỉnh Bình Dương", "79", "Thành phố Hồ Chí Minh"},
		{"pre2025-01", "Thành phố Hà Nội", "01", "Thành phố Hà Nội"},
	}
	for _, tt := range tests {
		e, _ := c.Lookup(KindPlace, tt.old)
		r, ok := c.Resolve(KindPlace, tt.old)
		if e.Name != tt.name || !ok || r.Code != tt.now || r.Name != tt.nowName {
			t.Errorf("%s = %q → %s %q; want %q → %s %q", tt.old, e.Name, r.Code, r.Name, tt.name, tt.now, tt.nowName)
		}
	}
	counts := map[string]int{"25": 3, "82": 2, "52": 2, "79": 3, "92": 3, "68": 3, "37": 3, "01": 1, "46": 1}
	total := 0
	for _, e := range c.Entries(KindPlace) {
		if !strings.HasPrefix(e.Code, "pre2025-") {
			n := len(c.Predecessors(KindPlace, e.Code))
			total += n
			if want, ok := counts[e.Code]; ok && n != want {
				t.Errorf("%s %s has %d predecessors, want %d", e.Code, e.Name, n, want)
			}
			if n == 0 {
				t.Errorf("%s %s has no predecessor", e.Code, e.Name)
			}
		}
	}
	if total != 63 {
		t.Errorf("predecessors total %d, want 63", total)
	}
}

func TestRanksTitlesPositions(t *testing.T) {
	t.Parallel()
	c := Default()
	checks := []struct {
		kind    string
		min     int
		pattern string
		samples map[string]string
	}{
		{KindRank, 25, `^\d\d\.\d{3}$`, map[string]string{"01.001": "Chuyên viên cao cấp", "01.002": "Chuyên viên chính", "01.003": "Chuyên viên",
			"01.004": "Cán sự", "01.005": "Nhân viên", "04.025": "Thanh tra viên", "06.031": "Kế toán viên"}},
		{KindTitle, 25, `^V\.\d\d\.\d\d\.\d\d$`, map[string]string{"V.08.01.03": "Bác sĩ (hạng III)", "V.07.04.31": "Giáo viên trung học cơ sở hạng II",
			"V.07.01.03": "Giảng viên (hạng III)"}},
		{KindPosition, 20, `^[a-z_]+$`, map[string]string{"giam_doc_so": "Giám đốc Sở", "ke_toan": "Kế toán viên"}},
	}
	for _, ch := range checks {
		es := c.Entries(ch.kind)
		if len(es) < ch.min {
			t.Errorf("%s: %d entries, want at least %d", ch.kind, len(es), ch.min)
		}
		re := regexp.MustCompile(ch.pattern)
		for _, e := range es {
			if !re.MatchString(e.Code) || e.Group == "" {
				t.Errorf("%s: entry %+v: code must match %s and have a group", ch.kind, e, ch.pattern)
			}
		}
		for code, name := range ch.samples {
			if e, ok := c.Lookup(ch.kind, code); !ok || e.Name != name {
				t.Errorf("Lookup(%s, %s) = %q, %v; want %q", ch.kind, code, e.Name, ok, name)
			}
		}
	}
}

func TestHasLookupResolve(t *testing.T) {
	t.Parallel()
	c := Default()
	tests := []struct {
		kind, code string
		has        bool
		resolved   string
	}{
		{KindRank, "01.003", true, "01.003"},
		{KindRank, "1.003", false, ""},
		{KindRank, "", false, ""},
		{"ranks", "01.003", false, ""},
		{KindTitle, "V.07.04.11", true, "V.07.04.11"}, // retired, no automatic successor
		{KindLanguageLevel, "chung_chi_b", true, "B1"},
		{KindReligion, "none", true, "none"},
		{KindQualification, "doctorate", true, "doctorate"},
		{KindPoliticalTheory, "cao_cap", true, "cao_cap"},
		{KindStateManagement, "chuyen_vien_chinh", true, "chuyen_vien_chinh"},
		{KindAcademicTitle, "pho_giao_su", true, "pho_giao_su"},
		{KindITLevel, "co_ban", true, "co_ban"},
		{KindPlace, "pre2025-82", true, "82"},
		{KindPlace, "pre2025-99", false, ""},
	}
	for _, tt := range tests {
		if got := c.Has(tt.kind, tt.code); got != tt.has {
			t.Errorf("Has(%s, %q) = %v, want %v", tt.kind, tt.code, got, tt.has)
		}
		r, ok := c.Resolve(tt.kind, tt.code)
		if ok != tt.has || r.Code != tt.resolved {
			t.Errorf("Resolve(%s, %q) = %q, %v; want %q", tt.kind, tt.code, r.Code, ok, tt.resolved)
		}
	}
	if c.Entries("nope") != nil || c.KindVersion("nope") != "" {
		t.Error("unknown kinds must be empty")
	}
	es := c.Entries(KindRank)
	es[0].Name = "changed"
	if e, _ := c.Lookup(KindRank, es[0].Code); e.Name == "changed" {
		t.Error("Entries must return a copy")
	}
	if e, _ := c.Lookup(KindRank, "01.003"); e.Kind != KindRank {
		t.Errorf("entry kind = %q", e.Kind)
	}
}

const overrideRank = `{"kind": "rank", "version": "2026.01.01", "source": "Sở Nội vụ",
 "entries": [{"code": "01.003", "name": "Chuyên viên"}, {"code": "99.001", "name": "Ngạch thu\u0300", "successor": "01.003"}]}`

func TestParseOverrides(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(overrideRank))
	if err != nil {
		t.Fatal(err)
	}
	if c.KindVersion(KindRank) != "2026.01.01" || len(c.Entries(KindRank)) != 2 || c.Has(KindRank, "01.001") {
		t.Errorf("rank not replaced: %s %d", c.KindVersion(KindRank), len(c.Entries(KindRank)))
	}
	if e, _ := c.Lookup(KindRank, "99.001"); e.Name != "Ngạch thù" {
		t.Errorf("name not NFC: %q", e.Name)
	}
	if !c.Has(KindEthnicity, "01") {
		t.Error("kinds not in the override must stay")
	}
	if Default().KindVersion(KindRank) != "2025.07.01" || !Default().Has(KindRank, "01.001") {
		t.Error("Parse changed Default")
	}
	arr := `[` + overrideRank + `, {"kind": "religion", "version": "2", "source": "", "entries": [{"code": "none", "name": "Không"}]}]`
	c2, err := Parse([]byte(arr))
	if err != nil || len(c2.Entries(KindReligion)) != 1 || c2.KindVersion(KindRank) != "2026.01.01" {
		t.Fatalf("array override: %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	file := func(kind, version, entries string) string {
		return fmt.Sprintf(`{"kind": %q, "version": %q, "source": "", "entries": [%s]}`, kind, version, entries)
	}
	tests := []struct {
		name, data, field, rule string
	}{
		{"not JSON", `{`, "", "json"},
		{"empty", ``, "", "json"},
		{"empty array", `[]`, "", "required"},
		{"unknown field", `{"kind": "rank", "version": "1", "entries": [], "extra": 1}`, "", "json"},
		{"trailing data", file("rank", "1", `{"code":"a","name":"A"}`) + `{}`, "", "json"},
		{"unknown kind", file("ranks", "1", `{"code":"a","name":"A"}`), "kind", "enum"},
		{"bad version", file("rank", "", `{"code":"a","name":"A"}`), "version", "format"},
		{"no entries", file("rank", "1", ``), "entries", "required"},
		{"bad code", file("rank", "1", `{"code":"a b","name":"A"}`), "entries/0/code", "format"},
		{"duplicate code", file("rank", "1", `{"code":"a","name":"A"},{"code":"a","name":"B"}`), "entries/1/code", "duplicate"},
		{"no name", file("rank", "1", `{"code":"a","name":"  "}`), "entries/0/name", "required"},
		{"unknown successor", file("rank", "1", `{"code":"a","name":"A","successor":"b"}`), "entries/0/successor", "reference"},
		{"own successor", file("rank", "1", `{"code":"a","name":"A","successor":"a"}`), "entries/0/successor", "self"},
		{"cycle", file("rank", "1", `{"code":"a","name":"A","successor":"b"},{"code":"b","name":"B","successor":"a"}`), "entries/0/successor", "cycle"},
		{"unknown parent", file("place", "1", `{"code":"00001","name":"Phường Phúc Xá","parent":"99"}`), "entries/0/parent", "reference"},
		{"dates reversed", file("rank", "1", `{"code":"a","name":"A","valid_from":"2025-07-01","valid_until":"2025-06-30"}`), "entries/0/valid_until", "range"},
		{"bad date", file("rank", "1", `{"code":"a","name":"A","valid_from":"2025-02-30"}`), "", "json"},
		{"same kind twice", `[` + file("rank", "1", `{"code":"a","name":"A"}`) + `,` + file("rank", "2", `{"code":"a","name":"A"}`) + `]`, "1/kind", "duplicate"},
		{"second file bad", `[` + file("rank", "1", `{"code":"a","name":"A"}`) + `,` + file("title", "2", `{"code":"","name":"A"}`) + `]`, "1/entries/0/code", "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.data))
			var ve *domain.ValidationError
			if !errors.Is(err, domain.ErrInvalid) || !errors.As(err, &ve) {
				t.Fatalf("Parse err = %v, want a validation error", err)
			}
			for _, p := range ve.Problems {
				if p.Field == tt.field && p.Rule == tt.rule {
					return
				}
			}
			t.Fatalf("Parse err = %v, want field %q rule %q", err, tt.field, tt.rule)
		})
	}
}

var fuzzSeeds = map[string]string{
	"rank":     overrideRank,
	"array":    `[` + overrideRank + `]`,
	"cycle":    `{"kind":"rank","version":"1","source":"","entries":[{"code":"a","name":"A","successor":"b"},{"code":"b","name":"B","successor":"a"}]}`,
	"place":    `{"kind":"place","version":"1","source":"","entries":[{"code":"01","name":"Hà Nội"},{"code":"00001","name":"Phường Phúc Xá","parent":"01","valid_until":"2025-06-30"}]}`,
	"garbage":  `{"kind":1}`,
	"trailing": `{"kind":"rank","version":"1","source":"","entries":[{"code":"a","name":"A"}]} x`,
}

// TestFuzzSeedsCommitted writes (with -update) and checks the committed
// seed corpus, so `go test` always replays it.
func TestFuzzSeedsCommitted(t *testing.T) {
	t.Parallel()
	for name, data := range fuzzSeeds {
		path := filepath.Join("testdata", "fuzz", "FuzzParse", name)
		want := "go test fuzz v1\n[]byte(" + strconv.Quote(data) + ")\n"
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("seed %s missing or stale (run go test -update): %v", path, err)
		}
	}
}

// FuzzParse: Parse never panics, refuses only with ErrInvalid, never
// changes Default, and whatever it accepts is consistent: every code is
// found and every successor chain ends at an entry in force.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	before := Default().Version()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if Default().Version() != before {
			t.Fatal("Parse changed Default")
		}
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			return
		}
		for _, k := range Kinds() {
			for _, e := range c.Entries(k) {
				if !c.Has(k, e.Code) || !norm.NFC.IsNormalString(e.Name) {
					t.Fatalf("%s %q: not found or not NFC", k, e.Code)
				}
				if r, ok := c.Resolve(k, e.Code); !ok || r.Successor != "" {
					t.Fatalf("%s %q resolves to %+v, %v", k, e.Code, r, ok)
				}
			}
		}
	})
}
