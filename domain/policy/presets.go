package policy

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/hoso-ledger/hoso/domain"
)

// The presets are data, parsed and validated by the same Parse a custom
// policy file goes through, so a preset can never hold what a file cannot.
//
//go:embed presets/*.json
var presetFiles embed.FS

var presets = sync.OnceValue(func() map[string]Policy {
	entries, err := presetFiles.ReadDir("presets")
	if err != nil {
		panic("policy: embedded presets: " + err.Error())
	}
	out := map[string]Policy{}
	for _, e := range entries {
		b, err := presetFiles.ReadFile(path.Join("presets", e.Name()))
		if err != nil {
			panic("policy: embedded presets: " + err.Error())
		}
		p, err := Parse(b)
		if err != nil || p.name+".json" != e.Name() {
			// Tested; reaching this is a build defect, not a runtime state.
			panic(fmt.Sprintf("policy: preset %s: %v (name %q)", e.Name(), err, p.name))
		}
		out[p.name] = p
	}
	return out
})

// Preset returns the preset named name: phu-tho-2021, binh-tan-2013,
// tien-giang-2025, hue-health-2017, binh-dinh-2022 or decree-27-2026. An
// unknown name gives an error wrapping domain.ErrNotFound.
func Preset(name string) (Policy, error) {
	p, ok := presets()[name]
	if !ok {
		return Policy{}, fmt.Errorf("policy preset %q (known: %s): %w", name, strings.Join(PresetNames(), ", "), domain.ErrNotFound)
	}
	return p, nil
}

// PresetNames lists the presets' names, sorted.
func PresetNames() []string {
	ps := presets()
	names := make([]string, 0, len(ps))
	for n := range ps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Presets returns every preset, sorted by name.
func Presets() []Policy {
	out := []Policy{}
	for _, n := range PresetNames() {
		out = append(out, presets()[n])
	}
	return out
}

// Schema is the published JSON Schema (draft 2020-12) of a policy file.
// Parse is the authority and agrees with it; Parse also checks what a schema
// cannot say simply (overlapping validity intervals, an interval that ends
// before it starts, a day the month does not have).
//
//go:embed schema.json
var Schema []byte
