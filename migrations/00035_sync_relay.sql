-- +goose Up
-- The national-sync relay's place in the log (app/nationalsync.Relay): the
-- committed approval.signed.v1 events are its outbox, and the position
-- moves only after the packages of every department approval up to it
-- were queued in the ledger and accepted by the broker (at least once).
-- Package bodies hold personal data and are never stored here or anywhere
-- in PostgreSQL: only this position, and the ids, digests and states in the
-- ledger's sync-<id> streams and the syncstatus read model.
CREATE TABLE sync_relay_checkpoints (
    name        text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    position    text        NOT NULL,
    published   bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT, UPDATE ON sync_relay_checkpoints TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE sync_relay_checkpoints;
