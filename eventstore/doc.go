// Package eventstore defines hoso's append-only event log: the envelope every
// event is stored in, the hash chain that makes each stream tamper-evident,
// the RFC 6962 leaf hash that puts every event into the global Merkle tree,
// and the Store contract that every backend (postgres, esdbstore, memstore)
// implements and that the conformance suite in eventstore/storetest checks.
//
// The package knows envelopes and bytes, not dossiers: payloads are opaque
// JSON objects whose meaning belongs to the domain packages.
package eventstore
