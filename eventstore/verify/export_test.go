package verify

import "github.com/hoso-ledger/hoso/eventstore"

// FastHash and LeafHash expose the allocation-free hashes to the tests.
func FastHash(e *eventstore.Event) eventstore.Hash { return (&hasher{}).sum(e) }

var LeafHash = leafHash
