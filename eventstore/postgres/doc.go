// Package postgres is the PostgreSQL backend of eventstore.Store, on pgx/v5.
//
// Events live in the events table of package migrations, one row each, in
// the global order (transaction_id, seq). Appends are one INSERT statement in
// its own implicit transaction: one round trip when the stream's head is
// known, two when it must be read first. The expected-version check rests on
// UNIQUE(stream_id, stream_version): a lost race surfaces as a unique
// violation and is re-examined, never guessed from an error message.
//
// Readers never follow seq alone. seq is drawn before commit, so a
// transaction holding seq 5 may commit after one holding seq 6; a reader that
// had moved past 6 would never see 5. ReadAll and Subscribe therefore return
// only rows whose transaction id is below pg_snapshot_xmin of the current
// snapshot: every transaction below it has ended, so nothing can still appear
// there. The price is that a long-running writing transaction anywhere in
// the cluster holds every reader back until it ends; keep transactions short.
//
// Subscriptions are woken at once by appends in the same process and by
// NOTIFY from other processes, sent right after the append commits (not
// inside it: PostgreSQL serializes the commits of notifying transactions).
// A store's listener registers with a shared advisory lock, and the NOTIFY
// goes out, asynchronously committed, only while another store's listener is
// registered: with nobody else listening an append costs no notification at
// all. They poll as a fallback, so a lost notification delays them by at
// most Options.PollInterval, and poll quickly while committed events wait
// behind a running transaction.
package postgres
