-- +goose Up
-- A live generation created over a log that already holds events (a first
-- start after an import, a new database restored from a ledger) no longer
-- maintains its query indexes row by row through the whole catch-up: the
-- runner creates them once it has caught up, as it does for a rebuilt
-- generation, and clears this flag in the same transaction. Until then
-- Runner.CaughtUp answers false for it, so whoever waits for the read model
-- waits for its indexes too. Existing generations have theirs.
ALTER TABLE projection_checkpoints ADD COLUMN IF NOT EXISTS query_indexes_pending boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE projection_checkpoints DROP COLUMN IF EXISTS query_indexes_pending;
