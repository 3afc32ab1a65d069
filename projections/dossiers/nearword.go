package dossiers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain/vntext"
)

// laterWords is the indexed expression of a name's words after the first
// (the family name): "nguyen van an" → "van an".
const laterWords = `to_tsvector('simple', regexp_replace(name_folded, '^\S*', ''))`

// searchNearOneWord answers a one-word typo search ("ngyuen") sorted by
// name without gathering every match first. Its candidates are the names
// with a word that begins with one of the word's one-edit variants
// (oneEditAway); the variant that is a real family name ("nguyen") can be
// a third of the province, and fetching, checking and sorting all of those
// to return fifty took 165 ms at p95 on 50,000 dossiers. The matches are
// found in two parts:
//   - names whose first word matches: the distinct first words that begin
//     with a variant are listed from the name index (a skip scan: one
//     lookup per word), those that match are kept, and each one's names
//     are read in name order, at most window of them, until they yield a
//     page and one more;
//   - names that match through a later word only: found by id with their
//     own index (laterWords), at most window of them.
//
// The first page and one more of their union, in name order, is the
// indexed search's when every first word's names were read to their end
// or yielded a page and one more (the rest sort after those). (One kind
// of name differs: a first word that begins with a variant without being
// near the typed word, and a later word two edits from it that begins
// with no variant. The indexed search's prefilter lets it in through the
// first word; here it is out, as it would be without that first word.)
// When a later word is too common (a typo one edit from "van"), the names
// are read in name order instead (searchNearDense), which suits matches
// that common. settled is false when neither settles the page (a narrow scope,
// a word with too many look-alikes); the caller then runs the indexed
// search.
func searchNearOneWord(ctx context.Context, db Querier, q Query, window int) (page Page, settled bool, err error) {
	folded := vntext.Fold(q.Text)
	variants, ok := oneEditVariants(folded)
	if !ok || strings.Contains(folded, " ") || q.Sort != SortName {
		return Page{}, false, nil
	}
	limit, err := pageSize(q.Limit)
	if err != nil {
		return Page{}, false, err
	}
	prefixes := prefixMinimal(variants)
	lo, hi := prefixes, prefixEnds(prefixes)
	var after *cursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return Page{}, false, err
		}
		after = &c
	}

	// The first words that match. Names with first word w are exactly
	// those in [w, w+"!") in byte order: a folded name is letters, digits
	// and single spaces, and only the space sorts below "!".
	var b builder
	rows, err := db.Query(ctx, `SELECT w.word, w.n FROM unnest(`+b.arg(lo)+`::text[], `+b.arg(hi)+`::text[]) AS r(lo, hi)
CROSS JOIN LATERAL (
  WITH RECURSIVE words(word, n) AS (
    SELECT (SELECT split_part(d.name_folded, ' ', 1) FROM `+ViewDossiers+` AS d
             WHERE d.name_folded >= r.lo COLLATE "C" AND d.name_folded < r.hi COLLATE "C" ORDER BY d.name_folded LIMIT 1), 1
    UNION ALL
    SELECT (SELECT split_part(d.name_folded, ' ', 1) FROM `+ViewDossiers+` AS d
             WHERE d.name_folded >= words.word || '!' COLLATE "C" AND d.name_folded < r.hi COLLATE "C" ORDER BY d.name_folded LIMIT 1), words.n + 1
      FROM words WHERE words.word IS NOT NULL AND words.n <= `+strconv.Itoa(maxFirstWords)+`
  ) SELECT word, n FROM words WHERE word IS NOT NULL) AS w
WHERE w.n > `+strconv.Itoa(maxFirstWords)+` OR `+nearWord(&b, "w.word", folded), b.args...)
	if err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	firstWords := []string{} // not nil: <> ALL(NULL) is never true
	tooMany := false
	for rows.Next() {
		var w string
		var n int
		if err := rows.Scan(&w, &n); err != nil {
			rows.Close()
			return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
		}
		tooMany = tooMany || n > maxFirstWords
		firstWords = append(firstWords, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	if tooMany {
		return Page{}, false, nil
	}
	wordLo, wordHi := make([]string, len(firstWords)), make([]string, len(firstWords))
	for i, w := range firstWords {
		wordLo[i], wordHi[i] = w, w+"!"
	}

	// The later-word matches, by id, one index lookup per variant; more
	// than a window's worth are read in name order instead. As one
	// tsquery of some 300 terms PostgreSQL guesses that it matches most of
	// the table and reads all of it instead.
	b = builder{}
	var later []uuid.UUID
	err = db.QueryRow(ctx, `SELECT ARRAY(SELECT DISTINCT l.dossier_id FROM unnest(`+b.arg(prefixTermList(prefixes))+`::text[]) AS t(q)
  CROSS JOIN LATERAL (SELECT dossier_id FROM `+ViewDossiers+` AS d WHERE `+laterWordsOf("d")+` @@ to_tsquery('simple', t.q)) AS l
  LIMIT `+strconv.Itoa(window+1)+`)`, b.args...).Scan(&later)
	if err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	if len(later) > window {
		return searchNearDense(ctx, db, q, after, limit, window)
	}

	b = builder{textOutside: true}
	if ok, err := filter(&b, q, true); err != nil || !ok {
		return Page{}, err == nil, err
	}
	scope := strings.Join(b.where, "\n  AND ")
	order := "d.name_folded, d.dossier_id"
	lim := " LIMIT " + strconv.Itoa(limit+1)
	cols := prefixed(summaryColumns) + ", d.name_folded"
	sql := `SELECT * FROM ((SELECT ` + cols + `, r.i FROM unnest(` + b.arg(wordLo) + `::text[], ` + b.arg(wordHi) + `::text[]) WITH ORDINALITY AS r(lo, hi, i)
CROSS JOIN LATERAL (SELECT ` + cols + ` FROM (SELECT ` + summaryColumns + `, name_folded FROM ` + ViewDossiers + ` AS d
     WHERE d.name_folded >= r.lo COLLATE "C" AND d.name_folded < r.hi COLLATE "C"` + afterCursor(&b, after) + `
     ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(window) + `) AS d
  WHERE ` + scope + `
  ORDER BY ` + order + lim + `) AS d)
UNION ALL
(SELECT ` + cols + `, 0 FROM ` + ViewDossiers + ` AS d
  WHERE d.dossier_id = ANY(` + b.arg(later) + `::uuid[])
  AND split_part(d.name_folded, ' ', 1) <> ALL(` + b.arg(firstWords) + `::text[])` + afterCursor(&b, after) + `
  AND ` + scope + `
  AND ` + fuzzyWordCondition(&b, folded) + `
  ORDER BY ` + order + lim + `)) AS d
ORDER BY ` + order
	rows, err = db.Query(ctx, sql, b.args...)
	if err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	var matches []match
	yielded := make([]int, len(firstWords)+1) // by first word, 1-based; 0: later words
	for rows.Next() {
		var m match
		var i int64
		if m.s, err = scanSummary(rows, &m.folded, &i); err != nil {
			rows.Close()
			return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
		}
		matches = append(matches, m)
		yielded[i]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	// A first word that yielded a page and one more is settled; any other
	// must have run out of names inside its window.
	var open []int64
	for i := 1; i < len(yielded); i++ {
		if yielded[i] < limit+1 {
			open = append(open, int64(i))
		}
	}
	if len(open) > 0 {
		b = builder{}
		var truncated bool
		err := db.QueryRow(ctx, `SELECT EXISTS (SELECT FROM unnest(`+b.arg(open)+`::bigint[]) AS o(i)
  CROSS JOIN LATERAL (SELECT FROM `+ViewDossiers+` AS d
    WHERE d.name_folded >= (`+b.arg(wordLo)+`::text[])[o.i] COLLATE "C" AND d.name_folded < (`+b.arg(wordHi)+`::text[])[o.i] COLLATE "C"`+afterCursor(&b, after)+`
    OFFSET `+strconv.Itoa(window-1)+` LIMIT 1) AS x)`, b.args...).Scan(&truncated)
		if err != nil {
			return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
		}
		if truncated {
			return Page{}, false, nil
		}
	}
	return nearPage(q, matches, limit), true, nil
}

// maxFirstWords bounds the distinct first words read per variant: a short
// variant ("ph", from "phn") begins too many family names for the skip
// scan to pay.
const maxFirstWords = 64

// match is a row of a search, with the folded name its cursor needs.
type match struct {
	s      Summary
	folded string
}

// nearPage is the first page of matches (in name order, a page and one
// more at most) with the cursor of the typo search.
func nearPage(q Query, matches []match, limit int) Page {
	var page Page
	for _, m := range matches {
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.Next = cursor{Sort: q.Sort, Fuzzy: true, Near: true, Name: matches[limit-1].folded, ID: uuid.UUID(last.ID)}.encode()
			break
		}
		page.Items = append(page.Items, m.s)
	}
	return page
}

// searchNearDense is the typo search for a word whose look-alikes are
// common (one edit from a middle name such as "van" or "thi"): the first
// window names in the caller's scope from the cursor on, in name order,
// hold a page of matches or the search is not settled here.
func searchNearDense(ctx context.Context, db Querier, q Query, after *cursor, limit, window int) (Page, bool, error) {
	b := builder{textOutside: true}
	if ok, err := filter(&b, q, true); err != nil || !ok {
		return Page{}, err == nil, err
	}
	order := "d.name_folded, d.dossier_id"
	sql := `SELECT ` + prefixed(summaryColumns) + `, d.name_folded FROM (SELECT ` + summaryColumns + `, name_folded FROM ` + ViewDossiers + ` AS d
  WHERE ` + strings.Join(b.where, "\n  AND ") + afterCursor(&b, after) + `
  ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(window) + `) AS d
WHERE ` + fuzzyWordCondition(&b, vntext.Fold(q.Text)) + `
ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(limit+1)
	rows, err := db.Query(ctx, sql, b.args...)
	if err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	defer rows.Close()
	var matches []match
	for rows.Next() {
		var m match
		if m.s, err = scanSummary(rows, &m.folded); err != nil {
			return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
		}
		matches = append(matches, m)
	}
	if err := rows.Err(); err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	if len(matches) < limit+1 {
		return Page{}, false, nil
	}
	return nearPage(q, matches, limit), true, nil
}

// afterCursor is nameAfter preceded by AND ("" without a cursor).
func afterCursor(b *builder, c *cursor) string {
	if c == nil {
		return ""
	}
	return " AND " + nameAfter(b, *c)
}

// nameAfter is the condition that a row sorts after c in name order.
func nameAfter(b *builder, c cursor) string {
	return "(d.name_folded, d.dossier_id) > (" + b.arg(c.Name) + "::text COLLATE \"C\", " + b.arg(c.ID) + "::uuid)"
}

// laterWordsOf is laterWords on the table aliased alias, written exactly as
// the index expression so that PostgreSQL matches the two.
func laterWordsOf(alias string) string {
	return strings.Replace(laterWords, "name_folded", alias+".name_folded", 1)
}

// prefixMinimal drops the words that begin with another word of ws: the
// names beginning with "ngu" include those beginning with "nguy", and
// keeping both would read them twice. The ranges of the words left are
// disjoint.
func prefixMinimal(ws []string) []string {
	sorted := slices.Clone(ws)
	slices.Sort(sorted)
	out := sorted[:0] // in place: each word kept sorts at or before its slot
	for _, w := range sorted {
		// Every word between a prefix and a word it begins sorts between
		// them and begins with it too, so the last one kept is the only
		// candidate prefix.
		if n := len(out); n > 0 && strings.HasPrefix(w, out[n-1]) {
			continue
		}
		out = append(out, w)
	}
	return slices.Clip(out)
}

// prefixEnds are, for each p of ps, the least string above every string
// that begins with p, in byte order (p is made of ASCII letters and
// digits, see prefixQuery: its last byte plus one is still one byte).
func prefixEnds(ps []string) []string {
	return mapInArena(ps, 0, func(b []byte, p string) []byte {
		return append(append(b, p[:len(p)-1]...), p[len(p)-1]+1)
	})
}

// prefixTermList is the tsqueries "p1:*", "p2:*", ….
func prefixTermList(ps []string) []string {
	return mapInArena(ps, 2, func(b []byte, p string) []byte { return append(append(b, p...), ":*"...) })
}

// mapInArena is f applied to each of ps (each result at most grow bytes
// longer than its p), the results sharing one allocation: these lists run
// to a few thousand short strings.
func mapInArena(ps []string, grow int, f func([]byte, string) []byte) []string {
	size := 0
	for _, p := range ps {
		size += len(p) + grow
	}
	arena := make([]byte, 0, size)
	ends := make([]int, len(ps))
	for i, p := range ps {
		arena = f(arena, p)
		ends[i] = len(arena)
	}
	all := string(arena) // one copy; every result is a slice of it
	out := make([]string, len(ps))
	start := 0
	for i, end := range ends {
		out[i], start = all[start:end], end
	}
	return out
}
