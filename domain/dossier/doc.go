// Package dossier is the dossier aggregate: one person's official record
// (hồ sơ), its commands, its events and how they fold into state. It is pure:
// no I/O and no clock; time, identity and the reference catalogues come in as
// arguments.
//
// # Shape
//
// The Document follows the CV form of Circular 06/2023/TT-BNV section by
// section (header, identity, background, qualifications, position, salary,
// health, training, work history, personal history, rewards, discipline,
// evaluations, family, salary history, income, party and unions, insurance,
// other, attachments). Table sections hold rows with caller-given UUIDs so a
// row can be amended; rows are never removed or reordered.
//
// # Deciding and folding
//
// Create and the methods of *Dossier are commands: they validate the payload
// and domain.Meta and return the events to append, without mutating the
// dossier. Replay folds a stored history into a *Dossier and is the only way
// to obtain one; apply never fails. Every free-text string is stored
// NFC-normalized and trimmed; the birth name is also kept in capitals.
//
// # Evidence
//
// Every command needs meta.Actor.Account, meta.RecordedAt and
// meta.EffectiveDate (background processes act with a system account).
// State-side changes carry meta.Source (validated with
// domain.SourceDocument.Validate): creation, position, salary,
// qualifications, class changes, training, salary-history, reward,
// discipline and evaluation rows, transfers (initiate and receive), status
// changes, the civil-servant number and org reassignments. Corrections,
// rejections and cancellations carry meta.Reason.
//
// # Invariants
//
//   - An archived dossier (any status but active) accepts only corrections
//     and attachments; a correction with Reactivate, pointing at the event
//     that archived it, is the only way back to active. This includes
//     ReassignManagingOrg: an org merger does not move archived dossiers.
//   - A dossier with a pending transfer cannot be transferred again, and its
//     status cannot change until the transfer is received, rejected or
//     cancelled (so no archived dossier carries an open transfer).
//   - Completing a transfer out of the province (or a transferred_out status
//     change) revokes management: ManagingOrg reports none and
//     ManagementRevoked true; reactivation restores the org that lost it.
//   - Catalogued fields take only values the Catalogue knows.
//   - The personal ID number is 12 digits whose century/gender digit and
//     birth-year digits agree with the identity; it changes only by
//     correction.
//
// # Errors
//
// Commands return:
//   - *domain.ValidationError (wraps domain.ErrInvalid) naming every bad
//     field and rule at once, fields as paths ("patch/salary/rank",
//     "meta/source/number"), rules as stable codes ("required", "catalogue",
//     "format", "range", "enum", "mismatch", "correction_only", …);
//   - *domain.StateError (wraps domain.ErrConflict) when the dossier's state
//     refuses the command, with a stable Rule: "archived",
//     "transfer_pending", "no_transfer", "already_issued", "not_archived",
//     "wrong_org", "duplicate_row", "duplicate_attachment",
//     "duplicate_transfer", "duplicate_proposal", "proposal_closed",
//     "proposal_pending", "already_supplemented";
//   - an error wrapping domain.ErrNotFound for a row or proposal id that does
//     not exist.
//
// When the state alone refuses a command (an archived dossier refuses any
// update whatever its payload) the StateError comes before any validation.
// Transfer commands check meta.Actor.ActingOrg ("wrong_org"): a superior org
// acting for another sets ActingOrg to the org it acts for.
//
// # Two time axes
//
// ReplayKnownAt filters on recorded_at, ReplayEffectiveOn on the effective
// date, ReplayAt on both. A correction is folded immediately after the
// event it corrects, on every axis: on the recorded axis it counts from its
// own recorded_at, on the effective axis from the corrected event's effective
// date. Folding it at its own position instead would let a late fix of an old
// decision overwrite newer facts of the same section.
//
// # Stored events
//
// Every event has an explicit stored name with a version
// ("dossier.created.v1", see the Type constants); Decode and EventTypes are
// built from one domain.Codec, with upcasters for retired versions. testdata/golden pins
// each stored shape.
package dossier
