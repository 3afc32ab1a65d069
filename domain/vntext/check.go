package vntext

import (
	"unicode/utf8"
)

// Rules that Check reports: stable codes, shown to API clients as the
// problem's rule.
const (
	RuleUTF8        = "utf8"                  // not valid UTF-8
	RuleControl     = "control_character"     // C0/C1 controls, DEL, line/paragraph separators (a new line only where the text may span lines)
	RuleBidi        = "bidi_control"          // directional overrides, embeddings, isolates and marks
	RuleInvisible   = "invisible_character"   // zero-width characters, word joiner, byte order mark, soft hyphen
	RuleReplacement = "replacement_character" // U+FFFD: what a lossy decoding (an unpaired surrogate) leaves
)

// Check applies the one text rule of hoso to s and returns the first rule
// it breaks, or "" when s is acceptable. The rule holds for every text of
// every command, because a stored text is permanent and shown to people who
// must be able to trust what they read:
//
//   - valid UTF-8 (an unpaired surrogate cannot be encoded in it);
//   - no control characters: C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F)
//     and the line and paragraph separators (U+2028, U+2029); a new line
//     (U+000A) only when multiline is true (reasons, free-text items);
//     tabs and carriage returns never (they render differently everywhere);
//   - no bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E,
//     U+200F, U+061C): they make "Nguyễn Văn An" display as something else;
//   - no invisible characters (U+200B–U+200D, U+2060–U+2064, U+FEFF,
//     U+00AD, U+180E): two names that look the same must be the same bytes;
//   - no U+FFFD: it is what a decoder leaves of bytes or an unpaired
//     surrogate it could not read, never what a person typed.
//
// Check does not normalize; callers store NFC (see NFC) and check the
// normalized text.
func Check(s string, multiline bool) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' && multiline:
			case c < 0x20 || c == 0x7f:
				return RuleControl
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return RuleUTF8
		}
		i += n
		switch {
		case r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029:
			return RuleControl
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return RuleBidi
		case r >= 0x200b && r <= 0x200d, r >= 0x2060 && r <= 0x2064, r == 0xfeff, r == 0x00ad, r == 0x180e:
			return RuleInvisible
		case r == utf8.RuneError:
			return RuleReplacement
		}
	}
	return ""
}
