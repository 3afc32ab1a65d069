package web

import (
	"encoding/json"
	"strconv"
	"strings"
)

// changeRow is one field change of the timeline as a reader sees it: the
// form's labels for the JSON pointer, values formatted like the sections
// (catalogue codes by name, orgs by name, dd/mm/yyyy).
type changeRow struct {
	Path          string // the pointer, kept for the title attribute
	Label         string
	Before, After string
}

// pathSection is the form's name of a section key in a path, without
// the form's numbering ("I. Sơ yếu lý lịch" reads "Sơ yếu lý lịch").
func pathSection(key string) (string, bool) {
	for _, s := range sectionNames {
		if s.Key == key {
			if num, rest, ok := strings.Cut(s.Name, ". "); ok && strings.Trim(num, "IVX") == "" {
				return rest, true
			}
			return s.Name, true
		}
	}
	return "", false
}

// changeLabel names a JSON pointer into the document ("/training/2/major")
// by the form's labels: "Đào tạo, bồi dưỡng › dòng 3 › Chuyên ngành".
func changeLabel(path string) string {
	var parts []string
	for i, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if n, err := strconv.Atoi(seg); err == nil && n >= 0 {
			parts = append(parts, "dòng "+strconv.Itoa(n+1))
			continue
		}
		if i == 0 {
			if name, ok := pathSection(seg); ok {
				parts = append(parts, name)
				continue
			}
		}
		parts = append(parts, fieldLabel(seg))
	}
	return strings.Join(parts, " › ")
}

// leafKey is the field name a pointer ends in, skipping row indexes: the
// key that decides how its value is formatted.
func leafKey(path string) string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if _, err := strconv.Atoi(segs[i]); err != nil {
			return segs[i]
		}
	}
	return ""
}

// changeRows formats an entry's changes.
func (a *App) changeRows(e historyEntry, orgName func(string) string) []changeRow {
	out := make([]changeRow, 0, len(e.Changes))
	for _, c := range e.Changes {
		key := leafKey(c.Path)
		value := func(raw json.RawMessage) string {
			var v any
			if len(raw) == 0 || json.Unmarshal(raw, &v) != nil || v == nil {
				return ""
			}
			return a.fieldOf(key, v, orgName).Value
		}
		out = append(out, changeRow{Path: c.Path, Label: changeLabel(c.Path), Before: value(c.Before), After: value(c.After)})
	}
	return out
}
