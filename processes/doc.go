// Package processes runs long work beside the requests, as processes that
// survive a restart: today the succession of an org that ended by merger,
// split or dissolution with a successor, which moves every dossier the org
// managed to its successor (app.Succession), thousands for a district.
//
// The request records the decision (the org event) and answers 202 with
// the process's address; nothing else happens in it. Two things start the
// process, both idempotent, so neither a crash after the append nor a
// second replica loses or doubles it:
//   - the request registers it at once (Manager.Start), so that GET
//     /processes/{id} answers from the first moment;
//   - the Decisions projection, a checkpointed consumer of the global log
//     run by the projection runner, lists every such decision; the manager
//     registers any it has not seen. This is what makes the process driven
//     by the log: a decision written by any means is followed.
//
// The Manager moves the dossiers in steps of StepSize, each step a dossier
// event whose id is ledger.DerivedID(decision, dossier), and records each
// step's outcome in process_steps (migration 00030). A kill anywhere loses
// at most the records of the steps in flight: on restart they are still
// pending, are run again, and the derived id (the store refuses it) and
// the dossier's memory of the cause (the domain returns no event) make the
// second run write nothing and count the dossier as moved. A step that
// fails is retried with exponential backoff, and after MaxAttempts it is
// recorded as failed with its reason while the other steps go on; the
// process then ends "failed", visibly, and starting the manager again (a
// restart of `hoso serve`) retries those steps, as a restart retries a
// failed projection. A database outage does not count as an attempt.
//
// One manager works at a time per schema (a session advisory lock); the
// others stand by, so several `hoso serve` replicas are safe.
//
// Why the projection runner and not watermill's Router with its retry and
// poison-queue middleware: the trigger must be read from our log exactly
// once per position (the runner's checkpoint does that inside the same
// transaction), and a poison step here must neither stop the others nor
// vanish into a queue nobody reads: it stays in the process's own status,
// next to the dossiers that did move, where GET /processes/{id} and `hoso
// processes status` show it. Nothing publishes the log to watermill yet
// (issue 15 will).
package processes
