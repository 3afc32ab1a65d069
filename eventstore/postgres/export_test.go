package postgres

// Test hooks; see the fields of Store.

// UseNaiveReader makes s's ReadAll (and so Subscribe) follow seq alone, the
// way readers that suffer from the gap problem do.
func UseNaiveReader(s *Store) { s.naive = true }

// SetBeforeCommit runs s's appends in explicit transactions and calls f
// after the INSERT has drawn its seq values, before COMMIT.
func SetBeforeCommit(s *Store, f func()) { s.beforeCommit = f }

// NotifyOthers runs s's post-commit notification once and reports whether
// it notified, that is, whether a listener other than s's own is registered.
func NotifyOthers(s *Store) (bool, error) { return s.notifyOthers() }

// ListenerPID is the backend pid of s's LISTEN connection, 0 while none.
func ListenerPID(s *Store) uint32 { return s.notes.pid.Load() }
