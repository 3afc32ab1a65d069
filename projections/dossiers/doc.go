// Package dossiers is the read model of current dossiers: one row per person
// with the key columns that searches filter on and the whole document, plus
// the permanent archive's register of departures from service.
//
// # Views
//
//   - dossiers: every dossier ever created, active or archived (archived
//     rows stay forever: the archive is the same rows with archived = true).
//     Key columns for filters, name_folded (vntext.Fold of the birth name)
//     for diacritic- and case-insensitive search, personal_id_digest instead
//     of the personal ID number, and document (json) — the
//     dossier.Document with Header.PersonalIDNumber blanked: a read model is
//     read by many and the number is personal data; the ledger keeps it.
//   - dossiers_archive: one entry per event that took a dossier out of
//     service (status change, transfer out of the province), with the status
//     and the date it took effect. A reactivating correction marks the
//     entry (reactivated_by, reactivated_at) and never removes it.
//
// Query with Get, Search and Archive, which read the views only. Archive
// lists the permanent archive (archived dossiers joined with the departure
// that took them out of service: how and when they left), with Search's
// scope rules, filters on how and when they left, and keyset paging.
//
// # Keeping the document: fold onto a snapshot, replay when that is not exact
//
// The projection sees one event (or one batch) at a time, but a dossier's
// document is the fold of its whole history by the aggregate
// (dossier.Replay), and that fold is not a left fold: a correction is
// folded right after the event it corrects, not where it was recorded. Three
// ways to keep the document were weighed:
//
//   - Re-implement apply in the projection (patch the stored JSON): fast,
//     but a second copy of the domain's rules, drifting from it silently.
//   - Replay the dossier's history from the event store for every event:
//     exact and simple, but I/O outside the batch's transaction for every
//     event and quadratic in a dossier's length during a rebuild (a
//     100-event dossier re-reads ~5,000 events), far from the rebuild target.
//   - Keep a copy of each dossier's history in the read model: exact without
//     the store, but a second event store (gigabytes per province).
//
// What the package does instead keeps the domain's own fold and stays
// linear. A row stores, beside the document, the two facts of the
// aggregate's private state that later documents depend on: the fold tail
// (the last non-correction event and the chain of last corrections under
// it) and the org whose management a transfer out took away. From these the
// projection builds a short synthetic history — a creation and one section
// update carrying every section and row, the attachments, the civil-servant
// number, the archiving status, and the tail's ids — that dossier.Replay
// folds into exactly the stored document; the batch's new events are
// appended and folded by Replay, the domain's own code. Every new event
// folds at the end of the real history except a correction of an event off
// the tail (rare: fixing an old decision after newer ones), and a gap in
// versions; only then does the projection read the dossier's history from
// the store, up to the event at hand, and replay it whole. That read is of
// an immutable stream prefix, so it is as deterministic as the batch, which
// is what the runner's "no calls out of the transaction" rule protects.
//
// The synthetic history relies on documented fold rules (sections replace
// whole, rows upsert by id in order, a correction folds after its target).
// Two guards keep it honest: at run time each snapshot is folded alone and
// compared with the stored document (reflect.DeepEqual) before use, so a
// Document that gains a field the snapshot does not restate sends the
// dossier down the slow path instead of losing the field; and the tests
// drive random command sequences through the projection and compare every
// stored document with a full Replay. The
// snapshot reproduces the document, not the aggregate's other private state
// (pending transfers, proposals), which no later event's document depends on.
//
// A row's version guards idempotency: events at or below it are skipped, so
// feeding the log twice changes nothing. Batches read their rows in one
// query and write them in one statement (unnest of column arrays), folding
// each dossier once per batch however many of its events the batch holds.
//
// # Search
//
// Text matching folds the query with vntext.Fold like the stored column, so
// "NGUYEN VAN AN", "nguyễn văn an" and "Nguyen Van An" find the same people
// and "đ" matches "d"; each typed word must begin a word of the name. A
// one-word search by name first looks at the first 2,000 dossiers in name
// order and answers from them when they hold a whole page (a word as common
// as "ngu" matches a third of a province, and fetching and sorting every
// match took 50–150 ms). When the prefix match finds nobody, Search retries
// forgiving typos, each typed word within a small edit distance of a word
// of the name (fuzzystrmatch), or equal to it with two neighbours swapped:
// first among the names where all typed words but one begin a word (for a
// one-word search: a word one edit from it), which the word index finds,
// then, when that finds nobody, among the names similar to the whole text
// (pg_trgm, indexed), because Vietnamese names share family and middle names so often
// that whole-name similarity alone would return every "Nguyễn Văn …" for
// "Nguyễn Văn An". Trying exact prefixes first keeps exact hits from being
// buried under look-alikes and runs the costlier match only when needed; the
// cursor remembers which match its pages belong to. Both extensions are
// created by migration 00010 in pg_catalog, so the SQL names them
// unqualified whatever the schema.
//
// Scope is always applied (the caller expands org subtrees; an empty scope
// finds nothing): a dossier is visible through its managing org, or through
// its employing unit while management was not revoked. Paging is by keyset
// (an opaque cursor holding the last row's sort key), stable under inserts.
//
// # Wiring
//
// New needs the event store (for the slow path above), so the package does
// not Register itself from init; cmd/hoso passes dossiers.New(store) to the
// runner.
package dossiers
