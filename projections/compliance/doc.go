// Package compliance is the read model of deadlines: for every dossier event
// that a jurisdiction's regulation puts a deadline on, one item saying which
// org had to act, by when, and when (and how late) it did.
//
// The deployment's policy.Policy and working-day calendar are passed to New;
// the due date and lateness are the policy's own arithmetic (Deadline.Due,
// policy.Judge: counting starts the day after the anchor, a deadline on a
// day off moves to the next working day) so the read model and the domain
// can never disagree. Version() folds a digest of the policy and of the
// calendar's published tables into the schema version: changing either
// rebuilds the model beside the serving one.
//
// # Which event maps to which rule
//
// An event triggers an item only when the policy has a deadline for the
// action in force on the day the duty started: each candidate rule is dated
// by its own anchor (below), a rule counts only if in force that day, and of
// those the earliest due date governs (policy.Policy.Governing). The
// deployment's policy is its provincial one with the national layer
// (policy.ForDeployment): Tiền Giang 2025, for example, times transfers but
// not the creation of a dossier, so a creation decided before 1 July 2026
// opens no item there, and one decided since opens a Decree 27/2026 item
// (3 days from the decision). An item, once opened, is judged against its
// own due date and unit (policy.Judge), whatever rules come later.
//
//	event                                        action                 done when
//	dossier.created.v1                           create_dossier         recorded
//	dossier.section_updated.v1, row_added.v1,    update_after_change    recorded
//	  row_amended.v1 — with a source document
//	dossier.proposal_accepted.v1 (a "change"     update_after_change    recorded
//	  proposal, not an annual supplement)
//	dossier.transfer_initiated.v1 internal       transfer_internal      transfer_received recorded
//	dossier.transfer_requested.v1                transfer_between_orgs  transfer_initiated.v1 to the
//	                                                                    requesting org recorded (HU 10.2)
//	dossier.transfer_initiated.v1 between_orgs   transfer_between_orgs  recorded: sending ends the
//	  (no open request of the target)                                   sender's duty (PT 9.1, TG 10.3, BĐ II.5a)
//	  and, where the policy has the rule:        transfer_forward       transfer_received recorded
//	                                             (owned by the target)  (HU 10.2: 30 days from the decision)
//	dossier.transfer_initiated.v1 out_of_prov.   status_change          transfer_received recorded
//	dossier.status_changed.v1                    status_change          recorded
//	dossier.created.v1 (rules not anchored on    person_form            the person's first
//	  the account: HU 9.1b, from the decision)                          proposal_submitted
//	account.created.v1 of a personal account     person_form            the person's first
//	  naming the dossier (BĐ II.1b)                                     proposal_submitted
//	dossier.reactivated.v1 from transferred_out, transfer_in_from_      sync.acknowledged.v1 of the
//	  or created.v1 marked arrived_from_outside_   outside              package that carried it to
//	  province (TG 10.1a; the receiving org's)                          the national database
//
// The person's form (person_form) is the person's duty, shown to the
// managing org: it opens once per dossier — at the creation under a rule
// counted from the decision, at the first personal account's issue under a
// rule counted from the account (a replacement account restarts nothing) —
// and is done when the person submits their own declaration (a proposal),
// not when HR types the data in, which is the org's create_dossier duty.
// Its item id is the account event's, or for a creation one derived from
// the creation's id (uuid.NewSHA1(creation, "person_form")). The request
// for the national-database sync after an arrival from outside the
// province (TG 10.1a) is due 10 working days after the hand-over (the
// reactivation's or the marked creation's effective date; a marked
// creation's item id is derived as uuid.NewSHA1(creation,
// "transfer_in_from_outside")) and is done when the national database
// acknowledged the sync package that carried the arrival
// (sync.acknowledged.v1 naming the dossier among its arrivals; see
// app/nationalsync and arrivals.go), judged on that day.
//
// A transfer_rejected or transfer_cancelled closes the open transfer item
// with that outcome; it is never judged on time or late. Updates without a
// source document are personal details that arrive with the annual CV
// supplement and are not state-side changes. Not mapped at all:
// corrections (a fix of an earlier entry that no regulation times),
// attachments, submitted or rejected proposals, annual supplements, the
// civil-servant number, managing-org changes from org mergers (a DoHA
// process, not a personnel decision), and the rules whose trigger the
// ledger does not record: national_sync*, approvals and reports (windows
// and report dates, not per-event deadlines).
//
// An event whose envelope marks it as imported history (imported_from, the
// go-live of issue 14) still yields its item, for the record, but closed at
// once with outcome "imported": never open, never overdue, never late. A
// 2015 decision entered in 2026 is not eleven years late; it is imported.
// No stored event carried the mark before this rule, so it needs no
// rebuild.
//
// # Dates
//
// The anchor is the source document's date for a "decision_date" rule and
// the event's effective date for the others ("effective_date" exactly;
// "account_issued" is the effective date of the personal account's
// account.created.v1; for "request_received" the request's own event when
// there is one, else the transfer decision's effective date;
// "valid_paper_dossier", "change_date" and "handover_received" name
// moments the ledger does not record, and the effective date — the legal
// date of the fact — is
// their closest recorded stand-in). The done date is the recorded_at of the
// completing event as a date in Vietnam: the day the ledger held the data,
// which is what the regulations time. Lateness is counted in the rule's
// unit (LateBy) and in working days (WorkingDaysLate) whatever the unit.
//
// # Orgs
//
// Each side of a transfer owes its own deadlines (PT 9.1, TG 10.3,
// BĐ II.5a, HU 10.2). The sending org's item belongs to the org that
// managed the dossier (Counterpart: the receiving org) and is done when it
// sends, so a slow receiver never makes it late; the receiving org's
// transfer_forward item belongs to the receiving org (Counterpart: the
// sender). Where the regulation gives the receiver no deadline (PT 9.1,
// TG 10.3, BĐ II.5a) it has no item. Items finds an item through Org or
// Counterpart (each side sees the other's part of the transfer); Overdue
// and Summary count by Org only: what is overdue for an org is its own.
//
// # Views and idempotency
//
// compliance_items holds the items; compliance_dossiers holds what the
// projection remembers of each dossier between batches (stream version,
// managing org, the org a reactivation restores, pending "change"
// proposals, the open transfer item, the open person_form item and whether
// one was ever opened). An event at or below its dossier's
// stored version is skipped, so feeding the log twice changes nothing.
// Query with Items, Overdue and Summary, which read the views only.
package compliance
