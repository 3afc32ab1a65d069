package dossiers

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
)

func TestCheckText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		rule string // "": accepted
	}{
		{"", ""},
		{"Nguyễn Văn An", ""},
		{"Công Tôn Nữ Thị Hoàng Phương Thảo", ""},
		{"Nguyễn Thị Hoàng Phương Thảo Nguyễn Thị Hoàng Phương Thảo", ""},
		{"ngyuenvanan", ""},
		{strings.Repeat("a", MaxWordRunes), ""},
		{strings.TrimSpace(strings.Repeat("Đặng ", MaxTextWords)), ""},
		{strings.Repeat("ễ", MaxWordRunes), ""},
		{strings.Repeat("a", 1000), "length"},
		{strings.Repeat("an ", 100), "length"},
		{strings.Repeat("ễ", MaxTextRunes+1), "length"},
		{strings.Repeat("an ", MaxTextWords+1), "word_count"},
		{"nguyen " + strings.Repeat("a", MaxWordRunes+1), "word_length"},
		// Diacritics are not letters of their own: a decomposed (NFD) word
		// counts its letters, and the whole text its code points.
		{strings.Repeat("e\u0302\u0303", MaxWordRunes), ""},
	}
	for _, tt := range tests {
		err := CheckText(tt.text)
		var te *TextError
		switch {
		case tt.rule == "" && err != nil:
			t.Errorf("CheckText(%.30q…) = %v, want nil", tt.text, err)
		case tt.rule != "" && (!errors.As(err, &te) || te.Rule != tt.rule || !errors.Is(err, domain.ErrInvalid)):
			t.Errorf("CheckText(%.30q…) = %v, want a TextError %q wrapping ErrInvalid", tt.text, err, tt.rule)
		}
	}
}

// TestSearchRefusesUnboundedText: Search and Archive refuse a text beyond
// the bounds before any statement (db is nil: a query would panic).
func TestSearchRefusesUnboundedText(t *testing.T) {
	t.Parallel()
	scope := []domain.OrgID{domain.OrgID(uuid.Must(uuid.NewV7()))}
	for _, text := range []string{strings.Repeat("a", 1000), strings.Repeat("an ", 11), "nguyen " + strings.Repeat("b", 41)} {
		if _, err := Search(context.Background(), nil, Query{Scope: scope, Text: text}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Search(%.20q…) = %v, want ErrInvalid", text, err)
		}
		if _, err := Archive(context.Background(), nil, ArchiveQuery{Scope: scope, Text: text}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Archive(%.20q…) = %v, want ErrInvalid", text, err)
		}
	}
}

// TestTextCostBounded: for the longest texts CheckText accepts, preparing
// a search's text (every mode's conditions, the typo search's variants and
// name ranges) allocates a bounded, small amount. Before the bounds a
// 1,000-letter word took 518 MB and 371,410 allocations here
// (BenchmarkPrepareText), growing with the square of its length.
func TestTextCostBounded(t *testing.T) {
	// Not parallel: it reads the process's allocation counters.
	longest := []string{
		strings.Repeat("ngyuen", MaxWordRunes)[:MaxWordRunes],
		strings.TrimSpace(strings.Repeat(strings.Repeat("h", MaxWordRunes)+" ", 4)) + " " + strings.Repeat("t", MaxTextRunes-4*(MaxWordRunes+1)),
		strings.TrimSpace(strings.Repeat(strings.Repeat("q", MaxTextRunes/MaxTextWords-1)+" ", MaxTextWords)),
	}
	const maxBytes, maxAllocs = 2 << 20, 500
	for _, text := range longest {
		if err := CheckText(text); err != nil {
			t.Fatalf("CheckText(%q) = %v: not one of the longest accepted texts", text, err)
		}
		if n := testing.AllocsPerRun(5, func() { prepareText(text) }); n > maxAllocs {
			t.Errorf("preparing %q: %.0f allocations, want at most %d", text, n, maxAllocs)
		}
		if n := bytesPerRun(func() { prepareText(text) }); n > maxBytes {
			t.Errorf("preparing %q: %d bytes allocated, want at most %d", text, n, maxBytes)
		}
	}
}

// bytesPerRun is the least heap allocated by one call of f over a few
// tries (the least, so that another goroutine's allocations do not count).
func bytesPerRun(f func()) uint64 {
	f() // warm up
	var least uint64
	for i := range 5 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; i == 0 || n < least {
			least = n
		}
	}
	return least
}

// TestOneEditVariants: the arena-built variants are exactly the words one
// edit from w (and w), each once, in byte order.
func TestOneEditVariants(t *testing.T) {
	t.Parallel()
	for _, w := range []string{"abc", "ngyuen", "aaaa", "tran", "van", "nguyen2", strings.Repeat("xy", MaxWordRunes/2)} {
		want := map[string]bool{w: true}
		for i := 0; i <= len(w); i++ {
			for c := 'a'; c <= 'z'; c++ {
				want[w[:i]+string(c)+w[i:]] = true
				if i < len(w) {
					want[w[:i]+string(c)+w[i+1:]] = true
				}
			}
			if i < len(w) {
				want[w[:i]+w[i+1:]] = true
			}
			if i+1 < len(w) {
				want[w[:i]+string(w[i+1])+string(w[i])+w[i+2:]] = true
			}
		}
		got, ok := oneEditVariants(w)
		if !ok || len(got) != len(want) || !slices.IsSorted(got) {
			t.Errorf("oneEditVariants(%q) = %d variants (sorted: %v), want %d sorted", w, len(got), slices.IsSorted(got), len(want))
			continue
		}
		for _, v := range got {
			if !want[v] {
				t.Errorf("oneEditVariants(%q) has %q, which is not one edit away", w, v)
			}
		}
	}
	for _, w := range []string{"an", "đa", "a-b"} {
		if _, ok := oneEditVariants(w); ok {
			t.Errorf("oneEditVariants(%q) applies, want not", w)
		}
	}
}
