// Package timetravel answers "the dossier as known at instant T" and "the
// dossier as in effect on date D" by folding the dossier's stream, read from
// the event store, with a filter on recorded_at, on the effective date, or
// on both — the architecture's rule: the past is a fold of the log, not a
// separate copy. The filters, and where a correction counts on each axis,
// are the aggregate's own (dossier.ReplayKnownAt, ReplayEffectiveOn,
// ReplayAt); this package only reads, decodes and picks the fold.
//
// The stream is read whole even for an early instant. Versions say nothing
// about time (a correction recorded today may sit at any version after the
// event it fixes, and effective dates are not monotonic), so a read cut at
// a version could not know where T or D falls; a dossier holds about a
// hundred events over a career, which one indexed read returns in a few
// milliseconds (BenchmarkAsOfPastInstant).
package timetravel
