// Package vntext holds the rules for Vietnamese text: every stored string is
// NFC-normalized, and search compares a folded form that ignores case and
// diacritics ("nguyen van an" finds "Nguyễn Văn An"; "đ" matches "d").
package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode Normalization Form C, the form hoso stores: the
// same name typed on different keyboards (precomposed or combining marks)
// becomes the same bytes.
func NFC(s string) string { return norm.NFC.String(s) }

// Fold returns the search key of s: lower case, without diacritics, with đ
// as d, and runs of white space collapsed to one space. Decomposing to NFD
// separates base letters from their marks; dropping the marks (category Mn)
// leaves the base letters. Đ/đ is a letter of its own, not d plus a mark, so
// it is mapped explicitly.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	// Invalid UTF-8 would stop the decomposition mid-string; replace it first.
	for _, r := range norm.NFD.String(strings.ToValidUTF8(s, "\uFFFD")) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
