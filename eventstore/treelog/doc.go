// Package treelog keeps the RFC 6962 Merkle log over every event of the
// ledger, in global order, with dense and stable leaf indices 0, 1, 2, …
//
// A monthly approval signs a manifest holding a Merkle root; an auditor later
// asks "is this event in the tree the minister signed?" (an inclusion proof)
// and "is today's tree an extension of the signed one?" (a consistency
// proof). Both need a leaf index per event that never changes and has no
// holes, which no backend's global position gives: PostgreSQL positions are
// (transaction id, sequence) pairs and EventStoreDB's $all positions are
// (commit, prepare) byte offsets, neither of them dense.
//
// # Why a sequencer beside the store, and not inside it
//
// The log is built by a single sequencer that reads the store's global log
// through the Store interface only (ReadAll from the last sequenced position)
// and writes one row per event to the PostgreSQL table merkle_leaves:
// leaf index, event id, position, stream and version, and the leaf hash
// SHA-256(0x00 ‖ event hash). It is backend-independent by design:
//
//   - the same code serves the PostgreSQL and the EventStoreDB backends, so a
//     proof means the same thing whichever store holds the events;
//   - leaves live in PostgreSQL beside the read models (which exist whichever
//     backend holds the events), so proofs are one indexed query away and
//     need no reads from the event store;
//   - the append path stays as short as it is: sequencing in the append
//     transaction would serialize every writer on the tree's right edge, the
//     very contention the (transaction id, sequence) positions avoid.
//
// The price is lag: an event is in the tree a moment after it commits. A
// caller that needs a proof for a fresh event calls SequenceOnce first.
//
// # Safety
//
// Each batch runs in one transaction that first takes a transaction-scoped
// advisory lock, then reads the tree's tail (size and last position) from
// merkle_leaves itself, reads the next events after that position from the
// store, and inserts their leaves with COPY. So two sequencers never
// interleave (the second waits), a crash loses at most the uncommitted batch,
// and a restart resumes from what is committed — there is no separate
// checkpoint to disagree with the leaves. The primary key on leaf_index and
// the unique event_id and position are the second line of defence: a writer
// that bypassed the lock fails on conflict, and the sequencer retries from the
// committed tail. The tables refuse UPDATE, DELETE and TRUNCATE by trigger.
//
// The in-memory right edge of the tree that saves rebuilding it each batch is
// never trusted beyond a COMMIT known to succeed: each batch extends a
// private copy, the copy replaces the cache only after its COMMIT, and a
// failed batch (including a COMMIT whose outcome is unknown because the
// connection died) drops the cache, so the next batch rebuilds the edge from
// the stored nodes. A failed batch thus leaves no trace, in memory or on
// disk (docs/approvals.md, "The Merkle log through a database crash").
//
// ReadAll returns only the store's stable prefix, so an event can never
// appear before one already sequenced: indices, once given, are final.
//
// # Hashes and proofs
//
// All tree hashing is github.com/transparency-dev/merkle: the rfc6962 hasher,
// compact ranges for roots and for the interior nodes the sequencer stores
// (complete perfect subtrees at levels 8, 16, 24, … in merkle_nodes), and the
// proof package for inclusion and consistency proofs. With the stored nodes,
// any node of a proof is rebuilt from at most 128 stored hashes, so a proof
// costs one round trip and a few thousand hashes however large the log.
package treelog
