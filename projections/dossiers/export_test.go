package dossiers

// SearchSQL exposes the statement Search runs, for EXPLAIN in benchmarks.
func SearchSQL(q Query, fuzzy bool) (string, []any, error) {
	sql, args, _, err := searchSQL(q, fuzzy)
	return sql, args, err
}

// SlowPaths counts the batches' dossiers that p folded from their whole
// history instead of the stored snapshot.
func (p *Projection) SlowPaths() int64 { return p.slow.Load() }
