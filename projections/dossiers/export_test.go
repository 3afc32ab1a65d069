package dossiers

import "context"

// SearchSQL exposes the statement Search runs, for EXPLAIN in benchmarks.
func SearchSQL(q Query, fuzzy bool) (string, []any, error) {
	sql, args, _, err := searchSQL(q, mode{fuzzy: fuzzy}, 0)
	return sql, args, err
}

// SearchWindow is Search with a name window of the given size (0: none,
// the indexed search alone).
func SearchWindow(ctx context.Context, db Querier, q Query, window int) (Page, error) {
	return searchWith(ctx, db, q, mode{}, window)
}

// SlowPaths counts the batches' dossiers that p folded from their whole
// history instead of the stored snapshot.
func (p *Projection) SlowPaths() int64 { return p.slow.Load() }
