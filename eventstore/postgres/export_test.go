package postgres

// Test hooks; see the fields of Store.

// UseNaiveReader makes s's ReadAll (and so Subscribe) follow seq alone, the
// way readers that suffer from the gap problem do.
func UseNaiveReader(s *Store) { s.naive = true }

// SetBeforeCommit runs s's appends in explicit transactions and calls f
// after the INSERT has drawn its seq values, before COMMIT.
func SetBeforeCommit(s *Store, f func()) { s.beforeCommit = f }
