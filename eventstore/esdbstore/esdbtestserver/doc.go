// Package esdbtestserver is a protocol test server implementing the subset of
// EventStoreDB's public gRPC protocol that esdbstore uses; not a substitute
// for EventStoreDB.
//
// It exists because CI has no EventStoreDB and none can be installed there,
// yet the adapter in esdbstore must be exercised through the real client
// library (github.com/EventStore/EventStore-Client-Go/v4/esdb), wire format
// and all, rather than through a fake of our own interface. It serves, in
// process, on 127.0.0.1 without TLS:
//
//   - ServerFeatures.GetSupportedMethods and Gossip.Read, which the client
//     calls while connecting (gossip only for cluster-style connection
//     strings; the test server reports itself as the single leader);
//   - Streams.Append with expected revisions (any, no stream, stream exists,
//     exact), answering a mismatch with the WrongExpectedVersion reply that
//     EventStoreDB sends (a result message, not a gRPC error), so the client
//     surfaces its own *esdb.Error with ErrorCodeWrongExpectedVersion;
//   - EventStoreDB's idempotent append: the same event ids sent again at the
//     position they were written to succeed without writing (and, for
//     expected "any", when the first id is the start of a stored run);
//   - Streams.Read of one stream forwards and backwards (StreamNotFound for a
//     stream without events), of $all from a (commit, prepare) position, and
//     catch-up subscriptions to a stream or to $all, with stream-name and
//     event-type filters (prefixes or a regular expression), checkpoints,
//     and the CaughtUp message newer servers send between catch-up and live.
//
// The log lives in memory and survives Stop and Start, so a test can cut
// every connection and bring the server back on the same port. Positions are
// byte offsets as in EventStoreDB's transaction file: not dense, with every
// event of one append sharing the commit position of the append's first
// record and having its own prepare position.
//
// What it cannot show: clustering and leader election, durability, real
// performance, the real server's bounded idempotency cache, scavenging,
// projections and their system streams, ACLs and authentication (credentials
// are accepted and ignored), TLS, stream metadata ($maxAge, $tb), deletes and
// tombstones, persistent subscriptions and BatchAppend. Behaviour it emulates
// was taken from the client library and EventStoreDB's documentation; where
// the two are silent it picks the conservative reading and says so in the
// code.
package esdbtestserver
