// Package stats is the read model of the mandated headcount reports
// (BM02 of Circular 11/2012, BM01 of Circular 07/2019, the yearly report to
// the Ministry by rank, professional title and job position) on any date.
//
// # History on the effective axis
//
// A report "as of 1 January 2025" must count who was in service on that
// day, where, and with which rank, degrees and age, even when it is run in
// 2027 and decisions about 2024 were recorded in 2025. So the model keeps,
// per dossier, the stretches of the effective axis over which its counted
// attributes did not change: stats_intervals rows with valid_from
// (included) and valid_to (excluded, NULL while still so). A report for a
// date D is one aggregate over the rows with valid_from <= D AND (valid_to
// IS NULL OR valid_to > D), written period @> D so that a GiST index on the
// range finds them without reading the closed history (see Setup).
//
// Only people in the headcount have rows: a dossier leaves the headcount
// from the effective date of the status change that archived it (retired,
// resigned, deceased, downsized, contract ended, transferred out); a
// reactivating correction folds right after that status change and counts
// from its date, so, as in the domain, the person is back in the headcount
// as if never archived (the archiving was the error); a transfer between orgs or an org merger moves the person at
// the effective date of the event that changed the managing org (the
// receipt, the managing-org change), not at the decision to transfer.
//
// # What a date's state is, and retroactive events
//
// The state on D is the domain's: dossier.ReplayEffectiveOn folds the
// events whose effective date is on or before D, in stream order, each
// correction right after the event it corrects and counting from that
// event's date. The projection keeps, per dossier (stats_dossiers), the
// stat-relevant events as facts — the attributes each changes, its
// effective date and its place in the fold — plus the version and
// effective date of every other event, which a later correction may point
// at. On every event it recomputes that dossier's intervals from its facts
// (each distinct effective date is a boundary; the fold up to it is the
// state from it), so an event effective before others (a rank decision
// recorded late, a correction of an old decision) simply yields a new
// history. A dossier has a few dozen stat-relevant events over a career;
// the recomputation is a few hundred steps, once per dossier per batch.
// The tests hold this fold to dossier.ReplayEffectiveOn on random
// histories.
//
// # Counted attributes and derived groups
//
// Managing org and employing unit, class, sex, birth date, ethnicity,
// religion, party admission date, rank, professional title, job position,
// highest qualification, political theory, state management, IT level and
// languages. Derived when the row is written: the rank group and title
// grade from the catalogues' group field, minority (ethnicity recorded and
// not Kinh "01"), religious (religion recorded and not "none"), the
// highest foreign-language step (bac_1 … bac_6, old A/B/C certificates
// through their catalogue successors), an ethnic-language certificate (a
// language named after a minority of the ethnicity catalogue, Chinese and
// Lao excepted), and the retirement date (RetirementDate). Derived at
// query time, because they depend on D: the age band and whether the
// person is above retirement age and a party member on D.
//
// Query with Headcount (any grouping over the closed set of Dimensions)
// and Report (the BM02 columns), which read the views only. The org filter
// matches the managing org or the employing unit, so the caller's expanded
// subtree counts each person once.
//
// # Idempotency
//
// An event at or below its dossier's stored version is skipped, and the
// intervals are a pure function of the stored facts, so feeding the log
// twice changes nothing.
package stats
