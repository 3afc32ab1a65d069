// Package verify recomputes, from the stored rows, everything that makes the
// ledger tamper-evident: every stream's hash chain and the RFC 6962 Merkle
// log over all events. It is what `hoso verify` runs.
//
// The chain part reads the log through eventstore.Store.ReadAll only, so it
// checks any backend. Per stream, versions must be dense from 1, each
// PrevHash must equal the previous event's Hash (zero for version 1), and
// each Hash must equal the event's recomputed ComputeHash. A failure is
// named, per stream and version, by the most specific Kind that explains it:
//
//   - Edited: the stored hash is not the hash of the stored content, so the
//     payload, metadata, type or id was altered after the hash was taken;
//   - Deleted: a version is missing (or the Merkle log holds a leaf for an
//     event the store no longer has — the only trace of a stream's deleted
//     last event);
//   - Reordered: the row's content hashes correctly under another version
//     number (two versions swapped, or a row moved);
//   - HashChain: every row is self-consistent but a PrevHash does not link
//     to its predecessor (typically an event edited and re-hashed: its
//     successor still points at the old hash).
//
// With a Tree (package treelog) it also walks the Merkle leaves beside the
// events: leaf i must commit to the i-th sequenced event (MerkleLeaf), no
// event inside the sequenced range may lack a leaf (MerkleMissing), and the
// stored interior nodes must match those recomputed from the leaves
// (MerkleNode). It reports the root recomputed from the stored leaves, the
// value a signed approval manifest is compared with. An edited and re-hashed
// event whose successors were re-chained too passes the chain checks; its
// leaf, written when it was first sequenced, is what gives it away.
// Events deleted or altered before the sequencer saw them are beyond any
// check here: keep the sequencer running.
//
// Options.Inspect lets a layer above check what an event names outside the
// ledger (Content): `hoso verify` checks every served approval manifest's
// bytes, kept by digest in approval_manifests, against its event.
//
// Speed: the cost is one SHA-256 over about a kilobyte per event. Reading,
// hashing and checking run as a pipeline (ReadAll of the next batch while
// the workers hash this one), hashing on all cores; the per-stream state is
// a version and a hash, so memory grows with the number of streams, not
// events. Anomalous streams keep their events until the end, where they are
// sorted by version and diagnosed; so a backend whose global order does not
// follow version order within a stream is still verified correctly.
package verify
