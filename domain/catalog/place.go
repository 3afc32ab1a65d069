package catalog

import (
	"slices"
	"strings"
	"sync"

	"github.com/hoso-ledger/hoso/domain"
)

// The place levels (Entry.Group in the place catalogue).
const (
	LevelCity        = "city"         // thành phố trực thuộc trung ương
	LevelProvince    = "province"     // tỉnh
	LevelDistrict    = "district"     // quận, huyện, thị xã, thành phố thuộc tỉnh (until 30/6/2025)
	LevelWard        = "ward"         // phường
	LevelCommune     = "commune"      // xã
	LevelTown        = "town"         // thị trấn (until 30/6/2025)
	LevelSpecialZone = "special_zone" // đặc khu (from 1/7/2025)
)

// ReformDate is the first day of the two-level local government: the 34
// provinces of Resolution 202/2025/QH15 and the new communes and wards
// operate from it, and every unit it replaced was in force until the day
// before.
var ReformDate = domain.MustDate(2025, 7, 1)

// historicalPrefix marks a unit retired by the 2025 reform whose official
// code is now, or may be, the code of another unit ("pre2025-82" was Tiền
// Giang; "82" is Đồng Tháp).
const historicalPrefix = "pre2025-"

// Level is the place level of a place entry (its Group).
func (e Entry) Level() string { return e.Group }

// Place is one administrative unit with its lineage. Codes in Predecessors
// and Successors are catalogue codes (the keys of Lookup), never bare
// official codes, so a split ward has several successors and a merged one
// several predecessors without ambiguity.
type Place struct {
	Code         string      // catalogue code: "82", "pre2025-82"
	Official     string      // the official (GSO) code as published: "82"
	Name         string      // NFC Vietnamese
	Level        string      // one of the Level constants
	Parent       string      // catalogue code of the enclosing unit, "" for a province
	ValidFrom    domain.Date // zero: in force since before the catalogue begins
	ValidUntil   domain.Date // zero: in force today
	Predecessors []string
	Successors   []string
}

// InForceOn reports whether the unit existed on d.
func (p Place) InForceOn(d domain.Date) bool {
	return (p.ValidFrom.IsZero() || !d.Before(p.ValidFrom)) && (p.ValidUntil.IsZero() || !d.After(p.ValidUntil))
}

// OfficialCode is the official code a catalogue code stands for: the code
// without the "pre2025-" prefix.
func OfficialCode(code string) string { return strings.TrimPrefix(code, historicalPrefix) }

// places is the lineage view of the place catalogue, built once per
// Catalog.
type places struct {
	list       []Place
	index      map[string]int   // catalogue code → list
	byOfficial map[string][]int // official code → list, file order
}

type placeCache struct {
	once sync.Once
	p    *places
}

func (c *Catalog) places() *places {
	c.placeCache.once.Do(func() { c.placeCache.p = buildPlaces(c.Entries(KindPlace), c.lineage) })
	return c.placeCache.p
}

// buildPlaces joins the entries' single successors with the extra
// many-to-many links (old code → new codes) of a loaded commune file.
func buildPlaces(entries []Entry, extra map[string][]string) *places {
	p := &places{list: make([]Place, len(entries)), index: make(map[string]int, len(entries)), byOfficial: map[string][]int{}}
	for i, e := range entries {
		p.list[i] = Place{Code: e.Code, Official: OfficialCode(e.Code), Name: e.Name, Level: e.Group, Parent: e.Parent,
			ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil}
		p.index[e.Code] = i
		p.byOfficial[OfficialCode(e.Code)] = append(p.byOfficial[OfficialCode(e.Code)], i)
	}
	link := func(from, to string) {
		i, ok1 := p.index[from]
		j, ok2 := p.index[to]
		if !ok1 || !ok2 || slices.Contains(p.list[i].Successors, to) {
			return
		}
		p.list[i].Successors = append(p.list[i].Successors, to)
		p.list[j].Predecessors = append(p.list[j].Predecessors, from)
	}
	for _, e := range entries {
		if e.Successor != "" {
			link(e.Code, e.Successor)
		}
		for _, s := range extra[e.Code] {
			link(e.Code, s)
		}
	}
	return p
}

// Place returns the unit with catalogue code code, with its lineage.
func (c *Catalog) Place(code string) (Place, bool) {
	p := c.places()
	i, ok := p.index[code]
	if !ok {
		return Place{}, false
	}
	return clonePlace(p.list[i]), true
}

// PlaceOn returns the unit that code denoted on date d. code is either a
// catalogue code ("pre2025-82") or an official code as people wrote it
// ("82"): an address recorded on 3/5/2020 with province code 82 is Tiền
// Giang, the same code recorded in 2026 is Đồng Tháp. It reports false when
// no unit with that code was in force on d.
func (c *Catalog) PlaceOn(code string, d domain.Date) (Place, bool) {
	p := c.places()
	if i, ok := p.index[code]; ok && p.list[i].InForceOn(d) {
		return clonePlace(p.list[i]), true
	}
	for _, i := range p.byOfficial[code] {
		if p.list[i].InForceOn(d) {
			return clonePlace(p.list[i]), true
		}
	}
	return Place{}, false
}

// SuccessorsOn returns the units in force on date on that took over what
// code denoted on date recorded: the unit itself when it is still in force,
// else its successors, followed until they are in force. A ward split
// between several new wards has several; a province has exactly one. The
// result is sorted by catalogue code, without duplicates; it is empty when
// code meant nothing on recorded, or when the lineage is not known (an old
// ward whose new ward is not in the catalogue).
func (c *Catalog) SuccessorsOn(code string, recorded, on domain.Date) []Place {
	start, ok := c.PlaceOn(code, recorded)
	if !ok {
		return nil
	}
	p := c.places()
	seen := map[string]bool{}
	var out []Place
	var walk func(i int)
	walk = func(i int) {
		pl := p.list[i]
		if seen[pl.Code] {
			return
		}
		seen[pl.Code] = true
		if pl.InForceOn(on) {
			out = append(out, clonePlace(pl))
			return
		}
		if !pl.ValidFrom.IsZero() && on.Before(pl.ValidFrom) {
			return // asked about a day before the unit existed: nothing earlier is followed
		}
		for _, s := range pl.Successors {
			walk(p.index[s])
		}
	}
	walk(p.index[start.Code])
	slices.SortFunc(out, func(a, b Place) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Successor returns the unit in force today (the end of the lineage) for
// code as recorded on date recorded: Successor("82", 2020-05-03) is Đồng
// Tháp (82), Successor("52", 2020-05-03) is Gia Lai (52, the old Bình
// Định), Successor("64", 2020-05-03) is Gia Lai too. It reports false for an
// unknown code and for a unit whose lineage splits (use SuccessorsOn).
func (c *Catalog) Successor(code string, recorded domain.Date) (Place, bool) {
	start, ok := c.PlaceOn(code, recorded)
	if !ok {
		return Place{}, false
	}
	p := c.places()
	pl := p.list[p.index[start.Code]]
	seen := map[string]bool{pl.Code: true}
	for pl.ValidUntil != (domain.Date{}) {
		if len(pl.Successors) != 1 || seen[pl.Successors[0]] {
			return Place{}, false
		}
		seen[pl.Successors[0]] = true
		pl = p.list[p.index[pl.Successors[0]]]
	}
	return clonePlace(pl), true
}

// PlacePredecessors returns the units code directly replaced (for a
// province after 2025: the old provinces merged into it; for a new ward:
// the old communes and wards it was formed from), sorted by catalogue code.
func (c *Catalog) PlacePredecessors(code string) []Place {
	p := c.places()
	i, ok := p.index[code]
	if !ok {
		return nil
	}
	out := make([]Place, 0, len(p.list[i].Predecessors))
	for _, s := range p.list[i].Predecessors {
		out = append(out, clonePlace(p.list[p.index[s]]))
	}
	slices.SortFunc(out, func(a, b Place) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// PlacesOn lists the units of one level in force on d, in file order
// (PlacesOn(LevelProvince, d) and PlacesOn(LevelCity, d) together give the
// 63 province-level units before the reform and 34 after).
func (c *Catalog) PlacesOn(level string, d domain.Date) []Place {
	var out []Place
	for _, pl := range c.places().list {
		if pl.Level == level && pl.InForceOn(d) {
			out = append(out, clonePlace(pl))
		}
	}
	return out
}

func clonePlace(p Place) Place {
	p.Predecessors = slices.Clone(p.Predecessors)
	p.Successors = slices.Clone(p.Successors)
	return p
}
