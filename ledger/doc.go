// Package ledger is the typed ledger between the domain and the event
// store: it maps domain.Meta onto the store's envelope and back, decodes
// stored events with an aggregate's Decoder, and runs commands with
// Ledger.Execute — load a stream, let the domain decide, append what it
// raised at the version loaded — so a concurrent edit is refused rather
// than overwritten. HistoryCache spares a command the re-reading and
// re-decoding of a history it has seen.
//
// It holds no rules of its own and knows no aggregate: the use cases live
// in package app, the rules in domain, the bytes in eventstore. Projections
// import it to decode what they read; it imports nothing above it.
package ledger
