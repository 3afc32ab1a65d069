package dossiers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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
// to return fifty took 165 ms at p95 on 50,000 dossiers. The candidates
// are split in two:
//   - names whose first word begins with a variant: for each variant, a
//     range of the name index, read in name order, at most window rows of
//     it, until it yields a page and one more;
//   - names matched through a later word: few, found with their own index
//     (laterWords).
//
// The first page and one more of their union, in name order, is exactly
// the indexed search's when every range was read to its end or yielded a
// page and one more (its later matches sort after those); settled is
// false otherwise (a narrow scope, where few rows of a long range are the
// caller's), and the caller runs the indexed search.
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
	lo, hi := make([]string, len(prefixes)), make([]string, len(prefixes))
	for i, p := range prefixes {
		lo[i], hi[i] = p, prefixEnd(p)
	}
	var after *cursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return Page{}, false, err
		}
		after = &c
	}

	// Which ranges hold names at all, and how many (up to window): most
	// variants begin no name, and a full range must yield a page.
	var b builder
	sql := `SELECT r.i, c.n FROM unnest(` + b.arg(lo) + `::text[], ` + b.arg(hi) + `::text[]) WITH ORDINALITY AS r(lo, hi, i)
CROSS JOIN LATERAL (SELECT count(*) AS n FROM (SELECT 1 FROM ` + ViewDossiers + ` AS d
   WHERE d.name_folded >= r.lo COLLATE "C" AND d.name_folded < r.hi COLLATE "C"` + afterCursor(&b, after) + `
   LIMIT ` + strconv.Itoa(window) + `) AS x) AS c
WHERE c.n > 0`
	rows, err := db.Query(ctx, sql, b.args...)
	if err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	full := map[int64]bool{}
	var liveLo, liveHi []string
	var liveIndex []int64
	for rows.Next() {
		var i, n int64
		if err := rows.Scan(&i, &n); err != nil {
			rows.Close()
			return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
		}
		liveLo, liveHi = append(liveLo, lo[i-1]), append(liveHi, hi[i-1])
		liveIndex = append(liveIndex, i)
		full[i] = n >= int64(window)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}

	b = builder{textOutside: true}
	if ok, err := filter(&b, q, true); err != nil || !ok {
		return Page{}, err == nil, err
	}
	where := strings.Join(append(slices.Clone(b.where), fuzzyWordCondition(&b, folded)), "\n  AND ")
	order := "d.name_folded, d.dossier_id"
	lim := " LIMIT " + strconv.Itoa(limit+1)
	cols := prefixed(summaryColumns) + ", d.name_folded"
	sql = `SELECT * FROM ((SELECT ` + cols + `, r.i FROM unnest(` + b.arg(liveLo) + `::text[], ` + b.arg(liveHi) + `::text[], ` + b.arg(liveIndex) + `::bigint[]) AS r(lo, hi, i)
CROSS JOIN LATERAL (SELECT ` + cols + ` FROM (SELECT ` + summaryColumns + `, name_folded FROM ` + ViewDossiers + ` AS d
     WHERE d.name_folded >= r.lo COLLATE "C" AND d.name_folded < r.hi COLLATE "C"` + afterCursor(&b, after) + `
     ORDER BY ` + order + ` LIMIT ` + strconv.Itoa(window) + `) AS d
  WHERE ` + where + `
  ORDER BY ` + order + lim + `) AS d)
UNION ALL
(SELECT ` + cols + `, 0 FROM ` + ViewDossiers + ` AS d
  WHERE ` + laterWordsOf("d") + ` @@ to_tsquery('simple', ` + b.arg(prefixTerms(prefixes)) + `)
  AND NOT (d.name_folded ^@ ANY(` + b.arg(lo) + `::text[]))` + afterCursor(&b, after) + `
  AND ` + where + `
  ORDER BY ` + order + lim + `)) AS d
ORDER BY ` + order
	// Planned for these words every time, as searchPage's window is.
	rows, err = db.Query(ctx, sql, append([]any{pgx.QueryExecModeDescribeExec}, b.args...)...)
	if err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	defer rows.Close()
	type match struct {
		s      Summary
		folded string
	}
	var matches []match
	yielded := map[int64]int{}
	for rows.Next() {
		var m match
		var i int64
		s, err := scanSummary(rows, &m.folded, &i)
		if err != nil {
			return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
		}
		m.s = s
		matches = append(matches, m)
		yielded[i]++
	}
	if err := rows.Err(); err != nil {
		return Page{}, false, fmt.Errorf("dossiers: search: %w", err)
	}
	for i, isFull := range full {
		if isFull && yielded[i] < limit+1 {
			return Page{}, false, nil
		}
	}
	for _, m := range matches {
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.Next = cursor{Sort: q.Sort, Fuzzy: true, Near: true, Name: matches[limit-1].folded, ID: uuid.UUID(last.ID)}.encode()
			break
		}
		page.Items = append(page.Items, m.s)
	}
	return page, true, nil
}

// afterCursor is the condition that a row sorts after c in name order
// ("" without a cursor), preceded by AND.
func afterCursor(b *builder, c *cursor) string {
	if c == nil {
		return ""
	}
	return " AND (d.name_folded, d.dossier_id) > (" + b.arg(c.Name) + "::text COLLATE \"C\", " + b.arg(c.ID) + "::uuid)"
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
	sorted := slices.Sorted(slices.Values(ws))
	var out []string
	for _, w := range sorted {
		// Every word between a prefix and a word it begins sorts between
		// them and begins with it too, so the last one kept is the only
		// candidate prefix.
		if n := len(out); n > 0 && strings.HasPrefix(w, out[n-1]) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// prefixEnd is the least string above every string that begins with p, in
// byte order (p is made of ASCII letters and digits, see prefixQuery).
func prefixEnd(p string) string {
	return p[:len(p)-1] + string(p[len(p)-1]+1)
}

// prefixTerms is the tsquery "p1:* | p2:* …".
func prefixTerms(ps []string) string {
	terms := make([]string, len(ps))
	for i, p := range ps {
		terms[i] = p + ":*"
	}
	return strings.Join(terms, " | ")
}
