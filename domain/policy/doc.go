// Package policy holds jurisdiction policies: each regulation's deadlines,
// monthly approval windows and report due dates as validated data rather
// than code, because the five provinces (and Decree 27/2026) disagree and a
// province may adopt new rules without a release.
//
// A Policy comes from Parse (a JSON file) or from the embedded presets
// phu-tho-2021, binh-tan-2013, tien-giang-2025, hue-health-2017,
// binh-dinh-2022 and decree-27-2026, which go through the same Parse. With a
// calendar.Calendar it computes due dates (Civil Code arts. 147–148),
// lateness in the rule's unit, approval windows and report due dates.
//
// The package is pure: no I/O, no clock. Errors wrap domain.ErrInvalid
// (bad input) or domain.ErrNotFound (no such preset, no such rule).
package policy
