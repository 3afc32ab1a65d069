// Package projections builds hoso's read models from the event log and keeps
// them current.
//
// A Projection turns events into rows of its own PostgreSQL tables. The Runner
// feeds each projection the store's subscription (catch-up, then live) in
// batches — the projections at nearby positions share one read of the log,
// the others read on their own — and commits every batch's writes together
// with the projection's checkpoint in one transaction, so a crash anywhere
// loses nothing and applies nothing twice.
//
// Physical tables carry a generation suffix (dossiers_g3) and readers query a
// view of the stable name (dossiers). Rebuilding a projection builds a new
// generation beside the one that serves, and re-points the views in one
// transaction once the new generation has caught up: readers never see a
// half-built model, nor one older than what they saw before.
//
// A poison event (one that keeps failing after retries) stops only its
// projection, in the visible state "failed" that names the event; the other
// projections continue. Status reports each projection's state, position,
// the log's head and the time lag.
//
// Read models live in subpackages (projections/dossiers, projections/audit,
// …); the service lists the ones it runs in one place
// (internal/service.Projections), with no registry. Nothing publishes the
// log as messages yet: issue 15 will, through watermill; see
// docs/projections.md for why projections themselves do not go through it.
package projections
