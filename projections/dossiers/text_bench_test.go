package dossiers

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hoso-ledger/hoso/domain/vntext"
)

// prepareText is the Go side of a search's text before any statement: the
// conditions of every mode and the one-word typo search's variants and
// their name ranges.
func prepareText(text string) {
	folded := vntext.Fold(text)
	for _, m := range []mode{{}, {fuzzy: true, near: true}, {fuzzy: true}} {
		b := builder{near: m.near}
		textCondition(&b, folded, m.fuzzy)
	}
	nearApplies(folded)
	if variants, ok := oneEditVariants(folded); ok {
		prefixes := prefixMinimal(variants)
		_, _ = prefixEnds(prefixes), prefixTermList(prefixes)
	}
}

// BenchmarkPrepareText measures prepareText for a one-word typo search of
// a usual length and of the longest word CheckText accepts.
func BenchmarkPrepareText(b *testing.B) {
	for _, n := range []int{6, MaxWordRunes} {
		word := strings.Repeat("ngyuen", n/6+1)[:n]
		b.Run("letters="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				prepareText(word)
			}
		})
	}
}
