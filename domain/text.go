package domain

import (
	"fmt"
	"unicode/utf8"

	"github.com/hoso-ledger/hoso/domain/vntext"
)

// The longest text each kind of field accepts, in characters (runes) of
// its NFC form: the one table of text limits, documented in
// docs/api-dossiers.md ("Text") and as maxLength in api/openapi.yaml. A
// stored text is permanent, so a limit bounds what one command can add to
// the ledger; each is far above the longest real value (a Vietnamese full
// name is rarely over 40 characters, a decision number under 30).
const (
	// MaxPersonName: a person's birth name, other names, a relative's name.
	MaxPersonName = 100
	// MaxDisplayName: an account's display name.
	MaxDisplayName = 200
	// MaxOrgName: an org's name ("Trung tâm Kiểm soát bệnh tật tỉnh …").
	MaxOrgName = 300
	// MaxDocumentKind: a source document's kind ("decision").
	MaxDocumentKind = 50
	// MaxDocumentNumber: a source document's number ("123/QĐ-UBND").
	MaxDocumentNumber = 100
	// MaxDocumentIssuer: a source document's issuer ("UBND tỉnh Phú Thọ").
	MaxDocumentIssuer = 300
	// MaxReason: why a correction, archive, rejection or account change
	// was made; may span lines.
	MaxReason = 1000
	// MaxFreeText: any other text of a dossier (main duty, personal
	// history, notes…); may span lines.
	MaxFreeText = 4000
)

// CheckText adds to v every rule that s (already NFC-normalized) breaks:
// the text rule of vntext.Check (no controls, bidi controls, invisible
// characters or U+FFFD; a new line only when multiline) and rule
// "too_long" beyond max characters. field names s in the problem.
func CheckText(v *ValidationError, field, s string, max int, multiline bool) {
	if !CheckChars(v, field, s, multiline) {
		return
	}
	if utf8.RuneCountInString(s) > max {
		v.Add(field, "too_long", fmt.Sprintf("at most %d characters", max))
	}
}

// CheckChars is CheckText without the length (for aggregates that report
// length under a rule of their own); it reports whether s passed.
func CheckChars(v *ValidationError, field, s string, multiline bool) bool {
	if rule := vntext.Check(s, multiline); rule != "" {
		v.Add(field, rule, textRuleDetail[rule])
		return false
	}
	return true
}

var textRuleDetail = map[string]string{
	vntext.RuleUTF8:        "not valid UTF-8",
	vntext.RuleControl:     "control characters are not allowed",
	vntext.RuleBidi:        "bidirectional control characters are not allowed",
	vntext.RuleInvisible:   "invisible characters are not allowed",
	vntext.RuleReplacement: "U+FFFD is not allowed: it stands for text that was lost (an unpaired surrogate?)",
}
