package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/hoso-ledger/hoso/domain"
)

// The catalogue kinds. The list is closed: a dossier field names one of
// these, and an override file for any other kind is refused.
const (
	KindRank            = "rank"             // ngạch công chức
	KindTitle           = "title"            // chức danh nghề nghiệp viên chức
	KindPosition        = "position"         // vị trí việc làm, chức vụ
	KindEthnicity       = "ethnicity"        // dân tộc
	KindReligion        = "religion"         // tôn giáo
	KindQualification   = "qualification"    // trình độ chuyên môn
	KindPoliticalTheory = "political_theory" // lý luận chính trị
	KindStateManagement = "state_management" // quản lý nhà nước
	KindITLevel         = "it_level"         // tin học
	KindLanguageLevel   = "language_level"   // ngoại ngữ
	KindAcademicTitle   = "academic_title"   // học hàm
	KindPlace           = "place"            // đơn vị hành chính
)

var kinds = []string{KindAcademicTitle, KindEthnicity, KindITLevel, KindLanguageLevel, KindPlace, KindPoliticalTheory,
	KindPosition, KindQualification, KindRank, KindReligion, KindStateManagement, KindTitle}

// Kinds lists every catalogue kind, sorted.
func Kinds() []string { return slices.Clone(kinds) }

// Entry is one catalogued value.
type Entry struct {
	Kind       string      `json:"-"`
	Code       string      `json:"code"`
	Name       string      `json:"name"`                 // Vietnamese, NFC
	Group      string      `json:"group,omitempty"`      // a report grouping: rank tier, title grade, position group…
	Parent     string      `json:"parent,omitempty"`     // code of the enclosing entry in the same catalogue
	Successor  string      `json:"successor,omitempty"`  // code that replaced this one, in the same catalogue
	ValidFrom  domain.Date `json:"valid_from,omitzero"`  // first day in force, when known
	ValidUntil domain.Date `json:"valid_until,omitzero"` // last day in force, when retired
	Note       string      `json:"note,omitempty"`
}

// Retired reports whether the entry has been replaced or has ended. A
// retired code still validates (old records use it) but new records should
// use Resolve's answer.
func (e Entry) Retired() bool { return e.Successor != "" || !e.ValidUntil.IsZero() }

// InForceOn reports whether the entry was in force on d, as far as its
// dates say.
func (e Entry) InForceOn(d domain.Date) bool {
	return (e.ValidFrom.IsZero() || !d.Before(e.ValidFrom)) && (e.ValidUntil.IsZero() || !d.After(e.ValidUntil))
}

// file is one catalogue file as stored.
type file struct {
	Kind    string  `json:"kind"`
	Version string  `json:"version"`
	Source  string  `json:"source"`
	Entries []Entry `json:"entries"`
}

// list is one loaded catalogue.
type list struct {
	version string
	source  string
	entries []Entry
	index   map[string]int
}

// Catalog is a loaded, validated set of catalogues. It is immutable and
// safe for concurrent use.
type Catalog struct {
	lists map[string]*list
	// lineage holds the place links a single Entry.Successor cannot
	// express (an old ward split between new wards): old code → new codes.
	lineage    map[string][]string
	placeCache placeCache
}

//go:embed data/*.json
var embedded embed.FS

var loadDefault = sync.OnceValues(func() (*Catalog, error) {
	c := &Catalog{lists: map[string]*list{}}
	names, err := fs.Glob(embedded, "data/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := embedded.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var v domain.ValidationError
		l, kind := parseFile(&v, name, b)
		if err := v.Err(); err != nil {
			return nil, err
		}
		if _, dup := c.lists[kind]; dup {
			return nil, fmt.Errorf("catalog: %s: a second file for %q", name, kind)
		}
		c.lists[kind] = l
	}
	for _, k := range kinds {
		if c.lists[k] == nil {
			return nil, fmt.Errorf("catalog: no embedded file for %q", k)
		}
	}
	return c, nil
})

// Default is the catalogue embedded in this release. The data is part of
// the binary and checked by this package's tests, so a failure to load it
// is a build defect: Default panics rather than let the ledger run with
// missing catalogues.
func Default() *Catalog {
	c, err := loadDefault()
	if err != nil {
		panic("catalog: embedded data is invalid: " + err.Error())
	}
	return c
}

// Parse reads an override file and returns Default with the catalogues it
// holds replaced wholesale. The file is one catalogue object (as in data/)
// or a JSON array of them. Errors wrap domain.ErrInvalid; a
// *domain.ValidationError names each offending field ("entries/3/code",
// "1/entries/0/successor").
func Parse(data []byte) (*Catalog, error) { return Default().Override(data) }

// Override is Parse against c instead of Default.
func (c *Catalog) Override(data []byte) (*Catalog, error) {
	var v domain.ValidationError
	trimmed := bytes.TrimSpace(data)
	var parts []json.RawMessage
	var prefix func(int) string
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := strictUnmarshal(trimmed, &parts); err != nil {
			return nil, domain.Invalid("", "json", err.Error())
		}
		if len(parts) == 0 {
			return nil, domain.Invalid("", "required", "no catalogue in the file")
		}
		prefix = func(i int) string { return fmt.Sprintf("%d/", i) }
	} else {
		parts = []json.RawMessage{trimmed}
		prefix = func(int) string { return "" }
	}
	out := &Catalog{lists: maps.Clone(c.lists), lineage: c.lineage}
	seen := map[string]bool{}
	for i, p := range parts {
		l, kind := parseFile(&v, prefix(i), p)
		if l == nil {
			continue
		}
		if seen[kind] {
			v.Add(prefix(i)+"kind", "duplicate", kind+" appears twice")
			continue
		}
		seen[kind] = true
		out.lists[kind] = l
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

var (
	codePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)
	versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)
)

// maxNameLen bounds a name, in characters.
const maxNameLen = 300

// parseFile decodes and validates one catalogue, adding every problem to v
// under prefix. It returns nil when the file is unusable.
func parseFile(v *domain.ValidationError, prefix string, data []byte) (*list, string) {
	if strings.HasSuffix(prefix, ".json") { // an embedded file: name it in the path
		prefix += ": "
	}
	var f file
	if err := strictUnmarshal(data, &f); err != nil {
		v.Add(prefix, "json", err.Error())
		return nil, ""
	}
	before := len(v.Problems)
	if !slices.Contains(kinds, f.Kind) {
		v.Add(prefix+"kind", "enum", fmt.Sprintf("%q is not one of %v", f.Kind, kinds))
	}
	if !versionPattern.MatchString(f.Version) {
		v.Add(prefix+"version", "format", "1–32 letters, digits, '.', '-' or '_'")
	}
	if len(f.Entries) == 0 {
		v.Add(prefix+"entries", "required", "a catalogue has at least one entry")
	}
	l := &list{version: f.Version, source: nfc(f.Source), entries: make([]Entry, len(f.Entries)), index: make(map[string]int, len(f.Entries))}
	for i, e := range f.Entries {
		at := fmt.Sprintf("%sentries/%d/", prefix, i)
		e.Kind = f.Kind
		e.Name, e.Note = nfc(e.Name), nfc(e.Note)
		if !codePattern.MatchString(e.Code) {
			v.Add(at+"code", "format", "1–32 letters, digits, '.', '-' or '_'")
		} else if _, dup := l.index[e.Code]; dup {
			v.Add(at+"code", "duplicate", e.Code)
		} else {
			l.index[e.Code] = i
		}
		switch {
		case e.Name == "":
			v.Add(at+"name", "required", "")
		case !utf8.ValidString(e.Name):
			v.Add(at+"name", "format", "not valid UTF-8")
		case utf8.RuneCountInString(e.Name) > maxNameLen:
			v.Add(at+"name", "length", fmt.Sprintf("at most %d characters", maxNameLen))
		}
		if !e.ValidFrom.IsZero() && !e.ValidUntil.IsZero() && e.ValidUntil.Before(e.ValidFrom) {
			v.Add(at+"valid_until", "range", "before valid_from")
		}
		l.entries[i] = e
	}
	// References are checked once every code is known.
	for i, e := range l.entries {
		at := fmt.Sprintf("%sentries/%d/", prefix, i)
		for _, ref := range []struct{ field, code string }{{"successor", e.Successor}, {"parent", e.Parent}} {
			if ref.code == "" {
				continue
			}
			if _, ok := l.index[ref.code]; !ok {
				v.Add(at+ref.field, "reference", fmt.Sprintf("%q is not a code in this catalogue", ref.code))
			} else if ref.code == e.Code {
				v.Add(at+ref.field, "self", e.Code)
			}
		}
	}
	if len(v.Problems) == before {
		for i, e := range l.entries {
			if cycles(l, e) {
				v.Add(fmt.Sprintf("%sentries/%d/successor", prefix, i), "cycle", "the successor chain returns to "+e.Code)
			}
		}
	}
	if len(v.Problems) != before {
		return nil, f.Kind
	}
	return l, f.Kind
}

func cycles(l *list, e Entry) bool {
	seen := map[string]bool{e.Code: true}
	for e.Successor != "" {
		if seen[e.Successor] {
			return true
		}
		seen[e.Successor] = true
		e = l.entries[l.index[e.Successor]]
	}
	return false
}

func nfc(s string) string { return strings.TrimSpace(norm.NFC.String(s)) }

// strictUnmarshal refuses unknown fields and trailing data: catalogue files
// are configuration, and a misspelt field must not be silently ignored.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Has reports whether code is in catalogue kind, retired codes included
// (old records use them). It is what dossier validation calls.
func (c *Catalog) Has(kind, code string) bool {
	_, ok := c.Lookup(kind, code)
	return ok
}

// Lookup returns the entry for code in catalogue kind.
func (c *Catalog) Lookup(kind, code string) (Entry, bool) {
	l := c.lists[kind]
	if l == nil {
		return Entry{}, false
	}
	i, ok := l.index[code]
	if !ok {
		return Entry{}, false
	}
	return l.entries[i], true
}

// Resolve returns the entry that code stands for today: the entry itself,
// or the end of its chain of successors (pre2025-82 Tiền Giang → 82 Đồng
// Tháp). It reports false for an unknown code. Parse refuses cycles, so the
// chain always ends.
func (c *Catalog) Resolve(kind, code string) (Entry, bool) {
	e, ok := c.Lookup(kind, code)
	for ok && e.Successor != "" {
		e, ok = c.Lookup(kind, e.Successor)
	}
	return e, ok
}

// Predecessors returns the entries whose successor chain ends at code
// (for a province after 2025: the old provinces merged into it), in file
// order.
func (c *Catalog) Predecessors(kind, code string) []Entry {
	var out []Entry
	for _, e := range c.Entries(kind) {
		if e.Code == code || e.Successor == "" {
			continue
		}
		if r, ok := c.Resolve(kind, e.Code); ok && r.Code == code {
			out = append(out, e)
		}
	}
	return out
}

// Entries lists catalogue kind in file order (nil for an unknown kind).
// The slice is a copy.
func (c *Catalog) Entries(kind string) []Entry {
	if l := c.lists[kind]; l != nil {
		return slices.Clone(l.entries)
	}
	return nil
}

// KindVersion is the version of catalogue kind ("" for an unknown kind).
func (c *Catalog) KindVersion(kind string) string {
	if l := c.lists[kind]; l != nil {
		return l.version
	}
	return ""
}

// Source is where catalogue kind comes from, as its file says.
func (c *Catalog) Source(kind string) string {
	if l := c.lists[kind]; l != nil {
		return l.source
	}
	return ""
}

// Version identifies the whole set: every kind with its version, sorted
// ("academic_title@2025.07.01,ethnicity@1979.03.02,…"). Record it with a
// validation result to know which catalogues were in force.
func (c *Catalog) Version() string {
	parts := make([]string, 0, len(c.lists))
	for _, k := range slices.Sorted(maps.Keys(c.lists)) {
		parts = append(parts, k+"@"+c.lists[k].version)
	}
	return strings.Join(parts, ",")
}
