// Package domain holds the rules of the personnel-dossier ledger: identities,
// civil dates, source documents, the error kinds every command reports, and
// the Codec each aggregate's package builds its Decode from (stored names,
// upcasters from retired versions).
//
// It imports the standard library, github.com/google/uuid and domain/vntext
// (the text rule every command applies, see CheckText) only and does no
// I/O: time and identity come in as arguments, so every decision can be
// replayed and tested without a clock or a database. Subpackages hold the
// aggregates (dossiers, orgs, accounts), the catalogues, the working-day
// calendar and the jurisdiction policies.
package domain
