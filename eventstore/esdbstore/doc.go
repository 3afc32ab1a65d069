// Package esdbstore is the EventStoreDB backend of eventstore.Store, on the
// official gRPC client (github.com/EventStore/EventStore-Client-Go/v4/esdb).
//
// Mapping. A hoso stream is the EventStoreDB stream Options.StreamPrefix +
// its id. hoso versions are 1-based and EventStoreDB revisions 0-based
// (revision = version − 1). Each event is stored with EventStoreDB's event
// id = our event id, event type = our type, data = the canonical payload
// bytes, content type JSON, and as custom metadata a small JSON object (the
// envelope) holding our canonical metadata bytes verbatim, the stream
// version, prev_hash and hash. Global positions are EventStoreDB's $all
// (commit, prepare) pairs, packed with eventstore.NewPosition.
//
// Hash chain. EventStoreDB knows nothing of hoso's hashes, so Append learns
// the stream's last version and hash (from a cache of the tips this Store
// wrote, or by reading the tail), chains the new events onto it and appends
// with that exact revision. A concurrent writer, or a stale tip, therefore
// fails with wrong-expected-version instead of forking the chain. When the
// caller asked for eventstore.Any, that exact revision was the chain's
// demand, not the caller's, so Append re-reads and tries again (a bounded
// number of times, with a short random backoff).
//
// Idempotency. EventStoreDB deduplicates event ids only best-effort (a
// bounded cache of recent ids, and a check at the expected revision), and
// has no index by event id. So Append keeps its own: before an event is
// written its id is claimed in a one-event stream "_hoso-id-…" naming the
// hoso stream (claims.go). Ids already claimed for the same stream are
// looked up there, so a retry returns the original result however late it
// comes; ids claimed for another stream where they are stored are an
// *eventstore.IDReusedError. A retry of the stream's last append is also
// recognized without the claims, in the tail read. Costs and limits are in
// docs/eventstoredb.md.
//
// Global order. ReadAll reads $all forwards and Subscribe runs a catch-up
// subscription to $all with a server-side filter on stream names (the
// prefix, or "begins with a letter" to leave out EventStoreDB's "$" system
// streams). A dropped subscription resumes after the last event it
// delivered, with bounded exponential backoff, so nothing is skipped or
// repeated.
//
// The protocol test server in esdbtestserver lets CI run the conformance
// suite through the real client and wire protocol; it is not EventStoreDB.
package esdbstore
