// Package checkpoint signs and checks checkpoints of the ledger's Merkle log
// (package treelog) in the C2SP signed-note format
// (https://c2sp.org/tlog-checkpoint), with golang.org/x/mod/sumdb/note:
//
//	<origin>
//	<tree size>
//	<base64 root hash>
//
//	— <key name> <base64 key hash and Ed25519 signature>
//
// A checkpoint is taken at every approval and daily, and stored in table
// checkpoints. Its value is outside the database: an auditor who saved one
// proves later, with a consistency proof, that today's log extends it. A
// truncated log (smaller than the checkpoint), a restored older backup, or
// a rewritten history (another root at the checkpoint's size) each fail.
package checkpoint
