// Package org is the Org aggregate: an agency or unit in the hierarchy of
// Vietnamese public administration (a province's people's committee, a
// department (sở), a commune, a public service unit…) and its legal history.
//
// Orgs are created, renamed, moved under another parent, merged, split and
// dissolved by decisions, and the 2025 reform (34 provinces, no district
// level) did all of these to thousands of orgs at once. Dossiers keep
// pointing at the org that managed them at the time, so an org is never
// deleted and nothing about it is overwritten: the aggregate keeps its name
// and its parent as histories keyed by effective date, and NameOn and
// ParentOn answer "what was it called, and under whom, on 1 March 2024?".
//
// # Events
//
// Every event has an explicit stored name with a version (org.created.v1…);
// see EventTypes. Payloads carry only what the decision changed; who, when
// (both clocks) and on which decision live in the envelope (domain.Meta),
// which Replay receives with each event. The effective date of a change is
// therefore Meta.EffectiveDate.
//
// # Commands
//
// Create and the methods of *Org validate their input against the current
// state and return the events to append; they never change the aggregate.
// Rebuild it with Replay. Every command needs an actor, an effective date
// and the decision behind it (Meta.Source): an org change without its
// decision has no legal basis. Commands that would change nothing (a rename
// to the current name, a move to the current parent) return no events, so a
// retried request is harmless.
//
// # Ends of an org
//
//   - Merge (sáp nhập, hợp nhất): the org ends and names one successor that
//     takes over everything it managed.
//   - Split (chia): the org ends and names two or more successors; which
//     dossier goes to which successor is decided per dossier by the process
//     that moves them. The original does not survive a split. A "tách" (a
//     part is separated and the original continues) is not a split here: it
//     is the creation of the new org plus transfers of the dossiers concerned,
//     because the original's identity and history continue unchanged.
//   - Dissolve (giải thể): the org ends. If it still manages dossiers, a
//     successor is required, so no dossier is ever left without a manager.
//     Whether it manages dossiers is a fact the caller reads from a read
//     model and passes in: the domain does no I/O.
//
// An org that has ended refuses every further command. Other orgs' facts
// (that a successor exists and is active, that a new parent is not below
// this org) are checked by the caller where the domain cannot see them;
// Move accepts the new parent's ancestry so the cycle check stays here.
package org
