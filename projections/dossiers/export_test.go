package dossiers

import "context"

// SearchSQL exposes the statement Search runs, for EXPLAIN in benchmarks.
func SearchSQL(q Query, fuzzy bool) (string, []any, error) {
	sql, args, _, err := searchSQL(q, mode{fuzzy: fuzzy}, 0)
	return sql, args, err
}

// SearchWindow is Search with name windows of the given size (0: none,
// the indexed searches alone).
func SearchWindow(ctx context.Context, db Querier, q Query, window int) (Page, error) {
	return searchIn(ctx, db, q, window)
}

// SearchNearOneWord exposes the one-word typo search's windowed answer.
func SearchNearOneWord(ctx context.Context, db Querier, q Query, window int) (Page, bool, error) {
	return searchNearOneWord(ctx, db, q, window)
}

// SlowPaths counts the batches' dossiers that p folded from their whole
// history instead of the stored snapshot.
func (p *Projection) SlowPaths() int64 { return p.slow.Load() }
