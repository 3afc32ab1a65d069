package domain

import "time"

// MaxImportedFrom is the longest import source accepted, in characters
// ("PMIS Sở Nội vụ tỉnh Đồng Tháp, export of 30/11/2026, batch 3").
const MaxImportedFrom = 300

// EarliestEffective is the earliest effective date of any state fact the
// ledger records: 2 September 1945, the founding of the Democratic Republic
// of Vietnam, before which no org of today's state apparatus existed. A date
// before it is a typo (1845 for 1985), never history.
var EarliestEffective = MustDate(1945, time.September, 2)

// CheckImport adds to v what m breaks of the go-live rules (issue 14):
//
//   - the effective date is not before EarliestEffective (rule
//     "before_1945");
//   - an import source (m.ImportedFrom) follows the text rule, at most
//     MaxImportedFrom characters, on one line;
//   - an imported fact is history: its effective date is not after the day
//     it is recorded (rule "imported_future"), so a write dated in the
//     future cannot pass as imported and escape its deadline.
//
// prefix is the path of the meta in the caller's problems ("" or "meta/").
func CheckImport(v *ValidationError, prefix string, m Meta) {
	if !m.EffectiveDate.IsZero() && m.EffectiveDate.Before(EarliestEffective) {
		v.Add(prefix+"effective_date", "before_1945", "no fact of the state apparatus is effective before "+EarliestEffective.String())
	}
	if m.ImportedFrom == "" {
		return
	}
	CheckText(v, prefix+"imported_from", m.ImportedFrom, MaxImportedFrom, false)
	if !m.RecordedAt.IsZero() && !m.EffectiveDate.IsZero() && m.EffectiveDate.After(DateOf(m.RecordedAt)) {
		v.Add(prefix+"imported_from", "imported_future", "imported history is effective on or before the day it is recorded")
	}
}
