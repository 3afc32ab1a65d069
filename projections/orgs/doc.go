// Package orgs is the org tree and its history, and which org managed which
// dossier when.
//
// # Views
//
//   - orgs: every org ever created, as it stands now: code, name, kind,
//     level, parent, status (active, merged, split, dissolved), successors,
//     creation and end dates, and for a province's people's committee its
//     designated Department of Home Affairs (home_affairs). Name, code,
//     parent and home_affairs are those in force at the latest effective
//     date on record, as org.Org reports them. Orgs that ended stay,
//     because older records point at them.
//   - org_names, org_parents: every name (with its code) and every parent an
//     org had, exactly as decided, with half-open effective intervals
//     [valid_from, valid_to).
//   - org_closure: (ancestor, descendant, depth) pairs of the current tree,
//     every org its own ancestor at depth 0, for "org subtree" filters.
//   - org_home_affairs: every designation of a province's Department of
//     Home Affairs (org.home_affairs_designated.v1), with its interval.
//   - org_staffing_quotas: every staffing quota decision
//     (org.staffing_quota_assigned.v1): year, effective date, counts per
//     category and the decision; StaffingQuotas answers the one in force
//     for a year (the last by effective date, then log position).
//   - org_dossier_management: for each dossier, which org managed it over
//     which effective interval; a NULL org is a transfer out of the
//     province (management revoked).
//
// # Histories as change points
//
// Each history row is one event (keyed by its id, so replaying an event
// inserts nothing) holding the date it takes effect. valid_to is derived:
// the next row's valid_from in (valid_from, position) order. Events arrive in
// recorded order but take effect on their own dates, so a back-dated rename
// slots into the past instead of overriding the present, and of two changes
// effective the same day the one recorded later wins — the rule org.Org's
// NameOn and ParentOn follow. "Which org managed dossier X on date D" and
// "what was org Y called on D" are then one indexed lookup each.
//
// Management changes come from dossier.created (the first org),
// dossier.transfer_received (between orgs; an internal transfer keeps the
// org; out of the province revokes), dossier.managing_org_changed (an org
// merger, split or dissolution moved it) and dossier.status_changed to
// transferred_out. A correction that reactivates a dossier whose transfer
// out it corrects undoes the revocation as of the revocation's own date, as
// dossier.ReplayEffectiveOn folds it: the org never lost the dossier.
// Archived dossiers (retired, deceased…) stay with their org.
//
// # Current and historic subtrees
//
// The closure holds the current tree only, and is maintained on every
// creation and move (the moved subtree's paths to its old ancestors are
// replaced by paths to the new ones); ended orgs keep their place, so an
// auditor's subtree still covers the units merged away inside it. The tree
// as it stood on a date is answered from org_parents instead: SubtreeOn
// walks the parent intervals in force on that date with a recursive query,
// keeping the orgs that existed then. It is slower than the closure but
// historic questions are rare and the tree is small (thousands of orgs).
package orgs
