// Package audit is the audit trail: one entry per event of the whole log —
// dossiers, orgs, accounts, approvals, reservations, any stream — with who
// (account, display name, acting org, on behalf of), both clocks
// (recorded_at, effective date), the source document, the reason, the
// request/correlation/causation ids, the payload as recorded and the event's
// hash, so the trail can be checked entry by entry against the ledger.
//
// Dossier events also carry the dossier, the org that managed it when the
// event was recorded (and the org it moved to, when the event moved it), the
// corrected event for a correction, and a field-level diff of the dossier's
// document: a JSON array of {path, before, after}, paths being JSON pointers
// into dossier.Document as dossier.Diff reports them. A creation's diff has
// no "before"; an event that changes no field (a transfer initiated, a
// proposal submitted) has an empty diff, its content being in the payload.
//
// # Computing the diff
//
// The diff needs the document before the event. The projection keeps one
// row per dossier in a side table of its generation (audit_dossiers): a
// dossier.Document as json and the stream version it reflects. The row is
// rewritten only once it lags the trail by 16 events (rewriting a
// document on every event was two thirds of a rebuild's time); the current
// document lives in an in-memory cache, checked against the trail's last
// version for the dossier, and on a miss the row is caught up by folding
// the trail's payloads since its version (at most 15 steps); the cache
// holds up to 20,000 documents and is cleared when full.
//
// To fold an event the projection uses the domain's own fold of one event,
// dossier.Next, onto the current document; the projection never
// re-implements how an event changes a dossier, and per event it does the
// work of that event, not of a career of a hundred.
//
// A correction goes through the dossier's real history instead
// (dossier.Replay): the domain folds a correction right after the event it
// corrects, not at its own position (a late fix of a 2023 decision must not
// overwrite a 2025 one), and a reactivation restores the org a transfer
// out revoked: both depend on what was recorded since the corrected event,
// which the document alone has forgotten.
//
// The history comes from the trail itself: every entry keeps its payload,
// which the trail needs anyway (for most non-document events the payload is
// the only account of what happened). Storing a history per dossier beside
// the snapshot would rewrite a growing blob on every event, quadratic in a
// career; reading the entries of one dossier by (dossier_id, version) when
// it is corrected is linear, and corrections are rare.
//
// The diff is dossier.Diff restricted to the top-level sections the event
// can touch (dossier.Touches) and, among those, to the ones that differ (compared
// with reflect.DeepEqual first): most events touch one section, and
// marshalling two whole documents per event would dominate a rebuild.
// Tests hold it equal to dossier.Diff on every state of the test histories
// and on every event type.
//
// # Idempotency and batches
//
// Entries are keyed by event id and events already in the trail are
// skipped before anything is folded; the snapshot moves forward only by
// consecutive stream versions, so an event delivered twice, in one batch
// or in two, changes nothing, and a gap is refused. ApplyBatch does a batch
// in a few round trips (seen ids, versions, snapshot documents and
// histories only when the cache misses or a correction needs them, then one
// COPY of the entries and one upsert of the snapshots that lag) and folds
// different dossiers on parallel goroutines. Apply is ApplyBatch of one.
//
// # Queries
//
// Query and ByDossier read the views, never the side table. Query pages in
// global log order with an opaque cursor (the last entry's position), so
// paging returns every matching entry exactly once. Filter.Orgs matches the
// orgs an entry concerns: for a dossier event the managing org before it
// and the org it moved to; for an org's event the org itself; for any other
// event the org its actor acted for. Callers expand org subtrees first
// (projections/orgs.Subtree, or SubtreeOn for the tree as it stood on a
// date).
//
// # Personal data
//
// Diffs and payloads hold personal data (identity, personal ID numbers):
// reading the trail is for accounts entitled to it, and nothing here logs
// either.
package audit
